"""Every code the tracker stores or sends, with its Chinese label: one table per kind of code,
each written once. Pages, the API, reports, charts, notices and the CLI all read these.

Dict order is display order.
"""

from __future__ import annotations

# The derived status of a task (tracker.domain.status decides which).
STATUS_LABELS: dict[str, str] = {
    "done": "已完成",
    "on_track": "正常推进",
    "behind": "滞后",
    "overdue": "超期",
    "not_started": "未启动",
}
# A milestone as of a date: done, not yet due, or past its date and not done.
MILESTONE_STATE_LABELS: dict[str, str] = {
    "done": "已完成",
    "pending": "未到期",
    "missed": "未按期完成",
}
# The state a unit reports in a progress update (not the derived status above).
UPDATE_STATE_LABELS: dict[str, str] = {
    "not_started": "未启动",
    "in_progress": "推进中",
    "done": "已完成",
    "blocked": "受阻",
}
# The coordinator's review of an update.
# superseded: never decided, and a later version replaced it.
REVIEW_STATE_LABELS: dict[str, str] = {"submitted": "待审核", "accepted": "已通过", "returned": "已退回",
                                       "superseded": "已被取代"}
# How close a task is to its deadline.
WARNING_LABELS: dict[str, str] = {"blue": "临近时限", "yellow": "即将到期", "red": "已超期"}
# The check of an evidence link.
EVIDENCE_STATE_LABELS: dict[str, str] = {
    "unchecked": "未核验",
    "ok": "可访问",
    "dead": "失效",
    "no_title": "未见预期标题",
    "refused": "拒绝检查",
}
# Roles of accounts (tracker.domain.roles says what each may do).
ROLE_LABELS: dict[str, str] = {
    "coordinator": "协调人",
    "reporter": "填报人",
    "leader": "局领导",
    "admin": "管理员",
}
# Notices: what they announce, where they go, where a notice stands.
NOTICE_EVENT_LABELS: dict[str, str] = {
    "reminder": "催报提醒",
    "late_list": "逾期未报名单",
    "update_returned": "填报退回",
    "report_published": "月报发布",
}
CHANNEL_KIND_LABELS: dict[str, str] = {
    "webhook": "JSON Webhook",
    "wecom": "企业微信群机器人",
    "dingtalk": "钉钉群机器人",
    "email": "电子邮件",
}
NOTICE_STATE_LABELS: dict[str, str] = {"pending": "待发送", "sent": "已发送", "failed": "已放弃"}
# In-app notices (站内通知), by what caused them.
INBOX_KIND_LABELS: dict[str, str] = {
    "reminder": "催报",
    "update_returned": "填报退回",
    "deadline_soon": "临近时限",
    "extension_requested": "延期申请",
    "extension_decided": "延期审批",
}
# Editions of a generated report.
EDITION_LABELS: dict[str, str] = {"monthly": "月报", "detail": "月报（详细版）",
                                  "unit": "单位月报", "year_end": "年度总结"}
# A row of a task-division table (分工表) in the preview, and how it was matched to a task.
ASSIGNMENT_OUTCOME_LABELS: dict[str, str] = {"change": "将修改", "same": "无变化", "refused": "无法导入"}
ASSIGNMENT_MATCH_LABELS: dict[str, str] = {
    "exact": "原文相同",
    "normalised": "忽略标点空白后相同",
    "prefix": "前缀相同",
    "number": "按序号",
}
# The audit trail: what its entries are about, and their fields as people name them (fields
# not listed are not shown there), and decisions as the trail words them.
AUDIT_ENTITY_LABELS: dict[str, str] = {
    "task": "任务", "progress_update": "填报", "plan": "计划", "milestone": "节点",
    "extension_request": "延期申请", "unit": "单位", "user": "账号", "task_link": "任务对照",
}
AUDIT_FIELD_LABELS: dict[str, str] = {
    "text": "任务内容", "lead_units": "牵头单位", "cooperating_units": "配合单位",
    "deadline": "完成时限", "deadline_text": "完成时限原文", "period": "报送周期",
    "percent": "进度", "state": "状态", "decision": "审核结果", "comment": "意见",
    "attachments": "附件", "requested_deadline": "申请延期至", "reason": "理由",
    "title": "名称", "due_on": "日期", "report_due_day": "每月报送日",
    "tolerance_percent": "滞后容差（百分点）", "name": "名称", "active": "启用",
    "username": "用户名", "display_name": "姓名", "role": "角色", "unit": "单位",
    "task": "任务", "position": "顺序", "units_created": "新建单位", "tasks_changed": "修改任务数",
}
AUDIT_DECISION_LABELS: dict[str, str] = {"accepted": "通过", "returned": "退回", "approved": "同意",
                                         "refused": "不同意"}
# What a stored plan is to this office (Plan.kind).
PLAN_KIND_LABELS: dict[str, str] = {"own": "本级计划", "parent": "上级计划"}
# Links between tasks (TaskLink): what they say and where the coordinator's decision stands.
LINK_KIND_LABELS: dict[str, str] = {"parent": "落实上级要点", "follows": "承接上年任务"}
LINK_STATE_LABELS: dict[str, str] = {"suggested": "待确认", "confirmed": "已确认", "rejected": "已否决"}
# The parent-clause coverage (上级要点对照) and the year-end look back (回头看).
COVERAGE_LABELS: dict[str, str] = {"covered": "已落实", "missing": "漏项",
                                   "pending": "（{count} 条对照建议待确认）"}
CARRY_LABELS: dict[str, str] = {"carried": "已承接", "not_carried": "未承接", "done": "已完成"}
# Task changes found when a revised document of a plan is re-imported (修订).
REVISION_CHANGE_LABELS: dict[str, str] = {
    "added": "新增",
    "removed": "撤销",
    "reworded": "表述调整",
    "moved": "位置调整",
    "units": "责任单位调整",
    "deadline": "完成时限调整",
}

# Background jobs (tracker/jobs): what the administrator's list of failed jobs calls each task.
JOB_TASK_LABELS: dict[str, str] = {
    "report": "生成报告", "publish": "发布月报", "reminders": "每日催报与逾期名单",
    "evidence": "佐证链接检查", "outbox": "发送通知", "stalled": "重新排队中断的任务",
}
