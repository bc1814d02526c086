"""Imported only by the render worker's fork server (worker._PRELOAD): loads WeasyPrint, checks
the environment and compiles the report templates once, so every render child forked from the
server starts with them instead of paying for them itself (the fork server preloads matplotlib
beside it). The report command's renderer loads only tracker.reporting.pdf (worker.start_renderer)."""

from tracker.reporting import render

try:
    render.warm_up()
except Exception:  # noqa: BLE001 - a broken set-up is reported by the child's own render
    pass  # (check_environment's message); an error here would kill the fork server instead
