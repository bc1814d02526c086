"""Report benchmark: the whole `tracker report monthly` command against WeasyPrint alone.

Two plans, each in its own temporary data directory (SQLite), three scenarios:

- seed: the 2018 seed plan with the demo history (`tracker demo load`), leadership edition;
- city: a generated city-scale plan (`tracker demo generate`: 60 units, 2,000 tasks,
  12 months of updates), leadership edition (the default 月报, at most 8 pages);
- city-detail: the same plan, the detail edition (every task and the units' own words):
  measured, not bounded.

For each, in the same run and interleaved (so machine load hits both alike), N times:

- total: wall time, CPU time and peak memory of the real command
  `tracker report monthly --plan P --period YYYY-MM --out FILE.pdf`: start-up, imports, data
  as of the date, charts, HTML, WeasyPrint, PDF/A, archive. The command forks two processes
  at once: the chart drawer (matplotlib, then the charts) and the renderer (WeasyPrint, then
  the PDF, started as soon as the model is built: the charts reach it while it lays the pages
  out), so CPU and memory are those of the whole process tree: the benchmark is the tree's subreaper and reaps every process of
  it (CPU from their rusage), and samples the tree every 50 ms for its memory: the sum of the
  processes' RSS (pages shared by a fork counted in each: an upper bound) and of their PSS
  (shared pages divided among the sharers: what the tree really occupies);
- floor: WeasyPrint alone rendering the same final HTML, saved once from `render_html`:
  a fresh interpreter times only `render_pdf(html, pdf_variant=ARCHIVE_VARIANT)`. The aim's
  ratio is against this floor. For context the same child's whole wall time is printed too:
  WeasyPrint as a command (interpreter start, `import weasyprint`, render), the least any
  command that makes this PDF with WeasyPrint can take, start-up included on both sides.

total - floor is our own work (start-up, data, charts, HTML, the Word copy, archive), shown as
% of the floor. The command archives what it makes and returns the archived copy when the
content is unchanged, so the archive rows are removed before every run: each run generates.
The chart cache (data/charts/) is removed too, so each run draws its charts (cold); `--warm`
keeps it (a user generating the same month again).
Medians are printed; aims: seed total <= 2x the floor; city total <= 10 s and <= 600 MB.

    .venv/bin/python bench/report_bench.py [--runs N] [--only seed|city|city-detail] [--warm]
                                           [--json FILE]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRACKER = Path(sys.executable).parent / "tracker"
MB = 1024 * 1024

AIMS = {  # scenario -> (total seconds, peak bytes, total / floor), None: not bounded
    "seed": (None, None, 2.0),
    "city": (10.0, 600 * MB, None),
    "city-detail": (None, None, None),
}


@dataclass
class Scenario:
    name: str
    setup: list[str]  # the tracker command that fills the data directory
    period: str
    describe: str
    edition: str = "monthly"
    data_dir: Path | None = None
    plan_id: int | None = None
    setup_seconds: float = 0.0
    totals: list[float] = field(default_factory=list)
    total_cpus: list[float] = field(default_factory=list)
    total_peaks: list[int] = field(default_factory=list)  # RSS summed over the tree
    total_pss: list[int] = field(default_factory=list)  # PSS summed over the tree
    processes: int = 0  # the most processes of the tree at once
    floors: list[float] = field(default_factory=list)
    floor_commands: list[float] = field(default_factory=list)  # the floor child's whole wall
    floor_cpus: list[float] = field(default_factory=list)
    floor_peaks: list[int] = field(default_factory=list)
    imports: list[float] = field(default_factory=list)
    breakdown: dict = field(default_factory=dict)
    pages: int | None = None
    pdf_bytes: int | None = None


def scenarios(units: int, tasks: int, months: int) -> dict[str, Scenario]:
    city = ["demo", "generate", "--units", str(units), "--tasks", str(tasks), "--months",
            str(months)]
    describe = f"{units} units, {tasks} tasks, {months} months"
    return {
        "seed": Scenario("seed", ["demo", "load"], "2018-12", "seed plan, leadership"),
        "city": Scenario("city", city, f"2025-{months:02d}", f"{describe}, leadership"),
        "city-detail": Scenario("city-detail", city, f"2025-{months:02d}",
                                f"{describe}, detail", edition="detail"),
    }


def environment(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TRACKER_DATABASE_URL", None)
    env["TRACKER_DATA_DIR"] = str(data_dir)
    env.setdefault("MPLCONFIGDIR", str(ROOT / "data" / "mplconfig"))  # keep the font cache
    return env


@dataclass(frozen=True)
class Measured:
    wall: float  # seconds
    cpu: float  # user + system seconds of the process tree
    peak: int  # the largest sum of the tree's RSS, bytes (wait4's max RSS if larger)
    pss: int  # the largest sum of the tree's PSS, bytes
    processes: int  # the most processes alive at once
    output: str


def _become_subreaper() -> None:
    """Orphans of the measured command (its render worker's fork server, which outlives it by
    a moment) are reparented to this process, so that their CPU time is counted when reaped."""
    PR_SET_CHILD_SUBREAPER = 36
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SystemExit(f"prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}")


def _children_of(me: int) -> list[int]:
    """Every descendant of this process now (the measured command's tree)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat[stat.rindex(")") + 2:].split()[1])
    tree, frontier = [], [me]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent:
                tree.append(pid)
                frontier.append(pid)
    return tree


def _memory_of(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes; (0, 0) if it is gone."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    fields = dict(re.findall(r"^(Rss|Pss):\s+(\d+) kB", rollup, re.M))
    return int(fields.get("Rss", 0)) * 1024, int(fields.get("Pss", 0)) * 1024


class TreeSampler(threading.Thread):
    """Sums the memory of this process's descendants every 50 ms, keeping the peaks."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.rss = self.pss = self.processes = 0

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.wait(0.05):
            pids = _children_of(me)
            sizes = [_memory_of(pid) for pid in pids]
            self.rss = max(self.rss, sum(rss for rss, _ in sizes))
            self.pss = max(self.pss, sum(pss for _, pss in sizes))
            self.processes = max(self.processes, len(pids))


def measure(argv: list[str], env: dict[str, str], log: Path) -> Measured:
    """Run argv to the end; wall time, and CPU time and peak memory of its whole tree."""
    sampler = TreeSampler()
    with open(log, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        sampler.start()
        _, wait_status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        cpu, peak = usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024  # KiB on Linux
        while True:  # the orphans of the tree, reparented here (see _become_subreaper)
            try:
                _, _, orphan = os.wait4(-1, 0)
            except ChildProcessError:
                break
            cpu += orphan.ru_utime + orphan.ru_stime
            peak = max(peak, orphan.ru_maxrss * 1024)
    sampler.stop.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(wait_status)
    output = log.read_text(encoding="utf-8", errors="replace")
    if process.returncode != 0:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(argv)}\n{output}")
    return Measured(wall, cpu, max(peak, sampler.rss), sampler.pss, sampler.processes, output)


_prepared: dict[tuple, tuple[Path, int, float]] = {}  # setup command -> (dir, plan, seconds)


def prepare(scenario: Scenario, workdir: Path) -> None:
    key = tuple(scenario.setup)
    if key not in _prepared:
        data_dir = workdir / f"data-{len(_prepared)}"
        setup = measure([str(TRACKER), *scenario.setup], environment(data_dir),
                        workdir / f"{scenario.name}-setup.log")
        match = re.search(r"计划\s*(\d+)", setup.output)
        if match is None:
            raise SystemExit(f"no plan id in the output of {scenario.setup}:\n{setup.output}")
        _prepared[key] = (data_dir, int(match[1]), setup.wall)
    scenario.data_dir, scenario.plan_id, scenario.setup_seconds = _prepared[key]
    env = environment(scenario.data_dir)
    # The final HTML, exactly as the command renders it (same data, same as-of date).
    html = workdir / f"{scenario.name}.html"
    dumped = measure([sys.executable, __file__, "_html", str(scenario.plan_id), scenario.period,
                      scenario.edition, str(html)], env, workdir / f"{scenario.name}-html.log")
    scenario.breakdown = json.loads(dumped.output.strip().splitlines()[-1])


def forget_archive(data_dir: Path) -> None:
    """Remove the archived reports, so that the next run generates (not returns the copy)."""
    import sqlite3

    with sqlite3.connect(data_dir / "tracker.sqlite") as connection:
        connection.execute("DELETE FROM generated_report")


def run_once(scenario: Scenario, workdir: Path, index: int, warm: bool) -> None:
    env = environment(scenario.data_dir)
    pdf = workdir / f"{scenario.name}-{index}.pdf"
    forget_archive(scenario.data_dir)
    if not warm:
        shutil.rmtree(scenario.data_dir / "charts", ignore_errors=True)
    total = measure([str(TRACKER), "report", "monthly", "--plan", str(scenario.plan_id),
                     "--period", scenario.period, "--edition", scenario.edition,
                     "--out", str(pdf)], env, workdir / f"{scenario.name}-total.log")
    scenario.totals.append(total.wall)
    scenario.total_cpus.append(total.cpu)
    scenario.total_peaks.append(total.peak)
    scenario.total_pss.append(total.pss)
    scenario.processes = max(scenario.processes, total.processes)
    scenario.pdf_bytes = pdf.stat().st_size
    if scenario.pages is None:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True)
        found = re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)
        scenario.pages = int(found[1]) if found else None
    pdf.unlink()

    html = workdir / f"{scenario.name}.html"
    floor = measure([sys.executable, __file__, "_floor", str(html)], env,
                    workdir / f"{scenario.name}-floor.log")
    timed = json.loads(floor.output.strip().splitlines()[-1])
    scenario.floors.append(timed["seconds"])
    scenario.floor_commands.append(floor.wall)
    scenario.floor_cpus.append(timed["cpu_seconds"])
    scenario.imports.append(timed["import_seconds"])
    scenario.floor_peaks.append(floor.peak)


# --- the child modes -------------------------------------------------------------------------


def child_html(plan_id: int, period: str, edition: str, out: str) -> None:
    """Save the report's final HTML; print how long data and charts+HTML took (JSON)."""
    import asyncio

    from tracker.reporting import build as reports
    from tracker.reporting.render import render_html
    from tracker.services.database import close_pool, open_pool
    from tracker.settings import use_package_piccolo_conf

    use_package_piccolo_conf()

    async def main() -> dict:
        await open_pool()
        try:
            request = await reports.resolve_request(plan_id, period, None, edition)
            started = time.perf_counter()
            data = await reports.build_report_data(request)
            built = time.perf_counter()
            html = render_html(data)
            rendered = time.perf_counter()
        finally:
            await close_pool()
        Path(out).write_text(html, encoding="utf-8")
        return {"data_seconds": built - started, "html_seconds": rendered - built,
                "html_bytes": len(html.encode()), "tasks": len(data.tasks),
                "narratives": len(data.narratives), "units": len(data.units)}

    print(json.dumps(asyncio.run(main())))


def child_floor(html_path: str) -> None:
    """WeasyPrint alone: time only render_pdf on the saved HTML (environment checked first).
    Also reports how long `import weasyprint` took, which any report pays but the floor
    (by definition) does not include."""
    started = time.perf_counter()
    import weasyprint  # noqa: F401

    import_seconds = time.perf_counter() - started
    from tracker.reporting.pdf import check_environment, render_pdf
    from tracker.reporting.render import ARCHIVE_VARIANT

    html = Path(html_path).read_text(encoding="utf-8")
    check_environment()
    started, cpu_started = time.perf_counter(), time.process_time()
    pdf = render_pdf(html, pdf_variant=ARCHIVE_VARIANT)
    print(json.dumps({"seconds": time.perf_counter() - started,
                      "cpu_seconds": time.process_time() - cpu_started,
                      "import_seconds": import_seconds, "bytes": len(pdf)}))


# --- report ----------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summary(scenario: Scenario) -> dict:
    total, floor = _median(scenario.totals), _median(scenario.floors)
    total_cpu, floor_cpu = _median(scenario.total_cpus), _median(scenario.floor_cpus)
    return {
        "scenario": scenario.name, "describe": scenario.describe, "period": scenario.period,
        "runs": len(scenario.totals), "setup_seconds": round(scenario.setup_seconds, 2),
        "total_seconds": round(total, 2), "floor_seconds": round(floor, 2),
        "ratio": round(total / floor, 3), "our_seconds": round(total - floor, 2),
        "floor_command_seconds": round(_median(scenario.floor_commands), 2),
        "ratio_to_command": round(total / _median(scenario.floor_commands), 3),
        "our_percent_of_floor": round(100 * (total - floor) / floor, 1),
        "total_cpu_seconds": round(total_cpu, 2), "floor_cpu_seconds": round(floor_cpu, 2),
        "our_cpu_percent_of_floor": round(100 * (total_cpu - floor_cpu) / floor_cpu, 1),
        "weasyprint_import_seconds": round(_median(scenario.imports), 2),
        "total_peak_mb": round(max(scenario.total_peaks) / MB),
        "total_pss_mb": round(max(scenario.total_pss) / MB), "processes": scenario.processes,
        "floor_peak_mb": round(max(scenario.floor_peaks) / MB),
        "totals": [round(v, 2) for v in scenario.totals],
        "floors": [round(v, 2) for v in scenario.floors],
        "pages": scenario.pages, "pdf_kb": (scenario.pdf_bytes or 0) // 1024,
        **{key: round(value, 2) if isinstance(value, float) else value
           for key, value in scenario.breakdown.items()},
    }


def verdicts(row: dict) -> list[str]:
    seconds, peak, ratio = AIMS[row["scenario"]]
    lines = []
    if seconds is not None:
        lines.append(f"total <= {seconds:g} s: "
                     f"{'yes' if row['total_seconds'] <= seconds else 'NO'} "
                     f"({row['total_seconds']} s; CPU {row['total_cpu_seconds']} s)")
    if peak is not None:
        lines.append(f"peak <= {peak / MB:g} MB: "
                     f"{'yes' if row['total_peak_mb'] * MB <= peak else 'NO'} "
                     f"({row['total_peak_mb']} MB)")
    if ratio is not None:
        lines.append(f"total <= {ratio:g}x floor: {'yes' if row['ratio'] <= ratio else 'NO'} "
                     f"({row['ratio']}x)")
    if not lines:
        lines.append("measured, not bounded")
    return lines


def print_table(rows: list[dict]) -> None:
    names = [row["scenario"] for row in rows]
    lines = [
        ("plan", [row["describe"] for row in rows]),
        ("report period", [row["period"] for row in rows]),
        ("pages / PDF KB", [f"{row['pages']} / {row['pdf_kb']}" for row in rows]),
        ("runs (median of)", [str(row["runs"]) for row in rows]),
        ("total: whole command, s", [f"{row['total_seconds']:.2f}" for row in rows]),
        ("floor: WeasyPrint alone, s", [f"{row['floor_seconds']:.2f}" for row in rows]),
        ("ratio total / floor", [f"{row['ratio']:.2f}" for row in rows]),
        ("WeasyPrint as a command (start, import, render), s",
         [f"{row['floor_command_seconds']:.2f}" for row in rows]),
        ("ratio total / WeasyPrint as a command", [f"{row['ratio_to_command']:.2f}" for row in rows]),
        ("our work (total - floor), s", [f"{row['our_seconds']:.2f}" for row in rows]),
        ("our work, % of floor", [f"{row['our_percent_of_floor']:.1f}%" for row in rows]),
        ("  of which data (as of), s", [f"{row.get('data_seconds', 0):.2f}" for row in rows]),
        ("  of which charts + HTML, s", [f"{row.get('html_seconds', 0):.2f}" for row in rows]),
        ("  of which import weasyprint, s",
         [f"{row['weasyprint_import_seconds']:.2f}" for row in rows]),
        ("CPU: total / floor, s",
         [f"{row['total_cpu_seconds']:.2f} / {row['floor_cpu_seconds']:.2f}" for row in rows]),
        ("CPU: our work, % of floor", [f"{row['our_cpu_percent_of_floor']:.1f}%" for row in rows]),
        ("peak memory total (tree RSS sum), MB", [str(row["total_peak_mb"]) for row in rows]),
        ("peak memory total (tree PSS sum), MB", [str(row["total_pss_mb"]) for row in rows]),
        ("processes at once", [str(row["processes"]) for row in rows]),
        ("peak memory floor, MB", [str(row["floor_peak_mb"]) for row in rows]),
        ("all totals, s", [" ".join(f"{v:.2f}" for v in row["totals"]) for row in rows]),
        ("all floors, s", [" ".join(f"{v:.2f}" for v in row["floors"]) for row in rows]),
        ("data set-up (not timed above), s", [f"{row['setup_seconds']:.1f}" for row in rows]),
    ]
    width = max(len(label) for label, _ in lines) + 2
    columns = [max(len(name), *(len(values[i]) for _, values in lines)) + 2
               for i, name in enumerate(names)]
    print("report benchmark: `tracker report monthly` (total) against WeasyPrint alone (floor)")
    print("".ljust(width) + "".join(name.rjust(col) for name, col in zip(names, columns,
                                                                          strict=True)))
    for label, values in lines:
        print(label.ljust(width) + "".join(v.rjust(col) for v, col in zip(values, columns,
                                                                           strict=True)))
    print("(one run of data and charts + HTML, in a separate process; the CPU rows are less "
          "sensitive to other load on the machine than wall time)")
    print("aims:")
    for row in rows:
        for line in verdicts(row):
            print(f"  {row['scenario']}: {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")),
                        help="runs per measurement, the median is shown (default 3, or BENCH_RUNS)")
    parser.add_argument("--only", choices=["seed", "city", "city-detail"], action="append",
                        help="run only this scenario (repeatable)")
    parser.add_argument("--units", type=int, default=60)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--warm", action="store_true",
                        help="keep the chart cache between runs (default: each run draws them)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directories")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    chosen = [s for name, s in scenarios(args.units, args.tasks, args.months).items()
              if not args.only or name in args.only]
    _become_subreaper()
    workdir = Path(tempfile.mkdtemp(prefix="report-bench-"))
    print(f"{os.uname().nodename}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, charts "
          f"{'cached (--warm)' if args.warm else 'drawn in every run (cold)'}")
    try:
        for scenario in chosen:
            print(f"[{scenario.name}] preparing: tracker {' '.join(scenario.setup)}", flush=True)
            prepare(scenario, workdir)
            for index in range(args.runs):
                run_once(scenario, workdir, index, args.warm)
                print(f"[{scenario.name}] run {index + 1}/{args.runs}: total "
                      f"{scenario.totals[-1]:.2f} s, floor {scenario.floors[-1]:.2f} s",
                      flush=True)
        rows = [summary(scenario) for scenario in chosen]
        print()
        print_table(rows)
        if args.json:
            Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n",
                                       encoding="utf-8")
    finally:
        if args.keep:
            print(f"data kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_html":
        child_html(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    elif len(sys.argv) > 1 and sys.argv[1] == "_floor":
        child_floor(sys.argv[2])
    else:
        sys.exit(main())
