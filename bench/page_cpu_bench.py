"""In-process CPU per request of the coordinators' hot pages and of a submission, at city scale.

The server benchmark's wall-clock figures move with whatever else runs on the machine; CPU
time per request, taken in-process, moves much less. This calls the ASGI app directly (the
server benchmark's hand-made scope, no HTTP client, no load generator sharing the cores) and
takes `time.process_time()` around each request:

  submission           POST /api/tasks/{id}/updates by one unit reporter (fresh key each)
  chasing after update the HTML 催报 page read right after new submissions (`--between`,
                       from random reporters of `--reporters`: its lists take them in)
  chasing              the same page read again with nothing new
  review after update  the HTML review queue read right after new submissions
  review               the review queue read again with nothing new
  review api           GET /api/reviews/queue

Medians (and p90) of `--requests` each, after warm-up. The database is the city-scale plan of
`tracker demo generate` (60 units, 2,000 tasks, 12 months: ~38,000 updates): built once in
`--data-dir` (SQLite) or `--database-url` (PostgreSQL) and reused by later runs (each run adds
its submissions). `--profile DIR` writes a cProfile of each kind (DIR/<kind>.prof).

    .venv/bin/python bench/page_cpu_bench.py --data-dir /tmp/city                # SQLite
    .venv/bin/python bench/page_cpu_bench.py --database-url postgresql://…/db   # PostgreSQL
    .venv/bin/python bench/page_cpu_bench.py                # a fresh SQLite city in a temp dir
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import server_bench as sb  # noqa: E402  (the bench directory is not a package)

KINDS = ("submission", "chasing after update", "chasing", "review after update", "review",
         "review api")


def _environment(args) -> dict[str, str]:
    env = sb._env(Path(args.data_dir), args.database_url)
    env["TRACKER_SLOW_REQUEST_MS"] = "100000"
    return env


def build(env: dict, args) -> None:
    """Migrate, generate the city plan and add the coordinator, unless it is there already."""
    sb._run_tracker(env, "db", "migrate")
    if "boss1" in sb._run_tracker(env, "user", "list"):
        return
    print(sb._run_tracker(env, "demo", "generate", "--units", str(args.units), "--tasks",
                          str(args.tasks), "--months", str(args.months), "--seed", str(args.seed)),
          flush=True)
    sb._run_tracker(env, "user", "add", "boss1", "--role", "coordinator", "--password-stdin",
                    stdin=sb.COORDINATOR_PASSWORD + "\n")


async def _login(app) -> tuple[dict, dict]:
    cookies: dict[str, str] = {}
    _, body = await sb._asgi_call(app, "GET", "/login", {}, cookies=cookies)
    token = re.search(rb'name="_csrf_token" value="([^"]+)"', body)
    form = (f"username=boss1&password={sb.COORDINATOR_PASSWORD}&next=/plans&_csrf_token="
            f"{token.group(1).decode() if token else cookies.get('csrftoken', '')}").encode()
    await sb._asgi_call(app, "POST", "/login", {"content-type": "application/x-www-form-urlencoded"},
                        form, cookies=cookies)
    _, body = await sb._asgi_call(app, "POST", "/api/tokens", {"content-type": "application/json"},
                                  json.dumps({"username": "boss1",
                                              "password": sb.COORDINATOR_PASSWORD}).encode())
    return {"tracker_session": cookies["tracker_session"]}, {
        "authorization": f"Bearer {json.loads(body)['token']}"}


async def _reporters(app, seed: int, wanted: int) -> list[tuple[str, list[int], str]]:
    """Up to `wanted` unit reporters with tasks: (bearer token, their task ids, the period)."""
    found = []
    for unit_id in range(1, 200):
        status, body = await sb._asgi_call(
            app, "POST", "/api/tokens", {"content-type": "application/json"},
            json.dumps({"username": f"unit{unit_id}",
                        "password": sb.GENERATED_PASSWORD.format(seed=seed)}).encode())
        if status != 201:
            continue
        token = json.loads(body)["token"]
        _, body = await sb._asgi_call(app, "GET", "/api/my/tasks", {"authorization": f"Bearer {token}"})
        rows = json.loads(body)
        if rows:
            found.append((token, [row["task_id"] for row in rows], rows[0]["period"]))
        if len(found) >= wanted:
            break
    if not found:
        raise RuntimeError("no reporter with tasks")
    return found


async def measure(args) -> dict:
    from tracker.http.app import create_app
    from tracker.services.database import close_pool, open_pool

    app = create_app()
    await open_pool()
    try:
        session, bearer = await _login(app)
        reporters = await _reporters(app, args.seed, args.reporters)
        plans = json.loads((await sb._asgi_call(app, "GET", "/api/plans/", bearer))[1])
        plan = next(p for p in plans if "生成数据" in p["title"])
        as_of = dt.datetime.now(sb.BEIJING).date().isoformat()
        chase_period = (f"{plan['year']}-12" if plan.get("year") and plan["year"] < int(as_of[:4])
                        else as_of[:7])
        rng = random.Random(args.seed)

        async def get(url: str, jar: dict | None, headers: dict) -> None:
            status, body = await sb._asgi_call(app, "GET", url, headers,
                                               cookies=dict(jar) if jar else None)
            if status != 200:
                raise RuntimeError(f"{url}: {status} {body[:300]!r}")

        async def submit() -> None:
            token, tasks, period = rng.choice(reporters)
            task_id = rng.choice(tasks)
            percent = rng.randrange(10, 95)
            # Text never sent before: a resubmission of the latest content would be answered
            # with the stored update (nothing new stored), and the database is reused.
            body = json.dumps({"period": period, "percent": percent, "state": "in_progress",
                               "work_done": f"基准测试填报 {uuid.uuid4().hex[:8]}：已完成{percent}%。",
                               "problems": "", "next_steps": "继续推进。"},
                              ensure_ascii=False).encode()
            status, answer = await sb._asgi_call(
                app, "POST", f"/api/tasks/{task_id}/updates",
                {"authorization": f"Bearer {token}", "content-type": "application/json",
                 "idempotency-key": f"page-cpu-{uuid.uuid4().hex}"}, body)
            if status != 201:
                raise RuntimeError(f"submission refused: {status} {answer[:300]!r}")

        chasing_url = f"/plans/{plan['id']}/chasing?period={chase_period}&as_of={as_of}"

        async def chasing() -> None:
            await get(chasing_url, session, {})

        async def review() -> None:
            await get("/reviews", session, {})

        async def review_api() -> None:
            await get("/api/reviews/queue", None, bearer)

        async def news() -> None:  # what arrived since the page was last read
            for _ in range(args.between):
                await submit()

        # kind -> (untimed step before each timed request, the timed request)
        plan_of = {"submission": (None, submit), "chasing after update": (news, chasing),
                   "chasing": (None, chasing), "review after update": (news, review),
                   "review": (None, review), "review api": (None, review_api)}
        results = {}
        for kind in args.kinds:
            before, timed = plan_of[kind]
            profile = cProfile.Profile() if args.profile else None
            costs = []
            for attempt in range(args.warm_up + args.requests):
                if before is not None:
                    await before()
                if profile is not None and attempt >= args.warm_up:
                    profile.enable()
                begin = time.process_time()
                await timed()
                cost = time.process_time() - begin
                if profile is not None:
                    profile.disable()
                if attempt >= args.warm_up:
                    costs.append(cost * 1000)
            costs.sort()
            results[kind] = {"cpu_p50_ms": statistics.median(costs),
                             "cpu_p90_ms": costs[int(0.9 * len(costs))], "requests": len(costs)}
            if profile is not None:
                Path(args.profile).mkdir(parents=True, exist_ok=True)
                profile.dump_stats(str(Path(args.profile) / f"{kind.replace(' ', '_')}.prof"))
            print(f"  {kind:22} CPU p50 {results[kind]['cpu_p50_ms']:7.2f} ms  "
                  f"p90 {results[kind]['cpu_p90_ms']:7.2f} ms  ({len(costs)})", flush=True)
        return results
    finally:
        await close_pool()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="kept data directory (SQLite file, evidence)")
    parser.add_argument("--database-url", help="PostgreSQL URL (the database is kept)")
    parser.add_argument("--units", type=int, default=60)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--requests", type=int,
                        default=int(os.environ.get("BENCH_RUNS") or 1) * 40)
    parser.add_argument("--warm-up", type=int, default=5)
    parser.add_argument("--reporters", type=int, default=40,
                        help="unit reporters submitting, each update from one of them at random")
    parser.add_argument("--between", type=int, default=1,
                        help="submissions before each '… after update' read (default 1)")
    parser.add_argument("--kinds", default=",".join(KINDS),
                        help=f"comma-separated, from: {', '.join(KINDS)}")
    parser.add_argument("--profile", metavar="DIR", help="write a cProfile per kind into DIR")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.kinds = [kind.strip() for kind in args.kinds.split(",") if kind.strip()]
    if set(args.kinds) - set(KINDS):
        parser.error(f"unknown kind(s): {', '.join(sorted(set(args.kinds) - set(KINDS)))}")
    if args.child:  # the measuring process, with the database's environment
        sys.path.insert(0, str(sb.ROOT))
        print(json.dumps(sb._run(measure(args))))
        return 0
    temporary = None
    if not args.data_dir:
        temporary = tempfile.TemporaryDirectory(prefix="tracker-page-cpu-")
        args.data_dir = str(Path(temporary.name) / "data")
    env = _environment(args)
    started = time.perf_counter()
    build(env, args)
    load = os.getloadavg()
    print(f"page CPU benchmark: {'PostgreSQL' if args.database_url else 'SQLite'}, "
          f"{args.requests} requests per kind, {args.between} submission(s) before each read "
          f"after update; load average {load[0]:.1f} "
          f"(set-up {time.perf_counter() - started:.0f} s)", flush=True)
    child = [sys.executable, __file__, "--child", "--data-dir", args.data_dir, "--seed",
             str(args.seed), "--requests", str(args.requests), "--warm-up", str(args.warm_up),
             "--reporters", str(args.reporters), "--between", str(args.between),
             "--kinds", ",".join(args.kinds)]
    if args.database_url:
        child += ["--database-url", args.database_url]
    if args.profile:
        child += ["--profile", args.profile]
    result = subprocess.run(child, env={**env, "PICCOLO_CONF": "tracker.conf"}, text=True,
                            stdout=subprocess.PIPE, cwd=sb.ROOT, timeout=1800)
    if temporary is not None:
        temporary.cleanup()
    if result.returncode != 0:
        print(result.stdout[-3000:])
        return 1
    lines = result.stdout.strip().splitlines()
    print("\n".join(lines[:-1]))
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
