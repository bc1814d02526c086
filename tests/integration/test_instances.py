"""Two `tracker serve` instances on one PostgreSQL, driven over real HTTP (issue 14 §2): what
one instance knows, the other knows too (sessions, tokens, login throttling, plan edits);
losing an instance mid-burst loses no acknowledged update and stores none twice; PostgreSQL
restarted under load gives 503s and then answers again without restarting the app.

The module starts its own PostgreSQL server (it is restarted here) and the instances once:
instance a runs two server processes (`--workers 2`), instance b one."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import asyncpg
import httpx
import pytest
from argon2 import PasswordHasher

from tests.support.cluster import running_cluster
from tests.support.commands import run_tracker
from tests.support.factories import PASSWORD
from tests.support.postgres import create_app_role, postgres_server
from tests.support.samples import MINIMAL
from tests.support.world import World, build_world, update_body
from tracker.services import security
from tracker.services.database import bind_engine, close_pool, current_engine, open_pool

SUBMIT_TIMEOUT = 10.0


@pytest.fixture(scope="module")
def pg():
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="module")
def app_url(pg, tmp_path_factory):
    migrated = run_tracker("db", "migrate", database_url=pg.url,
                           data_dir=tmp_path_factory.mktemp("migrate"))
    assert migrated.returncode == 0, migrated.stderr
    return create_app_role(pg.url)


@pytest.fixture(scope="module")
async def world(app_url) -> World:
    """The test world, built through the services in this process on the cluster's database
    (cheap password hashes: the instances verify with the parameters stored in each hash)."""
    from piccolo.engine.postgres import PostgresEngine

    previous, hasher = current_engine(), security._hasher
    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    bind_engine(PostgresEngine(config={"dsn": app_url}))
    await open_pool()
    try:
        return await build_world()
    finally:
        await close_pool()
        bind_engine(previous)
        security._hasher = hasher


@pytest.fixture(scope="module")
def cluster(app_url, world):
    with running_cluster(app_url, workers=(2, 1)) as running:
        yield running


@pytest.mark.parametrize("workers, reason", [
    ("0", "--workers 须为 1 到 64 之间的整数，现为 0"),
    ("abc", "--workers 须为 1 到 64 之间的整数，现为“abc”"),
])
def test_serve_refuses_a_bad_number_of_workers(workers, reason):
    result = run_tracker("serve", "--port", "1", "--workers", workers)
    assert result.returncode == 2 and result.stderr == f"tracker: {reason}\n"


def test_serve_on_postgresql_needs_the_shared_secret_key(monkeypatch):
    """A key generated per machine would make every instance refuse the others' cookies."""
    monkeypatch.delenv("TRACKER_SECRET_KEY")
    result = run_tracker("serve", "--port", "1",
                         database_url="postgresql://tracker@127.0.0.1:1/tracker")
    assert result.returncode == 2
    assert result.stderr.startswith("tracker: 使用 PostgreSQL 时须设置环境变量 TRACKER_SECRET_KEY")
    assert result.stderr.count("\n") == 1


def _client(**kwargs) -> httpx.AsyncClient:
    return httpx.AsyncClient(trust_env=False, timeout=SUBMIT_TIMEOUT, **kwargs)


async def _page_login(client: httpx.AsyncClient, base: str, username: str,
                      password: str = PASSWORD) -> httpx.Response:
    await client.get(f"{base}/login")
    return await client.post(f"{base}/login", data={
        "username": username, "password": password, "_csrf_token": client.cookies["csrftoken"]})


async def _rows(pg_url: str, query: str, *args) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(pg_url)
    try:
        return await connection.fetch(query, *args)
    finally:
        await connection.close()


async def test_a_session_and_a_token_from_one_instance_work_on_the_other(cluster, world):
    a, b = cluster[0].url, cluster[1].url
    # Cookies are kept per host, not per port: the browser's jar goes to both instances, as
    # it does behind one load-balanced address.
    async with _client() as browser:
        login = await _page_login(browser, a, world.coordinator.username)
        assert login.status_code == 303, login.text
        page = await browser.get(f"{b}/plans")
        assert page.status_code == 200 and world.coordinator.display_name in page.text
        # The CSRF token a's form set is accepted by b (one secret key), and logging out on b
        # ends the session on a at once (sessions are rows in the database).
        logout = await browser.post(f"{b}/logout", data={"_csrf_token": browser.cookies["csrftoken"]})
        assert logout.status_code == 303 and logout.headers["location"].startswith("/login")
        assert (await browser.get(f"{a}/plans")).status_code in (302, 303, 401)

    async with _client() as client:
        issued = await client.post(f"{a}/api/tokens", json={
            "username": world.lead.username, "password": PASSWORD})
        assert issued.status_code == 201, issued.text
        headers = {"Authorization": f"Bearer {issued.json()['token']}"}
        me = await client.get(f"{b}/api/me", headers=headers)
        assert me.status_code == 200 and me.json()["username"] == world.lead.username


async def test_login_failures_are_counted_across_instances(cluster, world, pg):
    """Failed logins spread over both instances, some at the same moment: every failure is
    counted once (none lost to a race), and the delay earned on one instance holds on the other."""
    a, b = cluster[0].url, cluster[1].url
    username = world.other.username
    async with _client() as client:
        async def fail(base: str) -> int:
            response = await client.post(f"{base}/api/tokens", json={
                "username": username, "password": "wrong-password"})
            return response.status_code

        # Three free failures for the pair (this account from 127.0.0.1): a, b, a.
        for base in (a, b, a):
            assert await fail(base) == 401
        # Now six at once, half on each instance: each passes the check (no delay yet) or is
        # answered 429; each 401 is a failure the database must have counted, once.
        statuses = await asyncio.gather(*(fail(base) for base in (a, b) * 3))
        assert set(statuses) <= {401, 429} and 401 in statuses, statuses
        failures = 3 + statuses.count(401)
        while True:  # a delay long enough to ask both instances within it
            pair = (await _rows(pg.url, "SELECT failures, extract(epoch FROM blocked_until - now()) "
                                        "AS left FROM login_throttle WHERE key = $1",
                                f"{username}@127.0.0.1"))[0]
            assert pair["failures"] == failures
            if pair["left"] >= 3:
                break
            await asyncio.sleep(max(0.0, float(pair["left"])) + 0.1)
            assert await fail(a if failures % 2 else b) == 401
            failures += 1
        counts = {row["scope"]: row["failures"] for row in await _rows(
            pg.url, "SELECT scope, failures FROM login_throttle WHERE key = $1 OR key = $2",
            username, f"{username}@127.0.0.1")}
        assert counts == {"pair": failures, "account": failures}
        # The delay earned is in force on both instances, even for the right password.
        for base in (b, a):
            throttled = await client.post(f"{base}/api/tokens", json={
                "username": username, "password": PASSWORD})
            assert throttled.status_code == 429, throttled.text
            assert int(throttled.headers["retry-after"]) >= 1
            assert throttled.json()["detail"].startswith("登录尝试过于频繁")
    # The other tests log in from the same address: forget these failures.
    await _rows(pg.url, "DELETE FROM login_throttle")


async def test_the_client_address_behind_the_tls_proxy_is_the_forwarded_one(cluster, world, pg):
    """The instances trust X-Forwarded-For from the proxy's address (here loopback, the
    default of --forwarded-allow-ips): throttling counts the real client, not the proxy."""
    async with _client() as client:
        response = await client.post(f"{cluster[1].url}/api/tokens", json={
            "username": world.leader.username, "password": "wrong-password"},
            headers={"X-Forwarded-For": "203.0.113.9"})
        assert response.status_code == 401
    keys = {row["key"] for row in await _rows(pg.url, "SELECT key FROM login_throttle")}
    assert keys == {world.leader.username, "203.0.113.9", f"{world.leader.username}@203.0.113.9"}
    await _rows(pg.url, "DELETE FROM login_throttle")


async def test_a_plan_edit_on_one_instance_is_seen_at_once_on_the_other(cluster, world, pg):
    a, b = cluster[0].url, cluster[1].url
    coordinator = world.h["coordinator"]
    async with _client() as client, _client() as browser:
        assert (await _page_login(browser, b, world.coordinator.username)).status_code == 303
        plan_page = f"{b}/plans/{world.plan_id}"
        before = await browser.get(plan_page)
        assert before.status_code == 200 and "做好公开" in before.text  # b's caches are warm
        assert "做好政务公开（已调整）" not in before.text
        api_before = await client.get(f"{b}/api/plans/{world.plan_id}", headers=coordinator)
        assert api_before.status_code == 200
        for round_number in range(2):  # both of a's worker processes may have cached it
            version = (await _rows(pg.url, "SELECT version FROM task WHERE id = $1",
                                   world.task_id))[0]["version"]
            text = f"做好政务公开（已调整）{round_number}"
            edited = await client.patch(f"{a}/api/tasks/{world.task_id}", headers=coordinator,
                                        json={"version": version, "text": text})
            assert edited.status_code == 200, edited.text
            # No waiting: b's next read shows it, on the page and in the API.
            after = await browser.get(plan_page)
            assert after.status_code == 200 and text in after.text
            api_after = await client.get(f"{b}/api/plans/{world.plan_id}", headers=coordinator)
            assert text in api_after.text
            seen_on_a = await client.get(f"{a}/api/plans/{world.plan_id}", headers=coordinator)
            assert text in seen_on_a.text
        # Progress works the same way: an update submitted on a shows on b's (warm) overview
        # as of today.
        today_page = f"{plan_page}?as_of={dt.date.today() + dt.timedelta(days=1)}"
        assert "77%" not in (await browser.get(today_page)).text
        submitted = await client.post(f"{a}/api/tasks/{world.task_id}/updates",
                                      headers=world.h["lead"], json=update_body(percent=77))
        assert submitted.status_code == 201, submitted.text
        assert "77%" in (await browser.get(today_page)).text


async def test_a_plan_import_draft_made_on_one_instance_is_edited_on_the_other(cluster, world):
    """Drafts are rows, not files of one machine: made on a, shown and thrown away on b."""
    a, b = cluster[0].url, cluster[1].url
    coordinator = world.h["coordinator"]
    async with _client() as client:
        made = await client.post(f"{a}/api/plans/drafts", headers=coordinator, files={
            "file": ("plan.yaml", MINIMAL.encode(), "application/yaml")})
        assert made.status_code == 201, made.text
        draft_id = made.json()["id"]
        shown = await client.get(f"{b}/api/plans/drafts/{draft_id}", headers=coordinator)
        assert shown.status_code == 200 and shown.json()["id"] == draft_id
        gone = await client.delete(f"{b}/api/plans/drafts/{draft_id}", headers=coordinator)
        assert gone.status_code == 204
        again = await client.get(f"{a}/api/plans/drafts/{draft_id}", headers=coordinator)
        assert again.status_code == 404


async def _wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(0.1)


async def test_postgres_restarted_under_load_gives_503_then_answers_without_a_restart(
        cluster, world, pg):
    instances = [cluster[0], cluster[1]]
    pids = [instance.process.pid for instance in instances]
    headers = world.h["leader"]
    seen: dict[str, list[int]] = {instance.name: [] for instance in instances}
    unavailable: list[httpx.Response] = []
    stop = asyncio.Event()

    async def load(client: httpx.AsyncClient, instance) -> None:
        while not stop.is_set():
            try:
                response = await client.get(f"{instance.url}/api/me", headers=headers)
            except httpx.TransportError as error:  # the app must answer, never drop us
                raise AssertionError(f"{instance.name}: {error!r}") from error
            seen[instance.name].append(response.status_code)
            if response.status_code == 503:
                unavailable.append(response)
            await asyncio.sleep(0.02)

    async with _client() as client:
        workers = [asyncio.create_task(load(client, instance))
                   for instance in instances for _ in range(2)]
        try:
            await _wait_for(lambda: _answered(seen, 200), 10, "answers before the outage")
            await asyncio.to_thread(pg.stop)
            await _wait_for(lambda: _answered(seen, 503), 15, "503 from both instances")
            mark = {name: len(codes) for name, codes in seen.items()}
            await asyncio.to_thread(pg.start)
            await _wait_for(lambda: _answered(seen, 200, after=mark), 20,
                            "answers again after the restart")
        finally:
            stop.set()
            await asyncio.gather(*workers, return_exceptions=True)
        for worker in workers:
            worker.result()  # a transport error above fails the test here
        for name, codes in seen.items():
            assert set(codes) <= {200, 503}, (name, sorted(set(codes)), cluster.logs())
        response = unavailable[0]
        assert response.headers["retry-after"] == "10"
        assert response.json()["detail"] == "数据库暂时无法连接，请稍后重试"
        # The page says it in Chinese as well, and the readiness check reports the database.
        page = await client.get(f"{instances[1].url}/readyz")
        assert page.status_code == 200
    assert [instance.process.pid for instance in instances] == pids
    assert all(instance.alive() for instance in instances)


async def _answered(seen: dict[str, list[int]], status: int, after: dict[str, int] | None = None) -> bool:
    return all(status in codes[(after or {}).get(name, 0):] for name, codes in seen.items())


async def test_killing_an_instance_mid_burst_loses_and_doubles_nothing(cluster, world, pg):
    """Reporters submit, each with an idempotency key; a is killed (-9) in the middle; each
    client retries what got no answer on b with the same key. Every acknowledged update is
    stored exactly once, and the answers' ids are the stored rows'."""
    a, b = cluster[0], cluster[1]
    streams = [("lead", world.task_id, "2018-07"), ("lead", world.task_id, "2018-08"),
               ("coop", world.subtask_id, "2018-07"), ("coop", world.subtask_id, "2018-08")]
    per_stream = 12
    acknowledged: dict[str, int] = {}
    retried: list[str] = []
    kill_at = len(streams) * per_stream // 3

    async def submit(client: httpx.AsyncClient, role: str, task_id: int, period: str) -> None:
        # Like a load balancer, a stream keeps sending to a until a request to it fails.
        target = a
        for n in range(per_stream):
            key = f"burst-{role}-{period}-{n:03d}"
            body = update_body(period=period, percent=min(5 * n + 5, 95),
                               work_done=f"第{n + 1}次报送：{period}")
            for _attempt in range(20):
                try:
                    response = await client.post(
                        f"{target.url}/api/tasks/{task_id}/updates", json=body,
                        headers={**world.h[role], "Idempotency-Key": key})
                except httpx.TransportError:
                    response = None
                if response is not None and response.status_code == 201:
                    acknowledged[key] = response.json()["id"]
                    if len(acknowledged) == kill_at:
                        # kill -9 right here, with no await in between: the other streams
                        # still have requests in flight to a or queued for it, so the kill
                        # always interrupts something (a timed kill could land after the burst).
                        a.kill()
                    break
                assert response is None or response.status_code >= 500, response.text
                retried.append(key)
                target = b  # the retry goes to the instance still up
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"{key} was never acknowledged")

    async with _client() as client:
        await asyncio.gather(*(submit(client, *stream) for stream in streams))
    assert not a.alive()
    assert len(acknowledged) == len(streams) * per_stream
    assert retried, "the kill interrupted nothing: the test proved nothing"
    rows = await _rows(pg.url, "SELECT idempotency_key, id FROM progress_update "
                               "WHERE idempotency_key LIKE 'burst-%'")
    stored: dict[str, list[int]] = {}
    for row in rows:
        stored.setdefault(row["idempotency_key"], []).append(row["id"])
    assert stored == {key: [update_id] for key, update_id in acknowledged.items()}


