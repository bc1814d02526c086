"""The `tracker` command: the parser and the local commands (plan, unit, user, report, db, demo,
serve); ledger, notices and the remote client add their own subcommands. Exit codes are in
tracker.cli.common.

Handlers import the services they run inside the function, for start-up time: importing this
module takes ~0.17 s, tracker.services.plans ~0.6 s more, tracker.reporting.build (matplotlib,
WeasyPrint) ~3.3 s; `tracker --help` or `tracker plan parse` should not pay for them."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from pathlib import Path

from tracker.cli import ledger as ledger_cli
from tracker.cli import notify as notify_commands
from tracker.cli import remote as remote_cli
from tracker.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_CONFLICT,
    EXIT_FAILURE,
    EXIT_NOT_FOUND,
    EXIT_OK,
    CommandError,
    read_file,
    report_command,
    with_database,
)
from tracker.cli.entry import start_report_helpers
from tracker.domain.errors import Conflict, DomainError, NotFound
from tracker.domain.periods import parse_day
from tracker.domain.plan_model import PlanParseError
from tracker.domain.plan_templates import TemplateError, dump_template
from tracker.domain.text_rules import check_text
from tracker.settings import ConfigError, use_package_piccolo_conf


def _print_tree(data: dict) -> None:
    print(data["title"])
    for key, label in (("doc_number", "文号"), ("issuer", "发文单位"), ("issued_on", "日期"), ("year", "年度")):
        if data.get(key):
            print(f"  {label}：{data[key]}")
    for section in data["sections"]:
        if section["number"] is not None:  # null: the document writes no section level
            print(f"{section['number']}、{section['title']}")
        for item in section["items"]:
            if item["number"] or item["title"]:
                print(f"  {item['number'] or ''}{item['title'] or ''}")
            for task in item["tasks"]:
                number = f"{task['number']}. " if task["number"] else "· "
                owners = "、".join(task["lead_units"]) or "未分配"
                text = task["text"] if len(task["text"]) <= 40 else task["text"][:40] + "…"
                print(f"    {number}{text}［牵头：{owners}］")


def cmd_plan_parse(args) -> int:
    from tracker.domain.plan_parsing import parse_plan_document

    plan = parse_plan_document(*_read_source(args.file))
    data = plan.to_dict()
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _print_tree(data)
    return EXIT_OK


def _read_source(source: str) -> tuple[bytes, str]:
    """(bytes, file name) of a local file or, for an http(s) address, the fetched document."""
    from tracker.services.plan_fetch import fetch_plan_document, looks_like_url

    if looks_like_url(source):
        return asyncio.run(fetch_plan_document(source))
    return read_file(source), source


async def _plan_import(args) -> int:
    from tracker.services import plan_drafts, plan_links
    from tracker.services.plan_fetch import fetch_plan_document, looks_like_url

    if looks_like_url(args.file):
        data, name = await fetch_plan_document(args.file)
        source_name = args.file[:200]
    else:
        data, name = read_file(args.file), args.file
        source_name = Path(args.file).name
    template, _ = plan_drafts.read_source(data, name)
    if args.revise is not None:
        return await _plan_revise(args, template, source_name)
    if args.follows is not None:
        summary = await plan_links.import_following(
            template, args.follows, source_name=source_name,
            create_units=True if args.create_units else ())
    elif args.parent_of is not None:
        summary = await plan_links.import_parent(template, args.parent_of, source_name=source_name)
    elif args.review:
        return await _write_review(args, template)
    else:
        summary = await _store_reviewed(args, template, source_name)
    verb = "已替换" if summary.replaced_plan_id else "已导入"
    kind = "上级计划" if args.parent_of is not None else "计划"
    print(f"{verb}{kind} {summary.plan_id}：{summary.title}")
    if args.follows is not None or args.parent_of is not None:
        owner = summary.plan_id if args.follows is not None else args.parent_of
        kind_code = "follows" if args.follows is not None else "parent"
        count = len(await plan_links.links(owner, kind_code))
        print(f"  建议对照 {count} 条，请在计划页面“对照”中确认，或用 "
              f"tracker plan links {owner} --kind {kind_code} 查看")
    print(f"  部分 {summary.sections} 个，事项 {summary.items} 个，任务 {summary.tasks} 项，"
          f"分工 {summary.assignments} 条，里程碑 {summary.milestones} 个")
    if summary.units_created:
        print(f"  新建单位 {len(summary.units_created)} 个：{'、'.join(summary.units_created)}")
    if summary.unassigned_tasks:
        print(f"  尚未指定牵头单位的任务 {summary.unassigned_tasks} 项，请协调人分配")
    return EXIT_OK


async def _write_review(args, template) -> int:
    """--review: the YAML to check, warnings in comments; nothing stored."""
    from tracker.domain import plan_review as review
    from tracker.domain.messages import REVIEW
    from tracker.services import plan_drafts

    directory = await plan_drafts.unit_directory()
    reviewed, comments = review.review_template(template, directory)
    Path(args.review).write_text(dump_template(reviewed, **comments), encoding="utf-8")
    print(REVIEW["yaml_written"].format(
        path=args.review, tasks=sum(1 for _ in review.iter_task_paths(reviewed)),
        warned=review.warned_tasks(reviewed, directory), new=len(reviewed.new_units)))
    return EXIT_OK


async def _store_reviewed(args, template, source_name: str):
    """The plain import: the units checked against the directory (issue 11), then stored."""
    from tracker.domain import plan_review as review
    from tracker.domain.messages import REVIEW
    from tracker.services import plan_drafts

    directory = await plan_drafts.unit_directory()
    choices = review.choices_from_template(template)
    undecided = review.undecided_units(template, directory, choices)
    if undecided and not args.create_units:
        raise CommandError(REVIEW["err_units_unknown"].format(names="、".join(undecided)))
    return await plan_drafts.store_checked(
        template, choices, create_all=args.create_units, replace=args.replace,
        source_name=source_name)


async def _plan_revise(args, template, name: str) -> int:
    from tracker.services import plan_revision

    diff = await plan_revision.preview(args.revise, template)
    for line in plan_revision.describe(diff):
        print(line)
    if not args.apply:
        print("（预览，未保存；确认无误后加 --apply 应用修订）")
        return EXIT_OK
    counts = await plan_revision.apply(args.revise, template, source_name=name)
    print("已应用修订：" + "，".join(f"{label} {count} 项" for label, count in counts.items()))
    return EXIT_OK


async def _plan_links(args) -> int:
    from tracker.domain.vocabulary import LINK_STATE_LABELS
    from tracker.services import plan_links

    if args.suggest:
        print(f"已重新生成建议 {await plan_links.suggest(args.plan, args.kind)} 条")
    for link_id in args.confirm or []:
        await plan_links.decide(args.plan, link_id, "confirmed")
    for link_id in args.reject or []:
        await plan_links.decide(args.plan, link_id, "rejected")
    for link in await plan_links.links(args.plan, args.kind):
        print(f"{link.id}\t{LINK_STATE_LABELS[link.state]}\t{link.score:.2f}\t"
              f"{link.task_text[:30]}\t→ {link.target_text[:30]}")
    return EXIT_OK


async def _plan_coverage(args) -> int:
    from tracker.services import plan_links

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise CommandError(f"输出文件须以 .xlsx 结尾：{args.out}")
    content, day = await plan_links.coverage_export(args.plan, parse_day(args.as_of, "--as-of"))
    out.write_bytes(content)
    rows, _ = await plan_links.coverage(args.plan, day)
    missing = sum(row.missing for row in rows)
    print(f"已导出 {out}：上级要点 {len(rows)} 条，漏项 {missing} 条（截至 {day}）")
    return EXIT_OK


async def _plan_carry_over(args) -> int:
    from tracker.services import plan_links

    counts = await plan_links.carry_over(args.plan)
    print(f"已沿用上年分工 {counts['assignments']} 项、节点 {counts['milestones']} 个")
    return EXIT_OK


async def _plan_look_back(args) -> int:
    from tracker.services import plan_links

    last, rows = await plan_links.look_back(args.plan)
    if last is None:
        raise CommandError(f"计划 {args.plan} 没有承接的上年计划")
    for row in rows:
        if row.open:
            carried = "已承接" if row.carried_by else "未承接"
            print(f"{row.task_id}\t{row.status}\t{carried}\t{row.text[:40]}")
    return EXIT_OK


async def _plan_export(args) -> int:
    from tracker.services.plans import get_plan, template_from_plan

    text = dump_template(template_from_plan(await get_plan(args.plan)))
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"已导出到 {args.out}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


async def _plan_list(args) -> int:
    from tracker.services.plans import list_plans

    for plan in await list_plans():
        print(f"{plan.id}\t{plan.year or ''}\t{plan.doc_number or ''}\t{plan.title}\t任务 {plan.task_count}")
    return EXIT_OK


async def _unit_add(args) -> int:
    from tracker.services import accounts

    unit = await accounts.add_unit(args.name)
    print(f"已添加单位 {unit.id}：{unit.name}")
    return EXIT_OK


async def _unit_list(args) -> int:
    from tracker.services import accounts

    for unit in await accounts.list_units():
        print(f"{unit.id}\t{unit.name}\t{'' if unit.active else '已停用'}")
    return EXIT_OK


def _read_password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CommandError("请用 --password-stdin 从标准输入提供密码")
    first = getpass.getpass("密码：")
    if first != getpass.getpass("再次输入密码："):
        raise CommandError("两次输入的密码不一致")
    return first


async def _user_add(args) -> int:
    from tracker.services import accounts

    unit_id = await accounts.unit_id_by_name(args.unit) if args.unit else None
    user = await accounts.add_user(args.username, args.name or args.username, _read_password(args),
                                   args.role, unit_id)
    print(f"已添加账号 {user.username}（{accounts.ROLE_LABELS[user.role]}"
          f"{'，' + user.unit_name if user.unit_name else ''}）")
    return EXIT_OK


async def _user_list(args) -> int:
    from tracker.services import accounts

    for user in await accounts.list_users():
        state = "" if user.active else "已停用"
        print(f"{user.username}\t{user.display_name}\t{user.role}\t{user.unit_name or ''}\t{state}")
    return EXIT_OK


async def _report(args) -> int:
    """The report pipeline (report_archive.produce), in this process, with a progress bar;
    then the archived PDF (or, for a .docx name, the Word copy) is copied to --out."""
    from rich.progress import Progress

    from tracker.reporting import archive as report_archive
    from tracker.reporting import build as reports
    from tracker.reporting import worker

    out = Path(args.out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in report_archive.FORMATS:
        raise CommandError(f"输出文件须以 .pdf 或 .docx 结尾：{args.out}")
    if not out.parent.exists():
        raise CommandError(f"输出目录不存在：{out.parent}")
    as_of = parse_day(args.as_of, "--as-of")
    edition = "year_end" if args.kind == "year-end" else args.edition
    with Progress(transient=True) as progress:
        step = progress.add_task(report_archive.STEPS[0], total=len(report_archive.STEPS))
        request = await reports.resolve_request(args.plan, getattr(args, "period", None), as_of,
                                                edition, args.unit)
        report, reused = await report_archive.produce(
            request, None, limits=worker.NO_LIMITS, word=fmt == "docx", charts_here=True,
            progress=lambda index, name: progress.update(step, completed=index, description=name))
        progress.update(step, completed=len(report_archive.STEPS))
    path, _ = await report_archive.report_file(report.id, fmt)  # a .docx is made on demand
    content = path.read_bytes()
    out.write_bytes(content)
    print(f"已生成 {out}（{len(content) // 1024} KB，{request.period}，统计截至 {request.as_of}）")
    note = "（内容与已归档的报告相同，未重复归档）" if reused else ""
    print(f"  归档编号 {report.id}，SHA-256 {report.sha256}{note}")
    return EXIT_OK


async def _report_annual(args) -> int:
    from tracker.domain.annual_report import draft_text
    from tracker.reporting import annual

    out = Path(args.out)
    if out.suffix.lower() not in (".docx", ".txt"):
        raise CommandError(f"输出文件须以 .docx 或 .txt 结尾：{args.out}")
    if not out.parent.exists():
        raise CommandError(f"输出目录不存在：{out.parent}")
    draft = await annual.annual_draft(args.plan, parse_day(args.as_of, "--as-of"))
    if out.suffix.lower() == ".docx":
        out.write_bytes(annual.annual_docx(draft))
    else:
        out.write_text(draft_text(draft), encoding="utf-8")
    print(f"已生成 {out}：年度报告初稿（工作要点落实部分），任务 {draft.total} 项，统计截至 {draft.as_of}")
    return EXIT_OK


async def _db_migrate(args) -> int:
    from tracker.services.database import migrate

    await migrate()
    print("数据库已是最新结构")
    return EXIT_OK


async def _db_check(args) -> int:
    from tracker.services.history_check import find_gaps

    gaps = await find_gaps()
    if gaps:
        for line in gaps.lines():
            print(line, file=sys.stderr)
        return EXIT_FAILURE
    print("检查通过：每条进展填报、审核和任务修改都有审计记录")
    return EXIT_OK


def cmd_backup(args) -> int:
    from tracker.services.backup import create_backup

    manifest = create_backup(Path(args.out))
    size = sum(entry["bytes"] for entry in manifest["files"].values())
    print(f"已备份到 {args.out}：数据库（{manifest['backend']}）和 {len(manifest['files']) - 1} 个文件，"
          f"共 {size / (1024 * 1024):.1f} MB；清单 manifest.json 含各文件 SHA-256")
    return EXIT_OK


def cmd_restore(args) -> int:
    from tracker.services.backup import restore_backup

    manifest = restore_backup(Path(args.backup), force=args.force)
    print(f"已从 {args.backup} 恢复（备份时间 {manifest['created_at']}，校验通过的文件 "
          f"{len(manifest['files'])} 个）；如程序版本较新，请再运行 tracker db migrate")
    return EXIT_OK


async def _demo_load(args) -> int:
    from tracker.services.demo import load_demo

    for line in await load_demo():
        print(line)
    return EXIT_OK


async def _demo_generate(args) -> int:
    from tracker.services.database import migrate
    from tracker.services.demo_data import generate_city_plan

    for name in ("units", "tasks", "months"):
        if getattr(args, name) < 1:
            raise CommandError(f"--{name} 须为正整数")
    if args.months > 12:
        raise CommandError("--months 不能超过 12（一个计划年度）")
    await migrate()
    plan_id, history = await generate_city_plan(args.units, args.tasks, args.months,
                                                seed=args.seed)
    print(f"已生成计划 {plan_id}：单位 {args.units} 个，任务 {args.tasks} 项，"
          f"{args.months} 个月的进展填报 {history.updates} 条、审核 {history.reviews} 条")
    return EXIT_OK


MAX_SERVE_WORKERS = 64


def _serve_workers(text: str) -> int:
    """--workers: how many server processes share the port (each with its own event loop)."""
    try:
        workers = int(text)
    except ValueError:
        raise CommandError(f"--workers 须为 1 到 {MAX_SERVE_WORKERS} 之间的整数，"
                           f"现为“{text[:20]}”") from None
    if not 1 <= workers <= MAX_SERVE_WORKERS:
        raise CommandError(f"--workers 须为 1 到 {MAX_SERVE_WORKERS} 之间的整数，现为 {workers}")
    return workers


def cmd_serve(args) -> int:
    import uvicorn  # lazy: only `tracker serve` needs the server

    from tracker.settings import get_settings, secret_key

    workers = _serve_workers(args.workers)
    # Plain http on a loopback address never leaves the machine: the browser would drop
    # Secure cookies there. Any other address needs https in front, so keep them Secure.
    if args.host in ("127.0.0.1", "localhost", "::1"):
        os.environ.setdefault("TRACKER_COOKIE_SECURE", "0")
    # The in-process schedule (reminders, outbox, evidence checks) is on unless told otherwise.
    os.environ.setdefault("TRACKER_SCHEDULER", "1")
    # Each worker fills its plan caches as it starts, not on a coordinator's first page.
    os.environ.setdefault("TRACKER_WARM_CACHES", "1")
    get_settings()
    secret_key()  # refused here, in one line, rather than in every worker's traceback
    # proxy_headers: the client's address (login throttling) comes from X-Forwarded-For when
    # the request comes from an address in --forwarded-allow-ips (the TLS proxy in front).
    uvicorn.run("tracker.http.app:create_app", factory=True, host=args.host, port=args.port,
                workers=workers, proxy_headers=True,
                forwarded_allow_ips=args.forwarded_allow_ips)
    return EXIT_OK


def cmd_worker(args) -> int:
    """The queue's worker (PostgreSQL): runs until SIGTERM or SIGINT."""
    import logging

    from tracker.jobs.worker import run_worker
    from tracker.settings import get_settings

    if args.concurrency < 1:
        raise CommandError("--concurrency 须为正整数")
    if get_settings().database_url is None:
        raise CommandError("tracker worker 需要 PostgreSQL（TRACKER_DATABASE_URL=postgresql://…）；"
                           "SQLite 单机部署时后台任务由 tracker serve 在进程内运行")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(run_worker(args.concurrency))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tracker", description="政务公开工作要点跟踪")
    commands = parser.add_subparsers(dest="command", required=True)

    plan = commands.add_parser("plan", help="计划：解析、导入、导出").add_subparsers(
        dest="plan_command", required=True)
    parse = plan.add_parser("parse", help="解析计划文件并打印任务树（不保存）")
    parse.add_argument("file", help="文件路径，或 http(s) 网址")
    parse.add_argument("--format", choices=["json", "text"], default="text")
    parse.set_defaults(handler=cmd_plan_parse)
    imp = plan.add_parser("import", help="从模板（YAML）、文件（txt/docx/pdf/html/ofd）或网址导入计划")
    imp.add_argument("file", help="文件路径，或 http(s) 网址")
    imp.add_argument("--replace", action="store_true", help="替换已导入的同一计划")
    imp.add_argument("--review", metavar="OUT.yaml",
                     help="不导入，写出待核对的 YAML（警告写在注释中），改正后再导入该文件")
    imp.add_argument("--create-units", action="store_true",
                     help="新建本系统没有的单位（默认拒绝，列出这些单位）")
    how = imp.add_mutually_exclusive_group()
    how.add_argument("--follows", type=int, metavar="PLAN", help="承接上年计划 PLAN（建议任务对照）")
    how.add_argument("--parent-of", type=int, metavar="PLAN", help="作为计划 PLAN 的上级计划导入（仅供对照）")
    how.add_argument("--revise", type=int, metavar="PLAN", help="同一计划的修订稿：显示差异，加 --apply 应用")
    imp.add_argument("--apply", action="store_true", help="与 --revise 一起：应用修订")
    imp.set_defaults(handler=with_database(_plan_import))
    links = plan.add_parser("links", help="任务对照（上级要点或上年任务）：查看、确认、否决")
    links.add_argument("plan", type=int, help="计划编号")
    links.add_argument("--kind", choices=["parent", "follows"], default="parent")
    links.add_argument("--suggest", action="store_true", help="重新生成建议（已确认、已否决的保留）")
    links.add_argument("--confirm", type=int, nargs="*", metavar="LINK", help="确认这些对照")
    links.add_argument("--reject", type=int, nargs="*", metavar="LINK", help="否决这些对照")
    links.set_defaults(handler=with_database(_plan_links))
    coverage = plan.add_parser("coverage", help="上级要点对照表（xlsx，含漏项）")
    coverage.add_argument("plan", type=int, help="计划编号")
    coverage.add_argument("--as-of", help="统计截至日期 YYYY-MM-DD")
    coverage.add_argument("--out", required=True, help="输出 .xlsx 文件")
    coverage.set_defaults(handler=with_database(_plan_coverage))
    carry = plan.add_parser("carry-over", help="已确认承接的任务沿用上年分工和节点（顺延一年）")
    carry.add_argument("plan", type=int, help="计划编号")
    carry.set_defaults(handler=with_database(_plan_carry_over))
    look = plan.add_parser("look-back", help="回头看：上年未完成或持续推进的任务及是否承接")
    look.add_argument("plan", type=int, help="计划编号")
    look.set_defaults(handler=with_database(_plan_look_back))
    exp = plan.add_parser("export", help="把计划导出为模板")
    exp.add_argument("plan", type=int, help="计划编号")
    exp.add_argument("--format", choices=["yaml"], default="yaml")
    exp.add_argument("--out", help="输出文件（默认打印）")
    exp.set_defaults(handler=with_database(_plan_export))
    plan.add_parser("list", help="列出计划").set_defaults(handler=with_database(_plan_list))
    ledger_cli.add_ledger_commands(plan, with_database)

    unit = commands.add_parser("unit", help="单位").add_subparsers(dest="unit_command", required=True)
    unit_add = unit.add_parser("add", help="添加单位")
    unit_add.add_argument("name")
    unit_add.set_defaults(handler=with_database(_unit_add))
    unit.add_parser("list", help="列出单位").set_defaults(handler=with_database(_unit_list))

    user = commands.add_parser("user", help="账号").add_subparsers(dest="user_command", required=True)
    user_add = user.add_parser("add", help="添加账号（交互输入密码，或 --password-stdin）")
    user_add.add_argument("username")
    user_add.add_argument("--name", help="姓名")
    user_add.add_argument("--role", required=True, choices=["coordinator", "reporter", "leader", "admin"])
    user_add.add_argument("--unit", help="所属单位名称（填报人必填）")
    user_add.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码")
    user_add.set_defaults(handler=with_database(_user_add))
    user.add_parser("list", help="列出账号").set_defaults(handler=with_database(_user_list))

    report = commands.add_parser("report", help="生成报告（PDF/A，并归档）")
    report_kinds = report.add_subparsers(dest="kind", required=True)
    for kind, help_text in (("monthly", "月报（--unit 指定时为单位版）"), ("year-end", "年度总结")):
        command = report_kinds.add_parser(kind, help=help_text)
        command.add_argument("--plan", type=int, required=True, help="计划编号")
        if kind == "monthly":
            command.add_argument("--period", required=True, help="报送周期，如 2018-09")
            command.add_argument("--edition", choices=["monthly", "detail"], default="monthly",
                                 help="monthly：领导版（默认，不超过 8 页）；detail：详细版（全部任务和填报原文）")
        command.add_argument("--unit", help="单位名称：只含该单位任务的单位版")
        command.add_argument("--as-of", help="统计截至日期 YYYY-MM-DD（默认：该周期的报送截止日）")
        command.add_argument("--out", required=True, help="输出文件：.pdf（PDF/A）或 .docx（可编辑的 Word 版）")
        command.set_defaults(handler=report_command(with_database(_report)))
    annual_report = report_kinds.add_parser(
        "annual", help="年度报告初稿：总体情况、存在的主要问题及改进情况（.docx 或 .txt）")
    annual_report.add_argument("--plan", type=int, required=True, help="计划编号")
    annual_report.add_argument("--as-of", help="统计截至日期 YYYY-MM-DD（默认：次年1月报送截止日）")
    annual_report.add_argument("--out", required=True, help="输出 .docx 或 .txt 文件")
    annual_report.set_defaults(handler=with_database(_report_annual))
    remote_cli.add_report_download(report_kinds)

    db = commands.add_parser("db", help="数据库").add_subparsers(dest="db_command", required=True)
    db.add_parser("migrate", help="执行数据库迁移").set_defaults(handler=with_database(_db_migrate, migrates=True))
    db.add_parser("check", help="列出缺少审计记录的填报、审核和任务修改（有则退出码 1）").set_defaults(
        handler=with_database(_db_check))

    backup = commands.add_parser("backup", help="在线备份数据库、佐证材料和归档报告（含 SHA-256 清单）")
    backup.add_argument("out", help="备份目录（须不存在）")
    backup.set_defaults(handler=cmd_backup)
    restore = commands.add_parser("restore", help="校验备份并恢复到新的数据目录和空数据库")
    restore.add_argument("backup", help="备份目录")
    restore.add_argument("--force", action="store_true", help="覆盖非空的数据目录或数据库")
    restore.set_defaults(handler=cmd_restore)

    demo = commands.add_parser("demo", help="演示数据").add_subparsers(dest="demo_command", required=True)
    demo.add_parser("load", help="载入 2018 年示例计划与示例账号").set_defaults(
        handler=with_database(_demo_load, migrates=True))
    generate = demo.add_parser("generate", help="生成市级规模的示例计划和进展（用于性能测试）")
    generate.add_argument("--units", type=int, default=60, help="单位数（默认 60）")
    generate.add_argument("--tasks", type=int, default=2000, help="任务数（默认 2000）")
    generate.add_argument("--months", type=int, default=12, help="进展月数（默认 12）")
    generate.add_argument("--seed", type=int, default=2025, help="随机种子（同一种子生成相同数据）")
    generate.set_defaults(handler=with_database(_demo_generate, migrates=True))

    notify_commands.add_commands(commands, report_kinds, with_database)

    serve = commands.add_parser("serve", help="启动网页与接口服务")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", default="1",
                       help="服务进程数（默认 1；多核机器上可设为核数，各进程共用数据库中的状态）")
    serve.add_argument("--forwarded-allow-ips", default=None,
                       help="信任其 X-Forwarded-For 的前置代理地址，逗号分隔"
                            "（默认取环境变量 FORWARDED_ALLOW_IPS，否则 127.0.0.1）")
    serve.set_defaults(handler=cmd_serve)

    worker = commands.add_parser("worker", help="运行后台任务（PostgreSQL 任务队列：报告、发布、催报、"
                                                  "佐证检查、通知发送）")
    worker.add_argument("--concurrency", type=int, default=2, help="同时运行的任务数（默认 2）")
    worker.set_defaults(handler=cmd_worker)

    remote_cli.add_remote_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    start_report_helpers(argv)  # a no-op when cli.entry, the console script, has forked them
    use_package_piccolo_conf()
    args = build_parser().parse_args(argv)
    try:
        # The one text rule of the pages and the API, for every text argument too.
        for name, value in vars(args).items():
            if isinstance(value, str):
                check_text(value, name)
        return args.handler(args)
    except CommandError as error:
        code, message = error.code, str(error)
    except NotFound as error:
        code, message = EXIT_NOT_FOUND, str(error)
    except Conflict as error:
        code, message = EXIT_CONFLICT, str(error)
    except (DomainError, PlanParseError, TemplateError, ConfigError) as error:
        code, message = EXIT_BAD_INPUT, str(error)
    print(f"tracker: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
