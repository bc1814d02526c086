"""`tracker plan assign` and `tracker plan ledger`: Excel in and out from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.cli.common import EXIT_OK, CommandError, read_file
from tracker.domain.periods import parse_day
from tracker.domain.vocabulary import ASSIGNMENT_OUTCOME_LABELS

if TYPE_CHECKING:  # msgspec costs ~80 ms of `tracker` start-up: annotations only
    from tracker.schemas import AssignmentPreview, AssignmentRowOut, UnitsChange


def _units(change: UnitsChange) -> str:
    return f"{'、'.join(change.before) or '（无）'} → {'、'.join(change.after) or '（无）'}"


def _row_line(row: AssignmentRowOut) -> str:
    where = f"第{row.row}行"
    if row.number:
        where += f"（序号 {row.number}）"
    text = row.text if len(row.text) <= 30 else row.text[:30] + "…"
    if row.outcome == "refused":
        return f"{where} {text}：无法导入：{row.reason}"
    parts = []
    if row.lead:
        parts.append(f"牵头 {_units(row.lead)}")
    if row.cooperating:
        parts.append(f"配合 {_units(row.cooperating)}")
    if row.deadline:
        d = row.deadline
        parts.append(f"时限 {d.before_text or d.before or '（无）'} → "
                     f"{d.after_text or ''}（{d.after or '未识别日期'}）")
    if row.new_units:
        parts.append(f"新建单位 {'、'.join(row.new_units)}")
    detail = "；".join(parts) if parts else ""
    return f"{where} → 任务 {row.task_path}：{ASSIGNMENT_OUTCOME_LABELS[row.outcome]}{'：' + detail if detail else ''}"


def print_preview(preview: AssignmentPreview) -> None:
    print(f"分工表 {preview.file_name}{'（' + preview.sheet + '）' if preview.sheet else ''}，"
          f"表头第 {preview.header_row} 行：{'、'.join(preview.columns.values())}")
    for row in preview.rows:
        print("  " + _row_line(row))
    print(f"将修改 {preview.changed} 项，无变化 {preview.unchanged} 行，无法导入 {preview.refused} 行"
          + (f"，将新建单位：{'、'.join(preview.units_to_create)}" if preview.units_to_create else ""))


async def plan_assign(args) -> int:
    from tracker.services import ledger_import

    content, name = read_file(args.file), Path(args.file).name
    preview = await ledger_import.preview_assignments(args.plan, content, name,
                                                      create_units=args.create_units)
    print_preview(preview)
    if preview.refused and not args.skip_refused:
        raise CommandError(f"有 {preview.refused} 行无法导入，未做任何修改"
                           "（修正后重试，或加 --skip-refused 跳过这些行）")
    if not args.apply:
        print("仅预览，未做任何修改；加 --apply 导入")
        return EXIT_OK
    summary = await ledger_import.apply_assignments(
        args.plan, content, name, create_units=args.create_units,
        skip_refused=args.skip_refused, expected=preview)
    print(f"已导入：修改任务 {summary.tasks_changed} 项，跳过 {summary.rows_skipped} 行"
          + (f"，新建单位 {'、'.join(summary.units_created)}" if summary.units_created else ""))
    return EXIT_OK


async def plan_ledger(args) -> int:
    from tracker.services.ledger_export import export_ledger

    out = Path(args.out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise CommandError(f"输出文件须以 .xlsx 或 .csv 结尾：{args.out}")
    if not out.parent.exists():
        raise CommandError(f"输出目录不存在：{out.parent}")
    as_of = parse_day(args.as_of, "--as-of")
    ledger = await export_ledger(args.plan, fmt, as_of, with_title=args.title)
    out.write_bytes(ledger.content)
    print(f"已导出台账 {out}（统计截至 {ledger.as_of}）")
    return EXIT_OK


def add_ledger_commands(plan: argparse._SubParsersAction, with_database) -> None:
    assign = plan.add_parser("assign", help="从任务分工表（.xlsx/.csv）批量分配单位和完成时限")
    assign.add_argument("plan", type=int, help="计划编号")
    assign.add_argument("file", help="任务分工表 .xlsx 或 .csv")
    assign.add_argument("--apply", action="store_true", help="确认导入（默认只打印预览）")
    assign.add_argument("--create-units", action="store_true", help="自动新建不存在的单位")
    assign.add_argument("--skip-refused", action="store_true", help="跳过无法导入的行，导入其余各行")
    assign.set_defaults(handler=with_database(plan_assign))
    ledger = plan.add_parser("ledger", help="导出台账（.xlsx 或 .csv）")
    ledger.add_argument("plan", type=int, help="计划编号")
    ledger.add_argument("--out", required=True, help="输出文件 .xlsx 或 .csv")
    ledger.add_argument("--as-of", help="状态统计截至日期 YYYY-MM-DD（默认同计划页）")
    ledger.add_argument("--title", action="store_true", help="在 .xlsx 首行加计划标题")
    ledger.set_defaults(handler=with_database(plan_ledger))
