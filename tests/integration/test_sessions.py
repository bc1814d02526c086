"""Sessions end on the server: a cookie captured before logout is refused after it, and a
new password or a deactivation ends every session and token of that user within the request
that makes it. On SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.test_access import BASE_URL, _app, quick_login
from tests.support.factories import csrf
from tests.support.world import (
    build_world,
)
from tracker.tables import ApiToken, User, UserSession

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def _clone(cookies: httpx.Cookies) -> httpx.AsyncClient:
    """Another browser holding a copy of the captured cookies (what an attacker replays)."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url=BASE_URL)
    for cookie in cookies.jar:
        client.cookies.set(cookie.name, cookie.value, domain=cookie.domain, path=cookie.path)
    return client


async def test_a_cookie_captured_before_logout_is_refused_after_it(app_client):
    w = await build_world()
    await quick_login(app_client, w.lead.username)
    async with _clone(app_client.cookies) as thief, _clone(httpx.Cookies()) as second_browser:
        assert (await thief.get("/my")).status_code == 200
        await quick_login(second_browser, w.lead.username)
        logout = await app_client.post("/logout", data=csrf(app_client))
        assert logout.status_code == 303
        replayed = await thief.get("/my")
        assert replayed.status_code == 303
        assert replayed.headers["location"].startswith("/login?next=/my")
        # Logout ends that session only: the same user's other browser stays logged in.
        assert (await second_browser.get("/my")).status_code == 200
    assert await UserSession.count().where(UserSession.user == w.lead.id) == 1


async def test_password_and_role_changes_end_every_session_and_token(app_client):
    w = await build_world()
    for user, change in ((w.lead, {"password": "a-new-password-2"}),
                         (w.coop, {"active": False})):
        async with _clone(httpx.Cookies()) as browser:
            await quick_login(browser, user.username)
            role = next(name for name, u in vars(w).items() if u == user)
            assert (await browser.get("/my" if user.role == "reporter" else "/plans")).status_code == 200
            assert (await app_client.get("/api/me", headers=w.h[role])).status_code == 200
            changed = await app_client.patch(f"/api/users/{user.id}", json=change,
                                             headers=w.h["admin"])
            assert changed.status_code == 200, changed.text
            page = await browser.get("/plans")
            assert page.status_code == 303, change
            assert (await app_client.get("/api/me", headers=w.h[role])).status_code == 401, change
        assert await UserSession.count().where(UserSession.user == user.id) == 0
        assert await ApiToken.count().where(ApiToken.user == user.id, ApiToken.revoked.eq(False)) == 0
    # The new password works.
    await app_client.get("/login")
    again = await app_client.post("/login", data={"username": w.lead.username,
                                                  "password": "a-new-password-2", **csrf(app_client)})
    assert again.status_code == 303


async def test_the_role_is_read_from_the_database_on_every_request(app_client):
    """There is no role-change route; a role changed in the database (by a migration or by
    hand) applies to live sessions at their next request, since the session holds no role."""
    w = await build_world()
    await quick_login(app_client, w.coordinator.username)
    assert (await app_client.get("/reviews")).status_code == 200
    await User.update({User.role: "leader"}).where(User.id == w.coordinator.id)
    assert (await app_client.get("/reviews")).status_code == 403
