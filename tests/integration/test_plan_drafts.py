"""The import preview over real HTTP, on SQLite and PostgreSQL: a document becomes a draft,
the coordinator corrects it (page form or JSON), and it is stored in one transaction or refused
with every field named and nothing stored. Unknown units are never created silently."""

from __future__ import annotations

import re

import pytest

from tests.support.factories import bearer, csrf, login, make_unit, make_user
from tests.support.samples import MINIMAL, SEED_TEXT
from tracker.services import audit
from tracker.tables import Plan, Task, TaskUnit, Unit

FIRST = "sections[0].items[0].tasks[0]"
SECOND = "sections[0].items[0].tasks[1]"
POLICY_TASK_TEXT = "积极开展“政策简明问答”活动"


@pytest.fixture
async def office(app_client):
    """A coordinator of 局办公室, logged in (pages) and with a bearer token (API)."""
    unit = await make_unit("局办公室")
    user = await make_user("coordinator", unit)
    app_client.headers.update(await bearer(user))
    await login(app_client, user.username)
    return app_client


def upload(name: str, content: bytes) -> dict:
    return {"file": (name, content, "application/octet-stream")}


async def _page_draft(client) -> str:
    response = await client.post("/plans/import", data=csrf(client),
                                 files=upload("suzhou_planning_2018.txt", SEED_TEXT.read_bytes()))
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/plans/drafts/([0-9a-f]{32})", response.headers["location"])
    assert match, response.headers["location"]
    return match[1]


async def _draft_json(client, draft_id: str) -> dict:
    response = await client.get(f"/api/plans/drafts/{draft_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def _post(client, draft_id: str, data: dict) -> object:
    return await client.post(f"/plans/drafts/{draft_id}", data={**data, **csrf(client)})


def _tasks(draft: dict) -> list[dict]:
    return [task for s in draft["sections"] for i in s["items"] for task in i["tasks"]]


async def _stored_units(task_text_start: str) -> dict[str, list[str]]:
    task = await Task.select(Task.id).where(Task.text.like(f"{task_text_start}%")).first()
    links = await TaskUnit.select(TaskUnit.role, TaskUnit.unit.name).where(
        TaskUnit.task == task["id"]).order_by(TaskUnit.position)
    roles: dict[str, list[str]] = {"lead": [], "cooperating": []}
    for link in links:
        roles[link["role"]].append(link["unit.name"])
    return roles


async def test_the_page_shows_a_preview_and_stores_the_corrected_tree(office):
    draft_id = await _page_draft(office)
    assert await Plan.count() == 0  # nothing stored by the upload

    page = await office.get(f"/plans/drafts/{draft_id}")
    assert page.status_code == 200
    html = page.text
    assert 'id="L22"' in html and 'href="#L22"' in html  # the first task linked to its line
    assert 'src="/static/plan_draft.js"' in html and "<script>" not in html  # no inline script
    assert "未识别到责任单位" in html
    assert "单位“宣传部门”不在本系统的单位名单中" in html
    assert 'name="unit:宣传部门"' in html
    draft = await _draft_json(office, draft_id)
    units = {u["name"]: u for u in draft["units"]}
    assert units["局办公室"]["match"] == "exact"
    assert units["宣传部门"]["match"] == "new" and units["宣传部门"]["choice"] is None

    # Fix the first task's unit and deadline; answer for the two unknown units.
    response = await _post(office, draft_id, {
        "version": str(draft["version"]),
        f"{FIRST}.text": _tasks(draft)[0]["text"],
        f"{FIRST}.lead_units": "局办公室",
        f"{FIRST}.cooperating_units": "",
        f"{FIRST}.deadline_text": "9月底前",
        f"{FIRST}.deadline": "",
        "unit:政策制定业务部门": "map:局办公室",
        "unit:宣传部门": "unassigned",
        "action": "save",
    })
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/plans/drafts/{draft_id}?notice=draft_saved"
    saved = await _draft_json(office, draft_id)  # a reload keeps the edits
    first = _tasks(saved)[0]
    assert saved["version"] == draft["version"] + 1
    assert first["lead_units"] == ["局办公室"] and first["warnings"] == []
    assert (first["deadline_text"], first["deadline"]) == ("9月底前", "2018-09-30")
    assert {u["name"]: u["choice"] for u in saved["units"]}["宣传部门"] == {
        "action": "unassigned", "unit": None}

    units_before = await Unit.count()
    stored = await _post(office, draft_id, {"version": str(saved["version"]), "action": "store"})
    assert stored.status_code == 303, stored.text
    plan_id = int(re.fullmatch(r"/plans/(\d+)\?notice=imported", stored.headers["location"])[1])
    assert await Unit.count() == units_before  # no unit created behind the coordinator's back
    task = await Task.select().where(Task.plan == plan_id).order_by(Task.id).first()
    assert task["deadline"].isoformat() == "2018-09-30" and task["deadline_text"] == "9月底前"
    assert await _stored_units(task["text"][:20]) == {"lead": ["局办公室"], "cooperating": []}
    # 政策制定业务部门 mapped to 局办公室, the lead already: it is not repeated; 宣传部门 left out.
    assert await _stored_units(POLICY_TASK_TEXT) == {"lead": ["局办公室"], "cooperating": []}
    plan_page = await office.get(f"/plans/{plan_id}")
    assert "9月底前" in plan_page.text
    assert (await office.get(f"/plans/drafts/{draft_id}")).status_code == 404  # stored: gone


async def test_bad_edits_are_refused_with_their_fields_and_nothing_is_stored(office):
    draft_id = await _page_draft(office)
    draft = await _draft_json(office, draft_id)
    refused = await _post(office, draft_id, {
        "version": str(draft["version"]),
        f"{FIRST}.text": "   ",
        f"{FIRST}.deadline": "2018-02-30",
        f"{SECOND}.text": "改过的第二项",
        "action": "save",
    })
    assert refused.status_code == 400
    assert 'data-field="sections[0].items[0].tasks[0].deadline"' in refused.text
    assert "日期“2018-02-30”不存在" in refused.text
    assert "2018-02-30" in refused.text and "改过的第二项" in refused.text  # what was typed stays
    unchanged = await _draft_json(office, draft_id)
    assert unchanged["version"] == draft["version"]
    assert _tasks(unchanged)[1]["text"] == _tasks(draft)[1]["text"]

    # An empty text and undecided unknown units refuse the store, each with its field.
    emptied = await _post(office, draft_id, {"version": str(draft["version"]),
                                             f"{FIRST}.text": "", "action": "store"})
    assert emptied.status_code == 400
    for expected in ("任务内容不能为空", "单位“宣传部门”不在本系统中，请选择：新建、对应到已有单位或不分配"):
        assert expected in emptied.text
    assert await Plan.count() == 0 and await Task.count() == 0


async def test_merge_split_move_and_delete_through_the_form(office):
    draft_id = await _page_draft(office)
    draft = await _draft_json(office, draft_id)
    texts = [t["text"] for t in _tasks(draft)]

    async def act(action: str, **fields) -> dict:
        current = await _draft_json(office, draft_id)
        response = await _post(office, draft_id, {"version": str(current["version"]),
                                                  "action": action, **fields})
        assert response.status_code == 303, response.text
        return await _draft_json(office, draft_id)

    merged = await act(f"merge:{FIRST}")
    first = _tasks(merged)[0]
    assert first["text"] == texts[0] + texts[1] and _tasks(merged)[1]["text"] == texts[2]
    split = await act(f"split:{FIRST}", **{f"{FIRST}.text": f"{texts[0]}\n{texts[1]}"})
    assert [t["text"] for t in _tasks(split)[:2]] == texts[:2]
    moved = await act(f"down:{FIRST}")
    assert [t["text"] for t in _tasks(moved)[:2]] == [texts[1], texts[0]]
    into_item = await act(f"move:{FIRST}", **{f"{FIRST}.move_to": "0.1"})
    item = into_item["sections"][0]["items"][1]["tasks"]
    assert item[-1]["text"] == texts[1]
    deleted = await act(f"delete:{FIRST}")
    assert texts[0] not in [t["text"] for t in _tasks(deleted)]
    assert len(_tasks(deleted)) == len(texts) - 1

    stale = await _post(office, draft_id, {"version": str(draft["version"]), "action": "save"})
    assert stale.status_code == 409 and "其他窗口" in stale.text


async def test_the_api_previews_and_stores_the_corrected_tree(office):
    response = await office.post("/api/plans/drafts", files=upload("seed.txt", SEED_TEXT.read_bytes()))
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["source_lines"][0] == "苏规办〔2018〕17号"
    first = _tasks(draft)[0]
    assert first["key"] == FIRST and first["line"] == 22
    assert [w["code"] for w in first["warnings"]] == ["no_unit"]

    body = {"version": draft["version"], "plan": draft["plan"], "sections": draft["sections"],
            "unit_choices": {"政策制定业务部门": {"action": "create"},
                             "宣传部门": {"action": "map", "unit": "局办公室"}}}
    for section in body["sections"]:
        for item in section["items"]:
            for task in item["tasks"]:
                del task["key"], task["warnings"]
    body["sections"][0]["items"][0]["tasks"][0]["text"] = ""
    body["sections"][0]["items"][0]["tasks"][1]["deadline"] = "2018-13-01"
    refused = await office.put(f"/api/plans/drafts/{draft['id']}", json=body)
    assert refused.status_code == 400, refused.text
    fields = {e["field"] for e in refused.json()["errors"]}
    assert fields == {f"{FIRST}.text", f"{SECOND}.deadline"}
    assert refused.json()["field"] == f"{FIRST}.text"
    assert await Plan.count() == 0 and await Unit.count() == 1

    body["sections"][0]["items"][0]["tasks"][0]["text"] = "改正后的第一项任务"
    body["sections"][0]["items"][0]["tasks"][0]["lead_units"] = ["局办公室"]
    body["sections"][0]["items"][0]["tasks"][1]["deadline"] = "2018-12-31"
    stored = await office.put(f"/api/plans/drafts/{draft['id']}", json=body)
    assert stored.status_code == 201, stored.text
    summary = stored.json()
    assert summary["units_created"] == ["政策制定业务部门"]
    tree = (await office.get(f"/api/plans/{summary['plan_id']}")).json()
    tasks = [t for s in tree["sections"] for i in s["items"] for t in i["tasks"]]
    assert tasks[0]["text"] == "改正后的第一项任务" and tasks[0]["lead_units"] == ["局办公室"]
    assert tasks[1]["deadline"] == "2018-12-31"
    policy = next(t for t in tasks if t["text"].startswith(POLICY_TASK_TEXT))
    assert policy["cooperating_units"] == ["政策制定业务部门"]  # 宣传部门 → 局办公室, the lead
    assert (await office.get(f"/api/plans/drafts/{draft['id']}")).status_code == 404


async def test_drafts_belong_to_who_made_them(office, app_client):
    created = await office.post("/api/plans/drafts", files=upload("seed.txt", SEED_TEXT.read_bytes()))
    draft_id = created.json()["id"]
    other = await make_user("coordinator")
    assert (await office.get(f"/api/plans/drafts/{draft_id}",
                             headers=await bearer(other))).status_code == 404
    reporter = await make_user("reporter", await make_unit("信息中心"))
    assert (await office.get(f"/api/plans/drafts/{draft_id}",
                             headers=await bearer(reporter))).status_code == 403
    assert (await office.get("/api/plans/drafts/../../etc")).status_code == 404
    assert (await office.delete(f"/api/plans/drafts/{draft_id}")).status_code == 204
    assert (await office.get(f"/api/plans/drafts/{draft_id}")).status_code == 404


async def test_a_failure_while_storing_leaves_nothing_behind(office, monkeypatch):
    """One transaction: units created, plan, tasks and assignments all roll back together."""
    created = await office.post("/api/plans/drafts", files=upload("seed.txt", SEED_TEXT.read_bytes()))
    draft = created.json()

    async def broken_audit(*args, **kwargs):
        raise RuntimeError("the audit trail is full")

    monkeypatch.setattr(audit, "record", broken_audit)
    body = {"version": draft["version"], "plan": draft["plan"],
            "sections": [{**s, "items": [{**i, "tasks": [
                {k: v for k, v in t.items() if k not in ("key", "warnings")} for t in i["tasks"]]}
                for i in s["items"]]} for s in draft["sections"]],
            "unit_choices": {"政策制定业务部门": {"action": "create"},
                             "宣传部门": {"action": "create"}}}
    failed = await office.put(f"/api/plans/drafts/{draft['id']}", json=body)
    assert failed.status_code == 500
    assert await Plan.count() == 0 and await Task.count() == 0
    assert [row["name"] for row in await Unit.select(Unit.name)] == ["局办公室"]
    assert (await office.get(f"/api/plans/drafts/{draft['id']}")).status_code == 200  # kept


async def test_direct_api_import_refuses_unknown_units_unless_allowed(office):
    refused = await office.post("/api/plans", files=upload("seed.txt", SEED_TEXT.read_bytes()))
    assert refused.status_code == 400
    assert refused.json()["field"] == "units.政策制定业务部门"
    assert await Plan.count() == 0 and await Unit.count() == 1
    allowed = await office.post("/api/plans?create_units=true",
                                files=upload("seed.txt", SEED_TEXT.read_bytes()))
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["units_created"] == ["政策制定业务部门", "宣传部门"]


async def test_open_drafts_are_listed_and_a_template_is_previewed_too(office):
    draft_id = await _page_draft(office)
    listed = await office.get("/plans/import")
    assert "未保存的导入草稿" in listed.text and f'href="/plans/drafts/{draft_id}"' in listed.text
    discarded = await office.post(f"/plans/drafts/{draft_id}/discard", data=csrf(office))
    assert discarded.headers["location"] == "/plans/import?notice=draft_discarded"
    assert f'href="/plans/drafts/{draft_id}"' not in (await office.get("/plans/import")).text

    template = (await office.post("/plans/import", data=csrf(office),
                                  files=upload("p.yaml", MINIMAL.encode()))).headers["location"]
    page = await office.get(template)
    assert page.status_code == 200 and "no-source" in page.text
    assert 'name="unit:法规处"' in page.text  # a template's units are asked about too


def test_a_form_edit_keeps_what_it_does_not_send_and_a_new_year_moves_text_deadlines():
    """No database: the form's edits applied to a draft in memory."""
    from tracker.domain import plan_review as review
    from tracker.domain.plan_model import ParsedItem, ParsedPlan, ParsedSection, ParsedTask
    from tracker.domain.plan_templates import PlanTemplate
    from tracker.services import plan_drafts

    task = ParsedTask(number="1", text="甲", lead_units=["办公室"], cooperating_units=["信息中心"],
                      deadline_text="年底前", deadline="2017-12-31")
    plan = ParsedPlan(title="计划", issuer=None, doc_number=None, issued_on=None, year=2017,
                      interpretation=None, preamble=None, sections=[ParsedSection(
                          number="一", title="部分", items=[ParsedItem(None, None, [task])])])
    draft = plan_drafts.Draft(id="0" * 32, owner=1, version=1, file_name="p.txt", source_text="",
                              template=PlanTemplate(plan=plan, units=[]))
    form = plan_drafts.DraftForm(version=1, year="2018", tasks={(0, 0, 0): review.TaskEdit(
        text="甲改", deadline_text="年底前", deadline="2017-12-31")})
    assert plan_drafts.apply_form(draft, form) == []
    edited = draft.template.plan.sections[0].items[0].tasks[0]
    assert edited.text == "甲改" and edited.lead_units == ["办公室"]
    assert edited.cooperating_units == ["信息中心"] and edited.deadline == "2018-12-31"
    bad = plan_drafts.DraftForm(version=1, year="18年", action="split:nonsense")
    assert plan_drafts.apply_form(draft, bad) == [("plan.year", "年度应为四位数字")]
