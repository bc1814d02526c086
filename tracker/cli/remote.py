"""The remote commands of `tracker`: they talk to a running tracker over its JSON API.

    tracker login --server URL [--username U] [--password-stdin]
    tracker logout [--local]
    tracker tasks [--period 2018-09] [--format table|json]
    tracker submit TASK_ID --period P --percent N --state S --work-done TEXT [--link URL ...]
                   [--attach FILE ...]
    tracker submit --file updates.yaml|.json|.xlsx [--all-or-nothing]
    tracker update show UPDATE_ID
    tracker report download --plan P --period P [--unit U] --out F.pdf

Each takes --server to use another server than the one last logged in to. Only the argument
parsers are here; the handlers (tracker.cli.remote_commands) are imported when one of these runs,
so the local commands do not pay for importing httpx at start-up.
"""

from __future__ import annotations

import argparse

from tracker.domain.vocabulary import UPDATE_STATE_LABELS


def _handler(name: str):
    def run(args) -> int:
        from tracker.cli import remote_commands  # lazy: httpx only loads when a remote command runs

        return remote_commands.run(getattr(remote_commands, name), args)

    return run


def _server_option() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--server", metavar="URL",
                        help="tracker 服务器地址，如 https://tracker.example.gov.cn（默认：最近登录的服务器）")
    return parent


def add_report_download(report_kinds, server: argparse.ArgumentParser | None = None) -> None:
    """`tracker report download`: have the server generate and archive a report, fetch the PDF."""
    download = report_kinds.add_parser("download", parents=[server or _server_option()],
                                       help="从服务器生成并下载月报 PDF（远程）")
    download.add_argument("--plan", type=int, required=True, help="计划编号")
    download.add_argument("--period", required=True, help="报送周期，如 2018-09")
    download.add_argument("--unit", help="单位名称：只含该单位任务的单位版")
    download.add_argument("--as-of", help="统计截至日期 YYYY-MM-DD（默认：该周期的报送截止日）")
    download.add_argument("--out", required=True, help="输出 PDF 文件")
    download.set_defaults(handler=_handler("cmd_report_download"))


def add_remote_commands(commands) -> None:
    server = _server_option()

    login = commands.add_parser("login", parents=[server], help="登录远程 tracker 服务器，令牌保存在本机")
    login.add_argument("--username", help="用户名（不给时交互输入）")
    login.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码")
    login.set_defaults(handler=_handler("cmd_login"))

    logout = commands.add_parser("logout", parents=[server], help="退出登录：吊销令牌并从本机删除")
    logout.add_argument("--local", action="store_true", help="服务器连不上时也从本机删除令牌")
    logout.set_defaults(handler=_handler("cmd_logout"))

    tasks = commands.add_parser("tasks", parents=[server], help="本单位的任务与本期填报情况（远程）")
    tasks.add_argument("--period", help="报送周期，如 2018-09（默认：上个月）")
    tasks.add_argument("--format", choices=["table", "json"], default="table")
    tasks.set_defaults(handler=_handler("cmd_tasks"))

    submit = commands.add_parser(
        "submit", parents=[server], help="填报进展（远程）：一条用参数，多条用 --file",
        description="一条：tracker submit 任务编号 --period --percent --state --work-done …；"
                    "多条：tracker submit --file 文件（.yaml/.json/.xlsx）")
    submit.add_argument("task_id", nargs="?", type=int, metavar="TASK_ID", help="任务编号")
    submit.add_argument("--period", help="报送周期，如 2018-09")
    submit.add_argument("--percent", help="完成进度 0-100")
    submit.add_argument("--state", help=f"状态：{'、'.join(f'{k}（{v}）' for k, v in UPDATE_STATE_LABELS.items())}")
    submit.add_argument("--work-done", help="工作进展")
    submit.add_argument("--problems", help="存在问题")
    submit.add_argument("--next-steps", help="下步计划")
    submit.add_argument("--link", action="append", default=[], metavar="URL", help="佐证链接（可多次）")
    submit.add_argument("--attach", action="append", default=[], metavar="FILE", help="附件（可多次）")
    submit.add_argument("--idempotency-key", help="自定幂等键：同一键重复提交只保存一次")
    submit.add_argument("--file", help="批量填报文件：.yaml、.json 或 .xlsx")
    submit.add_argument("--all-or-nothing", action="store_true",
                        help="批量时：任何一行有误就一行也不提交")
    submit.set_defaults(handler=_handler("cmd_submit"))

    update = commands.add_parser("update", help="填报记录（远程）").add_subparsers(
        dest="update_command", required=True)
    show = update.add_parser("show", parents=[server], help="查看一条填报及其审核情况")
    show.add_argument("update_id", type=int, metavar="UPDATE_ID", help="填报编号")
    show.add_argument("--format", choices=["text", "json"], default="text")
    show.set_defaults(handler=_handler("cmd_update_show"))
