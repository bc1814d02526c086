"""What each event says: pure functions from facts to a Notice (Chinese title and text, plus
the facts themselves for machines reading the generic webhook)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tracker.domain.vocabulary import EDITION_LABELS
from tracker.notify.formatters import Notice

TASK_TEXT_LIMIT = 40


@dataclass(frozen=True)
class TaskRef:
    id: int
    number: str | None
    text: str

    def label(self) -> str:
        text = self.text if len(self.text) <= TASK_TEXT_LIMIT else self.text[:TASK_TEXT_LIMIT] + "…"
        return f"{self.number}. {text}" if self.number else text

    def as_data(self) -> dict:
        return {"id": self.id, "number": self.number, "text": self.text}


def period_label(period: str) -> str:
    """"2018-09" → "2018年9月"."""
    year, month = period.split("-")
    return f"{year}年{int(month)}月"


def day_label(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def _link(public_url: str | None, path: str) -> str:
    return f"{public_url}{path}" if public_url else path


def _plan(plan_id: int, title: str) -> dict:
    return {"id": plan_id, "title": title}


def reminder(plan_id: int, plan_title: str, period: str, due_on: dt.date, unit_id: int,
             unit_name: str, tasks: list[TaskRef], public_url: str | None = None) -> Notice:
    title = f"催报：{unit_name}请于{day_label(due_on)}前报送{period_label(period)}进展"
    lines = [
        f"{unit_name}：《{plan_title}》{period_label(period)}进展应于 {due_on.isoformat()} 前报送，"
        f"以下 {len(tasks)} 项任务尚未填报：",
        *[f"- {task.label()}" for task in tasks],
        f"填报入口：{_link(public_url, '/my')}",
    ]
    return Notice(event="reminder", title=title, text="\n".join(lines),
                  plan=_plan(plan_id, plan_title),
                  data={"period": period, "due_on": due_on.isoformat(),
                        "unit": {"id": unit_id, "name": unit_name},
                        "tasks": [task.as_data() for task in tasks]})


@dataclass(frozen=True)
class UnitTasks:
    unit_id: int
    unit_name: str
    tasks: list[TaskRef]


def late_list(plan_id: int, plan_title: str, period: str, due_on: dt.date,
              missing: list[UnitTasks], late: list[UnitTasks], public_url: str | None = None
              ) -> Notice:
    """On the due day: who has not reported (and, on a later run, who reported after it)."""
    title = (f"{period_label(period)}进展报送情况：{len(missing)} 个单位未报送" if missing
             else f"{period_label(period)}进展报送情况：各牵头单位均已报送")
    lines = [f"《{plan_title}》{period_label(period)}进展报送截止日为 {due_on.isoformat()}。"]
    if missing:
        lines.append(f"尚未报送的单位（{len(missing)} 个）：")
        lines += [f"- {unit.unit_name}：{'；'.join(task.label() for task in unit.tasks)}"
                  for unit in missing]
    else:
        lines.append("各牵头单位均已报送。")
    if late:
        lines.append(f"逾期补报的单位（{len(late)} 个）：{'、'.join(unit.unit_name for unit in late)}")
    lines.append(f"详情：{_link(public_url, f'/plans/{plan_id}')}")

    def data(units: list[UnitTasks]) -> list[dict]:
        return [{"id": unit.unit_id, "name": unit.unit_name,
                 "tasks": [task.as_data() for task in unit.tasks]} for unit in units]

    return Notice(event="late_list", title=title, text="\n".join(lines),
                  plan=_plan(plan_id, plan_title),
                  data={"period": period, "due_on": due_on.isoformat(), "missing": data(missing),
                        "late": data(late)})


def update_returned(plan_id: int, plan_title: str, task: TaskRef, unit_id: int, unit_name: str,
                    update_id: int, period: str, version: int, comment: str, reviewer: str,
                    public_url: str | None = None) -> Notice:
    title = f"填报退回：{unit_name} {period_label(period)}进展需修改后重新报送"
    lines = [
        f"{unit_name}报送的{period_label(period)}进展（第 {version} 版）已被{reviewer}退回。",
        f"任务：{task.label()}",
        f"退回意见：{comment}",
        f"请修改后重新报送：{_link(public_url, f'/tasks/{task.id}')}",
    ]
    return Notice(event="update_returned", title=title, text="\n".join(lines),
                  plan=_plan(plan_id, plan_title),
                  data={"update_id": update_id, "task": task.as_data(),
                        "unit": {"id": unit_id, "name": unit_name}, "period": period,
                        "version": version, "comment": comment, "reviewer": reviewer})




def report_published(plan_id: int, plan_title: str, report_id: int, period: str, as_of: str,
                     edition: str, unit_name: str | None, sha256: str,
                     public_url: str | None = None) -> Notice:
    kind = EDITION_LABELS.get(edition, edition)
    who = f"（{unit_name}）" if unit_name else ""
    title = f"《{plan_title}》{period_label(period)}{kind}{who}已发布"
    lines = [
        f"《{plan_title}》{period_label(period)}{kind}{who}已生成并归档，统计截至 {as_of}。",
        f"下载：{_link(public_url, f'/reports/{report_id}/download')}",
        f"SHA-256：{sha256}",
    ]
    return Notice(event="report_published", title=title, text="\n".join(lines),
                  plan=_plan(plan_id, plan_title),
                  data={"report_id": report_id, "period": period, "as_of": as_of,
                        "edition": edition, "unit": unit_name, "sha256": sha256})


# --- in-app only (站内通知) ----------------------------------------------------------------------

def in_app_text(notice: Notice) -> str:
    """A channel notice's text for the 通知 page: without its last line when that is the link
    (in the tracker the notice's title is the link)."""
    lines = notice.text.split("\n")
    if len(lines) > 1 and ("：/" in lines[-1] or "：http" in lines[-1]):
        lines = lines[:-1]
    return "\n".join(lines)


def deadline_soon(plan_id: int, plan_title: str, task: TaskRef, unit_name: str, deadline: dt.date,
                  days_left: int) -> Notice:
    when = "今天" if days_left == 0 else f"{days_left} 天后"
    title = f"临近时限：{task.label()}（{deadline.isoformat()} 到期）"
    text = (f"{unit_name}牵头的任务“{task.label()}”完成时限为 {deadline.isoformat()}（{when}），"
            "尚未完成。请抓紧推进并及时填报进展；确需延期的，请在任务页申请延期。")
    return Notice(event="deadline_soon", title=title, text=text, plan=_plan(plan_id, plan_title),
                  data={"task": task.as_data(), "deadline": deadline.isoformat()})


def extension_requested(plan_id: int, plan_title: str, task: TaskRef, unit_name: str,
                        requested: dt.date, reason: str) -> Notice:
    title = f"延期申请：{unit_name}申请将“{task.label()}”延期至 {requested.isoformat()}"
    text = f"{unit_name}申请将任务“{task.label()}”的完成时限延至 {requested.isoformat()}。理由：{reason}"
    return Notice(event="extension_requested", title=title, text=text,
                  plan=_plan(plan_id, plan_title),
                  data={"task": task.as_data(), "requested_deadline": requested.isoformat()})


def extension_decided(plan_id: int, plan_title: str, task: TaskRef, approved: bool,
                      original: dt.date | None, requested: dt.date, decider: str,
                      comment: str) -> Notice:
    if approved:
        title = f"延期已同意：“{task.label()}”完成时限延至 {requested.isoformat()}"
        text = (f"{decider}同意了任务“{task.label()}”的延期申请：完成时限由 "
                f"{original.isoformat() if original else '原定时限'} 延至 {requested.isoformat()}。")
    else:
        title = f"延期未同意：“{task.label()}”仍按原时限完成"
        text = (f"{decider}未同意任务“{task.label()}”延期至 {requested.isoformat()} 的申请，"
                f"完成时限仍为 {original.isoformat() if original else '原定时限'}。")
    if comment:
        text += f"\n审批意见：{comment}"
    return Notice(event="extension_decided", title=title, text=text,
                  plan=_plan(plan_id, plan_title),
                  data={"task": task.as_data(), "approved": approved,
                        "requested_deadline": requested.isoformat(), "comment": comment})


def chase_sent(unit_name: str, period: str, tasks: int, channels: list[str]) -> str:
    """The line a coordinator reads after 一键催报."""
    return (f"已向{unit_name}催报{period_label(period)}进展（{tasks} 项未报），"
            f"渠道：{'、'.join(channels)}。")


def chase_already_sent(unit_name: str, period: str, at: str) -> str:
    return (f"{unit_name}今天（{at}）已催报过{period_label(period)}进展，未重复发送；"
            "确需再次提醒，请点“再次催报”。")


def chase_nothing_owed(unit_name: str, period: str) -> str:
    return f"{unit_name}{period_label(period)}的进展已全部报送，无需催报。"


def channel_test(channel_name: str, sent_by: str, at: dt.datetime) -> Notice:
    """A coordinator's 测试发送 from the channels page."""
    title = f"测试消息：通知渠道“{channel_name}”"
    text = (f"这是政务公开工作要点跟踪系统发出的测试消息（{sent_by}，"
            f"{at.strftime('%Y-%m-%d %H:%M')}）。收到即说明该渠道配置正确，无需回复。")
    return Notice(event="channel_test", title=title, text=text, data={"channel": channel_name})
