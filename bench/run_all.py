"""Run every benchmark in bench/: each `*_bench.py` module, in name order, in its own process.

    .venv/bin/python bench/run_all.py [--runs N] [--only NAME] [-- extra args for each bench]

`--runs N` is passed on as BENCH_RUNS (each benchmark's default number of runs); `--only`
picks benchmarks by name (e.g. `report` for report_bench.py), repeatable. Exit status: 0 when
every benchmark ran, else 1.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def discover() -> list[Path]:
    return sorted(BENCH_DIR.glob("*_bench.py"))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    parser = argparse.ArgumentParser(description="Run every bench/*_bench.py")
    parser.add_argument("--runs", type=int, help="runs per measurement (BENCH_RUNS)")
    parser.add_argument("--only", action="append", help="benchmark name, e.g. report")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.runs is not None:
        env["BENCH_RUNS"] = str(args.runs)
    benches = [path for path in discover()
               if not args.only or path.stem.removesuffix("_bench") in args.only]
    if not benches:
        print("no benchmark found", file=sys.stderr)
        return 1
    failed = []
    for path in benches:
        print(f"=== {path.stem} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(path), *extra], env=env)
        print(f"=== {path.stem}: {'ok' if code == 0 else f'failed ({code})'} in "
              f"{time.perf_counter() - started:.0f} s ===\n", flush=True)
        if code != 0:
            failed.append(path.stem)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
