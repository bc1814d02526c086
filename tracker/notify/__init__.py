"""Notices to people outside the tracker: reminders (催报), late lists, returned updates and
published reports, through a JSON webhook, a WeCom or DingTalk group robot, or e-mail.

- ``messages``: what each event says (pure: facts in, title and text out);
- ``formatters``: how each channel kind wants it (pure: message in, request out);
- ``channels``: configuring where notices go;
- ``outbox``: queueing (deduplicated) and claiming notices in the database;
- ``sender``: delivering the outbox with httpx / smtplib, with retries and backoff;
- ``triggers``: what the tracker queues, and when;
- ``scheduler``: the optional in-process schedule of the server.
"""

EVENTS = {
    "reminder": "催报提醒",
    "late_list": "逾期未报名单",
    "update_returned": "填报退回",
    "report_published": "月报发布",
}
KINDS = {
    "webhook": "JSON Webhook",
    "wecom": "企业微信群机器人",
    "dingtalk": "钉钉群机器人",
    "email": "电子邮件",
}
NOTICE_STATES = ("pending", "sent", "failed")
