"""The year's 政府信息公开工作年度报告 draft from the 2018 seed plan, on SQLite and PostgreSQL:
the .docx read back with python-docx, its figures equal to the status rules."""

from __future__ import annotations

import datetime as dt
import io

import docx

from tests.integration.test_plan_links import _seed, _task_id, report
from tracker.domain import status
from tracker.domain.annual_report import draft_text
from tracker.domain.vocabulary import STATUS_LABELS
from tracker.reporting import annual
from tracker.services import plans, tracking


async def test_the_draft_docx_figures_equal_the_status_rules(database):
    plan_id = await _seed()
    await report(await _task_id(plan_id, "完善政府网站安全保障"), 100, "done",
                 "完成网站等级保护测评和安全加固。另有说明。", period="2018-12", day=dt.date(2019, 1, 3))
    await report(await _task_id(plan_id, "积极开展“政策简明问答”"), 50, "in_progress",
                 "编印政策简明问答两期", problems="业务处室提供素材不及时，进度滞后。",
                 period="2018-12", day=dt.date(2019, 1, 3))
    await report(await _task_id(plan_id, "做好行政许可"), 70, "in_progress",
                 "按月公示许可和处罚信息", period="2018-12", day=dt.date(2019, 1, 3))

    draft = await annual.annual_draft(plan_id)
    detail = await plans.get_plan(plan_id)
    facts = await tracking.load_plan_facts(plan_id)
    as_of = tracking.default_as_of(detail.year, detail.reporting.due_day)
    top = [t.id for s in detail.sections for i in s.items for t in i.tasks]
    expected = status.plan_summary([tracking.statuses_as_of(facts, as_of)[t] for t in top])
    assert draft.counts == expected and draft.total == len(top) == 19
    assert draft.as_of == "2019-01-05"

    document = docx.Document(io.BytesIO(annual.annual_docx(draft)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "一、总体情况" in text and "二、存在的主要问题及改进情况" in text
    assert "信息中心完成网站等级保护测评和安全加固" in text  # the unit's words, condensed
    assert "另有说明" not in text
    assert "局办公室反映：业务处室提供素材不及时，进度滞后" in text
    figures = ("，".join(f"{label}{expected[code]}项" for code, label in STATUS_LABELS.items()
                        if expected[code]))
    assert f"共19项任务，{figures}" in text
    table = document.tables[0]
    total_row = [cell.text for cell in table.rows[-1].cells]
    assert total_row[:2] == ["合计", "19"]
    assert total_row[2:7] == [str(expected[code]) for code in STATUS_LABELS]
    section_rows = {row.cells[0].text: row.cells[1].text for row in table.rows[1:-1]}
    assert sum(int(count) for count in section_rows.values()) == 19
    assert draft_text(draft).startswith("2018年政府信息公开工作年度报告")
