"""The `tracker` command's entry point (pyproject's console script).

A report command's longest lane is its renderer's: import WeasyPrint (~0.4 s), then render. So
the report commands fork their chart drawer and renderer here, at the very first line, before
the command line's own modules are imported (argparse, every command, Rich, the database layer:
~0.06 s before the parser even starts), and only then go on to tracker.cli.main. Every other
command goes straight on."""

from __future__ import annotations

import sys

# (command, subcommand) of the commands that render a report (cli.common.report_command)
REPORT_COMMANDS = frozenset({("report", "monthly"), ("report", "year-end"), ("report", "publish")})


def report_request(argv: list[str]) -> str | None:
    """The arguments of a report command but its output file, which name what the report is made
    of (the chart drawer's hint: figures.last_charts_cached); None for any other command line,
    or one asking for help."""
    if tuple(argv[:2]) not in REPORT_COMMANDS or "-h" in argv or "--help" in argv:
        return None
    kept, skip_value = [], False
    for arg in argv:
        if skip_value:
            skip_value = False
        elif arg == "--out":
            skip_value = True
        elif not arg.startswith("--out="):
            kept.append(arg)
    return " ".join(kept)


def start_report_helpers(argv: list[str]) -> None:
    """Fork a report command's chart drawer and renderer (worker.start_report_processes), once;
    nothing for any other command. Only before any thread or event loop exists."""
    request = report_request(argv)
    if request is not None:
        from tracker.reporting import worker

        worker.start_report_processes(request)


def main() -> int:
    argv = sys.argv[1:]
    start_report_helpers(argv)
    from tracker.cli.main import main as run_command

    return run_command(argv)
