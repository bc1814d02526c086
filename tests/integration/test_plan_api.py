"""Plans over real HTTP (Litestar's test client): pages, JSON API, OpenAPI, and bad input."""

from __future__ import annotations

import pytest

from tests.support.factories import bearer, login, make_unit, make_user
from tests.support.samples import MINIMAL, SEED_TEMPLATE, SEED_TEXT
from tracker.tables import Plan


@pytest.fixture
async def client(app_client):
    """A coordinator: the API with a bearer token, the pages with a logged-in session."""
    user = await make_user("coordinator", await make_unit("局办公室"))
    app_client.headers.update(await bearer(user))
    await login(app_client, user.username)
    return app_client


def upload(name: str, content: bytes) -> dict:
    return {"file": (name, content, "application/octet-stream")}


async def test_import_then_read_the_tree_as_json_and_html(client):
    response = await client.post("/api/plans?create_units=true",
                                 files=upload("seed.yaml", SEED_TEMPLATE.read_bytes()))
    assert response.status_code == 201, response.text
    plan_id = response.json()["plan_id"]

    listed = (await client.get("/api/plans")).json()
    assert [p["id"] for p in listed] == [plan_id]
    tree = (await client.get(f"/api/plans/{plan_id}")).json()
    assert tree["doc_number"] == "苏规办〔2018〕17号"
    assert [s["number"] for s in tree["sections"]] == ["一", "二", "三"]

    page = await client.get("/plans")
    assert page.status_code == 200 and "苏州市规划局2018年政务公开工作要点实施方案" in page.text
    page = await client.get(f"/plans/{plan_id}")
    assert page.status_code == 200
    assert "高质量推进政务发布解读回应工作" in page.text and "（三）做好政策解读工作" in page.text
    assert "解读" in page.text

    page_export = await client.get(f"/plans/{plan_id}/export.yaml")
    assert page_export.status_code == 200 and "苏规办〔2018〕17号" in page_export.text
    exported = await client.get(f"/api/plans/{plan_id}/export.yaml")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/yaml")
    again = await client.post("/api/plans?replace=true", files=upload("again.yaml", exported.content))
    assert again.status_code == 201 and again.json()["replaced_plan_id"] == plan_id


async def test_parse_endpoint_stores_nothing(client):
    response = await client.post("/api/plans/parse", files=upload("seed.txt", SEED_TEXT.read_bytes()))
    assert response.status_code == 200, response.text
    assert response.json()["doc_number"] == "苏规办〔2018〕17号"
    assert await Plan.count() == 0


async def test_duplicate_import_is_409_and_keeps_the_first(client):
    first = await client.post("/api/plans?create_units=true", files=upload("p.yaml", MINIMAL.encode()))
    assert first.status_code == 201
    second = await client.post("/api/plans?create_units=true", files=upload("p.yaml", MINIMAL.encode()))
    assert second.status_code == 409
    assert "--replace" in second.json()["detail"]
    assert await Plan.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "field", "reason"),
    [
        ("p.yaml", MINIMAL.replace("lead_units: [局办公室]", "leed_units: [局办公室]").encode(),
         "sections[0].items[0].tasks[0].leed_units", "未知字段"),
        ("p.txt", b"", "file", "空"),
        ("p.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "file", ""),
        ("p.txt", "没有任何编号的一段文字。".encode(), "file", ""),
        ("p.exe", b"MZ", "file", ""),
    ],
)
async def test_bad_uploads_are_400_with_a_field(client, name, content, field, reason):
    response = await client.post("/api/plans", files=upload(name, content))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["field"] == field or (field == "file" and body["field"].startswith(("file", "line")))
    assert reason in body["detail"]
    assert await Plan.count() == 0


async def test_missing_file_field_and_unknown_plan(client):
    response = await client.post("/api/plans", files={"other": ("x.txt", b"x", "text/plain")})
    assert response.status_code == 400 and response.json()["field"] == "file"
    response = await client.get("/api/plans/999")
    assert response.status_code == 404 and response.json()["field"] == "plan_id"
    page = await client.get("/plans/999")
    assert page.status_code == 404 and "计划 999 不存在" in page.text


async def test_plans_need_a_login_and_the_right_role(app_client):
    response = await app_client.get("/api/plans")
    assert response.status_code == 401 and response.json()["field"] == "authorization"
    page = await app_client.get("/plans/1", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/plans/1"
    reporter = await make_user("reporter", await make_unit())
    response = await app_client.get("/api/plans", headers=await bearer(reporter))
    assert response.status_code == 403
    leader = await make_user("leader")
    headers = await bearer(leader)
    assert (await app_client.get("/api/plans", headers=headers)).status_code == 200
    refused = await app_client.post("/api/plans", headers=headers,
                                    files=upload("p.yaml", MINIMAL.encode()))
    assert refused.status_code == 403 and await Plan.count() == 0


async def test_openapi_schema_documents_the_api(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    operations = {op["operationId"] for path in response.json()["paths"].values() for op in path.values()}
    assert {"listPlans", "getPlan", "importPlan", "parsePlan", "exportPlan", "createPlanDraft",
            "getPlanDraft", "storePlanDraft", "discardPlanDraft"} <= operations


async def test_text_from_the_plan_is_escaped_in_pages(client):
    hostile = MINIMAL.replace("text: 做好公开", "text: <script>alert(1)</script>做好公开")
    response = await client.post("/api/plans?create_units=true", files=upload("p.yaml", hostile.encode()))
    page = await client.get(f"/plans/{response.json()['plan_id']}")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
