"""The report model from loaded facts: a pure function, no queries, no clock.

`services.reports.load_report_facts` reads everything a report needs (the plan tree, the
update history, milestones, extensions, the units' own words, the 提请领导关注 marks) into
`ReportFacts`; `build_report` turns them into the `ReportData` the templates lay out. Every
figure is computed here, from the status rules as of the report's date, so the model can be
tested without a database.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from tracker.domain import status
from tracker.domain.periods import due_date, period_of, periods_between, previous_period
from tracker.reporting.model import (
    AttentionRow,
    ChangeRow,
    ExceptionRow,
    ExtensionRow,
    Headline,
    MilestoneRow,
    NarrativeRow,
    ReportData,
    Shortlist,
    TaskRow,
)
from tracker.schemas import PlanDetail, TaskOut
from tracker.services.ranking import RANKING_RULE, FlatTask, flatten_plan, unit_ranking
from tracker.services.tracking import PlanFacts, plan_start, statuses_as_of, tasks_as_of

# How long the leadership edition's lists may grow before "另有 K 项，详见台账": chosen so that
# the whole edition stays within 8 A4 pages at any plan size.
WORST_TASKS = 10
WORST_MILESTONES = 6
RECENT_EXTENSIONS = 6
ATTENTION_ITEMS = 6
RANKING_EACH_END = 5  # top and bottom five; all units when there are at most twice as many
UNITS_CHARTED = 12  # the unit chart shows the lowest twelve when there are more
MILESTONES_CHARTED = 8
NOT_REPORTED_NAMED = 30
SHORT_TEXT = 40
SHORT_PROBLEM = 40


@dataclass(frozen=True)
class MilestoneFact:
    milestone_id: int
    task_id: int | None
    title: str
    due_on: dt.date


@dataclass(frozen=True)
class ExtensionFact:
    task_id: int
    unit: str
    old_deadline: dt.date | None
    new_deadline: dt.date
    approved_at: dt.datetime


@dataclass(frozen=True)
class UpdateText:
    work_done: str
    problems: str
    next_steps: str


@dataclass(frozen=True)
class ReportFacts:
    """Everything a report is computed from, as loaded by services.reports."""

    plan: PlanDetail
    facts: PlanFacts
    unit_names: dict[int, str]
    milestones: list[MilestoneFact]
    extensions: list[ExtensionFact]
    attention: dict[int, str]  # task id -> the coordinator's sentence
    update_texts: dict[int, UpdateText]  # update id -> its words (latest counting updates)
    narratives: list[NarrativeRow] = field(default_factory=list)  # detail layouts only


def first_period(plan: PlanDetail) -> str:
    issued = dt.date.fromisoformat(plan.issued_on) if plan.issued_on else None
    return period_of(plan_start(issued, plan.year))


def short_task(task: TaskOut, limit: int = SHORT_TEXT) -> str:
    prefix = f"{task.number}. " if task.number else ""
    return prefix + _cut(task.text, limit)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _not_reported(loaded: ReportFacts, task_ids: set[int], period: str, as_of: dt.date,
                  first: str) -> list[str]:
    """Lead units owing `period`'s report for some of `task_ids` and not having sent it
    (status rule 11, asked for the one period)."""
    facts = loaded.facts
    late_units = {
        task.lead_unit_id for task in tasks_as_of(facts, as_of)
        if task.task_id in task_ids and task.lead_unit_id is not None
        and status.missing_report(task, facts.updates_by_task.get(task.task_id, ()), period,
                                  as_of, facts.due_day, first)
    }
    return [loaded.unit_names[unit_id] for unit_id in sorted(late_units)]


def _progress_trend(facts: PlanFacts, task_ids: set[int], points: list[tuple[str, dt.date]]
                    ) -> list[tuple[str, float, int]]:
    """(period, plan completion %, tasks done) at each point: the same progress rules as the
    statuses (rules 3-6), without the schedule, which the trend does not show. Each point
    counts the tasks the plan had by its day."""
    mine = {task.task_id: status.latest_first(status.reporting_updates(
        task, facts.updates_by_task.get(task.task_id, ()))) for task in facts.tasks
        if task.task_id in task_ids}
    trend = []
    for period, day in points:
        chosen = [task for task in tasks_as_of(facts, day) if task.task_id in task_ids]
        progress = [status.latest_counting(mine[task.task_id], day) for task in chosen]
        percents = [u.percent if u else 0 for u in progress]
        done = sum(1 for u in progress if u is not None and (u.state == "done" or u.percent >= 100))
        trend.append((period, round(sum(percents) / len(percents), 1) if percents else 0.0, done))
    return trend


def _headline(statuses: list[status.TaskStatus], not_reported: int) -> Headline:
    counts = status.plan_summary(statuses)
    return Headline(total=len(statuses), done=counts["done"], on_track=counts["on_track"],
                    behind=counts["behind"], overdue=counts["overdue"],
                    not_started=counts["not_started"],
                    plan_percent=round(status.plan_percent(statuses), 1),
                    not_reported=not_reported)


def _lead(node: TaskOut) -> str:
    return "、".join(node.lead_units) or "未指定"


def _deadline_text(node: TaskOut, extended: dt.date | None) -> str:
    if extended is not None:
        return f"{extended.isoformat()}（已延期）"
    if node.deadline_text:
        return node.deadline_text
    if node.deadline == "ongoing":
        return "持续推进"
    return node.deadline or "未定"


def _shortlist(rows: list, limit: int) -> Shortlist:
    return Shortlist(rows[:limit], max(0, len(rows) - limit))


def _points(value: float) -> str:
    return f"{abs(value):.1f}"


def _summary(data_period: str, this: Headline, before: Headline | None, newly_done: list[str],
             exceptions: list[ExceptionRow], not_reported: list[str],
             attention: list[AttentionRow], this_period: str) -> list[str]:
    """The 摘要's paragraph, written from the figures (each sentence traceable to a table)."""
    year, month = data_period.split("-")
    sentences = []
    change = ""
    if before is not None:
        delta = round(this.plan_percent - before.plan_percent, 1)
        if delta > 0:
            change = f"，较上月提高{_points(delta)}个百分点"
        elif delta < 0:
            change = f"，较上月下降{_points(delta)}个百分点"
        else:
            change = "，与上月持平"
    sentences.append(f"截至统计日，计划总体完成率{this.plan_percent:.1f}%{change}。")
    if newly_done:
        named = "、".join(f"“{name}”" for name in newly_done[:3])
        more = "等" if len(newly_done) > 3 else ""
        sentences.append(f"{this_period}新完成任务{len(newly_done)}项（{named}{more}）。")
    else:
        sentences.append(f"{this_period}没有新完成的任务。")
    late = this.overdue + this.behind
    if late:
        by_unit = Counter(row.lead_unit for row in exceptions)
        top = "、".join(f"{unit}（{count}项）" for unit, count in by_unit.most_common(3))
        sentences.append(f"超期{this.overdue}项、滞后{this.behind}项，主要集中在{top}。")
    else:
        sentences.append("没有超期或滞后的任务。")
    if not_reported:
        named = "、".join(not_reported[:5]) + ("等" if len(not_reported) > 5 else "")
        sentences.append(f"{len(not_reported)}个单位未报送{int(year)}年{int(month)}月进展"
                         f"（{named}）。")
    else:
        sentences.append(f"各单位均已报送{int(year)}年{int(month)}月进展。")
    if attention:
        named = "、".join(f"“{row.task}”" for row in attention[:2])
        more = "等" if len(attention) > 2 else ""
        sentences.append(f"需领导协调的事项{len(attention)}项（{named}{more}），见第五部分。")
    else:
        sentences.append("本期没有提请领导协调的事项。")
    return sentences


def build_report(loaded: ReportFacts, period: str, as_of: dt.date, edition: str = "monthly",
                 unit_name: str | None = None,
                 generated_at: dt.datetime | None = None) -> ReportData:
    """The report's model as of `as_of` (pure: the same facts give the same model)."""
    plan, facts = loaded.plan, loaded.facts
    statuses = statuses_as_of(facts, as_of)
    # Only the tasks the plan had by `as_of`: one added later is not part of this report.
    flat = [f for f in flatten_plan(plan) if f.node.id in statuses]
    if unit_name:
        flat = [f for f in flat
                if unit_name in f.node.lead_units or unit_name in f.node.cooperating_units]
    task_ids = {f.node.id for f in flat}
    selected = {task_id: statuses[task_id] for task_id in task_ids}
    first = first_period(plan)
    whole_plan = unit_name is None
    extended = {}
    for extension in loaded.extensions:
        if extension.approved_at < status.end_of_day(as_of):
            extended[extension.task_id] = extension.new_deadline

    def task_row(flat_task: FlatTask) -> TaskRow:
        node, state = flat_task.node, selected[flat_task.node.id]
        return TaskRow(section=flat_task.section, item=flat_task.item, number=node.number,
                       text=node.text, lead_units=node.lead_units,
                       cooperating_units=node.cooperating_units, deadline=node.deadline,
                       deadline_text=node.deadline_text, percent=state.percent,
                       status=state.code,
                       expected=round(state.expected, 1) if state.expected is not None else None,
                       last_period=state.last_period)

    leadership = edition == "monthly"
    tasks = [task_row(f) for f in flat] if not leadership else []
    totals = status.plan_summary(selected.values())
    totals["total"] = len(selected)
    not_reported = _not_reported(loaded, task_ids, period, as_of, first)

    sections: dict[str, list[int]] = defaultdict(list)
    for f in flat:
        sections[f.section].append(selected[f.node.id].percent)
    section_rows = [(title, round(sum(values) / len(values), 1))
                    for title, values in sections.items()]

    trend = _progress_trend(facts, task_ids, [
        (point, min(due_date(point, facts.due_day), as_of))
        for point in periods_between(first, period)])

    nodes = {f.node.id: f.node for f in flat}
    milestone_rows, missed = [], []
    for milestone in loaded.milestones:
        if milestone.task_id is not None and milestone.task_id not in task_ids:
            continue
        state = status.milestone_state(
            status.MilestoneFacts(milestone.milestone_id, milestone.task_id, milestone.due_on),
            statuses.get(milestone.task_id) if milestone.task_id else None, as_of)
        milestone_rows.append((milestone.title, milestone.due_on, state))
        if state == "missed":
            owner = _lead(nodes[milestone.task_id]) if milestone.task_id else ""
            missed.append(MilestoneRow(milestone.title, milestone.due_on, owner,
                                       (as_of - milestone.due_on).days))

    previous_as_of = due_date(previous_period(period), facts.due_day)
    before = statuses_as_of(facts, previous_as_of) if previous_as_of < as_of else {}
    changes, newly_done = [], []
    for f in flat:
        now, then = selected[f.node.id], before.get(f.node.id)
        if then is None or (now.percent, now.code) != (then.percent, then.code):
            if then is None and now.last_update_id is None:
                continue
            if now.code == "done" and (then is None or then.code != "done"):
                newly_done.append(_cut(f.node.text, 20))
            changes.append(ChangeRow(
                task=short_task(f.node, 40), unit="、".join(f.node.lead_units) or "未分配",
                from_percent=then.percent if then else None, to_percent=now.percent,
                from_status=then.code if then else None, to_status=now.code))

    late = [row for row in tasks if row.status in ("overdue", "behind")]
    late.sort(key=lambda row: (row.status != "overdue", row.deadline or "9999"))

    units = unit_ranking(facts, statuses, as_of, loaded.unit_names, first) if whole_plan else []
    data = dict(
        plan_title=plan.title, doc_number=plan.doc_number, issuer=plan.issuer, period=period,
        as_of=as_of, generated_at=generated_at or dt.datetime.combine(as_of, dt.time()),
        edition=edition, unit_name=unit_name, totals=totals,
        plan_percent=round(status.plan_percent(selected.values()), 1),
        not_reported=not_reported, sections=section_rows, units=units,
        ranking_rule=RANKING_RULE, trend=trend, milestones=milestone_rows, tasks=tasks,
        changes=changes if not leadership else [], late=late,
        narratives=loaded.narratives if not leadership else [],
    )
    if not leadership:
        return ReportData(**data)

    exceptions = []
    for f in flat:
        state = selected[f.node.id]
        if state.code not in ("overdue", "behind"):
            continue
        words = loaded.update_texts.get(state.last_update_id) if state.last_update_id else None
        # Overdue: the whole remainder is the gap. Behind a dated schedule: expected - percent.
        # Ongoing tasks are behind for a missed report (rule 8) and have no schedule: no gap.
        expected = 100.0 if state.code == "overdue" else state.expected
        exceptions.append(ExceptionRow(
            task=short_task(f.node), lead_unit=_lead(f.node), status=state.code,
            percent=state.percent,
            expected=round(expected, 1) if expected is not None else None,
            gap=round(expected - state.percent, 1) if expected is not None else None,
            days_late=-state.days_to_deadline if state.code == "overdue"
            and state.days_to_deadline is not None else None,
            deadline=_deadline_text(f.node, extended.get(f.node.id)),
            problem=_cut(words.problems, SHORT_PROBLEM) if words and words.problems.strip()
            else ""))
    exceptions.sort(key=lambda row: (row.gap is None, -(row.gap or 0), -(row.days_late or 0),
                                     row.task))

    month_start = dt.date.fromisoformat(f"{period}-01")
    granted = [
        ExtensionRow(task=short_task(nodes[e.task_id]), unit=e.unit, old_deadline=e.old_deadline,
                     new_deadline=e.new_deadline, approved_on=e.approved_at.astimezone(
                         status.DEFAULT_TZ).date())
        for e in loaded.extensions
        if e.task_id in nodes and e.approved_at < status.end_of_day(as_of)
        and e.approved_at >= status.end_of_day(month_start - dt.timedelta(days=1))
    ]
    order = {f.node.id: index for index, f in enumerate(flat)}
    attention = [
        AttentionRow(task=short_task(nodes[task_id]), lead_unit=_lead(nodes[task_id]),
                     status=selected[task_id].code, percent=selected[task_id].percent, note=note)
        for task_id, note in sorted(loaded.attention.items(), key=lambda kv: order.get(kv[0], 0))
        if task_id in nodes
    ]
    headline = _headline(list(selected.values()), len(not_reported))
    previous = None
    if before:
        owed_before = _not_reported(loaded, task_ids, previous_period(period), previous_as_of,
                                    first)
        previous = _headline([before[task_id] for task_id in task_ids if task_id in before],
                             len(owed_before))
    this_period = "本月"
    if units and len(units) > 2 * RANKING_EACH_END:
        top, bottom = units[:RANKING_EACH_END], units[-RANKING_EACH_END:]
    else:
        top, bottom = units, []
    charted = None
    if len(units) > UNITS_CHARTED:
        charted = sorted(units, key=lambda u: (u.percent, u.name))[:UNITS_CHARTED]
    if len(milestone_rows) > MILESTONES_CHARTED:
        # The milestones nearest the as-of date: the missed ones first, then the next ones due.
        missed_first = [m for m in milestone_rows if m[2] == "missed"][-MILESTONES_CHARTED // 2:]
        coming = [m for m in milestone_rows if m[2] == "pending"]
        chosen = (missed_first + coming)[:MILESTONES_CHARTED]
        data["milestones"] = sorted(chosen, key=lambda m: m[1])
    return ReportData(
        **data,
        headline=headline, previous=previous,
        previous_period=previous_period(period) if previous else None,
        summary=_summary(period, headline, previous, newly_done, exceptions, not_reported,
                         attention, this_period),
        exceptions=_shortlist(exceptions, WORST_TASKS),
        missed_milestones=_shortlist(sorted(missed, key=lambda m: -m.days_late),
                                     WORST_MILESTONES),
        extensions=_shortlist(sorted(granted, key=lambda e: e.approved_on, reverse=True),
                              RECENT_EXTENSIONS),
        attention=_shortlist(attention, ATTENTION_ITEMS),
        ranking_top=top, ranking_bottom=bottom, units_charted=charted,
    )
