"""Login throttling slows guessing down and never locks an office out (tracker/domain/login_throttle.py),
on SQLite and PostgreSQL, through the login form and the token API."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from tests.support.factories import PASSWORD, csrf, login, make_unit, make_user
from tests.support.world import build_world
from tracker.tables import AuditEntry, LoginThrottle

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

BASE_URL = "https://testserver.local"


def _client(address: str) -> httpx.AsyncClient:
    """Another browser, at another address, on another instance of the app (same database)."""
    from tracker.http.app import create_app

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(), client=(address, 5000)),
                             base_url=BASE_URL)


async def _fail(client: httpx.AsyncClient, username: str) -> httpx.Response:
    await client.get("/login")
    return await client.post("/login", data={"username": username, "password": "wrong-password",
                                             **csrf(client)})


async def test_failures_slow_the_pair_down_with_429_and_retry_after(database):
    user = await make_user("reporter", await make_unit())
    async with _client("10.1.1.1") as guesser, _client("10.2.2.2") as office:
        for _ in range(4):
            response = await _fail(guesser, user.username)
            assert response.status_code == 400 and "用户名或密码错误" in response.text
        # The fourth failure of this pair earned a delay: even the right password waits.
        throttled = await guesser.post("/login", data={"username": user.username,
                                                       "password": PASSWORD, **csrf(guesser)})
        assert throttled.status_code == 429
        assert throttled.headers["retry-after"] == "1"
        assert "登录尝试过于频繁，请1秒后再试" in throttled.text
        assert "tracker_session" not in throttled.headers.get("set-cookie", "")
        token = await guesser.post("/api/tokens", json={"username": user.username,
                                                        "password": PASSWORD})
        assert token.status_code == 429 and token.headers["retry-after"] == "1"
        assert token.json()["field"] == "password"
        # The counts are in the database, so the other instance sees them too; the user at
        # another address logs in at once.
        rows = {row["scope"]: row["failures"] for row in await LoginThrottle.select()}
        assert rows == {"pair": 4, "account": 4, "address": 4}
        response = await login(office, user.username)
        assert response.status_code == 200 and response.url.path == "/my"
        # A success clears its account and pair (the guesser's own pair stays).
        rows = {(row["scope"], row["key"]) for row in await LoginThrottle.select()}
        assert rows == {("pair", f"{user.username}@10.1.1.1"), ("address", "10.1.1.1")}


async def test_the_admin_is_never_locked_out_by_someone_guessing_elsewhere(database):
    w = await build_world()
    now = dt.datetime.now(dt.UTC)
    # Forty failures on the admin's name from one address earlier today: the account and that
    # address are slowed to the cap; a third address failed once on another name.
    await LoginThrottle.insert(
        LoginThrottle(scope="account", key=w.admin.username, failures=40, last_failure_at=now,
                      blocked_until=now + dt.timedelta(seconds=300)),
        LoginThrottle(scope="pair", key=f"{w.admin.username}@10.6.6.6", failures=40,
                      last_failure_at=now, blocked_until=now + dt.timedelta(seconds=300)),
        LoginThrottle(scope="address", key="10.7.7.7", failures=1, last_failure_at=now),
    )
    async with _client("10.6.6.6") as attacker, _client("10.9.9.9") as admin, \
            _client("10.7.7.7") as shaky:
        response = await attacker.post("/api/tokens", json={"username": w.admin.username,
                                                            "password": PASSWORD})
        assert response.status_code == 429 and 295 <= int(response.headers["retry-after"]) <= 300
        assert (await shaky.post("/api/tokens", json={"username": w.admin.username,
                                                      "password": PASSWORD})).status_code == 429
        response = await admin.post("/api/tokens", json={"username": w.admin.username,
                                                         "password": PASSWORD})
        assert response.status_code == 201, response.text


async def test_the_admin_sees_and_clears_throttled_keys(database):
    w = await build_world()
    async with _client("10.3.3.3") as guesser, _client("10.4.4.4") as admin:
        for _ in range(4):
            await _fail(guesser, w.lead.username)
        await login(admin, w.admin.username)
        page = await admin.get("/admin")
        assert 'id="throttled"' in page.text and f"{w.lead.username}@10.3.3.3" in page.text
        pair = await LoginThrottle.select(LoginThrottle.id).where(
            LoginThrottle.key == f"{w.lead.username}@10.3.3.3").first()
        cleared = await admin.post(f"/admin/throttles/{pair['id']}/clear", data=csrf(admin))
        assert cleared.status_code == 303 and cleared.headers["location"] == (
            "/admin?notice=throttle_cleared#throttled")
        assert await AuditEntry.count().where(AuditEntry.action == "login.throttle_clear") == 1
        response = await login(guesser, w.lead.username)
        assert response.url.path == "/my"


@pytest.mark.parametrize("failures", [25])
async def test_a_shared_gateway_is_slowed_gently_not_shut(database, failures):
    users = [await make_user("reporter", await make_unit()) for _ in range(failures)]
    async with _client("10.5.5.5") as gateway:
        for user in users:  # one mistake each, twenty-five colleagues behind one address
            assert (await _fail(gateway, user.username)).status_code in (400, 429)
        row = await LoginThrottle.select().where(LoginThrottle.key == "10.5.5.5").first()
        assert row["blocked_until"] is not None
        assert (row["blocked_until"] - row["last_failure_at"]).total_seconds() <= 60
