"""Who may do what: every route that takes an id, for every role, with the exact status; and
the ways a request can fail to be someone (bad tokens, deactivated users, throttled logins,
missing CSRF tokens, fields a body may not set).

Each role is one client carrying both its bearer token (the API reads only that) and its
logged-in session cookie with the CSRF cookie (pages read only those).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from functools import cache

import httpx
import pytest

from tests.support.factories import PASSWORD, bearer, csrf, make_unit, make_user
from tests.support.world import PDF, World, build_world, form_body, update_body
from tracker.domain.progress_input import EvidenceFile, validate_update
from tracker.services import progress, security
from tracker.tables import (
    ApiToken,
    Attachment,
    Milestone,
    ProgressUpdate,
    Review,
    Task,
    TaskUnit,
)

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

BASE_URL = "https://testserver.local"
ROLES = ("other", "lead", "coop", "coordinator", "leader", "admin", "anonymous")
CSRF_MESSAGE = "表单安全令牌（CSRF）缺失或已失效，请刷新页面后重试"


@cache
def _app():
    from tracker.http.app import create_app

    return create_app()


@dataclass
class Ids:
    lead_update: int  # 局办公室's update of 做好公开 (2018-09), with an attachment
    coop_update: int  # 法规处's contribution to it (2018-09), with an attachment
    lead_attachment: int
    coop_attachment: int
    # Undecided updates (2018-07 and 2018-08, apart from the submissions the matrix makes),
    # one for each reviewer and channel, since an update can be decided only once.
    to_review: dict[str, int]
    milestones: dict[str, int]  # one for each role that may delete one
    scratch_unit: int
    scratch_user: int


@dataclass
class Matrix:
    w: World
    ids: Ids
    clients: dict[str, httpx.AsyncClient]


async def _submit(user, task_id: int, name: str, **changes) -> tuple[int, int]:
    update = await progress.submit_update(
        user, task_id, validate_update(update_body(**changes)),
        [EvidenceFile(name, "application/pdf", PDF)])
    return update.id, update.attachments[0].id


async def build_matrix(stack: AsyncExitStack, sessions: bool) -> Matrix:
    """The world, its updates and attachments, and a client for each role (built once)."""
    w = await build_world()
    lead_update, lead_attachment = await _submit(w.lead, w.task_id, "牵头.pdf")
    coop_update, coop_attachment = await _submit(w.coop, w.task_id, "配合.pdf", percent=80)
    to_review = {}
    for channel, period in (("api", "2018-08"), ("page", "2018-07")):
        to_review[f"{channel} coordinator"] = (await _submit(w.lead, w.task_id, "a.pdf",
                                                             period=period))[0]
        to_review[f"{channel} admin"] = (await _submit(w.coop, w.task_id, "b.pdf",
                                                       period=period))[0]
    milestones = {}
    for role in ("coordinator", "admin"):
        row = (await Milestone.insert(Milestone(plan=w.plan_id, title=f"{role}节点",
                                                due_on=dt.date(2018, 10, 1))))[0]
        milestones[role] = row["id"]
    scratch_unit = await make_unit("临时处")
    scratch_user = (await make_user("reporter", scratch_unit)).id
    ids = Ids(lead_update, coop_update, lead_attachment, coop_attachment, to_review, milestones,
              scratch_unit, scratch_user)
    clients = {}
    for role in ROLES:
        client = await stack.enter_async_context(httpx.AsyncClient(
            transport=httpx.ASGITransport(app=_app()), base_url=BASE_URL))
        if role == "anonymous":
            await client.get("/login")  # a CSRF cookie, so only the missing login is refused
        else:
            client.headers.update(w.h[role])
            if sessions:
                await quick_login(client, getattr(w, role).username)
        clients[role] = client
    return Matrix(w, ids, clients)


async def quick_login(client: httpx.AsyncClient, username: str) -> None:
    """The real login form, without following the redirect to the (slower) home page."""
    await client.get("/login")
    response = await client.post("/login", data={"username": username, "password": PASSWORD,
                                                 **csrf(client)})
    assert response.status_code == 303 and "tracker_session" in response.headers["set-cookie"]


async def _task_version(task_id: int) -> int:
    return (await Task.select(Task.version).where(Task.id == task_id).first())["version"]


Send = Callable[[httpx.AsyncClient, World, Ids, str], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class Route:
    name: str
    send: Send
    # Expected status for: other, lead, coop, coordinator, leader, admin, anonymous.
    expect: tuple[int, int, int, int, int, int, int]
    # What the allowed roles' writes change, and by how much (refusals change nothing).
    writes: tuple[Callable[[World], Awaitable[int]], int] | None = None


def page_post(path: Callable[[World, Ids, str], str], data: Callable[..., dict] = lambda *a: {},
              files: bool = False) -> Send:
    async def send(c, w, ids, role):
        body = {**data(w, ids, role), **csrf(c)}
        if files:
            return await c.post(path(w, ids, role), data=body,
                                files=[("attachments", ("页面.pdf", PDF, "application/pdf"))])
        return await c.post(path(w, ids, role), data=body)

    return send


async def _edit_form(w, ids, role):
    return {"version": str(await _task_version(w.task_id)), "lead_unit_id": str(w.units["局办公室"]),
            "cooperating_unit_ids": str(w.units["法规处"]), "deadline": "2018-12-31",
            "deadline_text": ""}


async def _post_edit_form(c, w, ids, role):
    return await c.post(f"/tasks/{w.task_id}/edit", data={**await _edit_form(w, ids, role), **csrf(c)})


def _reviewed(ids: Ids, channel: str, role: str) -> int:
    return ids.to_review[f"{channel} {'admin' if role == 'admin' else 'coordinator'}"]


async def _updates(w):
    return await ProgressUpdate.count()


async def _reviews(w):
    return await Review.count()


async def _tasks(w):
    return await Task.count()


async def _milestones(w):
    return await Milestone.count()


async def _version(w):
    return await _task_version(w.task_id)


UPDATES, REVIEWS, TASKS, MILESTONES, VERSION = _updates, _reviews, _tasks, _milestones, _version

X = 404  # hidden: another unit's task, update or attachment
D = 403  # denied: the role may not do this at all
A, P = 401, 303  # anonymous: the API wants a token, pages send to /login?next=...

ROUTES = [
    # --- API ---------------------------------------------------------------------------------
    Route("GET /api/tasks/{id}", lambda c, w, ids, r: c.get(f"/api/tasks/{w.task_id}"),
          (X, 200, 200, 200, 200, 200, A)),
    Route("GET /api/tasks/{id} (sub-task led by 法规处)",
          lambda c, w, ids, r: c.get(f"/api/tasks/{w.subtask_id}"),
          (X, X, 200, 200, 200, 200, A)),
    Route("GET /api/tasks/{id} (no such task)", lambda c, w, ids, r: c.get("/api/tasks/99999"),
          (X, X, X, X, X, X, A)),
    Route("POST /api/tasks/{id}/updates",
          lambda c, w, ids, r: c.post(f"/api/tasks/{w.task_id}/updates", json=update_body()),
          (X, 201, 201, D, D, D, A), writes=(UPDATES, 2)),
    Route("POST /api/tasks/{id}/updates/multipart",
          lambda c, w, ids, r: c.post(f"/api/tasks/{w.task_id}/updates/multipart", data=form_body(),
                                      files=[("attachments", ("a.pdf", PDF, "application/pdf"))]),
          (X, 201, 201, D, D, D, A), writes=(UPDATES, 2)),
    Route("GET /api/updates/{id} (the lead unit's)",
          lambda c, w, ids, r: c.get(f"/api/updates/{ids.lead_update}"),
          (X, 200, X, 200, 200, 200, A)),
    Route("GET /api/updates/{id} (the cooperating unit's)",
          lambda c, w, ids, r: c.get(f"/api/updates/{ids.coop_update}"),
          (X, 200, 200, 200, 200, 200, A)),
    Route("POST /api/updates/{id}/review",
          lambda c, w, ids, r: c.post(f"/api/updates/{_reviewed(ids, 'api', r)}/review",
                                      json={"decision": "accept"}),
          (D, D, D, 201, D, 201, A), writes=(REVIEWS, 2)),
    Route("GET /api/attachments/{id} (the lead unit's)",
          lambda c, w, ids, r: c.get(f"/api/attachments/{ids.lead_attachment}"),
          (X, 200, X, 200, 200, 200, A)),
    Route("GET /api/attachments/{id} (the cooperating unit's)",
          lambda c, w, ids, r: c.get(f"/api/attachments/{ids.coop_attachment}"),
          (X, 200, 200, 200, 200, 200, A)),
    Route("GET /api/plans/{id}", lambda c, w, ids, r: c.get(f"/api/plans/{w.plan_id}"),
          (D, D, D, 200, 200, 200, A)),
    Route("GET /api/plans/{id}/export.yaml",
          lambda c, w, ids, r: c.get(f"/api/plans/{w.plan_id}/export.yaml"),
          (D, D, D, 200, 200, 200, A)),
    Route("PATCH /api/tasks/{id}",
          lambda c, w, ids, r: _patch_task(c, w),
          (D, D, D, 200, D, 200, A), writes=(VERSION, 2)),
    Route("POST /api/tasks/{id}/subtasks",
          lambda c, w, ids, r: c.post(f"/api/tasks/{w.task_id}/subtasks", json={"text": f"{r}拆分"}),
          (D, D, D, 201, D, 201, A), writes=(TASKS, 2)),
    Route("POST /api/plans/{id}/milestones",
          lambda c, w, ids, r: c.post(f"/api/plans/{w.plan_id}/milestones",
                                      json={"title": "节点", "due_on": "2018-10-01"}),
          (D, D, D, 201, D, 201, A), writes=(MILESTONES, 2)),
    Route("DELETE /api/plans/{id}/milestones/{id}",
          lambda c, w, ids, r: c.delete(
              f"/api/plans/{w.plan_id}/milestones/{ids.milestones.get(r, ids.milestones['admin'])}"),
          (D, D, D, 204, D, 204, A), writes=(MILESTONES, -2)),
    Route("PATCH /api/plans/{id}/reporting",
          lambda c, w, ids, r: c.patch(f"/api/plans/{w.plan_id}/reporting", json={"due_day": 8}),
          (D, D, D, 200, D, 200, A)),
    Route("PATCH /api/units/{id}",
          lambda c, w, ids, r: c.patch(f"/api/units/{ids.scratch_unit}", json={"active": True}),
          (D, D, D, D, D, 200, A)),
    Route("PATCH /api/users/{id}",
          lambda c, w, ids, r: c.patch(f"/api/users/{ids.scratch_user}", json={"active": True}),
          (D, D, D, D, D, 200, A)),
    # --- pages -------------------------------------------------------------------------------
    Route("GET /tasks/{id}", lambda c, w, ids, r: c.get(f"/tasks/{w.task_id}"),
          (X, 200, 200, 200, 200, 200, P)),
    Route("GET /tasks/{id} (sub-task led by 法规处)", lambda c, w, ids, r: c.get(f"/tasks/{w.subtask_id}"),
          (X, X, 200, 200, 200, 200, P)),
    Route("POST /tasks/{id}/updates",
          page_post(lambda w, ids, r: f"/tasks/{w.task_id}/updates", lambda *a: form_body(), files=True),
          (X, 303, 303, D, D, D, P), writes=(UPDATES, 2)),
    Route("POST /tasks/{id}/edit", _post_edit_form, (D, D, D, 303, D, 303, P), writes=(VERSION, 2)),
    Route("POST /tasks/{id}/attention",
          page_post(lambda w, ids, r: f"/tasks/{w.task_id}/attention",
                    lambda *a: {"flag": "1", "attention_note": "请领导协调"}),
          (D, D, D, 303, D, 303, P)),
    Route("POST /tasks/{id}/subtasks",
          page_post(lambda w, ids, r: f"/tasks/{w.task_id}/subtasks", lambda *a: {"text": "页面拆分"}),
          (D, D, D, 303, D, 303, P), writes=(TASKS, 2)),
    Route("POST /updates/{id}/review",
          page_post(lambda w, ids, r: f"/updates/{_reviewed(ids, 'page', r)}/review",
                    lambda *a: {"decision": "accept"}),
          (D, D, D, 303, D, 303, P), writes=(REVIEWS, 2)),
    Route("GET /attachments/{id} (the lead unit's)",
          lambda c, w, ids, r: c.get(f"/attachments/{ids.lead_attachment}"),
          (X, 200, X, 200, 200, 200, P)),
    Route("GET /attachments/{id} (the cooperating unit's)",
          lambda c, w, ids, r: c.get(f"/attachments/{ids.coop_attachment}"),
          (X, 200, 200, 200, 200, 200, P)),
    Route("GET /plans/{id}", lambda c, w, ids, r: c.get(f"/plans/{w.plan_id}"),
          (D, D, D, 200, 200, 200, P)),
    Route("GET /plans/{id}/export.yaml", lambda c, w, ids, r: c.get(f"/plans/{w.plan_id}/export.yaml"),
          (D, D, D, 200, 200, 200, P)),
    Route("POST /plans/{id}/milestones",
          page_post(lambda w, ids, r: f"/plans/{w.plan_id}/milestones",
                    lambda *a: {"title": "页面节点", "due_on": "2018-11-01"}),
          (D, D, D, 303, D, 303, P), writes=(MILESTONES, 2)),
    Route("POST /plans/{id}/reporting",
          page_post(lambda w, ids, r: f"/plans/{w.plan_id}/reporting",
                    lambda *a: {"due_day": "6", "tolerance_percent": "10"}),
          (D, D, D, 303, D, 303, P)),
    Route("POST /admin/units/{id}/active",
          page_post(lambda w, ids, r: f"/admin/units/{ids.scratch_unit}/active", lambda *a: {"active": "1"}),
          (D, D, D, D, D, 303, P)),
    Route("POST /admin/units/{id}/position",
          page_post(lambda w, ids, r: f"/admin/units/{ids.scratch_unit}/position",
                    lambda *a: {"position": "3"}),
          (D, D, D, D, D, 303, P)),
    Route("POST /admin/users/{id}/active",
          page_post(lambda w, ids, r: f"/admin/users/{ids.scratch_user}/active", lambda *a: {"active": "1"}),
          (D, D, D, D, D, 303, P)),
    Route("POST /admin/throttles/{id}/clear",
          page_post(lambda w, ids, r: "/admin/throttles/999999/clear"),
          (D, D, D, D, D, 303, P)),
    Route("POST /admin/users/{id}/password",
          page_post(lambda w, ids, r: f"/admin/users/{ids.scratch_user}/password",
                    lambda *a: {"password": "another-pass-1"}),
          (D, D, D, D, D, 303, P)),
]


async def _patch_task(c, w):
    return await c.patch(f"/api/tasks/{w.task_id}",
                         json={"version": await _task_version(w.task_id), "deadline": "2018-12-31"})


# Routes with ids that belong to other parts of the app and are tested there.
COVERED_ELSEWHERE = {
    "/plans/{plan_id:int}/charts/{chart:str}", "/api/plans/{plan_id:int}/charts/{chart:str}",
    "/plans/{plan_id:int}/reports", "/api/plans/{plan_id:int}/reports",
    "/reports/{report_id:int}/download", "/api/reports/{report_id:int}/download",
    "/api/reports/{report_id:int}", "/static/{file_path:path}", "/schema/{path:str}",
    "/api/reports/{report_id:int}/download.docx", "/reports/{report_id:int}/download.docx",
    "/plans/{plan_id:int}/report-jobs/{job_id:str}", "/report-jobs/{job_id:str}",
    "/api/report-jobs/{job_id:str}",
}


# The modules whose routes this matrix answers for (other parts have their own access tests).
MODULES = {"tracker.http.api.progress", "tracker.http.api.planning", "tracker.http.api.plans",
           "tracker.http.api.accounts", "tracker.http.pages.plans", "tracker.http.pages.accounts"}


def test_every_route_with_an_id_is_in_the_matrix():
    in_matrix = {(route.name.split(" ")[0], route.name.split(" ")[1].replace("{id}", "{}"))
                 for route in ROUTES}
    in_app = set()
    for route in _app().routes:
        if "{" not in route.path or route.path in COVERED_ELSEWHERE:
            continue
        for handler in getattr(route, "route_handlers", []):
            if handler.fn.__module__ in MODULES:
                in_app |= {(method, re.sub(r"\{[^}]+\}", "{}", route.path))
                           for method in set(handler.http_methods) - {"OPTIONS", "HEAD"}}
    assert sorted(in_app - in_matrix) == [], "add these routes to ROUTES in tests/integration/test_access.py"
    assert sorted(in_matrix - in_app) == [], "these routes are gone: remove them from ROUTES"


def _group(route: Route) -> str:
    method, path = route.name.split(" ")[:2]
    return f"{'api' if path.startswith('/api/') else 'pages'}, {'reads' if method == 'GET' else 'writes'}"


GROUPS = sorted({_group(route) for route in ROUTES})


@pytest.mark.parametrize("group", GROUPS)
async def test_routes_for_every_role(database, group):
    """Each route of the group, for each role in turn; all differences reported at once."""
    routes = [route for route in ROUTES if _group(route) == group]
    got, expected = {}, {}
    async with AsyncExitStack() as stack:
        m = await build_matrix(stack, sessions=group.startswith("pages"))
        for route in routes:
            if route.writes:
                measure, delta = route.writes
                before = await measure(m.w)
            statuses = {}
            for role in ROLES:
                response = await route.send(m.clients[role], m.w, m.ids, role)
                statuses[role] = response.status_code
                if response.status_code == 303:
                    path, location = response.request.url.path, response.headers["location"]
                    if role == "anonymous" and response.request.method == "GET":
                        assert location == f"/login?next={path}", (route.name, location)
                    elif role == "anonymous":  # back to the form's page (here none), never
                        # to its POST-only address, which would answer 405 after the login
                        assert location == "/login?next=/&notice=session_expired", (
                            route.name, location)
                    else:
                        assert not location.startswith("/login"), (route.name, role, location)
                elif group.startswith("api") and response.status_code >= 400:
                    assert response.json()["status_code"] == response.status_code
            got[route.name] = statuses
            expected[route.name] = dict(zip(ROLES, route.expect, strict=True))
            if route.writes:
                assert await measure(m.w) == before + delta, route.name
    assert got == expected


# --- bodies that try to set what the server decides ----------------------------------------

SERVER_DECIDES = ["unit_id", "role", "version", "reviewer", "submitted_by", "task_id",
                  "review_state", "submitted_at"]


async def test_an_update_body_cannot_set_its_unit_role_version_or_reviewer(app_client):
    w = await build_world()
    url = f"/api/tasks/{w.task_id}/updates"
    for name in SERVER_DECIDES:
        response = await app_client.post(url, json={**update_body(), name: 1}, headers=w.h["lead"])
        assert response.status_code == 400, (name, response.text)
        assert response.json()["field"] == name, response.text
        assert "不接受字段" in response.json()["detail"]
        response = await app_client.post(f"{url}/multipart", data={**update_body(), name: "1"},
                                         headers=w.h["lead"])
        assert response.status_code == 400, (name, response.text)
        assert response.json()["field"] == name and name in response.json()["detail"]
    await quick_login(app_client, w.lead.username)
    page = await app_client.post(f"/tasks/{w.task_id}/updates",
                                 data={**update_body(), "unit_id": str(w.units["法规处"]),
                                       **csrf(app_client)})
    assert page.status_code == 400 and "不允许提交字段“unit_id”" in page.text
    assert await ProgressUpdate.count() == 0

    update = (await app_client.post(url, json=update_body(), headers=w.h["lead"])).json()
    for body in ({"decision": "accept", "reviewer": w.admin.id},
                 {"decision": "accept", "decided_at": "2018-01-01"}):
        response = await app_client.post(f"/api/updates/{update['id']}/review", json=body,
                                         headers=w.h["coordinator"])
        assert response.status_code == 400 and "不接受字段" in response.json()["detail"]
    for body in ({"version": 1, "plan_id": 2}, {"version": 1, "parent_id": w.subtask_id}):
        response = await app_client.patch(f"/api/tasks/{w.task_id}", json=body,
                                          headers=w.h["coordinator"])
        assert response.status_code == 400 and "不接受字段" in response.json()["detail"]
    for body in ({"role": "admin"}, {"unit_id": w.units["法规处"]}):
        response = await app_client.patch(f"/api/users/{w.lead.id}", json=body, headers=w.h["admin"])
        assert response.status_code == 400 and "不接受字段" in response.json()["detail"]
    token = await app_client.post("/api/tokens", json={"username": w.lead.username,
                                                       "password": PASSWORD, "role": "admin"})
    assert token.status_code == 400 and token.json()["field"] == "role"
    assert await Review.count() == 0
    assert (await Task.select(Task.version).where(Task.id == w.task_id).first())["version"] == 1
    assert (await TaskUnit.count().where(TaskUnit.task == w.task_id)) == 2
    me = (await app_client.get("/api/me", headers=w.h["lead"])).json()
    assert (me["role"], me["unit_id"]) == ("reporter", w.units["局办公室"])


# --- tokens, sessions, logins --------------------------------------------------------------

TOKEN_REFUSED = "令牌无效、已过期或已吊销，请重新登录"


async def test_expired_revoked_and_tampered_tokens_are_refused(app_client):
    user = await make_user("coordinator")
    created = await app_client.post("/api/tokens", json={"username": user.username,
                                                         "password": PASSWORD, "name": "t"})
    assert created.status_code == 201
    token = created.json()["token"]
    ok = await app_client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.json()["username"] == user.username

    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for header in (f"Bearer {tampered}", f"Bearer {token}x", f"Bearer {token[:-4]}"):
        refused = await app_client.get("/api/me", headers={"Authorization": header})
        assert refused.status_code == 401 and refused.json() == {
            "status_code": 401, "detail": TOKEN_REFUSED, "field": "authorization"}
    for header in (f"Basic {token}", "Bearer ", token):
        refused = await app_client.get("/api/me", headers={"Authorization": header})
        assert refused.status_code == 401 and "需要 Authorization: Bearer 令牌" in refused.json()["detail"]
    wrong = await app_client.post("/api/tokens", json={"username": user.username,
                                                       "password": "wrong-password"})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.json()["detail"]

    expiring = (await bearer(user))
    digest = security.token_digest(expiring["Authorization"].split(" ", 1)[1])
    assert (await app_client.get("/api/me", headers=expiring)).status_code == 200
    await ApiToken.update({ApiToken.expires_at: dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)}
                          ).where(ApiToken.token_hash == digest)
    expired = await app_client.get("/api/me", headers=expiring)
    assert expired.status_code == 401 and expired.json()["detail"] == TOKEN_REFUSED

    headers = {"Authorization": f"Bearer {token}"}
    assert (await app_client.post("/api/tokens/revoke", headers=headers)).status_code == 204
    revoked = await app_client.get("/api/me", headers=headers)
    assert revoked.status_code == 401 and revoked.json()["detail"] == TOKEN_REFUSED
    # Only stored digests: the token itself is nowhere in the database.
    assert not await ApiToken.exists().where(ApiToken.token_hash == token)


async def test_the_api_takes_only_tokens_and_pages_only_sessions(app_client):
    w = await build_world()
    await quick_login(app_client, w.lead.username)
    assert (await app_client.get(f"/tasks/{w.task_id}")).status_code == 200
    session_only = await app_client.get(f"/api/tasks/{w.task_id}")
    assert session_only.status_code == 401 and session_only.json()["field"] == "authorization"
    app_client.cookies.clear()
    token_only = await app_client.get(f"/tasks/{w.task_id}", headers=w.h["lead"])
    assert token_only.status_code == 303
    assert token_only.headers["location"] == f"/login?next=/tasks/{w.task_id}"


async def test_a_deactivated_users_token_and_session_stop_working(app_client):
    w = await build_world()
    await quick_login(app_client, w.lead.username)
    assert (await app_client.get("/my")).status_code == 200
    assert (await app_client.get("/api/me", headers=w.h["lead"])).status_code == 200

    deactivated = await app_client.patch(f"/api/users/{w.lead.id}", json={"active": False},
                                         headers=w.h["admin"])
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    assert (await app_client.get("/api/me", headers=w.h["lead"])).status_code == 401
    page = await app_client.get("/my")
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=/my")
    assert await ApiToken.count().where(ApiToken.user == w.lead.id,
                                        ApiToken.revoked.eq(False)) == 0
    again = await app_client.post("/login", data={"username": w.lead.username, "password": PASSWORD,
                                                  **csrf(app_client)})
    assert again.status_code == 400 and "用户名或密码错误，或账号已停用" in again.text
    token = await app_client.post("/api/tokens", json={"username": w.lead.username,
                                                       "password": PASSWORD})
    assert token.status_code == 401
    # Reactivated, the user logs in again; the old token stays revoked.
    await app_client.patch(f"/api/users/{w.lead.id}", json={"active": True}, headers=w.h["admin"])
    assert (await app_client.get("/api/me", headers=w.h["lead"])).status_code == 401
    await quick_login(app_client, w.lead.username)
    assert (await app_client.get("/my")).status_code == 200


async def test_forms_without_their_csrf_token_are_refused(app_client):
    w = await build_world()
    await quick_login(app_client, w.lead.username)
    login_cookie = app_client.cookies["tracker_session"]
    for data in ({}, {"_csrf_token": "forged-token"}):
        response = await app_client.post(f"/tasks/{w.task_id}/updates", data={**form_body(), **data},
                                         files=[("attachments", ("a.pdf", PDF, "application/pdf"))])
        assert response.status_code == 403
        assert f'<p class="error" role="alert">{CSRF_MESSAGE}</p>' in response.text
    assert await ProgressUpdate.count() == 0 and await Attachment.count() == 0
    logout = await app_client.post("/logout")
    assert logout.status_code == 403 and CSRF_MESSAGE in logout.text
    assert app_client.cookies["tracker_session"] == login_cookie
    assert (await app_client.get("/my")).status_code == 200

    fresh = httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url=BASE_URL)
    async with fresh:
        refused = await fresh.post("/login", data={"username": w.lead.username, "password": PASSWORD})
        assert refused.status_code == 403 and CSRF_MESSAGE in refused.text


async def test_session_cookie_is_secure_httponly_and_lax(app_client):
    user = await make_user("leader")
    await app_client.get("/login")
    response = await app_client.post("/login", data={"username": user.username, "password": PASSWORD,
                                                     **csrf(app_client)})
    cookie = next(value for value in response.headers.get_list("set-cookie")
                  if value.startswith("tracker_session"))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "samesite"} <= attributes and "samesite=lax" in cookie.lower()
