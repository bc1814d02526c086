"""What every request passes at the door, on SQLite and PostgreSQL: the one text rule (NUL,
lone surrogates, bidi and zero-width characters refused with the field named; the rule itself:
tests/unit/test_text_rules.py), JSON only as application/json, the browser security headers,
and a request id on every answer."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import time

import pytest

from tests.support.factories import csrf, login
from tests.support.samples import REFUSED_TEXT
from tests.support.world import build_world, update_body
from tracker.tables import AuditEntry, Milestone, NotificationChannel, Task, Unit, User

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

async def test_nul_surrogate_bidi_refused_with_400_on_every_json_endpoint(app_client):
    w = await build_world()
    version = (await app_client.get(f"/api/tasks/{w.task_id}",
                                    headers=w.h["coordinator"])).json()["context"]["version"]
    # (who, method, url, JSON with {bad} where the text goes, the field named)
    cases = [
        ("coordinator", "PATCH", f"/api/tasks/{w.task_id}",
         f'{{"version": {version}, "text": "{{bad}}"}}', "text"),
        ("coordinator", "POST", f"/api/tasks/{w.task_id}/subtasks", '{"text": "{bad}"}', "text"),
        ("coordinator", "POST", f"/api/plans/{w.plan_id}/milestones",
         '{"title": "{bad}", "due_on": "2018-06-30"}', "title"),
        ("admin", "POST", "/api/units", '{"name": "{bad}"}', "name"),
        ("admin", "POST", "/api/users", '{"username": "zhang", "display_name": "{bad}", '
         '"password": "long-enough-1", "role": "leader"}', "display_name"),
        ("admin", "POST", "/api/channels", '{"kind": "webhook", "name": "{bad}", '
         '"target": "https://example.gov.cn/hook"}', "name"),
        ("coordinator", "POST", "/api/channels", '{"kind": "webhook", "name": "群", '
         '"target": "https://example.gov.cn/hook", "events": ["{bad}"]}', "events[0]"),
        (None, "POST", "/api/tokens", '{"username": "{bad}", "password": "x"}', "username"),
        ("lead", "POST", f"/api/tasks/{w.task_id}/updates",
         '{"period": "2018-09", "percent": 1, "state": "in_progress", "work_done": "{bad}"}',
         "work_done"),
    ]
    counts = {table: await table.count()
              for table in (Task, Milestone, Unit, User, NotificationChannel, AuditEntry)}
    texts = {"nul": "a\\u0000b", "surrogate": "a\\ud800b", "bidi": "a\\u202eb",
             "zero_width": "a\\u200bb"}
    for who, method, url, template, field in cases:
        for kind, bad in texts.items():
            headers = {"content-type": "application/json", **(w.h[who] if who else {})}
            response = await app_client.request(method, url, headers=headers,
                                                content=template.replace("{bad}", bad).encode())
            assert response.status_code == 400, (url, kind, response.text)
            # A lone surrogate escape is refused as soon as the JSON body is decoded.
            expected = "body" if kind == "surrogate" else field
            assert response.json()["field"] == expected, (url, kind, response.text)
            assert REFUSED_TEXT[kind][1] in response.json()["detail"], (url, kind, response.text)
    assert {table: await table.count() for table in counts} == counts  # nothing stored
    task = await Task.select(Task.text, Task.version).where(Task.id == w.task_id).first()
    assert (task["text"], task["version"]) == ("做好公开", version)


async def test_forms_refuse_the_same_characters(app_client):
    w = await build_world()
    await login(app_client, w.admin.username)
    response = await app_client.post("/admin/units", data={"name": "宣\u202e传处", **csrf(app_client)})
    assert response.status_code == 400
    assert "文字方向控制字符（U+202E）" in response.text
    assert await Unit.count() == 3
    # A file name is text too.
    await login(app_client, w.lead.username)
    response = await app_client.post(
        f"/tasks/{w.task_id}/updates",
        data={"period": "2018-09", "percent": "10", "state": "in_progress",
              "work_done": "进展", **csrf(app_client)},
        files=[("attachments", ("gpj.\u202efdp.exe", b"%PDF-1.4\n", "application/pdf"))])
    assert response.status_code == 400
    assert "U+202E" in response.text


async def test_json_endpoints_take_only_application_json(app_client):
    w = await build_world()
    body = '{"period": "2018-09", "percent": 10, "state": "in_progress", "work_done": "进展"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {**w.h["lead"], **({"content-type": content_type} if content_type else {})}
        response = await app_client.post(f"/api/tasks/{w.task_id}/updates", headers=headers,
                                          content=body.encode())
        assert response.status_code == 415, (content_type, response.text)
        assert response.json()["field"] == "content-type"
    response = await app_client.post("/api/tokens", headers={"content-type": "text/plain"},
                                     content=b'{"username": "a", "password": "b"}')
    assert response.status_code == 415
    response = await app_client.post(f"/api/tasks/{w.task_id}/updates", content=body.encode(),
                                     headers={**w.h["lead"], "content-type": "application/json"})
    assert response.status_code == 201, response.text


async def test_every_answer_carries_the_security_headers(app_client):
    w = await build_world()
    await login(app_client, w.coordinator.username)
    for url in ("/login", f"/plans/{w.plan_id}", f"/tasks/{w.task_id}", "/no-such-page",
                "/static/site.css", "/api/me"):
        response = await app_client.get(url, headers=w.h["coordinator"] if "/api/" in url else {})
        headers = response.headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, url
        assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy, url
        assert headers["x-frame-options"] == "DENY", url
        assert headers["x-content-type-options"] == "nosniff", url
        assert headers["referrer-policy"] == "same-origin", url
        assert len(headers["x-request-id"]) == 16, url
        if url != "/no-such-page":  # answered by the router, before any middleware
            assert re.fullmatch(r"app;dur=\d+\.\d", headers["server-timing"]), url
        if url.startswith("/static/"):
            assert headers.get("cache-control") != "no-store"
        else:
            assert headers["cache-control"] == "no-store", url
    # The templates carry no inline style or script the policy would block: scripts only from
    # the app's static files.
    page = await app_client.get(f"/plans/{w.plan_id}")
    assert "style=" not in page.text
    scripts = re.findall(r"<script\b[^>]*>", page.text)
    assert scripts and all(re.search(r'src="/static/[^"]+"', tag) for tag in scripts), scripts


async def test_server_timing_tells_the_apps_own_time(app_client, monkeypatch, caplog):
    """Server-Timing runs from the request's arrival at the outermost middleware to the start
    of its answer: a slow handler shows in it, so a client can tell the app's own time from
    time spent queueing in front of it. A request slower than TRACKER_SLOW_REQUEST_MS is logged
    with the worker's CPU meanwhile (here it waited, so far less than its time)."""
    w = await build_world()
    from dataclasses import replace

    from tracker.http import edge
    from tracker.services import progress

    settings = replace(edge.get_settings(), slow_request_ms=150.0)
    monkeypatch.setattr(edge, "get_settings", lambda: settings)

    real = progress.submit_update

    async def slow(*args, **kwargs):
        await asyncio.sleep(0.2)
        return await real(*args, **kwargs)

    monkeypatch.setattr(progress, "submit_update", slow)
    response = await app_client.post(f"/api/tasks/{w.task_id}/updates", headers=w.h["lead"],
                                     json=update_body())
    assert response.status_code == 201, response.text
    assert float(response.headers["server-timing"].removeprefix("app;dur=")) >= 200
    slow = [r.getMessage() for r in caplog.records if r.getMessage().startswith("slow request")]
    assert len(slow) == 1 and f"/api/tasks/{w.task_id}/updates" in slow[0], slow
    wall, cpu, collecting = map(float, re.findall(r"(\d+) ms", slow[0]))
    assert wall >= 200 and collecting <= cpu < wall, slow
    assert response.headers["x-request-id"] in slow[0]
    caplog.clear()
    assert (await app_client.get("/healthz")).status_code == 200
    assert not [r for r in caplog.records if r.getMessage().startswith("slow request")]


async def test_an_unexpected_error_is_logged_once_with_the_id_the_user_sees(
        app_client, monkeypatch, caplog):
    w = await build_world()
    from tracker.services import progress

    async def broken(*args, **kwargs):
        raise RuntimeError("boom: the database went away")

    monkeypatch.setattr(progress, "task_detail", broken)
    caplog.set_level(logging.ERROR)
    response = await app_client.get(f"/api/tasks/{w.task_id}", headers=w.h["coordinator"])
    assert response.status_code == 500
    rid = response.headers["x-request-id"]
    assert response.json()["request_id"] == rid
    assert "boom" not in response.text  # no internals shown
    logged = [r for r in caplog.records if rid in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info and "boom" in str(logged[0].exc_info[1])

    await login(app_client, w.coordinator.username)
    caplog.clear()
    page = await app_client.get(f"/tasks/{w.task_id}")
    assert page.status_code == 500
    rid = page.headers["x-request-id"]
    assert "请求编号" in page.text and rid in page.text and "系统内部错误" in page.text
    assert len([r for r in caplog.records if rid in r.getMessage()]) == 1


async def test_readiness_sees_the_database_and_liveness_does_not(app_client, database):
    from piccolo.engine.postgres import PostgresEngine
    from piccolo.engine.sqlite import SQLiteEngine

    from tracker.services.database import bind_engine, current_engine

    health = await app_client.get("/healthz")
    assert health.status_code == 200
    ready = await app_client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ok"}
    # Probes run every few seconds: no CSRF token cookie for a client that has no form.
    assert "set-cookie" not in health.headers and "set-cookie" not in ready.headers
    working = current_engine()
    # A database server that accepts connections and never answers (an outage mid-flight).
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    broken = (PostgresEngine(config={"dsn": f"postgresql://tracker@127.0.0.1:{port}/postgres",
                                      "timeout": 1})
              if database == "postgres" else SQLiteEngine(path="/nonexistent/dir/tracker.sqlite"))
    try:
        bind_engine(broken)
        started = time.monotonic()
        ready = await app_client.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert ready.json()["status"] == "unavailable" and "数据库" in ready.json()["detail"]
        assert time.monotonic() - started < 4  # a short timeout, not the driver's own
        assert (await app_client.get("/healthz")).status_code == 200
    finally:
        bind_engine(working)
        silent.close()
    assert (await app_client.get("/readyz")).status_code == 200


def test_the_gc_clock_counts_collections():
    import gc

    from tracker.http.edge import _gc_clock

    before = _gc_clock.total_ms
    gc.collect()
    assert _gc_clock.total_ms > before
