"""Reports: report data (model) → Jinja HTML (reports/monthly.html, render) → WeasyPrint PDF (pdf).

Nothing is imported here: the report command forks its chart drawer and renderer after importing
only tracker.reporting.worker (cli.entry), and each process imports what it uses (the data classes
are in tracker.reporting.model).
"""
