"""The leadership edition (the default 月报): the pure report-model builder without a database,
the PDF and its Word copy end to end on both backends (same figures as the status rules),
提请领导关注, the archived copy returned for unchanged content, background jobs, cached
charts, and the city-scale plan's briefing within 8 pages."""

from __future__ import annotations

import datetime as dt
import io
import re

import docx
import pytest

from tests.integration.test_reports import (
    AS_OF,
    build_world,
    compact,
    layout_text,
    page_count,
    poppler,
    text_of,
)
from tests.support.commands import run_tracker
from tests.support.report_api import finished_job, generated_report
from tracker.domain import status
from tracker.domain.status import DEFAULT_TZ
from tracker.reporting import archive as report_archive
from tracker.reporting import build as reports
from tracker.reporting import charts, figures
from tracker.reporting import jobs as report_jobs
from tracker.reporting.builder import (
    ExtensionFact,
    MilestoneFact,
    ReportFacts,
    UpdateText,
    build_report,
)
from tracker.reporting.render import percent
from tracker.schemas import ItemOut, PlanDetail, ReportingOut, SectionOut, TaskOut
from tracker.services import audit, planning
from tracker.services.tracking import PlanFacts, load_plan_facts, statuses_as_of

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


# --- the builder, from facts alone --------------------------------------------------------------


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=DEFAULT_TZ)


def _update(update_id: int, task_id: int, unit_id: int, period: str, percent_: int, state: str,
            day: dt.date) -> status.UpdateFacts:
    return status.UpdateFacts(update_id=update_id, task_id=task_id, unit_id=unit_id,
                              period=period, version=1, percent=percent_, state=state,
                              submitted_at=_at(day))


def _facts() -> ReportFacts:
    """Four tasks of three units, as of 2018-10-05 (September's reports due on the 5th):

    1 局办公室, due 2018-12-31, extended to 2019-01-31 on 2018-09-10: 65 % (on track)
    2 法规处, due 2018-06-30: 40 % in August, nothing since (overdue; problem stated)
    3 信息中心, due 2018-09-30: done in September (newly done)
    4 信息中心, ongoing: 40 % in August, nothing for September (behind: missed a report)
    """
    def task(task_id, number, text, lead, deadline):
        return TaskOut(id=task_id, number=number, text=text, lead_units=[lead],
                       cooperating_units=[], deadline_text=None, deadline=deadline)

    plan = PlanDetail(
        id=1, title="纯函数测试计划", issuer="测试局", doc_number=None, issued_on="2018-03-01",
        year=2018, preamble=None, interpretation=None,
        reporting=ReportingOut(cycle="monthly", due_day=5, tolerance_percent=10),
        units=["局办公室", "法规处", "信息中心"], milestones=[],
        sections=[
            SectionOut(id=1, number="一", title="公开", items=[ItemOut(id=1, number=None, title=None, tasks=[
                task(1, "1", "预决算公开", "局办公室", "2018-12-31"),
                task(2, "2", "执法公示", "法规处", "2018-06-30")])]),
            SectionOut(id=2, number="二", title="解读", items=[ItemOut(id=2, number=None, title=None, tasks=[
                task(3, "1", "政策解读", "信息中心", "2018-09-30"),
                task(4, "2", "舆情回应", "信息中心", "ongoing")])]),
        ])
    start = dt.date(2018, 3, 1)
    tasks = [
        status.TaskFacts(1, start, dt.date(2018, 12, 31), False, 1),
        status.TaskFacts(2, start, dt.date(2018, 6, 30), False, 2),
        status.TaskFacts(3, start, dt.date(2018, 9, 30), False, 3),
        status.TaskFacts(4, start, None, True, 3),
    ]
    updates = {
        1: [_update(10, 1, 1, "2018-08", 30, "in_progress", dt.date(2018, 9, 3)),
            _update(11, 1, 1, "2018-09", 65, "in_progress", dt.date(2018, 10, 3))],
        2: [_update(20, 2, 2, "2018-08", 40, "in_progress", dt.date(2018, 9, 4))],
        3: [_update(30, 3, 3, "2018-08", 50, "in_progress", dt.date(2018, 9, 4)),
            _update(31, 3, 3, "2018-09", 100, "done", dt.date(2018, 10, 2))],
        4: [_update(40, 4, 3, "2018-08", 40, "in_progress", dt.date(2018, 9, 4))],
    }
    extended_on = _at(dt.date(2018, 9, 10))
    facts = PlanFacts(plan_id=1, year=2018, due_day=5, tolerance_percent=10, tasks=tasks,
                      updates_by_task=updates,
                      extensions={1: [(extended_on, dt.date(2019, 1, 31))]})
    return ReportFacts(
        plan=plan, facts=facts, unit_names={1: "局办公室", 2: "法规处", 3: "信息中心"},
        milestones=[MilestoneFact(1, None, "三季度小结", dt.date(2018, 9, 30)),
                    MilestoneFact(2, 3, "解读发布", dt.date(2018, 12, 1))],
        extensions=[ExtensionFact(1, "局办公室", dt.date(2018, 12, 31), dt.date(2019, 1, 31),
                                  extended_on)],
        attention={2: "执法公示系统需财政追加资金，请领导协调。"},
        update_texts={20: UpdateText("完成部分公示", "缺少系统经费", "申请追加"),
                      40: UpdateText("回应12件", "", "")},
    )


def test_builder_computes_the_briefing_from_facts_alone():
    loaded = _facts()
    data = build_report(loaded, "2018-09", AS_OF)
    assert data == build_report(loaded, "2018-09", AS_OF)  # pure: same facts, same model
    # The headline is the status rules as of the date, and as of last month's due date.
    now = statuses_as_of(loaded.facts, AS_OF)
    assert {code: data.totals[code] for code in status.STATUS_LABELS} == status.plan_summary(
        now.values())
    assert (data.headline.done, data.headline.on_track, data.headline.behind,
            data.headline.overdue) == (1, 1, 1, 1)
    assert data.headline.plan_percent == round((65 + 40 + 100 + 40) / 4, 1)
    before = statuses_as_of(loaded.facts, dt.date(2018, 9, 5))
    assert data.previous.plan_percent == round(status.plan_percent(before.values()), 1)
    assert data.previous_period == "2018-08"
    # 法规处 and 信息中心 owe September's report; 局办公室 sent it.
    assert data.not_reported == ["法规处", "信息中心"]
    assert data.headline.not_reported == 2
    # Exceptions: the overdue task first (largest gap), with the unit's own problem; the
    # ongoing task (behind for a missed report, no schedule) after it.
    assert [(row.task, row.status, row.gap, row.problem) for row in data.exceptions.rows] == [
        ("2. 执法公示", "overdue", 60.0, "缺少系统经费"),
        ("2. 舆情回应", "behind", None, ""),
    ]
    assert data.exceptions.rows[0].days_late == (AS_OF - dt.date(2018, 6, 30)).days
    assert data.exceptions.more == 0
    assert [(m.title, m.days_late) for m in data.missed_milestones.rows] == [("三季度小结", 5)]
    assert [(e.task, e.new_deadline) for e in data.extensions.rows] == [
        ("1. 预决算公开", dt.date(2019, 1, 31))]
    assert [(a.task, a.note) for a in data.attention.rows] == [
        ("2. 执法公示", "执法公示系统需财政追加资金，请领导协调。")]
    assert [u.name for u in data.ranking_top] == ["信息中心", "局办公室", "法规处"]
    summary = "".join(data.summary)
    assert "新完成任务1项（“政策解读”）" in summary
    assert "超期1项、滞后1项" in summary
    assert "2个单位未报送2018年9月进展（法规处、信息中心）" in summary
    assert "需领导协调的事项1项" in summary
    delta = round(data.headline.plan_percent - data.previous.plan_percent, 1)
    assert f"较上月提高{delta:.1f}个百分点" in summary
    # The detail layouts carry the task table instead; the leadership edition does not.
    assert data.tasks == [] and build_report(loaded, "2018-09", AS_OF, "detail").tasks


def _crowded_facts(units: int = 60, tasks: int = 600) -> ReportFacts:
    """A large plan where every list overflows: most tasks late with long problems, many
    missed milestones, extensions this month, attention marks on dozens of tasks."""
    start = dt.date(2018, 3, 1)
    long_text = "推进政务公开标准化规范化建设，梳理公开事项目录并在门户网站专栏集中发布" * 2
    nodes, facts_tasks, updates, texts = [], [], {}, {}
    for i in range(1, tasks + 1):
        lead = (i % units) + 1
        deadline = dt.date(2018, 6, 30) if i % 3 else dt.date(2018, 12, 31)
        nodes.append(TaskOut(id=i, number=str(i), text=f"{long_text}（第{i}项）",
                             lead_units=[f"单位{lead}"], cooperating_units=[],
                             deadline_text=None, deadline=deadline.isoformat()))
        facts_tasks.append(status.TaskFacts(i, start, deadline, False, lead))
        updates[i] = [_update(i, i, lead, "2018-08", 20, "in_progress", dt.date(2018, 9, 4))]
        texts[i] = UpdateText("已开展", "人员不足、经费未落实，" * 8, "")
    sections = [SectionOut(id=k, number=str(k), title=f"第{k}部分", items=[
        ItemOut(id=k, number=None, title=None, tasks=nodes[k - 1::8])]) for k in range(1, 9)]
    plan = PlanDetail(
        id=1, title="市级大规模测试计划", issuer="某市人民政府办公室", doc_number=None,
        issued_on="2018-03-01", year=2018, preamble=None, interpretation=None,
        reporting=ReportingOut(cycle="monthly", due_day=5, tolerance_percent=10),
        units=[f"单位{u}" for u in range(1, units + 1)], milestones=[], sections=sections)
    approved = _at(dt.date(2018, 9, 20))
    return ReportFacts(
        plan=plan,
        facts=PlanFacts(plan_id=1, year=2018, due_day=5, tolerance_percent=10, tasks=facts_tasks,
                        updates_by_task=updates, extensions={}),
        unit_names={u: f"单位{u}" for u in range(1, units + 1)},
        milestones=[MilestoneFact(m, m, f"节点{m}：{long_text[:30]}", dt.date(2018, 7, 1))
                    for m in range(1, 41)],
        extensions=[ExtensionFact(e, f"单位{e}", dt.date(2018, 6, 30), dt.date(2018, 12, 31),
                                  approved) for e in range(1, 31)],
        attention={t: "需协调多个部门共同推进，" * 6 for t in range(1, 51)},
        update_texts=texts)


def test_leadership_edition_stays_within_eight_pages_when_every_list_overflows(tmp_path):
    from tracker.reporting.render import render_report

    data = build_report(_crowded_facts(), "2018-09", AS_OF)
    assert data.exceptions.more > 0 and data.missed_milestones.more > 0
    assert data.extensions.more > 0 and data.attention.more > 0
    pdf = tmp_path / "crowded.pdf"
    pdf.write_bytes(render_report(data))
    assert page_count(pdf) <= 8
    text = text_of(pdf)
    assert f"另有{data.exceptions.more}项，详见台账" in text
    assert f"另有{data.attention.more}项，详见台账" in text


def test_missing_report_agrees_with_unit_timeliness():
    loaded = _facts()
    for task in loaded.facts.tasks:
        updates = loaded.facts.updates_by_task.get(task.task_id, [])
        for day in (dt.date(2018, 8, 4), dt.date(2018, 9, 5), AS_OF, dt.date(2018, 12, 5)):
            owed = status.unit_timeliness(task.lead_unit_id, [task], updates, day, 5, "2018-03")
            for period in ("2018-02", "2018-03", "2018-07", "2018-08", "2018-09", "2018-11"):
                assert status.missing_report(task, updates, period, day, 5, "2018-03") == (
                    (task.task_id, period) in owed.missing_items), (task, day, period)


def test_latest_counting_agrees_with_rules_3_and_5():
    loaded = _facts()
    returned = status.UpdateFacts(
        update_id=99, task_id=1, unit_id=1, period="2018-09", version=2, percent=90,
        state="in_progress", submitted_at=_at(dt.date(2018, 10, 4)),
        reviews=(status.ReviewFacts("returned", _at(dt.date(2018, 10, 5), 9)),))
    for updates in [*loaded.facts.updates_by_task.values(), [*loaded.facts.updates_by_task[1],
                                                             returned]]:
        ordered = status.latest_first(updates)
        for day in (dt.date(2018, 9, 1), dt.date(2018, 9, 4), dt.date(2018, 10, 4), AS_OF):
            assert status.latest_counting(ordered, day) == status.latest_update(
                status.counting_updates(updates, day))


def test_trend_count_axis_is_whole_and_not_negative():
    svg = charts.monthly_trend([(f"2018-{m:02d}", 0.0, 0) for m in range(1, 13)], fmt="svg")
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg.decode())
    numbers = [label.strip() for label in labels if re.fullmatch(r"\s*-?[\d.]+\s*", label)]
    assert numbers and all(not n.startswith("-") and "." not in n for n in numbers), numbers
    assert [f"{m}月" for m in range(1, 13)] == [
        label for label in labels if label.endswith("月")][:12]


# --- end to end ---------------------------------------------------------------------------------


def _docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return compact("".join(parts))


HEADLINE = ("计划总体完成率", "已完成任务", "正常推进", "滞后任务", "超期任务", "未报送单位")


def _pdf_headline(pdf) -> dict[str, tuple[str, str]]:
    """The 摘要 table's rows (this month, last month), from the PDF's layout text."""
    found = {}
    for line in layout_text(pdf).splitlines():
        cells = line.split()
        if cells and cells[0] in HEADLINE and cells[0] not in found:
            found[cells[0]] = (cells[1], cells[2])
    return found


def _docx_headline(content: bytes) -> dict[str, tuple[str, str]]:
    table = docx.Document(io.BytesIO(content)).tables[0]
    return {row.cells[0].text: (row.cells[1].text, row.cells[2].text)
            for row in table.rows if row.cells[0].text in HEADLINE}


async def test_leadership_edition_pdf_and_word_have_the_status_figures(app_client, monkeypatch,
                                                                      tmp_path):
    world = await build_world(monkeypatch)
    task_id = world.tasks["推进行政执法公示"]
    await planning.set_attention(task_id, "执法公示平台需与市局对接，请领导协调。",
                                 actor=world.coordinator.id)
    entries = await audit.entries(entity="task", entity_id=task_id)
    assert entries[0].action == "task.attention" and "请领导协调" in entries[0].summary

    report = await generated_report(app_client, world.plan_id, world.h["coordinator"],
                                    period="2018-09")
    assert report["edition"] == "monthly" and report["docx_url"]
    pdf = tmp_path / "brief.pdf"
    pdf.write_bytes((await app_client.get(f"/api/reports/{report['id']}/download",
                                          headers=world.h["leader"])).content)
    word = await app_client.get(f"/api/reports/{report['id']}/download.docx",
                                headers=world.h["leader"])
    assert word.status_code == 200 and word.content.startswith(b"PK")

    text = text_of(pdf)
    statuses = statuses_as_of(await load_plan_facts(world.plan_id), AS_OF)
    counts = status.plan_summary(statuses.values())
    plan_percent = round(status.plan_percent(statuses.values()), 1)
    assert f"共有工作任务{len(statuses)}项" in text
    for code, label in status.STATUS_LABELS.items():
        assert f"{label}{counts[code]}项" in text, label
    assert f"计划总体完成率{percent(plan_percent)}" in text
    before = statuses_as_of(await load_plan_facts(world.plan_id), dt.date(2018, 9, 5))
    counts_before = status.plan_summary(before.values())
    pdf_figures = _pdf_headline(pdf)
    assert {label: now for label, (now, _) in pdf_figures.items()} == {
        "计划总体完成率": percent(plan_percent), "已完成任务": str(counts["done"]),
        "正常推进": str(counts["on_track"]), "滞后任务": str(counts["behind"]),
        "超期任务": str(counts["overdue"]), "未报送单位": "1"}
    assert pdf_figures["计划总体完成率"][1] == percent(
        round(status.plan_percent(before.values()), 1))
    assert pdf_figures["超期任务"][1] == str(counts_before["overdue"])
    assert "一、摘要" in text and "五、提请领导关注事项" in text
    assert "执法公示平台需与市局对接，请领导协调。" in text
    assert "需领导协调的事项1项" in text
    assert "1个单位未报送2018年9月进展（宣传处）" in text
    assert page_count(pdf) <= 8

    # The Word copy: the same figures and words.
    word_text = _docx_text(word.content)
    assert _docx_headline(word.content) == pdf_figures
    for code, label in status.STATUS_LABELS.items():
        assert f"{label}{counts[code]}项" in word_text, label
    assert "执法公示平台需与市局对接，请领导协调。" in word_text
    assert len(docx.Document(io.BytesIO(word.content)).inline_shapes) == 5  # the charts

    # Embedded CJK subsets only.
    rows = poppler("pdffonts", pdf).splitlines()[2:]
    assert any("CJK" in row.split()[0] for row in rows), rows
    for row in rows:
        assert re.match(r"^[A-Z]{6}\+", row.split()[0]), row
        assert re.search(r"\syes\s+yes\s+(yes|no)\s+\d+\s+\d+\s*$", row), row

    # Generating it again (API, then a background job) returns the archived report.
    again = await finished_job(app_client, world.plan_id, world.h["coordinator"],
                               period="2018-09")
    assert (again["report"]["id"], again["reused"]) == (report["id"], True)
    request = await reports.resolve_request(world.plan_id, "2018-09")
    job = await report_jobs.run((await report_jobs.create(request, None))[0])
    assert job.status()["state"] == "done" and job.status()["report_id"] == report["id"]
    assert job.status()["reused"] is True
    listed = (await app_client.get(f"/api/plans/{world.plan_id}/reports",
                                   headers=world.h["leader"])).json()
    assert [r["id"] for r in listed] == [report["id"]]

    # A changed attention note is new content: a new archived report.
    await planning.set_attention(task_id, "", actor=None)
    changed = await generated_report(app_client, world.plan_id, world.h["coordinator"],
                                     period="2018-09")
    assert changed["id"] != report["id"]


async def test_attention_note_is_checked(database):
    from tracker.domain.errors import InvalidInput, NotFound

    with pytest.raises(InvalidInput) as error:
        await planning.set_attention(1, "长" * 201)
    assert error.value.field == "attention_note"
    with pytest.raises(NotFound):
        await planning.set_attention(999, "说明")


async def test_overview_charts_are_drawn_once_per_content(app_client, monkeypatch):
    world = await build_world(monkeypatch)
    url = f"/api/plans/{world.plan_id}/charts/status.svg?as_of=2018-10-05"
    first = await app_client.get(url, headers=world.h["leader"])
    assert first.status_code == 200

    async def no_drawing(*args):
        raise AssertionError("drawn again")

    monkeypatch.setattr(report_archive, "_run", no_drawing)
    second = await app_client.get(url, headers=world.h["leader"])
    assert second.content == first.content
    assert figures.cached(figures.cache_key("status", "svg", ({
        "done": 1, "on_track": 1, "behind": 2, "overdue": 1, "not_started": 0},))) is not None


# --- city scale -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def city_dir(tmp_path_factory):
    """The city-scale plan, generated once per session (60 units, 2,000 tasks, 12 months)."""
    data_dir = tmp_path_factory.mktemp("city-data")
    result = run_tracker("demo", "generate", "--units", "60", "--tasks", "2000", "--months", "12",
                         data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return data_dir


def test_city_scale_leadership_edition_fits_eight_pages(city_dir, tmp_path):
    out = tmp_path / "city.pdf"
    result = run_tracker("report", "monthly", "--plan", "1", "--period", "2025-12", "--out",
                         str(out), data_dir=city_dir)
    assert result.returncode == 0, result.stderr
    assert page_count(out) <= 8
    text = text_of(out)
    assert "共有工作任务2000项" in text
    assert "另有" in text and "详见台账" in text  # the long lists are cut
    assert "完成率最低的12个单位，共60个" in text


async def test_asking_again_while_a_report_is_made_joins_its_job(app_client, monkeypatch):
    world = await build_world(monkeypatch)
    first = await app_client.post(f"/api/plans/{world.plan_id}/reports",
                                  json={"period": "2018-09"}, headers=world.h["coordinator"])
    second = await finished_job(app_client, world.plan_id, world.h["coordinator"],
                                period="2018-09")
    assert first.status_code == 202 and first.json()["state"] == "running"
    assert second["id"] == first.json()["id"] and second["state"] == "done"
    listed = (await app_client.get(f"/api/plans/{world.plan_id}/reports",
                                   headers=world.h["leader"])).json()
    assert [r["id"] for r in listed] == [second["report"]["id"]]
