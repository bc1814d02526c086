"""Server benchmark: a live `tracker serve` (one uvicorn worker) on SQLite, then PostgreSQL,
loaded with a generated city-scale plan and driven over loopback by an asyncio httpx load
generator running in this process (the server is a separate process).

Phases (each printed with requests, errors, req/s, p50/p99 latency, req/s ÷ floor and the
median response size):

  probe          a submission's server CPU and statements, in-process (issue 14): this script
                 in a child process calls the ASGI app directly, time.process_time() around
                 each call, statements counted by wrapping the engine; floor: GET /healthz
  floor          GET /healthz (no database), the trivial Litestar endpoint
  submit         unit reporters POST /api/tasks/{id}/updates, each to one of its own tasks
  overview       coordinators GET /api/plans/{id} (the plan tree, JSON)
  overview page  coordinators GET /plans/{id}?as_of=... (the HTML overview with statuses);
                 "overview section" one section of it, "overview behind" ?status=behind
  chasing        coordinators GET /api/plans/{id}/chasing?period=...&as_of=...
                 ("chasing page": the HTML 催报 page)
  review page    coordinators GET /reviews (the HTML review queue; "review api": the JSON)
  mixed:*        40 reporters submitting as fast as they can, and one coordinator each
                 reading the overview and the chasing list (--mixed-page: the page too)
  paced N/s:*    the same, with submissions at a steady N per second (--paced-rate)
  workers        PostgreSQL only: 40 reporters submitting while coordinators read the pages,
                 against 1, 2 and 4 server worker processes (tracker serve --workers), as fast as
                 they can (saturation)
  paced-workers  both backends: 40 reporters each submitting at a person's pace (one every
                 --reporter-interval seconds, seeded jitter 0.5-1.5x) while the coordinators
                 each read every page kind (overview, a section, ?status=behind, 催报, review
                 queue) every --reader-interval seconds, against 1, 2 and 4 workers: per page
                 req/s, p50, p99; the server's CPU per request (per page: the probe's)

Aims (issues 4 and 14): a submission <= 2 ms of server CPU, no "database is locked"; every
read p99 < 100 ms, also beside 40 reporters with 1, 2 and 4 workers; no errors.

    .venv/bin/python bench/server_bench.py            # both backends, city scale (~15 min)
    .venv/bin/python bench/server_bench.py --quick    # small plan, one repeat (~3 min)
    .venv/bin/python bench/server_bench.py --backends postgres --phases probe,workers

Every server and database process is started in its own process group and stopped at the
end, also on errors and Ctrl-C. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import glob
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

ROOT = Path(__file__).resolve().parent.parent
BEIJING = ZoneInfo("Asia/Shanghai")
GENERATED_PASSWORD = "generated-{seed}"  # tracker/demo_data.py: reporters' password
COORDINATOR_PASSWORD = "bench-coordinator-pw"
AIM_SUBMIT_RATIO = 0.5
AIM_READ_P99_MS = 100.0
AIM_SUBMIT_CPU_MS = 2.0  # issue 14
LOCKED = "database is locked"
READS = ("overview", "overview page", "overview section", "overview behind", "chasing",
         "chasing page", "review page", "review api")
PHASES = ("probe", "submit", *READS, "mixed", "paced", "workers", "paced-workers")
WORKER_COUNTS = (1, 2, 4)
# The coordinators' reads in the workers phase (one in flight each, beside 40 reporters).
WORKER_READS = ("overview page", "overview section", "chasing page", "review page", "review api")
# The coordinators' pages in the paced-workers phase.
PACED_READS = ("overview page", "overview section", "overview behind", "chasing page",
               "review page")


# --------------------------------------------------------------------------- processes


def _tracker_bin() -> str:
    for candidate in (Path(sys.executable).parent / "tracker", ROOT / ".venv" / "bin" / "tracker"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("tracker")
    if not found:
        raise SystemExit("cannot find the `tracker` command (run from the project's venv)")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_group(process: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop a process we started in its own session (its process group id is its pid)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


@contextlib.contextmanager
def _no_interrupts() -> Iterator[None]:
    """Let a clean-up finish before a Ctrl-C or SIGTERM that arrives meanwhile takes effect."""
    received: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: received.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if received:
            raise KeyboardInterrupt(f"signal {received[0]}")


def _remove_tree(path: Path) -> None:
    with _no_interrupts():
        shutil.rmtree(path, ignore_errors=True)


def _as_postgres(argv: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextlib.contextmanager
def running_postgres(durable: bool) -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 in a temporary directory.

    `durable` keeps PostgreSQL's defaults (fsync, synchronous_commit on), as SQLite keeps its
    own (WAL, synchronous=FULL); otherwise the test suite's fast, non-durable settings."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        raise RuntimeError("PostgreSQL binaries not found (/usr/lib/postgresql/*/bin)")
    bin_dir = Path(candidates[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="tracker-bench-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    started = False
    try:
        subprocess.run(_as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", "tracker",
                                     "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"]),
                       check=True, capture_output=True)
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c max_connections=100 "
                   "-c shared_buffers=128MB")
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
                                     "-l", str(root / "server.log"), "-w", "-t", "60", "start"]),
                       check=True, capture_output=True)
        started = True
        yield f"postgresql://tracker@127.0.0.1:{port}/postgres"
    finally:
        with _no_interrupts():
            if started or (data / "postmaster.pid").exists():
                subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m",
                                             "fast", "-w", "-t", "30", "stop"]),
                               capture_output=True)
            shutil.rmtree(root, ignore_errors=True)


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TRACKER_DATABASE_URL", None)
    if database_url:
        env["TRACKER_DATABASE_URL"] = database_url
    env.update(TRACKER_DATA_DIR=str(data_dir), TRACKER_SECRET_KEY="bench-secret-" + "x" * 32,
               TRACKER_COOKIE_SECURE="0", TRACKER_SCHEDULER="0",
               TRACKER_SLOW_REQUEST_MS=str(AIM_READ_P99_MS), MPLCONFIGDIR=str(data_dir / "mplconfig"))
    return env


def _run_tracker(env: dict, *args: str, stdin: str | None = None, timeout: float = 600) -> str:
    result = subprocess.run([_tracker_bin(), *args], env=env, input=stdin, text=True,
                            capture_output=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"tracker {' '.join(args)} failed ({result.returncode}):\n"
                           f"{result.stdout}\n{result.stderr}")
    return result.stdout.strip()


@contextlib.contextmanager
def running_server(env: dict, log_path: Path,
                   workers: int = 1) -> Iterator[tuple[str, subprocess.Popen]]:
    """`tracker serve --workers N`, as the README runs it (each worker warms its caches as it
    starts: TRACKER_WARM_CACHES)."""
    port = _free_port()
    command = [_tracker_bin(), "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=ROOT)
    try:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError("server exited at start-up:\n" + log_path.read_text()[-3000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base_url + "/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.2)
        yield base_url, process
    finally:
        with _no_interrupts():
            _stop_group(process)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process group `pid` leads (the server and, with
    --workers, its worker processes; 0 if it is gone)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# --------------------------------------------------------------------------- load generator


def _run(coroutine):
    """asyncio.run, on uvloop when it is installed (the server uses it too)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


@dataclass
class KindResult:
    kind: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    # The app's own milliseconds per successful request (its Server-Timing header): what the
    # latency was apart from queueing in the kernel, in a busy worker's event loop or here.
    server_ms: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)  # response bytes, successful requests
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    first_error: str = ""
    started: float = 0.0
    finished: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())

    @property
    def rate(self) -> float:
        elapsed = self.finished - self.started
        return self.requests / elapsed if elapsed > 0 else 0.0

    def percentile(self, q: float) -> float:
        return _percentile(self.latencies, q) * 1000

    def server_percentile(self, q: float) -> float:
        return _percentile(self.server_ms, q)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def _server_ms(response: httpx.Response) -> float | None:
    timing = response.headers.get("server-timing", "")
    match = re.search(r"\bapp;dur=([\d.]+)", timing)
    return float(match.group(1)) if match else None


RequestMaker = Callable[[httpx.AsyncClient, random.Random], "asyncio.Future[httpx.Response]"]


@dataclass
class Load:
    """One kind of request: `concurrency` closed-loop workers, `makers[i]` for worker i."""

    kind: str
    makers: list[RequestMaker]
    limit: int | None  # requests; None: run until the limited kinds are done (mixed phase)
    # Requests per second for the whole kind (open loop: the i-th request is due at
    # start + i/rate, and its latency counts from then); None: each worker sends the next
    # request as soon as its previous one is answered (closed loop).
    rate: float | None = None
    # (low, high) seconds a worker waits (uniform, seeded) before its first request and after
    # each answer: a person's think time. None: no wait.
    pause: tuple[float, float] | None = None

    @property
    def concurrency(self) -> int:
        return len(self.makers)


def _classify(response: httpx.Response) -> str | None:
    if response.status_code < 400:
        return None
    text = response.text
    if LOCKED in text:
        return "locked"
    if response.status_code >= 500:
        return "5xx"
    return f"{response.status_code}"


async def drive(base_url: str, loads: list[Load], max_seconds: float,
                seed: int = 1, loop_lags: list[float] | None = None) -> dict[str, KindResult]:
    """Run the loads at once until every limited load has issued its requests (or time).

    `loop_lags`, when given, receives how late (ms) this load generator's own event loop woke
    up for a 10 ms sleep, throughout the run: a late wake-up delays every answer it reads, and
    must not be mistaken for a slow server."""
    results = {load.kind: KindResult(load.kind, load.concurrency) for load in loads}
    issued = defaultdict(int)
    stop = asyncio.Event()
    # One client (one keep-alive connection) per worker: a shared httpx pool costs the load
    # generator more CPU per request as concurrency grows (~600 req/s at 32 instead of ~1,500).
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for load in loads:
            for index in range(load.concurrency):
                clients[load.kind, index] = await stack.enter_async_context(httpx.AsyncClient(
                    base_url=base_url, limits=httpx.Limits(max_connections=1), timeout=120.0))
        # Connect them all before the clock starts (a paced run would count the connection
        # set-up of its first requests as latency).
        await asyncio.gather(*(client.get("/healthz") for client in clients.values()))

        async def think(seconds: float) -> None:
            """Wait `seconds`, or less if the run stops meanwhile."""
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), seconds)

        async def worker(load: Load, index: int) -> None:
            rng = random.Random(seed * 7919 + index * 104729 + sum(map(ord, load.kind)))
            result = results[load.kind]
            make = load.makers[index]
            client = clients[load.kind, index]
            if load.pause:  # spread the first requests over one interval
                await think(rng.uniform(0, load.pause[1]))
            while not stop.is_set():
                if load.limit is not None and issued[load.kind] >= load.limit:
                    return
                ticket = issued[load.kind]
                issued[load.kind] += 1
                begin = time.perf_counter()
                if load.rate:
                    due = start + ticket / load.rate
                    if due > begin:
                        await asyncio.sleep(due - begin)
                        if stop.is_set():
                            return
                    begin = due
                try:
                    response = await make(client, rng)
                    category = _classify(response)
                    detail = response.text[:300] if category else ""
                except httpx.HTTPError as error:
                    category, detail = "transport", f"{type(error).__name__}: {error}"
                end = time.perf_counter()
                result.finished = max(result.finished, end)
                if category is None:
                    result.latencies.append(end - begin)
                    server_ms = _server_ms(response)
                    if server_ms is not None:
                        result.server_ms.append(server_ms)
                    result.sizes.append(len(response.content))
                else:
                    result.errors[category] += 1
                    result.first_error = result.first_error or detail
                if load.pause:
                    await think(rng.uniform(*load.pause))

        async def watchdog() -> None:
            await asyncio.sleep(max_seconds)
            stop.set()

        def gc_timer(phase: str, info: dict) -> None:
            if phase == "start":
                gc_started[0] = time.perf_counter()
            elif loop_lags is not None:
                gc_pauses.append(((time.perf_counter() - gc_started[0]) * 1000, info["generation"]))

        gc_started, gc_pauses = [0.0], []

        async def lag_meter() -> None:
            while not stop.is_set():
                asked = time.perf_counter()
                await asyncio.sleep(0.01)
                loop_lags.append((time.perf_counter() - asked - 0.01) * 1000)

        # Everything built so far (the city's actors, the clients) is kept out of the cyclic
        # garbage collector's way: a full collection over it stalled this loop for 300-400 ms
        # at city scale, which showed as that much extra latency on every request in flight.
        gc.collect()
        gc.freeze()
        gc.callbacks.append(gc_timer)
        start = time.perf_counter()
        for result in results.values():
            result.started = start
        limited = [asyncio.create_task(worker(load, i)) for load in loads if load.limit is not None
                   for i in range(load.concurrency)]
        open_ended = [asyncio.create_task(worker(load, i)) for load in loads if load.limit is None
                      for i in range(load.concurrency)]
        timer = asyncio.create_task(watchdog())
        meter = asyncio.create_task(lag_meter()) if loop_lags is not None else None
        if limited:
            await asyncio.gather(*limited)
        else:
            await timer
        stop.set()
        timer.cancel()
        await asyncio.gather(*open_ended, *([meter] if meter else []), return_exceptions=True)
        gc.callbacks.remove(gc_timer)
        gc.unfreeze()
        if gc_pauses:
            worst = max(gc_pauses)
            print(f"      load generator GC: {len(gc_pauses)} collections, worst {worst[0]:.0f} ms "
                  f"(generation {worst[1]})", flush=True)
    return results


# --------------------------------------------------------------------------- the scenario


@dataclass
class Actors:
    plan_id: int
    plan_year: int
    period: str
    as_of: str
    reporters: list[tuple[str, list[int]]]  # (token, task ids of its unit)
    coordinator_tokens: list[str]
    coordinator_cookies: list[httpx.Cookies]
    section_id: int = 0  # the plan's first section (the overview's ?section=)


def _latest_started_period(year: int, months: int) -> str:
    today = dt.datetime.now(BEIJING).date()
    wanted = f"{year}-{months:02d}"
    return min(wanted, f"{today.year}-{today.month:02d}")


async def _session_login(base_url: str, username: str, password: str) -> httpx.Cookies:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        page = await client.get("/login")
        match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        token = match.group(1) if match else client.cookies.get("csrftoken", "")
        response = await client.post("/login", data={"username": username, "password": password,
                                                      "_csrf_token": token, "next": "/plans"})
        if response.status_code not in (302, 303) or "tracker_session" not in client.cookies:
            raise RuntimeError(f"page login of {username} failed: {response.status_code}")
        return httpx.Cookies({"tracker_session": client.cookies["tracker_session"]})


async def prepare_actors(base_url: str, args, coordinators: list[str],
                         unit_ids: list[int]) -> Actors:
    password = GENERATED_PASSWORD.format(seed=args.seed)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        async def token(username: str, secret: str) -> str | None:
            response = await client.post("/api/tokens", json={"username": username,
                                                               "password": secret})
            return response.json()["token"] if response.status_code == 201 else None

        coordinator_tokens = [await token(name, COORDINATOR_PASSWORD) for name in coordinators]
        if None in coordinator_tokens:
            raise RuntimeError("coordinator login failed")
        auth = {"Authorization": f"Bearer {coordinator_tokens[0]}"}
        plans = (await client.get("/api/plans/", headers=auth)).json()
        plan = next(p for p in plans if "生成数据" in p["title"])
        tree = (await client.get(f"/api/plans/{plan['id']}", headers=auth)).json()
        section_id = tree["sections"][0]["id"]
        semaphore = asyncio.Semaphore(4)  # argon2 verification is deliberately slow

        async def reporter(unit_id: int) -> tuple[str, list[int]] | None:
            async with semaphore:
                secret = await token(f"unit{unit_id}", password)
            if secret is None:
                return None
            rows = (await client.get("/api/my/tasks",
                                     headers={"Authorization": f"Bearer {secret}"})).json()
            tasks = [row["task_id"] for row in rows if row["plan_id"] == plan["id"]]
            return (secret, tasks) if tasks else None

        found = await asyncio.gather(*(reporter(unit_id)
                                       for unit_id in unit_ids[: args.reporters + 10]))
        reporters = [r for r in found if r][: args.reporters]
        if not reporters:
            raise RuntimeError("no reporter could log in")
    cookies = [await _session_login(base_url, name, COORDINATOR_PASSWORD) for name in coordinators]
    as_of = args.as_of or dt.datetime.now(BEIJING).date().isoformat()
    return Actors(plan_id=plan["id"], plan_year=plan["year"],
                  period=_latest_started_period(plan["year"], args.months), as_of=as_of,
                  reporters=reporters, coordinator_tokens=coordinator_tokens,
                  coordinator_cookies=cookies, section_id=section_id)


def submit_makers(actors: Actors) -> list[RequestMaker]:
    def maker(token: str, tasks: list[int]) -> RequestMaker:
        headers = {"Authorization": f"Bearer {token}"}

        def make(client: httpx.AsyncClient, rng: random.Random):
            task_id = rng.choice(tasks)
            percent = rng.randrange(10, 95)
            return client.post(
                f"/api/tasks/{task_id}/updates",
                headers={**headers, "Idempotency-Key": f"bench-{uuid.uuid4().hex}"},
                json={"period": actors.period, "percent": percent, "state": "in_progress",
                      "work_done": f"基准测试填报：已完成本月工作的{percent}%。",
                      "problems": "", "next_steps": "继续推进。"})
        return make

    return [maker(token, tasks) for token, tasks in actors.reporters]


def read_makers(actors: Actors, kind: str, concurrency: int) -> list[RequestMaker]:
    def maker(index: int) -> RequestMaker:
        token = actors.coordinator_tokens[index % len(actors.coordinator_tokens)]
        cookies = actors.coordinator_cookies[index % len(actors.coordinator_cookies)]
        headers = {"Authorization": f"Bearer {token}"}
        plan = actors.plan_id
        if kind == "overview":
            return lambda client, rng: client.get(f"/api/plans/{plan}", headers=headers)
        if kind == "chasing":
            url = f"/api/plans/{plan}/chasing?period={actors.period}&as_of={actors.as_of}"
            return lambda client, rng: client.get(url, headers=headers)
        pages = {
            "overview page": f"/plans/{plan}?as_of={actors.as_of}",
            "overview section": f"/plans/{plan}?as_of={actors.as_of}&section={actors.section_id}",
            "overview behind": f"/plans/{plan}?as_of={actors.as_of}&status=behind",
            "review page": "/reviews",
            "chasing page": f"/plans/{plan}/chasing?period={actors.period}&as_of={actors.as_of}",
        }
        if kind in pages:
            url = pages[kind]
            return lambda client, rng: client.get(url, cookies=cookies)
        if kind == "review api":
            return lambda client, rng: client.get("/api/reviews/queue", headers=headers)
        raise ValueError(kind)

    return [maker(i) for i in range(concurrency)]


@dataclass
class Row:
    phase: str
    concurrency: int
    runs: list[KindResult]
    server_cpu: list[float]
    client_cpu: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)

    def merged_errors(self) -> dict[str, int]:
        total: dict[str, int] = defaultdict(int)
        for run in self.runs:
            for key, value in run.errors.items():
                total[key] += value
        return dict(total)

    @property
    def requests(self) -> int:
        return sum(run.requests for run in self.runs)

    @property
    def rate(self) -> float:
        return statistics.median(run.rate for run in self.runs)

    def p(self, q: float) -> float:
        values = [run.percentile(q) for run in self.runs if run.latencies]
        return statistics.median(values) if values else float("nan")

    def as_dict(self, floor: float | None) -> dict:
        return {"phase": self.phase, "concurrency": self.concurrency, "requests": self.requests,
                "errors": self.merged_errors(), "rps": round(self.rate, 1),
                "p50_ms": round(self.p(0.50), 1), "p99_ms": round(self.p(0.99), 1),
                "x_floor": round(self.rate / floor, 3) if floor else None,
                "server_cpu": round(statistics.median(self.server_cpu), 2),
                "client_cpu": round(statistics.median(self.client_cpu), 2),
                "server_ms_per_request": (round(statistics.median(self.server_ms), 2)
                                          if self.server_ms else None),
                "runs_rps": [round(run.rate, 1) for run in self.runs],
                "bytes": (round(statistics.median(size for run in self.runs for size in run.sizes))
                          if any(run.sizes for run in self.runs) else None),
                "first_error": next((run.first_error for run in self.runs if run.first_error), "")}


async def run_phase(base_url: str, server_pid: int, name: str, loads: list[Load],
                    repeat: int, max_seconds: float, rows: dict[str, Row]) -> None:
    for attempt in range(repeat):
        cpu_before, busy_before = _cpu_seconds(server_pid), _machine_busy()
        client_before = time.process_time()
        wall = time.perf_counter()
        results = await drive(base_url, loads, max_seconds, seed=attempt + 1)
        wall = time.perf_counter() - wall
        cpu = (_cpu_seconds(server_pid) - cpu_before) / wall if wall else 0.0
        client = (time.process_time() - client_before) / wall if wall else 0.0
        busy_after = _machine_busy()
        machine = ((busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
                   * (os.cpu_count() or 1))
        for load in loads:
            label = load.kind if len(loads) == 1 else f"{name}:{load.kind}"
            row = rows.setdefault(label, Row(label, load.concurrency, [], []))
            row.runs.append(results[load.kind])
            row.server_cpu.append(cpu)
            row.client_cpu.append(client)
            if len(loads) == 1 and results[load.kind].requests:  # CPU cost per request
                row.server_ms.append(cpu * wall / results[load.kind].requests * 1000)
        summary = ", ".join(f"{k} {r.requests} req {r.rate:.0f}/s p99 {r.percentile(0.99):.0f} ms"
                            for k, r in results.items())
        print(f"    {name} #{attempt + 1}: {summary}; CPU: server {cpu:.2f}, load generator "
              f"{client:.2f}, whole machine {machine:.2f} of {os.cpu_count()} cores", flush=True)


async def run_load(base_url: str, server_pid: int, args, actors: Actors) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    t = args.phase_seconds
    reads = list(READS)
    # Warm-up: a few of each request (first template compile, caches, connections).
    warm = [Load("healthz", [lambda c, r: c.get("/healthz")] * 4, 50),
            Load("submit", submit_makers(actors)[:4], 8)]
    warm += [Load(kind, read_makers(actors, kind, 1), 2) for kind in reads]
    await drive(base_url, warm, max_seconds=max(60.0, t))

    print("  phases:", flush=True)
    floor = [Load("floor", [lambda c, r: c.get("/healthz")] * args.floor_concurrency,
                  args.floor_requests)]
    await run_phase(base_url, server_pid, "floor", floor, args.repeat, t, rows)
    if "submit" in args.phases:
        await run_phase(base_url, server_pid, "submit",
                        [Load("submit", submit_makers(actors), args.submit_requests)],
                        args.repeat, t, rows)
    for kind in reads:
        if kind in args.phases:
            await run_phase(base_url, server_pid, kind,
                            [Load(kind, read_makers(actors, kind, args.read_concurrency),
                                  args.read_requests)], args.repeat, t, rows)
    # The brief's mixed phase reads the JSON overview and the chasing list; the HTML page
    # joins with --mixed-page.
    mixed_reads = ["overview", "chasing"] + (["overview page"] if args.mixed_page else [])
    mixed = [Load("submit", submit_makers(actors), args.mixed_submits)]
    mixed += [Load(kind, read_makers(actors, kind, args.mixed_read_concurrency), None)
              for kind in mixed_reads]
    if "mixed" in args.phases:
        await run_phase(base_url, server_pid, "mixed", mixed, args.mixed_repeat, t, rows)
    if args.paced_rate > 0 and "paced" in args.phases:
        # Submissions at a steady rate instead of as fast as 40 reporters can go: the reads'
        # latency when the server is busy but not saturated.
        paced = [Load("submit", submit_makers(actors),
                      int(args.paced_rate * args.paced_seconds), rate=args.paced_rate)]
        paced += [Load(kind, read_makers(actors, kind, args.mixed_read_concurrency), None)
                  for kind in mixed_reads]
        await run_phase(base_url, server_pid, f"paced {args.paced_rate:g}/s", paced,
                        args.mixed_repeat, args.paced_seconds + 30, rows)
    return rows


def run_backend(backend: str, args) -> dict:
    print(f"\n=== {backend} ===", flush=True)
    with contextlib.ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix=f"tracker-bench-{backend}-"))
        if not args.keep:
            stack.callback(_remove_tree, work)
        database_url = None
        if backend == "postgres":
            database_url = stack.enter_context(running_postgres(durable=not args.pg_fast))
        env = _env(work / "data", database_url)
        started = time.perf_counter()
        _run_tracker(env, "db", "migrate")
        generated = _run_tracker(env, "demo", "generate", "--units", str(args.units), "--tasks",
                                 str(args.tasks), "--months", str(args.months), "--seed",
                                 str(args.seed))
        coordinators = [f"boss{i + 1}" for i in range(args.coordinators)]
        for name in coordinators:
            _run_tracker(env, "user", "add", name, "--role", "coordinator", "--password-stdin",
                         stdin=COORDINATOR_PASSWORD + "\n")
        print(f"  data: {generated} ({time.perf_counter() - started:.0f} s)", flush=True)
        probe = None
        if "probe" in args.phases:
            probe = probe_submissions(env, args)
            print(f"  in-process probe: submission {probe['cpu_ms_median']:.2f} ms CPU (median of "
                  f"{probe['submissions']}), {probe['statements_median']:.0f} statements; "
                  f"/healthz {probe['floor_ms_median']:.2f} ms", flush=True)
        log_path = work / "server.log"
        with running_server(env, log_path) as (base_url, server):
            # Reporters are `unit<id>` (tracker/demo_data.py); the database holds only these.
            unit_ids = [int(line.split("\t")[0]) for line in
                        _run_tracker(env, "unit", "list").splitlines() if line.strip()]
            actors = _run(prepare_actors(base_url, args, coordinators, unit_ids))
            print(f"  server {base_url} (pid {server.pid}); plan {actors.plan_id}, "
                  f"{len(actors.reporters)} reporters, {len(actors.coordinator_tokens)} "
                  f"coordinators, period {actors.period}, as_of {actors.as_of}", flush=True)
            rows = _run(run_load(base_url, server.pid, args, actors))
        log_text = log_path.read_text(errors="replace")
        server_locked = log_text.count(LOCKED)
        tracebacks = log_text.count("Traceback")
        workers = (run_workers(env, work, args, actors)
                   if backend == "postgres" and "workers" in args.phases else [])
        paced_workers = (run_paced_workers(env, work, args, actors)
                         if "paced-workers" in args.phases else [])
    floor = rows["floor"].rate if "floor" in rows else None
    return {"backend": backend, "rows": [row.as_dict(floor) for row in rows.values()],
            "server_log_locked": server_locked, "server_log_tracebacks": tracebacks,
            "probe": probe, "workers": workers, "paced_workers": paced_workers, "work_dir": str(work) if args.keep else None}


def _wait_for_log(log_path: Path, line: str, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while log_path.read_text(errors="replace").count(line) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server log has fewer than {count} '{line}' lines after "
                               f"{timeout:g} s:\n" + log_path.read_text(errors="replace")[-3000:])
        time.sleep(0.2)


def _measure_workers(env: dict, log_path: Path, workers: int, actors: Actors, reads: tuple[str, ...],
                     loads: list[Load], seconds: float) -> dict:
    """One run against `workers` server processes: warm every worker up, drive `loads`, and
    return the run's figures: per kind requests, req/s, p50/p99 and errors; the server's, the
    load generator's and the whole machine's CPU (the load generator shares the machine's
    cores, so a run where it crowds the server out shows as such); the load average."""
    with running_server(env, log_path, workers) as (base_url, server):
        # Every worker process reads the plan once and compiles its templates first.
        warm = [Load("submit", submit_makers(actors)[:8], 8 * workers)]
        warm += [Load(kind, read_makers(actors, kind, 2 * workers), 4 * workers) for kind in reads]
        _run(drive(base_url, warm, max_seconds=120))
        # Each worker also warms its caches and draws the overview charts in the background as
        # it starts (a few CPU seconds at city scale, once per start): measure the steady state
        # after all of them are done.
        _wait_for_log(log_path, "warm-up done", workers, timeout=180)
        cpu_before, wall = _cpu_seconds(server.pid), time.perf_counter()
        client_before, busy_before = time.process_time(), _machine_busy()
        load_before = os.getloadavg()[0]
        log_start = len(log_path.read_bytes())
        loop_lags: list[float] = []
        measured = _run(drive(base_url, loads, seconds, seed=workers, loop_lags=loop_lags))
        wall = time.perf_counter() - wall
        cpu = (_cpu_seconds(server.pid) - cpu_before) / wall
        client = (time.process_time() - client_before) / wall
        busy_after = _machine_busy()
        machine = ((busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
                   * (os.cpu_count() or 1))
        load_after = os.getloadavg()[0]
    slow = _slow_requests(log_path.read_bytes()[log_start:].decode(errors="replace"))
    kinds = {kind: {"requests": r.requests, "rps": round(r.requests / wall, 2),
                    "p50_ms": round(r.percentile(0.5), 1), "p99_ms": round(r.percentile(0.99), 1),
                    "server_p99_ms": round(r.server_percentile(0.99), 1),
                    "errors": dict(r.errors), "first_error": r.first_error}
             for kind, r in measured.items()}
    total = sum(r.requests for r in measured.values())
    return {"workers": workers, "seconds": round(wall, 1), "server_cpu": round(cpu, 2),
            "client_cpu": round(client, 2), "machine_cpu": round(machine, 2),
            "load_average": [round(load_before, 2), round(load_after, 2)],
            "server_ms_per_request": round(cpu * wall / max(1, total) * 1000, 2),
            "rps": round(total / wall, 1), "kinds": kinds,
            "slow_requests": slow,
            "loop_lag_ms": {"p99": round(_percentile(loop_lags, 0.99), 1),
                            "max": round(max(loop_lags, default=float("nan")), 1)},
            "server_log_tracebacks": log_path.read_text(errors="replace").count("Traceback")}


_SLOW = re.compile(r"slow request (\S+) (\S+): (\d+) ms, this worker's CPU meanwhile (\d+) ms, "
                   r"of it garbage collection (\d+) ms")


def _slow_requests(log_text: str) -> dict:
    """The server's "slow request" lines (over AIM_READ_P99_MS of the app's own time): how
    many, and how much of their time their worker spent on the CPU (on them or on others). A
    worker busy throughout was computing; one mostly idle waited for the database or for a
    core another process held."""
    lines = _SLOW.findall(log_text)
    found = [(int(wall), int(cpu)) for _, _, wall, cpu, _ in lines]
    paths = defaultdict(int)
    for method, path, *_ in lines:
        paths[f"{method} {re.sub(r'/[0-9]+', '/N', path)}"] += 1
    return {"count": len(found), "paths": dict(sorted(paths.items(), key=lambda i: -i[1])),
            "worst_ms": max((wall for wall, _ in found), default=0),
            "worst_gc_ms": max((int(line[4]) for line in lines), default=0),
            "cpu_share_median": round(statistics.median(cpu / wall for wall, cpu in found), 2)
            if found else None}


def _print_workers_run(label: str, result: dict, reads: tuple[str, ...]) -> None:
    kinds = result["kinds"]
    low, high = result["load_average"]
    print(f"    {label}, {result['workers']} worker(s): {result['rps']:.0f} req/s, submit "
          f"{kinds['submit']['rps']:.1f}/s p99 {kinds['submit']['p99_ms']:.0f} ms, reads p99 "
          f"max {max(kinds[k]['p99_ms'] for k in reads):.0f} ms (the app's own time: "
          f"{max(kinds[k]['server_p99_ms'] for k in reads):.0f} ms; the load generator's loop "
          f"late by up to {result['loop_lag_ms']['max']:.0f} ms), CPU: server "
          f"{result['server_cpu']:.2f} cores ({result['server_ms_per_request']:.1f} ms/request), "
          f"load generator {result['client_cpu']:.2f}, whole machine "
          f"{result['machine_cpu']:.2f} of {os.cpu_count()}, load average {low:.1f}-{high:.1f}",
          flush=True)
    slow = result["slow_requests"]
    if slow["count"]:
        print(f"      {slow['count']} request(s) took the app over {AIM_READ_P99_MS:.0f} ms (worst "
              f"{slow['worst_ms']} ms); their worker was on the CPU for a median "
              f"{slow['cpu_share_median']:.0%} of that time (garbage collection at most "
              f"{slow['worst_gc_ms']} ms); "
              + ", ".join(f"{path} x{n}" for path, n in list(slow["paths"].items())[:4]),
              flush=True)


def run_workers(env: dict, work: Path, args, actors: Actors) -> list[dict]:
    """40 reporters submitting as fast as they can while the coordinators read the pages
    (one request in flight per page kind), against 1, 2 and 4 server worker processes."""
    results = []
    for workers in WORKER_COUNTS:
        loads = [Load("submit", submit_makers(actors), args.workers_submits)]
        loads += [Load(kind, read_makers(actors, kind, 1), None) for kind in WORKER_READS]
        result = _measure_workers(env, work / f"server-{workers}-workers.log", workers, actors,
                                  WORKER_READS, loads, args.phase_seconds)
        _print_workers_run("saturated", result, WORKER_READS)
        results.append(result)
    return results


def run_paced_workers(env: dict, work: Path, args, actors: Actors) -> list[dict]:
    """40 reporters each submitting at a person's pace while the coordinators each read every
    page kind at a reader's pace, against 1, 2 and 4 server worker processes: what a page's
    latency is when the server is in use but not saturated."""
    every = args.reporter_interval
    reading = args.reader_interval
    results = []
    for workers in WORKER_COUNTS:
        loads = [Load("submit", submit_makers(actors), None, pause=(0.5 * every, 1.5 * every))]
        loads += [Load(kind, read_makers(actors, kind, len(actors.coordinator_cookies)), None,
                       pause=(0.5 * reading, 1.5 * reading)) for kind in PACED_READS]
        result = _measure_workers(env, work / f"server-{workers}-workers-paced.log", workers,
                                  actors, PACED_READS, loads, args.paced_workers_seconds)
        result.update({"reporters": len(actors.reporters), "interval_s": every,
                       "reader_interval_s": reading})
        _print_workers_run("paced", result, PACED_READS)
        results.append(result)
    return results


# --------------------------------------------------------------------------- in-process probe
#
# A submission's server CPU, measured without a load generator sharing the machine: this
# script again, in a child process whose environment points at the generated database, calls
# the ASGI app directly (a hand-made scope, no HTTP client) and takes time.process_time()
# around each call (every thread of the process: aiosqlite's too). The statements come from
# wrapping the engine (tracker.db.count_statements). The floor is GET /healthz the same way.


async def _asgi_call(app, method: str, path: str, headers: dict[str, str],
                     body: bytes = b"", cookies: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One request through the app; Set-Cookie answers are put into `cookies`."""
    if cookies:
        headers = {**headers, "cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    path, _, query = path.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": query.encode(), "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in
                         {**headers, "host": "127.0.0.1", "content-length": str(len(body))}.items()],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}
    sent = False
    status, chunks = 0, []

    async def receive():
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            for name, value in message.get("headers", []):
                if name.lower() == b"set-cookie" and cookies is not None:
                    pair = value.decode().split(";", 1)[0]
                    cookies[pair.split("=", 1)[0]] = pair.split("=", 1)[1]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def _probe(submissions: int, seed: int) -> dict:
    from tracker.db import count_statements
    from tracker.http.app import create_app
    from tracker.services.database import close_pool, current_engine, open_pool

    app = create_app()
    await open_pool()
    try:
        engine = current_engine()
        unit_ids = range(1, 200)
        token, tasks = None, []
        for unit_id in unit_ids:
            status, body = await _asgi_call(
                app, "POST", "/api/tokens", {"content-type": "application/json"},
                json.dumps({"username": f"unit{unit_id}",
                            "password": GENERATED_PASSWORD.format(seed=seed)}).encode())
            if status != 201:
                continue
            token = json.loads(body)["token"]
            status, body = await _asgi_call(app, "GET", "/api/my/tasks",
                                            {"authorization": f"Bearer {token}"})
            rows = json.loads(body)
            tasks = [row["task_id"] for row in rows]
            if tasks:
                period = rows[0]["period"]  # the latest period begun, as the reporter sees it
                break
        if not tasks:
            raise RuntimeError("no reporter with tasks")
        rng = random.Random(seed)

        async def submit() -> tuple[float, int, int, int]:
            task_id = rng.choice(tasks)
            percent = rng.randrange(10, 95)
            body = json.dumps({"period": period, "percent": percent, "state": "in_progress",
                               "work_done": f"基准测试填报：已完成本月工作的{percent}%。",
                               "problems": "", "next_steps": "继续推进。"},
                              ensure_ascii=False).encode()
            headers = {"authorization": f"Bearer {token}", "content-type": "application/json",
                       "idempotency-key": f"probe-{uuid.uuid4().hex}"}
            with count_statements(engine) as count:
                begin = time.process_time()
                status, answer = await _asgi_call(app, "POST", f"/api/tasks/{task_id}/updates",
                                                  headers, body)
                cpu = time.process_time() - begin
            if status != 201:
                raise RuntimeError(f"submission refused: {status} {answer[:300]!r}")
            return cpu, count.statements, count.transactions, len(answer)

        async def floor() -> float:
            begin = time.process_time()
            await _asgi_call(app, "GET", "/healthz", {})
            return time.process_time() - begin

        for _ in range(30):  # warm-up: first compiles, caches, connections
            await submit()
            await floor()
        costs, statements, transactions, floors = [], [], [], []
        for _ in range(submissions):
            cpu, count, opened, _size = await submit()
            costs.append(cpu * 1000)
            statements.append(count)
            transactions.append(opened)
            floors.append(await floor() * 1000)
        pages = await _probe_pages(app)
        return {"pages": pages, "submissions": submissions, "cpu_ms_median": statistics.median(costs),
                "cpu_ms_p90": sorted(costs)[int(0.9 * len(costs))],
                "statements_median": statistics.median(statements),
                "statements_max": max(statements), "transactions_median":
                statistics.median(transactions), "floor_ms_median": statistics.median(floors)}
    finally:
        await close_pool()


async def _probe_pages(app, repeat: int = 40) -> dict:
    """A coordinator's pages, one after another with nothing else running: server CPU and wall
    time per request (p50/p99 of `repeat`) and the page's size."""
    cookies: dict[str, str] = {}
    status, body = await _asgi_call(app, "GET", "/login", {}, cookies=cookies)
    token = re.search(rb'name="_csrf_token" value="([^"]+)"', body)
    form = (f"username=boss1&password={COORDINATOR_PASSWORD}&next=/plans&_csrf_token="
            f"{token.group(1).decode() if token else cookies.get('csrftoken', '')}").encode()
    status, _ = await _asgi_call(app, "POST", "/login", {
        "content-type": "application/x-www-form-urlencoded"}, form, cookies=cookies)
    if "tracker_session" not in cookies:
        raise RuntimeError(f"coordinator login failed in the probe ({status})")
    status, body = await _asgi_call(app, "POST", "/api/tokens", {
        "content-type": "application/json"},
        json.dumps({"username": "boss1", "password": COORDINATOR_PASSWORD}).encode())
    bearer = {"authorization": f"Bearer {json.loads(body)['token']}"}
    plans = json.loads((await _asgi_call(app, "GET", "/api/plans/", bearer))[1])
    plan = next(p for p in plans if "生成数据" in p["title"])["id"]
    tree = json.loads((await _asgi_call(app, "GET", f"/api/plans/{plan}", bearer))[1])
    section = tree["sections"][0]["id"]
    as_of = dt.datetime.now(BEIJING).date().isoformat()
    period = f"{tree['year']}-12" if tree.get("year") and tree["year"] < int(as_of[:4]) else (
        as_of[:7])
    session = {"tracker_session": cookies["tracker_session"]}
    urls = {
        "overview page": (f"/plans/{plan}?as_of={as_of}", session, {}),
        "overview section": (f"/plans/{plan}?as_of={as_of}&section={section}", session, {}),
        "overview behind": (f"/plans/{plan}?as_of={as_of}&status=behind", session, {}),
        "chasing page": (f"/plans/{plan}/chasing?period={period}&as_of={as_of}", session, {}),
        "review page": ("/reviews", session, {}),
        "review api": ("/api/reviews/queue", None, bearer),
        "chasing api": (f"/api/plans/{plan}/chasing?period={period}&as_of={as_of}", None, bearer),
    }
    results = {}
    for kind, (url, jar, headers) in urls.items():
        cpu, wall, size = [], [], 0
        for attempt in range(repeat + 3):
            begin_cpu, begin = time.process_time(), time.perf_counter()
            status, body = await _asgi_call(app, "GET", url, headers,
                                            cookies=dict(jar) if jar else None)
            if status != 200:
                raise RuntimeError(f"{kind}: {status} {body[:300]!r}")
            if attempt >= 3:  # the first ones compile templates and fill caches
                cpu.append((time.process_time() - begin_cpu) * 1000)
                wall.append((time.perf_counter() - begin) * 1000)
            size = len(body)
        cpu.sort()
        wall.sort()
        results[kind] = {"cpu_p50_ms": statistics.median(cpu), "cpu_p99_ms": cpu[-1 - len(cpu) // 100],
                         "wall_p50_ms": statistics.median(wall),
                         "wall_p99_ms": wall[-1 - len(wall) // 100], "bytes": size}
    return results


def probe_submissions(env: dict, args) -> dict:
    """Run the in-process probe in a child process with the benchmark database's environment."""
    result = subprocess.run(
        [sys.executable, __file__, "--probe-child", str(args.probe_submissions), str(args.seed)],
        env={**env, "PICCOLO_CONF": "tracker.conf"}, capture_output=True, text=True,
        timeout=900, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"in-process probe failed:\n{result.stdout}\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- report


def _fmt_errors(errors: dict[str, int]) -> str:
    if not errors:
        return "0"
    parts = [f"{errors.get('locked', 0)} locked"] if errors.get("locked") else []
    parts += [f"{errors['5xx']} 5xx"] if errors.get("5xx") else []
    parts += [f"{v} {k}" for k, v in sorted(errors.items()) if k not in ("locked", "5xx")]
    return ", ".join(parts)


def print_table(result: dict) -> None:
    print(f"\n{result['backend']}: medians of runs (req/s, p50, p99); requests and errors summed;"
          " CPU in cores (srv: the uvicorn process, gen: this load generator); srv ms/req: server"
          " CPU time per request")
    header = (f"{'phase':<26}{'conc':>5}{'requests':>9}  {'errors':<22}{'req/s':>8}"
              f"{'p50 ms':>9}{'p99 ms':>9}{'x floor':>9}{'srv CPU':>8}{'gen CPU':>8}"
              f"{'srv ms/req':>11}{'KB':>8}")
    print(header)
    print("-" * len(header))
    for row in result["rows"]:
        ratio = f"{row['x_floor']:.2f}" if row["x_floor"] is not None else "-"
        cost = (f"{row['server_ms_per_request']:.2f}" if row["server_ms_per_request"] is not None
                else "-")
        print(f"{row['phase']:<26}{row['concurrency']:>5}{row['requests']:>9}  "
              f"{_fmt_errors(row['errors']):<22}{row['rps']:>8.0f}{row['p50_ms']:>9.1f}"
              f"{row['p99_ms']:>9.1f}{ratio:>9}{row['server_cpu']:>8.2f}{row['client_cpu']:>8.2f}"
              f"{cost:>11}{(row['bytes'] or 0) / 1024:>8.1f}")
    print(f"server log: {result['server_log_locked']} x '{LOCKED}', "
          f"{result['server_log_tracebacks']} tracebacks")
    by_phase = {row["phase"]: row for row in result["rows"]}
    verdicts = []
    if "submit" in by_phase:
        row = by_phase["submit"]
        locked = row["errors"].get("locked", 0) + result["server_log_locked"]
        ok = row["x_floor"] is not None and row["x_floor"] >= AIM_SUBMIT_RATIO and locked == 0
        verdicts.append(f"submit {row['x_floor']:.2f}x floor (aim >= {AIM_SUBMIT_RATIO}), "
                        f"{locked} locked: {'MET' if ok else 'NOT MET'}")
    for phase in by_phase:
        if phase.split(":")[-1] in READS:
            p99 = by_phase[phase]["p99_ms"]
            verdicts.append(f"{phase} p99 {p99:.0f} ms (aim < {AIM_READ_P99_MS:.0f}): "
                            f"{'MET' if p99 < AIM_READ_P99_MS else 'NOT MET'}")
    for verdict in verdicts:
        print("  " + verdict)
    for row in result["rows"]:
        if row["first_error"]:
            print(f"  first error in {row['phase']}: {row['first_error'][:200]!r}")
    probe = result.get("probe")
    if probe:
        ratio = probe["cpu_ms_median"] / probe["floor_ms_median"]
        print(f"\n{result['backend']}, a submission in-process (the ASGI app called directly, "
              f"process CPU per request, median of {probe['submissions']}):")
        print(f"  server CPU {probe['cpu_ms_median']:.2f} ms (p90 {probe['cpu_ms_p90']:.2f}); "
              f"{probe['statements_median']:.0f} statements (max {probe['statements_max']}), "
              f"{probe['transactions_median']:.0f} transaction(s); floor GET /healthz "
              f"{probe['floor_ms_median']:.2f} ms; ratio {ratio:.1f}x the floor; aim <= "
              f"{AIM_SUBMIT_CPU_MS:.0f} ms: {'MET' if probe['cpu_ms_median'] <= AIM_SUBMIT_CPU_MS else 'NOT MET'}")
    if probe and probe.get("pages"):
        print(f"\n{result['backend']}, a coordinator's pages in-process, one at a time (server CPU and "
              "wall time per request, p50/p99 of 40):")
        print(f"{'page':<20}{'CPU p50':>9}{'CPU p99':>9}{'wall p50':>10}{'wall p99':>10}{'KB':>8}")
        for kind, page in probe["pages"].items():
            print(f"{kind:<20}{page['cpu_p50_ms']:>9.1f}{page['cpu_p99_ms']:>9.1f}"
                  f"{page['wall_p50_ms']:>10.1f}{page['wall_p99_ms']:>10.1f}"
                  f"{page['bytes'] / 1024:>8.1f}")
    if result.get("paced_workers"):
        runs = result["paced_workers"]
        print(f"\n{result['backend']}, paced: {runs[0]['reporters']} "
              f"reporters each submitting every {runs[0]['interval_s']:g} s, coordinators each "
              f"reading every page every {runs[0]['reader_interval_s']:g} s (x0.5-1.5); per page: req/s, p50 / p99 ms "
              "(CPU per page: the probe above)")
        header = f"{'page':<20}" + "".join(f"{str(run['workers']) + ' worker(s)':>24}"
                                            for run in runs)
        print(header)
        print("-" * len(header))
        for kind in ("submit", *PACED_READS):
            print(f"{kind:<20}" + "".join(
                f"{run['kinds'][kind]['rps']:>7.1f}/s {run['kinds'][kind]['p50_ms']:>6.0f} /"
                f"{run['kinds'][kind]['p99_ms']:>6.0f}" for run in runs))
        for run in runs:
            errors = sum(sum(k["errors"].values()) for k in run["kinds"].values())
            worst = max(run["kinds"][k]["p99_ms"] for k in PACED_READS)
            print(f"  {run['workers']} worker(s): {run['rps']:.0f} req/s, server CPU "
                  f"{run['server_cpu']:.2f} cores, {run['server_ms_per_request']:.1f} ms/request; "
                  f"load generator {run['client_cpu']:.2f}, machine {run['machine_cpu']:.2f}, "
                  f"load average {run['load_average'][0]:.1f}-{run['load_average'][1]:.1f}; "
                  f"reads p99 {worst:.0f} ms (aim < {AIM_READ_P99_MS:.0f}): "
                  f"{'MET' if worst < AIM_READ_P99_MS else 'NOT MET'}; errors {errors}, "
                  f"server log tracebacks {run['server_log_tracebacks']}")
    if result.get("workers"):
        print(f"\n{result['backend']}, worker processes: 40 reporters submitting, one coordinator "
              f"request in flight per page ({', '.join(WORKER_READS)})")
        header = (f"{'workers':>7}{'req/s':>8}{'submit/s':>10}{'submit p99':>11}"
                  + "".join(f"{k[:14] + ' p99':>19}" for k in WORKER_READS) + f"{'errors':>8}"
                  + f"{'srv CPU':>8}{'ms/req':>8}{'gen CPU':>8}{'machine':>8}")
        print(header)
        print("-" * len(header))
        for run in result["workers"]:
            kinds = run["kinds"]
            errors = sum(sum(k["errors"].values()) for k in kinds.values())
            print(f"{run['workers']:>7}{run['rps']:>8.0f}{kinds['submit']['rps']:>10.0f}"
                  f"{kinds['submit']['p99_ms']:>11.0f}"
                  + "".join(f"{kinds[k]['p99_ms']:>19.0f}" for k in WORKER_READS)
                  + f"{errors:>8}{run['server_cpu']:>8.2f}{run['server_ms_per_request']:>8.2f}"
                  + f"{run['client_cpu']:>8.2f}{run['machine_cpu']:>8.2f}")
            worst = max(kinds[k]["p99_ms"] for k in WORKER_READS)
            print(f"  {run['workers']} worker(s): reads p99 {worst:.0f} ms (aim < "
                  f"{AIM_READ_P99_MS:.0f}): {'MET' if worst < AIM_READ_P99_MS else 'NOT MET'}; "
                  f"errors {errors}, server log tracebacks {run['server_log_tracebacks']}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgres",
                        help="comma-separated: sqlite, postgres (default both)")
    parser.add_argument("--quick", action="store_true",
                        help="small plan, fewer requests, one repeat: a smoke run")
    parser.add_argument("--units", type=int, help="units in the generated plan (default 60)")
    parser.add_argument("--tasks", type=int, help="tasks in the generated plan (default 2000)")
    parser.add_argument("--months", type=int, help="months of history (default 12)")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--reporters", type=int, help="concurrent unit reporters (default 40)")
    parser.add_argument("--coordinators", type=int, default=2)
    parser.add_argument("--floor-concurrency", type=int, default=32)
    parser.add_argument("--floor-requests", type=int, help="default 4000")
    parser.add_argument("--submit-requests", type=int, help="per run (default 2000)")
    parser.add_argument("--read-requests", type=int, help="per run and read kind (default 300)")
    parser.add_argument("--read-concurrency", type=int, default=4,
                        help="requests in flight for a read phase, spread over the coordinators")
    parser.add_argument("--mixed-submits", type=int, help="submissions in a mixed run (default 1500)")
    parser.add_argument("--probe-submissions", type=int,
                        help="submissions timed in-process (default 300)")
    parser.add_argument("--workers-submits", type=int,
                        help="submissions in each run of the workers phase (default 3000)")
    parser.add_argument("--mixed-read-concurrency", type=int, default=1,
                        help="in-flight requests per read kind in the mixed phase")
    parser.add_argument("--repeat", "--runs", type=int, dest="repeat",
                        help="runs per phase; medians are shown (default BENCH_RUNS or 3)")
    parser.add_argument("--mixed-repeat", type=int,
                        help="runs of each mixed phase (default 2)")
    parser.add_argument("--mixed-page", action="store_true",
                        help="the HTML overview page is read in the mixed phases too")
    parser.add_argument("--paced-rate", type=float, default=30.0,
                        help="submissions/s in the paced mixed phase (0: skip it; default 30)")
    parser.add_argument("--paced-seconds", type=float, help="length of a paced run (default 20)")
    parser.add_argument("--reporter-interval", type=float, default=3.0,
                        help="paced-workers: seconds between a reporter's submissions (x0.5-1.5)")
    parser.add_argument("--reader-interval", type=float, default=1.0,
                        help="paced-workers: seconds between a coordinator's reads of one page")
    parser.add_argument("--paced-workers-seconds", type=float,
                        help="length of a paced-workers run (default 30)")
    parser.add_argument("--phase-seconds", type=float, default=40.0,
                        help="time cap of one run of a phase")
    parser.add_argument("--as-of", help="as_of date for the reads (default today, Beijing)")
    parser.add_argument("--phases", default=",".join(PHASES),
                        help=f"comma-separated, from {', '.join(PHASES)} (the floor always runs)")
    parser.add_argument("--pg-fast", action="store_true",
                        help="PostgreSQL without fsync/synchronous_commit (the tests' settings)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory and logs")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    defaults = ({"units": 12, "tasks": 200, "months": 6, "reporters": 10, "floor_requests": 1000,
                 "submit_requests": 300, "read_requests": 60, "mixed_submits": 200, "repeat": 1,
                 "probe_submissions": 60, "workers_submits": 300,
                 "mixed_repeat": 1, "paced_seconds": 8, "paced_workers_seconds": 10}
                if args.quick else
                {"units": 60, "tasks": 2000, "months": 12, "reporters": 40, "floor_requests": 4000,
                 "submit_requests": 2000, "read_requests": 300, "mixed_submits": 1500,
                 "probe_submissions": 300, "workers_submits": 3000,
                 "repeat": int(os.environ.get("BENCH_RUNS") or 3), "mixed_repeat": 2,
                 "paced_seconds": 20, "paced_workers_seconds": 30})
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    if set(args.phases) - set(PHASES):
        parser.error(f"unknown phase(s): {', '.join(sorted(set(args.phases) - set(PHASES)))}")
    unknown = set(args.backends) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--probe-child"]:  # probe_submissions's child process
        submissions, seed = int(argv[1]), int(argv[2])
        sys.path.insert(0, str(ROOT))
        print(json.dumps(_run(_probe(submissions, seed))))
        return 0
    args = parse_args(argv)

    def terminate(signum, frame):  # run the finally blocks (stop servers) on SIGTERM too
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, terminate)
    print(f"server benchmark: {args.units} units, {args.tasks} tasks, {args.months} months; "
          f"{args.reporters} reporters, {args.coordinators} coordinators; repeat {args.repeat}; "
          f"{os.cpu_count()} CPUs; load generator: httpx in pid {os.getpid()}", flush=True)
    started = time.perf_counter()
    results = []
    for backend in args.backends:
        results.append(run_backend(backend, args))
    for result in results:
        print_table(result)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "results": results},
                                              ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
