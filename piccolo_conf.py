# The `piccolo` command looks for this module; the configuration itself lives in the package.
from tracker.conf import APP_REGISTRY, DB

__all__ = ["APP_REGISTRY", "DB"]
