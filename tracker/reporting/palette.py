"""The task statuses' order, labels and colours, shared by the charts, the report templates and
the pages. Plain constants: importing them does not load matplotlib."""

from tracker.domain.vocabulary import STATUS_LABELS

# The five task statuses, in the order they are shown everywhere (report, pages, charts).
STATUS_ORDER = tuple(STATUS_LABELS)
STATUS_COLOURS = {
    "done": "#2e7d32",  # green
    "on_track": "#1565c0",  # blue
    "behind": "#f9a825",  # amber
    "overdue": "#c62828",  # red
    "not_started": "#9e9e9e",  # grey
}

__all__ = ["STATUS_COLOURS", "STATUS_LABELS", "STATUS_ORDER"]
