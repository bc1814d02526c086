"""Excel in and out: the 任务分工表 import (preview, apply, refusals, conflicts), the 台账 export
(.xlsx formatting, .csv), formula injection, and the API, pages and CLI around them."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import re
from pathlib import Path

import msgspec
import pytest
from openpyxl import Workbook, load_workbook

from tests.support.commands import run_tracker
from tests.support.factories import bearer, csrf, login, make_unit, make_user
from tracker.domain.errors import Conflict, InvalidInput
from tracker.domain.ledger import (
    LEDGER_COLUMNS,
    STATUS_FILLS,
    neutralise,
    read_assignment_table,
)
from tracker.domain.plan_model import ParsedItem, ParsedPlan, ParsedSection, ParsedTask
from tracker.domain.plan_templates import PlanTemplate, load_template
from tracker.domain.progress_input import UpdateInput
from tracker.domain.status import DEFAULT_TZ
from tracker.domain.vocabulary import STATUS_LABELS
from tracker.schemas import UnitsChange
from tracker.services import accounts, ledger_export, ledger_import, planning, plans, progress
from tracker.services.tracking import load_plan_facts, statuses_as_of
from tracker.tables import AuditEntry, Unit

PLAN = """\
plan:
  title: 分工测试计划
  issuer: 测试局
  doc_number: 测办〔2018〕2号
  issued_on: 2018-03-01
  year: 2018
units: [局办公室, 法规处, 规划处, 宣传处]
sections:
  - number: 一
    title: 第一部分
    items:
      - number: （一）
        title: 政策解读
        tasks:
          - number: 1
            text: 做好政策解读工作，及时发布解读材料。
            lead_units: [局办公室]
            cooperating_units: [法规处]
            deadline_text: 2018年12月底前
            deadline: 2018-12-31
            milestones: [{title: 三季度, due_on: 2018-09-30}]
          - number: 2
            text: 加强舆情回应
          - number: 3
            text: 编制年度报告并按时公开
            lead_units: [规划处]
            subtasks:
              - number: 1
                text: 子任务：收集材料
                lead_units: [法规处]
      - number: （二）
        title: 平台建设
        tasks:
          - number: 1
            text: 持续任务
            deadline_text: 持续推进
            deadline: ongoing
          - number: 2
            text: 完善政府网站建设
            lead_units: [局办公室]
  - number: 二
    title: 第二部分
    items:
      - number: （一）
        title: 其他
        tasks:
          - number: 1
            text: 持续任务
            deadline_text: 持续推进
            deadline: ongoing
"""

# Columns in another order than the plan's, a title row, grouping rows, a merged 牵头单位.
HEADER = ["完成时限", "配合单位", "工作任务", "牵头单位", "序号"]
ROWS = [
    ["测试局2018年政务公开任务分工表"] * 5,  # 1: title, merged
    HEADER,  # 2
    ["持续推进", "", "持续任务", "法规处", ""],  # 3: ambiguous (no section yet)
    ["一、第一部分"] * 5,  # 4: grouping row, merged
    ["6月底前", "规划处", "做好政策解读工作，及时发布解读材料。", "宣传处", "1"],  # 5: exact
    ["", "", "加强 舆情回应。", None, "2"],  # 6: normalised; lead merged from D5
    ["年内", "局办公室", "编制年度报告", None, "3"],  # 7: prefix; lead merged from D5
    ["", "", "不存在的任务内容", "局办公室", "9"],  # 8: unmatched
    ["", "", "完善政府网站建设", "未知单位", "2"],  # 9: unknown unit
    ["二、第二部分"] * 5,  # 10: grouping row, merged
    ["持续推进", "", "持续任务", "法规处", ""],  # 11: the grouping row decides
    ["", "", "", "法规处", "一.（一）.3.1"],  # 12: 序号 path only
]
MERGES = ["A1:E1", "A4:E4", "D5:D7", "A10:E10"]


def write_xlsx(path: Path, rows: list[list], merges: list[str] = ()) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "分工"
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(r, c, value)
    for merged in merges:
        sheet.merge_cells(merged)
    workbook.save(path)
    return path


def tasks_by_path(detail) -> dict[str, dict]:
    """{"一/（一）/3.1": task} in document order (a sub-task right after its task)."""
    found = {}

    def walk(task, path):
        found[path] = task
        for sub in task["subtasks"]:
            walk(sub, f"{path}.{sub['number']}")

    for section in detail["sections"]:
        for item in section["items"]:
            for task in item["tasks"]:
                walk(task, f"{section['number']}/{item['number']}/{task['number']}")
    return found


def builtins(value) -> dict:
    return msgspec.to_builtins(value)


@pytest.fixture
async def plan_id(database) -> int:
    return (await plans.import_plan(load_template(PLAN))).plan_id


@pytest.fixture
def table(tmp_path) -> Path:
    return write_xlsx(tmp_path / "分工表.xlsx", ROWS, MERGES)


def change(before, after):
    return {"before": before, "after": after}


def expected_rows(ids: dict[str, int]) -> list[dict]:
    def row(row, number, text, outcome, reason=None, path=None, matched_by=None, lead=None,
            cooperating=None, deadline=None, new_units=()):
        task = tasks_text[path] if path else None
        return {"row": row, "number": number, "text": text, "outcome": outcome, "reason": reason,
                "task_id": ids[path] if path else None, "task_path": path,
                "task_text": task, "task_version": 1 if path else None,
                "matched_by": matched_by, "lead": lead, "cooperating": cooperating,
                "deadline": deadline, "new_units": list(new_units)}

    tasks_text = {
        "一/（一）/1": "做好政策解读工作，及时发布解读材料。", "一/（一）/2": "加强舆情回应",
        "一/（一）/3": "编制年度报告并按时公开", "一/（一）/3.1": "子任务：收集材料",
        "一/（二）/2": "完善政府网站建设", "二/（一）/1": "持续任务",
    }
    return [
        row(3, None, "持续任务", "refused",
            "与 2 项任务相符（一/（二）/1、二/（一）/1），无法确定是哪一项；请填写序号或完整的任务内容"),
        row(5, "1", "做好政策解读工作，及时发布解读材料。", "change", path="一/（一）/1",
            matched_by="exact", lead=change(["局办公室"], ["宣传处"]),
            cooperating=change(["法规处"], ["规划处"]),
            deadline={"before_text": "2018年12月底前", "before": "2018-12-31",
                      "after_text": "6月底前", "after": "2018-06-30"}),
        row(6, "2", "加强 舆情回应。", "change", path="一/（一）/2", matched_by="normalised",
            lead=change([], ["宣传处"])),
        row(7, "3", "编制年度报告", "change", path="一/（一）/3", matched_by="prefix",
            lead=change(["规划处"], ["宣传处"]), cooperating=change([], ["局办公室"]),
            deadline={"before_text": None, "before": None, "after_text": "年内",
                      "after": "2018-12-31"}),
        row(8, "9", "不存在的任务内容", "refused",
            "计划中找不到该任务（原文、忽略标点空白、前缀均不相符）"),
        row(9, "2", "完善政府网站建设", "refused",
            "单位“未知单位”不存在（请先添加该单位，或选择自动新建单位）",
            path="一/（二）/2", matched_by="exact"),
        row(11, None, "持续任务", "change", path="二/（一）/1", matched_by="exact",
            lead=change([], ["法规处"])),
        row(12, "一.（一）.3.1", "", "same", path="一/（一）/3.1", matched_by="number"),
    ]


# --- pure: reading and writing -------------------------------------------------------------


def test_reads_columns_in_any_order_with_merged_cells(table):
    read = read_assignment_table(table.read_bytes(), table.name, 2018)
    assert (read.sheet, read.header_row) == ("分工", 2)
    assert read.columns == {"deadline": "完成时限", "cooperating": "配合单位", "task": "工作任务",
                            "lead": "牵头单位", "number": "序号"}
    by_row = {r.row: r for r in read.rows}
    assert sorted(by_row) == [3, 5, 6, 7, 8, 9, 11, 12]
    # The merged 牵头单位 (D5:D7) assigns every row of the range.
    assert [by_row[n].lead_units for n in (5, 6, 7)] == [["宣传处"]] * 3
    # A row that names its lead states the whole assignment: an empty 配合单位 means none.
    assert by_row[6].cooperating_units == []
    assert (by_row[7].deadline_text, by_row[7].deadline) == ("年内", "2018-12-31")
    assert (by_row[6].deadline_stated, by_row[6].deadline_text) == (False, None)
    assert by_row[11].group_section == "二、第二部分" and by_row[3].group_section is None


def test_responsible_column_marks_the_lead_and_refuses_two_leads(tmp_path):
    rows = [["序号", "工作任务", "责任单位"],
            ["1", "甲", "法规处（牵头）、规划处"],
            ["2", "乙", "局办公室"],
            ["3", "丙", "法规处、规划处"]]
    path = write_xlsx(tmp_path / "r.xlsx", rows)
    read = read_assignment_table(path.read_bytes(), path.name, 2018)
    first, second, third = read.rows
    assert (first.lead_units, first.cooperating_units) == (["法规处"], ["规划处"])
    assert (second.lead_units, second.cooperating_units) == (["局办公室"], [])
    assert third.lead_problem == ("牵头单位只能有一个，本行有 2 个：法规处、规划处"
                                  "（可在牵头单位后注明“（牵头）”）")


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8", "utf-8-sig"])
def test_reads_csv_in_chinese_encodings(encoding):
    text = "序号,工作任务,牵头单位,配合单位,完成时限\r\n1,做好公开，及时发布,法规处,局办公室、规划处,9月底前\r\n"
    read = read_assignment_table(text.encode(encoding), "分工.csv", 2018)
    [row] = read.rows
    assert (row.number, row.text, row.lead_units, row.cooperating_units) == (
        "1", "做好公开，及时发布", ["法规处"], ["局办公室", "规划处"])
    assert (row.deadline_text, row.deadline) == ("9月底前", "2018-09-30")


@pytest.mark.parametrize(("content", "name", "reason"), [
    (b"", "a.xlsx", "文件为空"),
    (b"not a zip", "a.xlsx", "无法读取"),
    (b"x", "a.xls", "另存为 .xlsx"),
    (b"x", "a.docx", ".xlsx 或 .csv"),
    ("名称,备注\r\n甲,乙\r\n".encode(), "a.csv", "没有找到表头"),
])
def test_unreadable_tables_are_refused_with_a_reason(content, name, reason):
    with pytest.raises(InvalidInput) as error:
        read_assignment_table(content, name, 2018)
    assert reason in error.value.message and error.value.field == "file"


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("  =1", "'  =1"),
    ("a=1", "a=1"), ("局办公室", "局办公室"), ("", ""), ("2018-12-31", "2018-12-31"),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


# --- preview and apply -----------------------------------------------------------------------


async def test_preview_states_every_row_exactly_and_writes_nothing(plan_id, table):
    before = builtins(await plans.get_plan(plan_id))
    ids = {path: task["id"] for path, task in tasks_by_path(before).items()}
    preview = await ledger_import.preview_assignments(plan_id, table.read_bytes(), table.name)
    data = builtins(preview)
    assert data.pop("token") and data.pop("upload_id") is None
    rows = data.pop("rows")
    assert data == {"plan_id": plan_id, "file_name": "分工表.xlsx", "sheet": "分工", "header_row": 2,
                    "columns": {"deadline": "完成时限", "cooperating": "配合单位",
                                "task": "工作任务", "lead": "牵头单位", "number": "序号"},
                    "create_units": False, "changed": 4, "unchanged": 1, "refused": 3,
                    "units_to_create": []}
    assert rows == expected_rows(ids)
    assert builtins(await plans.get_plan(plan_id)) == before


async def test_a_refused_row_blocks_apply_and_nothing_is_written(plan_id, table):
    before = builtins(await plans.get_plan(plan_id))
    with pytest.raises(InvalidInput) as error:
        await ledger_import.apply_assignments(plan_id, table.read_bytes(), table.name)
    assert error.value.message.startswith("有 3 行无法导入，未做任何修改：第3行：与 2 项任务相符")
    assert "第9行：单位“未知单位”不存在" in error.value.message
    assert builtins(await plans.get_plan(plan_id)) == before
    assert await AuditEntry.count().where(AuditEntry.action == "plan.assign_import") == 0


async def test_apply_changes_the_assignments_and_nothing_else(plan_id, table):
    before = builtins(await plans.get_plan(plan_id))
    preview = await ledger_import.preview_assignments(plan_id, table.read_bytes(), table.name)
    coordinator = await make_user("coordinator")
    summary = await ledger_import.apply_assignments(
        plan_id, table.read_bytes(), table.name, skip_refused=True, expected=preview,
        actor=coordinator.id)
    paths = tasks_by_path(before)
    assert builtins(summary) == {
        "plan_id": plan_id, "tasks_changed": 4, "rows_unchanged": 1, "rows_skipped": 3,
        "units_created": [],
        "task_ids": [paths[p]["id"] for p in ("一/（一）/1", "一/（一）/2", "一/（一）/3", "二/（一）/1")]}

    expected = copy.deepcopy(before)
    tasks = tasks_by_path(expected)
    tasks["一/（一）/1"].update(lead_units=["宣传处"], cooperating_units=["规划处"],
                               deadline_text="6月底前", deadline="2018-06-30")
    tasks["一/（一）/2"].update(lead_units=["宣传处"])
    tasks["一/（一）/3"].update(lead_units=["宣传处"], cooperating_units=["局办公室"],
                               deadline_text="年内", deadline="2018-12-31")
    tasks["二/（一）/1"].update(lead_units=["法规处"])
    after = builtins(await plans.get_plan(plan_id))
    assert set(after["units"]) == {"局办公室", "法规处", "规划处", "宣传处"}
    expected["units"] = after["units"]  # the units named by the plan's links, in link order
    assert after == expected
    entry = await AuditEntry.select().where(AuditEntry.action == "plan.assign_import").first()
    assert entry["user"] == coordinator.id and entry["plan_id"] == plan_id
    assert await AuditEntry.count().where(AuditEntry.action == "task.edit") == 4
    # Applying the same table again changes nothing more.
    again = await ledger_import.preview_assignments(plan_id, table.read_bytes(), table.name)
    assert again.changed == 0 and again.refused == 3


async def test_a_task_edited_after_the_preview_makes_apply_409_and_nothing_is_written(plan_id, table):
    preview = await ledger_import.preview_assignments(plan_id, table.read_bytes(), table.name)
    task_id = preview.rows[2].task_id  # 一/（一）/2 (加强舆情回应)
    office = await accounts.unit_id_by_name("局办公室")
    await planning.edit_task(task_id, planning.TaskEdit(lead_unit_ids=[office]), 1)
    edited = builtins(await plans.get_plan(plan_id))
    with pytest.raises(Conflict) as error:
        await ledger_import.apply_assignments(plan_id, table.read_bytes(), table.name,
                                              skip_refused=True, expected=preview)
    assert error.value.status_code == 409
    assert "第6行：任务 一/（一）/2 已被修改（版本 1→2）" in error.value.message
    assert builtins(await plans.get_plan(plan_id)) == edited
    # A stale token alone is refused the same way.
    with pytest.raises(Conflict):
        await ledger_import.apply_assignments(plan_id, table.read_bytes(), table.name,
                                              skip_refused=True, expected_token=preview.token)
    assert builtins(await plans.get_plan(plan_id)) == edited


async def test_a_conflict_on_a_later_task_rolls_back_the_earlier_ones(plan_id, table,
                                                                      monkeypatch):
    """One transaction: the second task's edit fails (as if edited in the meantime), so the
    first task's edit, already made, is rolled back too."""
    before = builtins(await plans.get_plan(plan_id))
    real_edit, calls = planning.edit_task, []

    async def edit_then_conflict(task_id, edit, version, actor=None):
        calls.append(task_id)
        if len(calls) == 2:
            raise Conflict("任务已被他人修改", "version")
        return await real_edit(task_id, edit, version, actor=actor)

    monkeypatch.setattr(planning, "edit_task", edit_then_conflict)
    with pytest.raises(Conflict):
        await ledger_import.apply_assignments(plan_id, table.read_bytes(), table.name,
                                              skip_refused=True)
    assert len(calls) == 2
    assert builtins(await plans.get_plan(plan_id)) == before


async def test_unknown_units_can_be_created_on_apply(plan_id, tmp_path):
    path = write_xlsx(tmp_path / "new.xlsx", [
        ["序号", "工作任务", "牵头单位", "配合单位"],
        ["2", "完善政府网站建设", "信息中心", "局办公室、新闻科"],
    ])
    preview = await ledger_import.preview_assignments(plan_id, path.read_bytes(), path.name,
                                                      create_units=True)
    [row] = preview.rows
    assert (row.outcome, row.new_units, preview.units_to_create) == (
        "change", ["信息中心", "新闻科"], ["信息中心", "新闻科"])
    assert await Unit.count().where(Unit.name.is_in(["信息中心", "新闻科"])) == 0
    summary = await ledger_import.apply_assignments(plan_id, path.read_bytes(), path.name,
                                                    create_units=True, expected=preview)
    assert summary.units_created == ["信息中心", "新闻科"]
    task = tasks_by_path(builtins(await plans.get_plan(plan_id)))["一/（二）/2"]
    assert (task["lead_units"], task["cooperating_units"]) == (["信息中心"], ["局办公室", "新闻科"])


async def test_gb18030_csv_assigns(plan_id):
    text = ("序号,工作任务,牵头单位,配合单位,完成时限\r\n"
            "1,做好政策解读工作，及时发布解读材料。,法规处,局办公室、规划处,2018年9月底前\r\n")
    content = text.encode("gb18030")
    preview = await ledger_import.preview_assignments(plan_id, content, "分工.csv")
    [row] = builtins(preview)["rows"]
    assert {k: row[k] for k in ("row", "outcome", "task_path", "matched_by", "lead",
                                "cooperating", "deadline")} == {
        "row": 2, "outcome": "change", "task_path": "一/（一）/1", "matched_by": "exact",
        "lead": change(["局办公室"], ["法规处"]),
        "cooperating": change(["法规处"], ["局办公室", "规划处"]),
        "deadline": {"before_text": "2018年12月底前", "before": "2018-12-31",
                     "after_text": "2018年9月底前", "after": "2018-09-30"}}
    await ledger_import.apply_assignments(plan_id, content, "分工.csv", expected=preview)
    task = tasks_by_path(builtins(await plans.get_plan(plan_id)))["一/（一）/1"]
    assert (task["lead_units"], task["cooperating_units"], task["deadline"]) == (
        ["法规处"], ["局办公室", "规划处"], "2018-09-30")


async def test_two_leads_are_refused_unless_the_task_already_has_them(database, tmp_path):
    # A parsed document may name two leads; its own ledger must still import back unchanged.
    template = load_template(PLAN.replace("lead_units: [规划处]", "lead_units: [规划处, 法规处]"))
    plan_id = (await plans.import_plan(template)).plan_id
    path = write_xlsx(tmp_path / "two.xlsx", [
        ["序号", "工作任务", "牵头单位"],
        ["3", "编制年度报告并按时公开", "规划处、法规处"],
        ["1", "做好政策解读工作，及时发布解读材料。", "规划处、法规处"],
    ])
    preview = await ledger_import.preview_assignments(plan_id, path.read_bytes(), path.name)
    assert [(r.outcome, r.reason) for r in preview.rows] == [
        ("same", None), ("refused", "牵头单位只能有一个，本行有 2 个：规划处、法规处")]


async def test_inactive_units_and_a_lead_named_as_cooperating_are_refused(plan_id, tmp_path):
    await accounts.set_unit_active(await accounts.unit_id_by_name("宣传处"), False)
    path = write_xlsx(tmp_path / "u.xlsx", [
        ["序号", "工作任务", "牵头单位", "配合单位"],
        ["1", "做好政策解读工作，及时发布解读材料。", "", "局办公室"],
        ["2", "完善政府网站建设", "宣传处", ""],
        ["3", "编制年度报告并按时公开", "法 规 处", ""],  # spaces folded: 法规处
    ])
    preview = await ledger_import.preview_assignments(plan_id, path.read_bytes(), path.name)
    assert [(r.outcome, r.reason) for r in preview.rows] == [
        ("refused", "“局办公室”是该任务的牵头单位，不能同时配合"),
        ("refused", "单位“宣传处”已停用"),
        ("change", None)]
    assert preview.rows[2].lead == UnitsChange(["规划处"], ["法规处"])


async def test_two_rows_for_one_task_are_both_refused(plan_id, tmp_path):
    path = write_xlsx(tmp_path / "dup.xlsx", [
        ["序号", "工作任务", "牵头单位"],
        ["1", "做好政策解读工作", "法规处"],
        ["", "做好政策解读工作，及时发布解读材料。", "规划处"],
    ])
    preview = await ledger_import.preview_assignments(plan_id, path.read_bytes(), path.name)
    assert [(r.outcome, r.reason) for r in preview.rows] == [
        ("refused", "第 2、3 行对应同一任务（一/（一）/1），请合并为一行")] * 2


# --- the ledger ------------------------------------------------------------------------------


async def _mark_done(task_path: str, plan_id: int) -> None:
    task = tasks_by_path(builtins(await plans.get_plan(plan_id)))[task_path]
    unit = await accounts.unit_id_by_name(task["lead_units"][0])
    reporter = await make_user("reporter", unit)
    await progress.submit_update(reporter, task["id"], UpdateInput(
        period="2018-06", percent=100, state="done", work_done="已完成"))


async def test_ledger_xlsx_round_trip(plan_id):
    await _mark_done("一/（一）/1", plan_id)
    today = dt.datetime.now(DEFAULT_TZ).date()  # the users' day, when the update counts
    ledger = await ledger_export.export_ledger(plan_id, "xlsx", today)
    assert ledger.filename == f"ledger-{plan_id}-{today.isoformat()}.xlsx"
    sheet = load_workbook(io.BytesIO(ledger.content)).active
    assert [c.value for c in sheet[1]] == [name for name, _ in LEDGER_COLUMNS]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    for index, (_, width) in enumerate(LEDGER_COLUMNS, start=1):
        assert sheet.column_dimensions[chr(64 + index)].width == width
    assert sheet["D2"].alignment.wrap_text

    detail = builtins(await plans.get_plan(plan_id))
    statuses = statuses_as_of(await load_plan_facts(plan_id), today)
    tasks = list(tasks_by_path(detail).items())
    body = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(body) == len(tasks) == 7
    codes = set()
    for (path, task), values, cells in zip(tasks, body, sheet.iter_rows(min_row=2), strict=True):
        state = statuses[task["id"]]
        codes.add(state.code)
        deadline = task["deadline"]
        expected_date = ("持续推进" if deadline == "ongoing"
                         else dt.datetime.fromisoformat(deadline) if deadline else None)
        # 完成时限 holds the deadline, 时限原文 the plan's words; then the lead unit's own words.
        work_done = "已完成" if state.code == "done" else None
        assert values == (
            cells[0].value, cells[1].value, path.rsplit("/", 1)[1], task["text"],
            "、".join(task["lead_units"]) or None, "、".join(task["cooperating_units"]) or None,
            expected_date, task["deadline_text"], None, state.percent, STATUS_LABELS[state.code],
            work_done, None, None, state.last_period)  # 延期至: no extension
        assert cells[10].fill.fgColor.rgb == "00" + STATUS_FILLS[state.code]
    assert body[0][:2] == ("一、第一部分", "（一）政策解读")
    assert body[3][2] == "3.1"  # the sub-task after its task
    assert codes == {"done", "behind"}  # fills checked for each status that occurs

    # The exported ledger, imported as an assignment table, changes nothing.
    # (A row stating no unit and no deadline, 加强舆情回应 here, is skipped: it assigns nothing.)
    preview = await ledger_import.preview_assignments(plan_id, ledger.content, ledger.filename)
    assert [(r.outcome, r.task_path) for r in preview.rows] == [
        ("same", p) for p, t in tasks if t["lead_units"] or t["deadline"]]
    assert len(preview.rows) == 6
    summary = await ledger_import.apply_assignments(plan_id, ledger.content, ledger.filename)
    assert summary.tasks_changed == 0
    assert builtins(await plans.get_plan(plan_id)) == detail


async def test_ledger_with_a_title_row_freezes_below_the_header(plan_id):
    ledger = await ledger_export.export_ledger(plan_id, "xlsx", dt.date(2018, 6, 30),
                                               with_title=True)
    sheet = load_workbook(io.BytesIO(ledger.content)).active
    assert sheet["A1"].value == "分工测试计划台账（截至 2018-06-30）"
    assert "A1:O1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet.freeze_panes == "A3" and sheet["A2"].value == "部分"
    preview = await ledger_import.preview_assignments(plan_id, ledger.content, ledger.filename)
    assert preview.header_row == 2 and preview.changed == preview.refused == 0


async def test_ledger_csv_has_a_bom_and_imports_back_unchanged(plan_id):
    ledger = await ledger_export.export_ledger(plan_id, "csv", dt.date(2018, 6, 30))
    assert ledger.content.startswith(b"\xef\xbb\xbf") and ledger.media_type.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(ledger.content.decode("utf-8-sig"))))
    assert rows[0] == [name for name, _ in LEDGER_COLUMNS]
    assert rows[1][:8] == ["一、第一部分", "（一）政策解读", "1", "做好政策解读工作，及时发布解读材料。",
                           "局办公室", "法规处", "2018-12-31", "2018年12月底前"]
    # no extension, 40% of the time gone, nothing reported
    assert rows[1][8:] == ["", "0", "滞后", "", "", "", ""]
    preview = await ledger_import.preview_assignments(plan_id, ledger.content, ledger.filename)
    assert preview.changed == preview.refused == 0 and preview.unchanged == 6


INJECTIONS = ['=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(A1)", "\t=1"]


@pytest.fixture
async def injected_plan(database) -> int:
    tasks = [ParsedTask(str(i), text, [lead], coop, None, None)
             for i, (text, lead, coop) in enumerate([
                 ('=HYPERLINK("http://x","y")', "+1", ["-1", "@SUM(A1)"]),
                 ("\t=1", "@SUM(A1)", ["-1"]),
                 ("+1 项任务", '=HYPERLINK("http://x","y")', []),
             ], start=1)]
    plan = ParsedPlan(title="=注入测试", issuer=None, doc_number=None, issued_on=None, year=2018,
                      interpretation=None, preamble=None, sections=[
                          ParsedSection("一", "第一部分", [ParsedItem(None, "@分项", tasks)])])
    return (await plans.import_plan(PlanTemplate(plan=plan, units=[]))).plan_id


async def test_formula_injection_is_neutralised_in_xlsx(injected_plan):
    ledger = await ledger_export.export_ledger(injected_plan, "xlsx", dt.date(2018, 6, 30),
                                               with_title=True)
    sheet = load_workbook(io.BytesIO(ledger.content)).active
    assert (sheet["A1"].value, sheet["A1"].data_type) == ("'=注入测试台账（截至 2018-06-30）", "s")
    dangerous = [cell for row in sheet.iter_rows(min_row=3) for cell in row
                 if isinstance(cell.value, str) and cell.value.lstrip("'")[:1] in "=+-@\t"]
    assert sorted(cell.value for cell in dangerous) == sorted([
        "'@分项", "'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'-1、@SUM(A1)",  # task 1
        "'@分项", "'\t=1", "'@SUM(A1)", "'-1",  # task 2
        "'@分项", "'+1 项任务", "'=HYPERLINK(\"http://x\",\"y\")",  # task 3
    ])
    for cell in dangerous:
        assert cell.data_type == "s" and cell.value.startswith("'"), cell.coordinate
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


async def test_formula_injection_is_neutralised_in_csv(injected_plan):
    ledger = await ledger_export.export_ledger(injected_plan, "csv", dt.date(2018, 6, 30))
    rows = list(csv.reader(io.StringIO(ledger.content.decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    for value in INJECTIONS:
        assert "'" + value in cells
    assert all(cell[:1] not in "=+-@\t\r" for cell in cells if cell)
    # Reading takes the apostrophe off again: the exported ledger imports back unchanged, even
    # the unit whose name holds a comma, since a list is not split inside brackets
    # (各市、县(市、区)教育局 is one unit).
    preview = await ledger_import.preview_assignments(injected_plan, ledger.content,
                                                      ledger.filename)
    assert [r.outcome for r in preview.rows] == ["same", "same", "same"]


# --- API, pages, CLI -------------------------------------------------------------------------


def upload(path: Path) -> dict:
    return {"file": (path.name, path.read_bytes(), "application/octet-stream")}


def fields(**values: str) -> dict:
    """Plain multipart fields (the API takes multipart, with or without a file)."""
    return {name: (None, value) for name, value in values.items()}


async def test_api_preview_apply_and_roles(app_client, plan_id, table):
    coordinator = await make_user("coordinator")
    leader = await make_user("leader")
    reporter = await make_user("reporter", await make_unit("报送科"))
    as_coordinator, as_leader = await bearer(coordinator), await bearer(leader)
    url = f"/api/plans/{plan_id}/assignments"

    refused = await app_client.post(f"{url}/preview", files=upload(table), headers=as_leader)
    assert refused.status_code == 403
    response = await app_client.post(f"{url}/preview", files=upload(table), headers=as_coordinator)
    assert response.status_code == 200, response.text
    preview = response.json()
    assert (preview["changed"], preview["refused"]) == (4, 3)
    assert [r["outcome"] for r in preview["rows"]] == [r["outcome"] for r in expected_rows(
        {p: t["id"] for p, t in tasks_by_path(builtins(await plans.get_plan(plan_id))).items()})]

    blocked = await app_client.post(f"{url}/apply", files=fields(upload_id=preview["upload_id"]),
                                    headers=as_coordinator)
    assert blocked.status_code == 400 and "有 3 行无法导入" in blocked.json()["detail"]
    other = await make_user("coordinator")
    confirm = fields(upload_id=preview["upload_id"], skip_refused="true")
    foreign = await app_client.post(f"{url}/apply", files=confirm, headers=await bearer(other))
    assert foreign.status_code == 404  # a staged upload is its uploader's
    applied = await app_client.post(f"{url}/apply", files=confirm, headers=as_coordinator)
    assert applied.status_code == 200, applied.text
    assert (applied.json()["tasks_changed"], applied.json()["rows_skipped"]) == (4, 3)

    # The file posted again with a token that is now stale (the plan changed): 409.
    stale = await app_client.post(f"{url}/apply", files=upload(table),
                                  data={"token": preview["token"], "skip_refused": "1"},
                                  headers=as_coordinator)
    assert stale.status_code == 409

    for path, media in (("ledger.xlsx", "spreadsheetml"), ("ledger.csv", "text/csv")):
        ok = await app_client.get(f"/api/plans/{plan_id}/{path}?as_of=2018-06-30",
                                  headers=as_leader)
        assert ok.status_code == 200 and media in ok.headers["content-type"]
        assert ok.headers["content-type"].count("charset") <= 1, ok.headers["content-type"]
        assert f'filename="ledger-{plan_id}-2018-06-30.' in ok.headers["content-disposition"]
        denied = await app_client.get(f"/api/plans/{plan_id}/{path}", headers=await bearer(reporter))
        assert denied.status_code == 403
    bad = await app_client.get(f"/api/plans/{plan_id}/ledger.csv?as_of=x", headers=as_leader)
    assert bad.status_code == 400
    missing = await app_client.get("/api/plans/999/ledger.xlsx", headers=as_leader)
    assert missing.status_code == 404


async def test_api_apply_409_when_a_task_changed_after_the_preview(app_client, plan_id, table):
    headers = await bearer(await make_user("coordinator"))
    url = f"/api/plans/{plan_id}/assignments"
    preview = (await app_client.post(f"{url}/preview", files=upload(table), headers=headers)).json()
    planning_office = await accounts.unit_id_by_name("规划处")
    await planning.edit_task(preview["rows"][1]["task_id"],
                             planning.TaskEdit(cooperating_unit_ids=[planning_office]), 1)
    edited = builtins(await plans.get_plan(plan_id))
    response = await app_client.post(f"{url}/apply", headers=headers, files=fields(
        upload_id=preview["upload_id"], skip_refused="1"))
    assert response.status_code == 409
    assert "第5行：任务 一/（一）/1 已被修改（版本 1→2）" in response.json()["detail"]
    assert builtins(await plans.get_plan(plan_id)) == edited


async def test_pages_upload_preview_confirm_and_download(app_client, plan_id, table):
    coordinator = await make_user("coordinator")
    await login(app_client, coordinator.username)
    page = await app_client.get(f"/plans/{plan_id}")
    assert f'action="/plans/{plan_id}/assignments/preview"' in page.text
    assert f"/plans/{plan_id}/ledger.xlsx" in page.text

    shown = await app_client.post(f"/plans/{plan_id}/assignments/preview", files=upload(table),
                                  data=csrf(app_client))
    assert shown.status_code == 200, shown.text
    assert shown.text.count('<tr class="refused">') == 3
    assert "单位“未知单位”不存在" in shown.text and "跳过无法导入的 3 行" in shown.text
    upload_id = re.search(r'name="upload_id" value="([0-9a-f]{32})"', shown.text)[1]

    confirm = await app_client.post(f"/plans/{plan_id}/assignments/apply",
                                    data={"upload_id": upload_id, **csrf(app_client)})
    assert confirm.status_code == 400 and "有 3 行无法导入" in confirm.text
    done = await app_client.post(f"/plans/{plan_id}/assignments/apply",
                                 data={"upload_id": upload_id, "skip_refused": "1",
                                       **csrf(app_client)})
    assert done.status_code == 303 and done.headers["location"] == f"/plans/{plan_id}?notice=saved"
    task = tasks_by_path(builtins(await plans.get_plan(plan_id)))["一/（一）/2"]
    assert task["lead_units"] == ["宣传处"]

    bad = await app_client.post(f"/plans/{plan_id}/assignments/preview",
                                files={"file": ("x.docx", b"x", "application/octet-stream")},
                                data=csrf(app_client))
    assert bad.status_code == 400 and "须为 .xlsx 或 .csv" in bad.text
    download = await app_client.get(f"/plans/{plan_id}/ledger.xlsx")
    assert download.status_code == 200 and download.content.startswith(b"PK")


async def test_leader_pages_download_but_cannot_assign(app_client, plan_id, table):
    leader = await make_user("leader")
    await login(app_client, leader.username)
    page = await app_client.get(f"/plans/{plan_id}")
    assert f"/plans/{plan_id}/ledger.csv" in page.text and "assignments/preview" not in page.text
    download = await app_client.get(f"/plans/{plan_id}/ledger.csv")
    assert download.status_code == 200 and download.content.startswith(b"\xef\xbb\xbf")
    refused = await app_client.post(f"/plans/{plan_id}/assignments/preview", files=upload(table),
                                    data=csrf(app_client))
    assert refused.status_code == 403


async def test_cli_assign_and_ledger(database, backend_urls, plan_id, table, tmp_path):
    url, data_dir = backend_urls(database)

    def tracker(*args):
        return run_tracker(*args, database_url=url, data_dir=data_dir)

    shown = tracker("plan", "assign", str(plan_id), str(table))
    assert shown.returncode == 2, shown.stderr
    assert "第9行（序号 2） 完善政府网站建设：无法导入：单位“未知单位”不存在" in shown.stdout
    assert "有 3 行无法导入，未做任何修改" in shown.stderr
    previewed = tracker("plan", "assign", str(plan_id), str(table), "--skip-refused")
    assert previewed.returncode == 0 and "仅预览" in previewed.stdout
    assert tasks_by_path(builtins(await plans.get_plan(plan_id)))["一/（一）/2"]["lead_units"] == []
    applied = tracker("plan", "assign", str(plan_id), str(table), "--apply", "--skip-refused")
    assert applied.returncode == 0, applied.stderr
    assert "已导入：修改任务 4 项，跳过 3 行" in applied.stdout
    assert tasks_by_path(builtins(await plans.get_plan(plan_id)))["一/（一）/2"]["lead_units"] == [
        "宣传处"]

    out = tmp_path / "台账.xlsx"
    exported = tracker("plan", "ledger", str(plan_id), "--out", str(out), "--as-of", "2018-06-30")
    assert exported.returncode == 0, exported.stderr
    assert load_workbook(out).active.freeze_panes == "A2"
    wrong = tracker("plan", "ledger", str(plan_id), "--out", str(tmp_path / "x.pdf"))
    assert wrong.returncode == 2


@pytest.mark.parametrize(("cell", "reason"), [
    ("2019-02-30", "完成时限“2019-02-30”不是有效日期（2019年2月只有28天）"),
    ("2018年2月30日", "完成时限“2018年2月30日”不是有效日期（2018年2月只有28天）"),
    ("2018-13-01", "完成时限“2018-13-01”的月份不存在"),
])
def test_an_impossible_date_refuses_the_row_by_the_task_form_rule(cell, reason):
    text = f"序号,工作任务,牵头单位,完成时限\r\n1,做好公开,法规处,{cell}\r\n"
    [row] = read_assignment_table(text.encode(), "分工.csv", 2018).rows
    assert (row.problem, row.deadline) == (reason, None)
    with pytest.raises(InvalidInput) as form_error:  # the task form says the same
        planning.parse_deadline(cell, 2018)
    assert (form_error.value.message, form_error.value.field) == (reason, "deadline")
