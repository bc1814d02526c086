"""Test data built through the real services, and logged-in clients."""

from __future__ import annotations

import itertools

from httpx import AsyncClient

from tracker.services import accounts

PASSWORD = "correct-horse-1"
_counter = itertools.count(1)


async def make_unit(name: str | None = None) -> int:
    return (await accounts.add_unit(name or f"测试处{next(_counter)}")).id


async def make_user(role: str, unit_id: int | None = None, username: str | None = None,
                    password: str = PASSWORD) -> accounts.CurrentUser:
    username = username or f"{role}{next(_counter)}"
    created = await accounts.add_user(username, f"{role}用户", password, role, unit_id)
    user = await accounts.current_user(created.id)
    assert user is not None
    return user


async def bearer(user: accounts.CurrentUser) -> dict[str, str]:
    token = await accounts.issue_token(user, "tests")
    return {"Authorization": f"Bearer {token.token}"}


async def login(client: AsyncClient, username: str, password: str = PASSWORD):
    """Log in through the real form, CSRF token included; returns the final response."""
    form = await client.get("/login")
    assert form.status_code == 200
    return await client.post("/login", data={"username": username, "password": password,
                                             "_csrf_token": client.cookies["csrftoken"]},
                             follow_redirects=True)


def csrf(client: AsyncClient) -> dict[str, str]:
    return {"_csrf_token": client.cookies["csrftoken"]}
