"""Imported only by the render worker's fork server (worker._PRELOAD): loads WeasyPrint and
matplotlib and warms WeasyPrint's fonts once, so every render child forked from the server
starts with them instead of paying for them itself."""

from tracker.reporting import charts, render  # noqa: F401 - imported to be inherited

try:
    render.warm_up()
except Exception:  # noqa: BLE001 - a broken set-up is reported by the child's own render
    pass  # (check_environment's message); an error here would kill the fork server instead
