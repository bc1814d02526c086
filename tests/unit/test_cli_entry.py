"""The `tracker` console script (tracker.cli.entry): a report command forks its chart drawer and
renderer before the command line's own modules are imported; other commands fork nothing."""

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from tracker.cli.entry import report_request

ROOT = Path(__file__).resolve().parents[2]


def test_the_console_script_is_the_entry_module():
    (script,) = entry_points(group="console_scripts", name="tracker")
    assert script.value == "tracker.cli.entry:main"


@pytest.mark.parametrize("argv, request_", [
    (["report", "monthly", "--plan", "1", "--period", "2018-12", "--out", "a.pdf"],
     "report monthly --plan 1 --period 2018-12"),
    (["report", "monthly", "--out=b.pdf", "--plan", "1", "--period", "2018-12"],
     "report monthly --plan 1 --period 2018-12"),
    (["report", "year-end", "--plan", "2", "--out", "c.docx", "--as-of", "2019-01-05"],
     "report year-end --plan 2 --as-of 2019-01-05"),
    (["report", "publish", "--plan", "1", "--period", "2018-12"],
     "report publish --plan 1 --period 2018-12"),
    (["report", "annual", "--plan", "1", "--out", "x.docx"], None),  # no PDF, no charts
    (["report", "monthly", "--help"], None),
    (["report", "monthly", "-h"], None),
    (["plan", "parse", "report", "monthly"], None),
    (["report"], None),
    ([], None),
])
def test_the_report_request_is_the_command_line_without_its_output(argv, request_):
    assert report_request(argv) == request_


_PROBE = """
import sys
from tracker.reporting import worker

def started(request):
    print("forked", "tracker.cli.main" in sys.modules, request)
    raise SystemExit(0)

worker.start_report_processes = started
sys.argv = ["tracker", *sys.argv[1:]]
from tracker.cli import entry
entry.main()
print("no fork", "tracker.cli.main" in sys.modules)
"""


def _probe(*argv: str) -> str:
    result = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True,
                            text=True, timeout=60, cwd=ROOT,
                            env={**os.environ, "TRACKER_DATA_DIR": "/nonexistent"})
    return result.stdout.strip().splitlines()[0]


def test_a_report_command_forks_before_the_command_line_is_imported():
    assert _probe("report", "monthly", "--plan", "1", "--period", "2018-12", "--out", "x.pdf") \
        == "forked False report monthly --plan 1 --period 2018-12"


def test_other_commands_fork_nothing():
    assert _probe("plan", "parse", "/nonexistent/plan.txt") == "no fork True"
