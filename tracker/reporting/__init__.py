"""Reports: report data (model) → Jinja HTML (reports/monthly.html) → WeasyPrint PDF (render).

Only the data classes are imported here, so services can fill them without loading
WeasyPrint and matplotlib; the renderer is `tracker.reporting.render`.
"""

from tracker.reporting.model import ChangeRow, NarrativeRow, ReportData, TaskRow, UnitRow

__all__ = ["ChangeRow", "NarrativeRow", "ReportData", "TaskRow", "UnitRow"]
