"""Handlers of the remote commands (argument parsers in tracker.cli.remote).

Input is checked here with the same functions the server uses (`validate_update`,
`validate_evidence`, `parse_period`), so a bad row is refused before anything is sent and the
reason reads as it would from the server. Every failure becomes one `CommandError` with its
exit code; `tracker.cli.main.main` prints it as the single last line `tracker: <reason>`.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import socket
import sys
import unicodedata
from pathlib import Path

from tracker.cli.client import (
    AuthFailed,
    BadRequest,
    ClientError,
    ConflictError,
    NotFoundError,
    ServerUnreachable,
    TrackerClient,
    new_idempotency_key,
)
from tracker.cli.client_config import ConfigError, Login, load_config, normalise_server, save_config
from tracker.cli.common import (
    EXIT_AUTH,
    EXIT_BAD_INPUT,
    EXIT_CONFLICT,
    EXIT_FAILURE,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_UNREACHABLE,
    CommandError,
)
from tracker.domain.errors import InvalidInput
from tracker.domain.periods import check_period_in_year, parse_period, period_start
from tracker.domain.progress_input import (
    EvidenceFile,
    validate_evidence,
    validate_update,
)
from tracker.domain.roles import ROLE_LABELS
from tracker.domain.update_batch import CheckedRow, RowProblem, check_rows, read_rows
from tracker.domain.vocabulary import REVIEW_STATE_LABELS, UPDATE_STATE_LABELS

EXIT_CODES: dict[type[ClientError], int] = {
    BadRequest: EXIT_BAD_INPUT,
    AuthFailed: EXIT_AUTH,
    NotFoundError: EXIT_NOT_FOUND,
    ConflictError: EXIT_CONFLICT,
    ServerUnreachable: EXIT_UNREACHABLE,
}
ROLE_IN_TASK = {"lead": "牵头", "cooperating": "配合"}
# How the server's field names read on the command line of `tracker submit`.
SUBMIT_FLAGS = {
    "task_id": "TASK_ID", "period": "--period", "percent": "--percent", "state": "--state",
    "work_done": "--work-done", "problems": "--problems", "next_steps": "--next-steps",
    "evidence_links": "--link", "attachments": "--attach", "idempotency_key": "--idempotency-key",
    "file": "--file",
}
# How they read elsewhere.
FIELD_LABELS = {
    "task_id": "任务编号", "update_id": "填报编号", "plan_id": "计划编号", "report_id": "报告编号",
    "period": "报送周期", "percent": "完成进度", "state": "状态", "work_done": "工作进展",
    "problems": "存在问题", "next_steps": "下步计划", "evidence_links": "佐证链接",
    "attachments": "附件", "username": "用户名", "password": "密码", "unit": "单位",
    "as_of": "统计截至日期", "edition": "报告版本", "file": "--file", "role": "角色",
}
_STATES_BY_LABEL = {label: state for state, label in UPDATE_STATE_LABELS.items()}


def exit_code(error: ClientError) -> int:
    for kind in type(error).__mro__:
        if kind in EXIT_CODES:
            return EXIT_CODES[kind]
    return EXIT_FAILURE


def reason(error: ClientError | InvalidInput, labels: dict[str, str] | None = None) -> str:
    field = error.field
    if not field or field == "authorization":
        return error.message
    return f"{(labels or FIELD_LABELS).get(field, field)}：{error.message}"


def run(handler, args) -> int:
    """Run a remote command; turn every client-side failure into a CommandError."""
    labels = SUBMIT_FLAGS if getattr(args, "command", "") == "submit" else FIELD_LABELS
    try:
        return handler(args)
    except ConfigError as error:
        raise CommandError(str(error), EXIT_BAD_INPUT) from None
    except InvalidInput as error:
        raise CommandError(reason(error, labels), EXIT_BAD_INPUT) from None
    except AuthFailed as error:
        hint = "" if getattr(args, "command", "") == "login" else (
            f"；请重新登录：tracker login --server {getattr(args, 'resolved_server', '') or 'URL'}")
        raise CommandError(reason(error, labels) + hint, EXIT_AUTH) from None
    except ClientError as error:
        raise CommandError(reason(error, labels), exit_code(error)) from None


# --- sessions ------------------------------------------------------------------------------


def _session(args) -> tuple[TrackerClient, Login]:
    """A client for the chosen server with the token it issued (never another server's)."""
    config = load_config()
    server = normalise_server(args.server) if args.server else config.current
    if not server:
        raise CommandError("尚未登录：请先 tracker login --server URL", EXIT_AUTH)
    args.resolved_server = server
    login = config.login_for(server)
    if login is None:
        raise CommandError(f"尚未登录 {server}：请先 tracker login --server {server}", EXIT_AUTH)
    if login.expired():
        raise CommandError(f"{server} 的登录令牌已于 {login.expires_at} 过期；"
                           f"请重新登录：tracker login --server {server}", EXIT_AUTH)
    return TrackerClient(server, login.token), login


def _read_username(args) -> str:
    if args.username:
        return args.username.strip()
    if not sys.stdin.isatty():
        raise CommandError("请用 --username 指定用户名")
    return input("用户名：").strip()


def _read_password(args) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("密码：")
    else:
        raise CommandError("请用 --password-stdin 从标准输入提供密码")
    if not password:
        raise CommandError("密码为空")
    return password


def cmd_login(args) -> int:
    config = load_config()
    if not (args.server or config.current):
        raise CommandError("请用 --server 指定 tracker 服务器地址")
    server = normalise_server(args.server or config.current)
    args.resolved_server = server
    username = _read_username(args)
    if not username:
        raise CommandError("请输入用户名")
    password = _read_password(args)
    with TrackerClient(server) as client:
        client.check_server()  # before a password goes anywhere
        issued = client.create_token(username, password, f"tracker 命令行 @ {socket.gethostname()[:60]}")
    previous = config.login_for(server)
    config.servers[server] = Login(token=issued["token"], username=issued["user"]["username"],
                                   expires_at=issued["expires_at"])
    config.current = server
    try:
        path = save_config(config)
    except ConfigError:
        _revoke_quietly(server, issued["token"])  # a token nobody holds should not stay valid
        raise
    if previous is not None and previous.token != issued["token"]:
        _revoke_quietly(server, previous.token)
    user = issued["user"]
    unit = user.get("unit_name") or ""
    unit = f"，{unit}" if unit and unit not in user["display_name"] else ""
    print(f"已登录 {server}：{user['display_name']}，{ROLE_LABELS.get(user['role'], user['role'])}{unit}")
    print(f"  令牌有效期至 {issued['expires_at'][:10]}，保存在 {path}")
    return EXIT_OK


def _revoke_quietly(server: str, token: str) -> None:
    """Revoke a replaced token; a failure only leaves it to expire on its own."""
    try:
        with TrackerClient(server, token) as client:
            client.revoke_token()
    except ClientError:
        pass


def cmd_logout(args) -> int:
    config = load_config()
    server = normalise_server(args.server) if args.server else config.current
    login = config.login_for(server) if server else None
    if login is None:
        print(f"未登录{' ' + server if server else ''}，无需退出")
        return EXIT_OK
    args.resolved_server = server
    revoked = True
    try:
        with TrackerClient(server, login.token) as client:
            client.revoke_token()
    except AuthFailed:
        pass  # already expired or revoked: nothing left to revoke
    except ServerUnreachable as error:
        if not args.local:
            raise CommandError(f"{error.message}；令牌未吊销，仍保存在本机。稍后再试，或用 "
                               "tracker logout --local 只删除本机令牌", EXIT_UNREACHABLE) from None
        revoked = False
    del config.servers[server]
    save_config(config)
    if revoked:
        print(f"已退出 {server}：令牌已吊销并从本机删除")
    else:
        print(f"已从本机删除 {server} 的令牌（服务器未能吊销，令牌到 {login.expires_at[:10]} 过期）")
    return EXIT_OK


# --- my tasks ------------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    if _width(text) <= width:
        return text
    out = ""
    for char in text:
        if _width(out + char) > width - 1:
            break
        out += char
    return out + "…"


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(_width(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    for row in [headers, *rows]:
        cells = [cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)]
        print("  ".join(cells).rstrip())


def _latest_label(latest: dict | None) -> str:
    if latest is None:
        return "未填报"
    return (f"第{latest['version']}版 {latest['percent']}% "
            f"{REVIEW_STATE_LABELS.get(latest['review_state'], latest['review_state'])}")


def cmd_tasks(args) -> int:
    period = None
    if args.period:
        try:
            period = parse_period(args.period)
        except ValueError as error:
            raise CommandError(f"--period：{error}") from None
    client, _ = _session(args)
    with client:
        rows = client.my_tasks(period)
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        print("本单位没有分配到任务")
        return EXIT_OK
    todo = [row for row in rows if row["needs_action"]]
    periods = sorted({row["period"] for row in rows})
    print(f"报送周期 {'、'.join(periods)}：任务 {len(rows)} 项，待处理 {len(todo)} 项")
    table = []
    for row in rows:
        action = ""
        if row["needs_action"]:
            action = "退回待改" if row["latest"] else "待填报"
        last = row["last_percent"]
        table.append([
            str(row["task_id"]), row["number"] or "", ROLE_IN_TASK.get(row["role"], row["role"]),
            {"ongoing": "持续推进", None: "—"}.get(row["deadline"], row["deadline"]),
            row["period"], row["due_on"], _latest_label(row["latest"]),
            "—" if last is None else f"{last}%", action, _clip(row["text"], 40),
        ])
    print_table(["编号", "序号", "角色", "完成时限", "周期", "截止报送", "本期填报", "最新进度",
                 "待办", "任务"], table)
    return EXIT_OK


# --- submitting ----------------------------------------------------------------------------


def _state(value: str | None) -> str | None:
    text = (value or "").strip()
    return _STATES_BY_LABEL.get(text, text) if text else None


def _evidence_files(paths: list[str]) -> list[EvidenceFile]:
    files = []
    for name in paths:
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"--attach：文件不存在：{name}")
        files.append(EvidenceFile(path.name, "", path.read_bytes()))
    return validate_evidence(files)


def _stored_line(update: dict) -> str:
    files = f"，附件 {len(update['attachments'])} 个" if update["attachments"] else ""
    return (f"任务 {update['task_id']} {update['period']} 第{update['version']}版"
            f"（填报编号 {update['id']}）：{update['percent']}%，"
            f"{UPDATE_STATE_LABELS.get(update['state'], update['state'])}{files}，"
            f"{REVIEW_STATE_LABELS.get(update['review_state'], update['review_state'])}")


def cmd_submit(args) -> int:
    if args.file:
        single = [flag for flag, value in (
            ("TASK_ID", args.task_id), ("--period", args.period), ("--percent", args.percent),
            ("--state", args.state), ("--work-done", args.work_done), ("--problems", args.problems),
            ("--next-steps", args.next_steps), ("--link", args.link), ("--attach", args.attach),
            ("--idempotency-key", args.idempotency_key)) if value]
        if single:
            raise CommandError(f"--file 与 {'、'.join(single)} 不能同时使用：批量时这些写在文件里")
        return _submit_file(args)
    if args.all_or_nothing:
        raise CommandError("--all-or-nothing 只用于 --file 批量填报")
    missing = [flag for flag, value in (
        ("TASK_ID", args.task_id), ("--period", args.period), ("--percent", args.percent),
        ("--state", args.state), ("--work-done", args.work_done)) if value is None]
    if missing:
        raise CommandError(f"请给出 {'、'.join(missing)}（或用 --file 批量填报）")
    if args.task_id <= 0:
        raise CommandError("TASK_ID：任务编号须为正整数")
    update = validate_update({
        "period": args.period, "percent": args.percent, "state": _state(args.state),
        "work_done": args.work_done, "problems": args.problems or "",
        "next_steps": args.next_steps or "", "evidence_links": args.link,
    })
    files = _evidence_files(args.attach)
    key = args.idempotency_key or new_idempotency_key()
    if not 8 <= len(key) <= 100:
        raise CommandError("--idempotency-key：幂等键须为 8-100 个字符")
    client, _ = _session(args)
    with client:
        try:
            stored = client.submit_update(args.task_id, update, files, idempotency_key=key)
        except ServerUnreachable as error:
            # The outcome is unknown; the same key makes a later retry safe.
            raise CommandError(f"{error.message}；这条填报可能未保存。可稍后重试，加上 "
                               f"--idempotency-key {key} 则不会重复", EXIT_UNREACHABLE) from None
    print(f"已提交：{_stored_line(stored)}")
    return EXIT_OK


def _preflight(client: TrackerClient, rows: list[CheckedRow]) -> list[RowProblem]:
    """What the server would refuse, found before anything is sent (--all-or-nothing)."""
    problems = []
    details: dict[int, dict | ClientError] = {}
    today = dt.date.today()
    for checked in rows:
        if checked.task_id not in details:
            try:
                details[checked.task_id] = client.task(checked.task_id)
            except (NotFoundError, BadRequest) as error:
                details[checked.task_id] = error
        detail = details[checked.task_id]
        if isinstance(detail, ClientError):
            problems.append(RowProblem(checked.row, detail.message, "task_id"))
            continue
        if detail["my_role"] is None:
            problems.append(RowProblem(checked.row, f"任务 {checked.task_id} 不属于本单位", "task_id"))
            continue
        period = checked.update.period
        year = detail["context"]["plan_year"]
        try:
            if year is not None:
                check_period_in_year(period, year)
            if period_start(period) > today:
                raise ValueError(f"报送周期 {period} 尚未开始")
        except ValueError as error:
            problems.append(RowProblem(checked.row, str(error), "period"))
    return problems


def _print_problems(problems: list[RowProblem]) -> None:
    for problem in sorted(problems, key=lambda problem: problem.row.number):
        print(f"  {problem}", file=sys.stderr)


def _labels(problems) -> str:
    labels = [problem.row.label for problem in sorted(problems, key=lambda p: p.row.number)]
    return "、".join(labels[:10]) + ("等" if len(labels) > 10 else "")


def _submit_file(args) -> int:
    rows = read_rows(Path(args.file))
    good, problems = check_rows(rows)
    client, _ = _session(args)
    with client:
        if args.all_or_nothing and not problems:
            problems = _preflight(client, good)
        if args.all_or_nothing and problems:
            _print_problems(problems)
            raise CommandError(f"共 {len(rows)} 条，{len(problems)} 条有误（{_labels(problems)}），"
                               "按 --all-or-nothing 一条也未提交", EXIT_BAD_INPUT)
        codes = {problem.row.number: EXIT_BAD_INPUT for problem in problems}
        stored = 0
        fatal: ClientError | None = None
        unsent: list[CheckedRow] = []
        for index, checked in enumerate(good):
            key = checked.idempotency_key or new_idempotency_key()
            try:
                update = client.submit_update(checked.task_id, checked.update, idempotency_key=key)
            except (AuthFailed, ServerUnreachable) as error:
                fatal, unsent = error, good[index:]  # the rest would fail the same way
                break
            except ClientError as error:
                problems.append(RowProblem(checked.row, error.message, error.field))
                codes[checked.row.number] = exit_code(error)
                if args.all_or_nothing:
                    unsent = good[index + 1:]
                    break
                continue
            stored += 1
            print(f"{checked.row.label}：已提交 {_stored_line(update)}")
    if not problems and fatal is None:
        print(f"共 {len(rows)} 条，全部已提交")
        return EXIT_OK
    _print_problems(problems)
    summary = f"共 {len(rows)} 条：已提交 {stored} 条"
    if problems:
        summary += f"，{len(problems)} 条有误未提交（{_labels(problems)}）"
    if unsent:
        summary += f"，{len(unsent)} 条未发送（自{unsent[0].row.label}起）"
    if fatal is not None:
        uncertain = "；最后一条结果不明，请用 tracker tasks 核对" if (
            isinstance(fatal, ServerUnreachable)) else ""
        raise CommandError(f"{reason(fatal)}；{summary}{uncertain}", exit_code(fatal))
    raise CommandError(summary, codes[min(codes)])


# --- reading back --------------------------------------------------------------------------


def cmd_update_show(args) -> int:
    client, _ = _session(args)
    with client:
        update = client.get_update(args.update_id)
    if args.format == "json":
        print(json.dumps(update, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"填报 {update['id']}：任务 {update['task_id']}，{update['unit_name']}"
          f"（{ROLE_IN_TASK.get(update['role'], update['role'])}），"
          f"{update['period']} 第{update['version']}版")
    print(f"  审核状态：{REVIEW_STATE_LABELS.get(update['review_state'], update['review_state'])}")
    print(f"  进度：{update['percent']}%，{UPDATE_STATE_LABELS.get(update['state'], update['state'])}")
    print(f"  提交：{update['submitted_by']}，{update['submitted_at']}")
    for key, label in (("work_done", "工作进展"), ("problems", "存在问题"), ("next_steps", "下步计划")):
        if update[key]:
            print(f"  {label}：{update[key]}")
    for link in update["evidence_links"]:
        print(f"  佐证链接：{link}")
    for file in update["attachments"]:
        print(f"  附件：{file['name']}（{max(1, file['size'] // 1024)} KB，附件编号 {file['id']}）")
    if update["reviews"]:
        print("  审核记录：")
        for review in update["reviews"]:
            decision = REVIEW_STATE_LABELS.get(review["decision"], review["decision"])
            comment = f"：{review['comment']}" if review["comment"] else ""
            print(f"    {review['decided_at']} {review['reviewer']} {decision}{comment}")
    return EXIT_OK


def cmd_report_download(args) -> int:
    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        raise CommandError(f"--out：输出文件须以 .pdf 结尾：{args.out}")
    if not out.parent.is_dir():
        raise CommandError(f"--out：输出目录不存在：{out.parent}")
    try:
        period = parse_period(args.period)
    except ValueError as error:
        raise CommandError(f"--period：{error}") from None
    if args.as_of:
        try:
            dt.date.fromisoformat(args.as_of)
        except ValueError:
            raise CommandError(f"--as-of：日期“{args.as_of}”无效，应为 YYYY-MM-DD") from None
    from rich.progress import Progress

    client, _ = _session(args)
    with client, Progress(transient=True) as progress:
        bar = progress.add_task("已提交", total=None)

        def show(job: dict) -> None:  # the server's job: its step, as the page shows it
            progress.update(bar, description=job.get("step") or "生成中",
                            completed=job.get("done_steps"), total=job.get("total_steps"))

        report = client.generate_report(args.plan, period, args.unit, args.as_of,
                                        on_progress=show)
        progress.update(bar, description="下载中")
        pdf = client.download_report(report["id"])
    if not pdf.startswith(b"%PDF"):
        raise CommandError(f"服务器返回的报告 {report['id']} 不是 PDF 文件", EXIT_FAILURE)
    if hashlib.sha256(pdf).hexdigest() != report["sha256"]:
        raise CommandError(f"下载的报告 {report['id']} 与服务器登记的 SHA-256 不符，请重新下载",
                           EXIT_FAILURE)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.part")
    temporary.write_bytes(pdf)
    os.replace(temporary, out)
    print(f"已下载 {out}（{len(pdf) // 1024} KB，{report['period']}，统计截至 {report['as_of']}）")
    print(f"  归档编号 {report['id']}，SHA-256 {report['sha256']}")
    return EXIT_OK
