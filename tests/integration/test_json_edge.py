"""Every JSON endpoint answers malformed bodies (10,000-deep nesting, truncated, not UTF-8,
the wrong top-level type) with 400 and a reason, never 500; JSON bodies have per-route size
limits (413) and strict types ("100" and 50.0 are not integers). On SQLite and PostgreSQL.

The endpoints come from the app's own route list, so a new JSON route is walked too."""

from __future__ import annotations

import re
from functools import cache

import pytest

from tests.support.factories import bearer, make_unit, make_user
from tests.support.world import (
    build_world,
    update_body,
)
from tracker.http.app import create_app
from tracker.tables import ProgressUpdate

MALFORMED = {
    "deep nesting": b"[" * 10_000 + b"]" * 10_000,
    "deep objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "truncated": b'{"period":',
    "not utf-8": b'{"period": "\xff\xfe"}',
    "garbage": b"\x00\x01not json",
    "empty": b"",
    "wrong top type": b"[1, 2, 3]",
}

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@cache
def json_routes() -> list[tuple[str, str]]:
    """(method, path) of every API handler that takes a JSON body."""
    routes = []
    for route in create_app().routes:
        for handler in getattr(route, "route_handlers", []):
            if not route.path.startswith("/api/"):
                continue
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is None or getattr(data.kwarg_definition, "media_type", None) != "application/json":
                continue
            for method in handler.http_methods:
                path = re.sub(r"\{[a-z_]+:int\}", "1", route.path)
                path = re.sub(r"\{[a-z_]+:str\}", "x", path)
                routes.append((method, path))
    return sorted(set(routes))


def test_the_walk_finds_the_json_endpoints():
    routes = json_routes()
    for expected in (("POST", "/api/tokens"), ("POST", "/api/channels"),
                     ("POST", "/api/tasks/1/updates"), ("PATCH", "/api/users/1")):
        assert expected in routes
    assert len(routes) >= 15


async def test_malformed_json_is_400_with_a_reason_on_every_endpoint(app_client):
    unit = await make_unit()
    headers = [await bearer(await make_user(role, unit)) for role in
               ("admin", "coordinator", "reporter")]
    failures = []
    for method, path in json_routes():
        for name, body in MALFORMED.items():
            statuses = []
            for h in headers:
                response = await app_client.request(
                    method, path, content=body, headers={**h, "content-type": "application/json"})
                statuses.append(response.status_code)
                if response.status_code == 400:
                    detail = response.json()["detail"]
                    if not detail or "Traceback" in detail:
                        failures.append((method, path, name, detail))
                    break
            if 400 not in statuses or any(s >= 500 for s in statuses):
                failures.append((method, path, name, statuses))
    assert failures == [], sorted({(f[2], str(f[3])) for f in failures})


async def test_strict_types_are_refused_by_field(app_client):
    w = await build_world()
    for percent, expected in (("100", "整数"), (50.0, "整数"), (True, "整数"), (None, "整数")):
        response = await app_client.post(f"/api/tasks/{w.task_id}/updates", headers=w.h["lead"],
                                         json=update_body(percent=percent))
        assert response.status_code == 400, (percent, response.text)
        assert response.json()["field"] == "percent"
        assert response.json()["detail"] == f"字段“percent”类型不对，应为{expected}"
    not_bool = await app_client.patch(f"/api/users/{w.lead.id}", headers=w.h["admin"],
                                      json={"active": "false"})
    assert not_bool.status_code == 400 and not_bool.json()["field"] == "active"
    assert await ProgressUpdate.count() == 0
    assert (await app_client.get("/api/me", headers=w.h["lead"])).status_code == 200
    ok = await app_client.post(f"/api/tasks/{w.task_id}/updates", headers=w.h["lead"],
                               json=update_body(percent=50))
    assert ok.status_code == 201, ok.text


async def test_json_bodies_have_a_size_limit_well_under_a_megabyte(app_client):
    w = await build_world()
    big = update_body(work_done="进" * (400 * 1024))  # ~1.2 MB of UTF-8
    response = await app_client.post(f"/api/tasks/{w.task_id}/updates", headers=w.h["lead"],
                                     json=big)
    assert response.status_code == 413, response.text
    # The limit holds when the client does not say the length (chunked).

    async def chunks():
        for _ in range(20):
            yield b" " * 65536

    chunked = await app_client.post(f"/api/tasks/{w.task_id}/updates",
                                    headers={**w.h["lead"], "content-type": "application/json"},
                                    content=chunks())
    assert chunked.status_code == 413
    assert await ProgressUpdate.count() == 0
