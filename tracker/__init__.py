"""The disclosure work-plan tracker (政务公开工作要点跟踪)."""

import os

# Piccolo finds its engine through this module name; the package's own copy works from any
# directory, where the root piccolo_conf.py only works from the project root.
os.environ.setdefault("PICCOLO_CONF", "tracker.conf")
