"""The `tracker` commands for notices and evidence (wired into tracker/cli/main.py):

    tracker remind [--plan P] [--today YYYY-MM-DD]   queue what is due today, then send
    tracker report publish --plan P --period 2018-09  generate, archive, announce, send
    tracker notify send | list [--state failed]
    tracker channel add KIND NAME TARGET [--plan P] [--events a,b] [--secret S] | list
    tracker evidence check [--all] | expect URL TITLE

A dead channel is reported, not fatal: these commands exit 0 once the work is done and print
each failure with its reason, so cron mails the coordinator what went wrong.
"""

from __future__ import annotations

from tracker.cli.common import EXIT_OK, CommandError, report_command
from tracker.domain.periods import parse_day
from tracker.domain.vocabulary import (
    CHANNEL_KIND_LABELS,
    EVIDENCE_STATE_LABELS,
    NOTICE_EVENT_LABELS,
    NOTICE_STATE_LABELS,
)

# Handlers import the services they need when they run, as in tracker/cli/main.py: `tracker
# plan parse` should not pay for httpx and the database tables.


async def _channel_names() -> dict[int, str]:
    from tracker.services import channels

    return {channel.id: f"{channel.name}（{CHANNEL_KIND_LABELS[channel.kind]}）"
            for channel in await channels.list_channels()}


async def print_queued(queued: list) -> None:
    if not queued:
        print("没有新排队的通知")
        return
    names = await _channel_names()
    print(f"已排队 {len(queued)} 条通知：")
    for item in queued:
        print(f"  {NOTICE_EVENT_LABELS[item.event]} → {names.get(item.channel_id, item.channel_id)}：{item.title}")


def print_outcomes(outcomes: list) -> None:
    sent = [o for o in outcomes if o.sent]
    failed = [o for o in outcomes if not o.sent]
    if not outcomes:
        print("没有待发送的通知")
        return
    print(f"发送：成功 {len(sent)} 条，失败 {len(failed)} 条")
    for o in sent:
        print(f"  已发送 → {o.channel_name}：{o.title}" + (f"（{o.error}）" if o.error else ""))
    for o in failed:
        then = "已放弃" if o.gave_up else "稍后重试"
        print(f"  失败（第 {o.attempt} 次，{then}）→ {o.channel_name}：{o.title}：{o.error}")


async def remind(args) -> int:
    from tracker.services.delivery import send_outbox
    from tracker.services.notices import local_today, queue_due_notices

    today = parse_day(args.today, "--today") or local_today()
    queued = await queue_due_notices(today, args.plan)
    print(f"{today.isoformat()}：", end="")
    await print_queued(queued)
    print_outcomes(await send_outbox())
    return EXIT_OK


async def report_publish(args) -> int:
    from tracker.jobs import dispatch
    from tracker.reporting import archive as report_archive
    from tracker.reporting import build as reports
    from tracker.reporting import worker
    from tracker.services.delivery import send_outbox

    request = await reports.resolve_request(args.plan, args.period, parse_day(args.as_of, "--as-of"))
    if args.queue:
        if not dispatch.uses_queue():
            raise CommandError("--queue 需要 PostgreSQL 任务队列；SQLite 单机部署请去掉 --queue，在本进程内发布")
        await dispatch.enqueue("publish", plan_id=request.plan_id, period=request.period,
                               as_of=request.as_of.isoformat())
        print(f"已加入任务队列：发布 {request.period} 月报（统计截至 {request.as_of}），由 tracker worker 生成并通知")
        return EXIT_OK
    report, _ = await report_archive.produce(request, None, limits=worker.NO_LIMITS, publish=True,
                                             charts_here=True)
    print(f"已发布 {request.period} 月报（统计截至 {request.as_of}），归档编号 {report.id}，"
          f"SHA-256 {report.sha256}")
    print_outcomes(await send_outbox())
    return EXIT_OK


async def notify_send(args) -> int:
    from tracker.services.delivery import send_outbox

    print_outcomes(await send_outbox())
    return EXIT_OK


async def notify_list(args) -> int:
    from tracker.services import outbox

    for n in await outbox.list_notifications(args.state, args.limit):
        when = n.sent_at or n.failed_at or n.created_at
        print(f"{n.id}\t{n.state}\t{when}\t{n.channel_name}\t{NOTICE_EVENT_LABELS.get(n.event, n.event)}\t"
              f"{n.title}\t尝试 {n.attempts}\t{n.last_error}")
    return EXIT_OK


async def channel_add(args) -> int:
    from tracker.schemas import ChannelIn
    from tracker.services import channels

    events = [event for event in (args.events or "").split(",") if event.strip()]
    channel = await channels.add_channel(ChannelIn(kind=args.kind, name=args.name, target=args.target,
                                                   plan_id=args.plan, events=events,
                                                   secret=args.secret))
    scope = channel.plan_title or "全部计划"
    listening = "、".join(NOTICE_EVENT_LABELS[e] for e in channel.events) or "全部事件"
    print(f"已添加通知渠道 {channel.id}：{channel.name}（{CHANNEL_KIND_LABELS[channel.kind]}，{scope}，{listening}）")
    return EXIT_OK


async def channel_list(args) -> int:
    from tracker.services import channels

    for c in await channels.list_channels(args.plan):
        events = ",".join(c.events) or "*"
        print(f"{c.id}\t{c.kind}\t{c.name}\t{c.target}\t{c.plan_title or '全部计划'}\t{events}\t"
              f"{'' if c.active else '已停用'}")
    return EXIT_OK


async def evidence_check(args) -> int:
    from tracker.services import evidence

    checked = await evidence.check_due(check_all=args.all, limit=args.limit)
    if not checked:
        print("没有需要核验的佐证链接")
    for link in checked:
        print(f"{EVIDENCE_STATE_LABELS[link.state]}\t{link.url}\t{link.detail}")
    bad = sum(1 for link in checked if link.state != "ok")
    print(f"核验 {len(checked)} 个链接，{bad} 个有问题")
    return EXIT_OK


async def evidence_expect(args) -> int:
    from tracker.services import evidence

    link = await evidence.expect_title(args.url, args.title)
    print(f"已登记 {link.url}，预期标题：{link.expected_title or '（不核对标题）'}")
    return EXIT_OK


def add_commands(commands, report_kinds, with_database) -> None:
    """Add the subcommands to the parser of tracker/cli.py."""
    cmd = commands.add_parser("remind", help="催报：排队今天到期的提醒和逾期名单，并发送")
    cmd.add_argument("--plan", type=int, help="计划编号（默认：全部计划）")
    cmd.add_argument("--today", help="按这一天计算 YYYY-MM-DD（默认：今天，北京时间）")
    cmd.set_defaults(handler=with_database(remind))

    cmd = report_kinds.add_parser("publish", help="生成并归档月报，通知各渠道")
    cmd.add_argument("--plan", type=int, required=True, help="计划编号")
    cmd.add_argument("--period", required=True, help="报送周期，如 2018-09")
    cmd.add_argument("--as-of", help="统计截至日期 YYYY-MM-DD（默认：该周期的报送截止日）")
    cmd.add_argument("--queue", action="store_true",
                     help="放入任务队列，由 tracker worker 生成并通知（PostgreSQL；失败自动重试）")
    cmd.set_defaults(handler=report_command(with_database(report_publish)))

    notify = commands.add_parser("notify", help="通知发件箱").add_subparsers(
        dest="notify_command", required=True)
    notify.add_parser("send", help="发送到期的通知（失败的按退避重试）").set_defaults(
        handler=with_database(notify_send))
    cmd = notify.add_parser("list", help="列出通知")
    cmd.add_argument("--state", choices=list(NOTICE_STATE_LABELS))
    cmd.add_argument("--limit", type=int, default=50)
    cmd.set_defaults(handler=with_database(notify_list))

    channel = commands.add_parser("channel", help="通知渠道").add_subparsers(
        dest="channel_command", required=True)
    cmd = channel.add_parser("add", help="添加通知渠道")
    cmd.add_argument("kind", choices=list(CHANNEL_KIND_LABELS), help="webhook、wecom（企业微信）、dingtalk（钉钉）、email")
    cmd.add_argument("name", help="渠道名称，如 办公室工作群")
    cmd.add_argument("target", help="机器人或 Webhook 地址；email 为逗号分隔的收件地址")
    cmd.add_argument("--plan", type=int, help="只用于该计划（默认：全部计划）")
    cmd.add_argument("--events", help=f"逗号分隔的事件（默认全部）：{','.join(NOTICE_EVENT_LABELS)}")
    cmd.add_argument("--secret", help="钉钉加签密钥（SEC…），或 JSON Webhook 的签名密钥")
    cmd.set_defaults(handler=with_database(channel_add))
    cmd = channel.add_parser("list", help="列出通知渠道")
    cmd.add_argument("--plan", type=int)
    cmd.set_defaults(handler=with_database(channel_list))

    evidence = commands.add_parser("evidence", help="佐证链接核验").add_subparsers(
        dest="evidence_command", required=True)
    cmd = evidence.add_parser("check", help="核验佐证链接（未核验和最久未核验的优先）")
    cmd.add_argument("--all", action="store_true", help="全部重新核验，不只是过期的")
    cmd.add_argument("--limit", type=int, default=200, help="本次最多核验多少个（默认 200）")
    cmd.set_defaults(handler=with_database(evidence_check))
    cmd = evidence.add_parser("expect", help="登记佐证链接应有的页面标题")
    cmd.add_argument("url")
    cmd.add_argument("title", help="页面应包含的标题；空字符串表示不核对")
    cmd.set_defaults(handler=with_database(evidence_expect))

