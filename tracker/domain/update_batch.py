"""Many progress updates from one file (YAML, JSON or Excel), each row checked with the same
rules the API applies (`tracker.domain.progress_input.validate_update`), before anything is sent.

A row names its task and carries the fields of one update:

    task_id, period, percent, state, work_done, problems, next_steps, links

YAML and JSON hold a list of such mappings (or `{"updates": [...]}`); an Excel sheet has them as
columns under a header row (the Chinese headings of the ledger are understood too), and its
rows are named by their spreadsheet row number so a person can find them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from tracker.domain.errors import InvalidInput
from tracker.domain.progress_input import UpdateInput, validate_update
from tracker.domain.vocabulary import UPDATE_STATE_LABELS

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 2000
# Column name → the names a ledger may use for it.
COLUMNS = {
    "task_id": ("task_id", "task", "任务编号", "任务ID", "任务id"),
    "period": ("period", "报送周期", "周期"),
    "percent": ("percent", "完成进度", "进度"),
    "state": ("state", "状态"),
    "work_done": ("work_done", "工作进展"),
    "problems": ("problems", "存在问题"),
    "next_steps": ("next_steps", "下步计划"),
    "links": ("links", "evidence_links", "佐证链接"),
    "idempotency_key": ("idempotency_key", "幂等键"),
}
_ALIASES = {alias.lower(): name for name, aliases in COLUMNS.items() for alias in aliases}
_STATES_BY_LABEL = {label: state for state, label in UPDATE_STATE_LABELS.items()}
# Links in one spreadsheet cell: one per line, or separated by spaces or semicolons.
_LINK_SEPARATORS = re.compile(r"[\s;；，]+")


@dataclass(frozen=True)
class BatchRow:
    number: int
    label: str  # "第3行" (spreadsheet row) or "第2条" (list item)
    raw: dict


@dataclass(frozen=True)
class CheckedRow:
    row: BatchRow
    task_id: int
    update: UpdateInput
    idempotency_key: str | None


@dataclass(frozen=True)
class RowProblem:
    row: BatchRow
    reason: str
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.row.label}（{self.field}）" if self.field else self.row.label
        return f"{where}：{self.reason}"


def read_rows(path: Path) -> list[BatchRow]:
    """The rows of a .yaml/.yml, .json or .xlsx file; InvalidInput for a file that cannot be read."""
    if not path.is_file():
        raise InvalidInput(f"文件不存在：{path}", "file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInput(f"文件 {path.name} 超过 {MAX_FILE_BYTES // (1024 * 1024)} MB", "file")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml", ".json"):
        rows = _list_rows(_load_document(path, suffix))
    elif suffix == ".xlsx":
        rows = _sheet_rows(path)
    else:
        raise InvalidInput(f"不支持的文件类型“{suffix or path.name}”（可用：.yaml .json .xlsx）", "file")
    if not rows:
        raise InvalidInput(f"文件 {path.name} 里没有要提交的填报", "file")
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"一次最多提交 {MAX_ROWS} 条填报（文件里有 {len(rows)} 条）", "file")
    return rows


def _load_document(path: Path, suffix: str):
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"文件 {path.name} 不是 UTF-8 文本", "file") from None
    try:
        return json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"JSON 格式错误：第{error.lineno}行第{error.colno}列，{error.msg}", "file") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"第{mark.line + 1}行" if mark else ""
        raise InvalidInput(f"YAML 格式错误{where}：{getattr(error, 'problem', None) or error}", "file") from None


def _list_rows(document) -> list[BatchRow]:
    if isinstance(document, dict) and "updates" in document:
        document = document["updates"]
    if document is None:
        return []
    if not isinstance(document, list):
        raise InvalidInput("文件应为填报的列表（或 updates: 下的列表）", "file")
    rows = []
    for index, item in enumerate(document, start=1):
        raw = item if isinstance(item, dict) else {"__not_a_mapping__": item}
        rows.append(BatchRow(number=index, label=f"第{index}条", raw=raw))
    return rows


def _sheet_rows(path: Path) -> list[BatchRow]:
    from openpyxl import load_workbook  # 0.1 s to import: only when a sheet is read

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        raise InvalidInput(f"无法读取 Excel 文件 {path.name}（{type(error).__name__}）", "file") from None
    try:
        sheet = workbook.worksheets[0]
        header: list[str | None] | None = None
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if all(value is None or (isinstance(value, str) and not value.strip()) for value in values):
                continue
            if header is None:
                header = _header(values)
                continue
            raw = {name: value for name, value in zip(header, values, strict=False) if name}
            rows.append(BatchRow(number=number, label=f"第{number}行", raw=raw))
        return rows
    finally:
        workbook.close()


def _header(values: Iterable) -> list[str | None]:
    names: list[str | None] = []
    for value in values:
        text = str(value).strip() if value is not None else ""
        if not text:
            names.append(None)
            continue
        name = _ALIASES.get(text.lower())
        if name is None:
            raise InvalidInput(f"表头“{text[:30]}”不认识（可用：{'、'.join(COLUMNS)}）", "file")
        if name in names:
            raise InvalidInput(f"表头“{text[:30]}”重复", "file")
        names.append(name)
    for required in ("task_id", "period", "percent", "state", "work_done"):
        if required not in names:
            raise InvalidInput(f"表头缺少“{required}”列（{COLUMNS[required][-1]}）", "file")
    return names


def check_rows(rows: list[BatchRow]) -> tuple[list[CheckedRow], list[RowProblem]]:
    """Every row checked: the good ones ready to send, the bad ones with their reason."""
    good: list[CheckedRow] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[int, str], BatchRow] = {}
    for row in rows:
        try:
            checked = check_row(row)
        except InvalidInput as error:
            problems.append(RowProblem(row, error.message, error.field))
            continue
        first = seen.setdefault((checked.task_id, checked.update.period), row)
        if first is not row:
            problems.append(RowProblem(row, f"与{first.label}是同一任务、同一报送周期，只能提交一次"))
            continue
        good.append(checked)
    return good, problems


def check_row(row: BatchRow) -> CheckedRow:
    raw = row.raw
    if "__not_a_mapping__" in raw:
        raise InvalidInput("应为“列名: 值”的映射")
    unknown = [str(key) for key in raw if str(key).lower() not in _ALIASES]
    if unknown:
        raise InvalidInput(f"不认识的列“{unknown[0][:30]}”（可用：{'、'.join(COLUMNS)}）")
    values = {_ALIASES[str(key).lower()]: value for key, value in raw.items()}
    task_id = _task_id(values.get("task_id"))
    update = validate_update({
        "period": _period(values.get("period")),
        "percent": _blank_to_none(values.get("percent")),
        "state": _state(values.get("state")),
        "work_done": _text(values.get("work_done")),
        "problems": _text(values.get("problems")),
        "next_steps": _text(values.get("next_steps")),
        "evidence_links": _links(values.get("links")),
    })
    key = values.get("idempotency_key")
    if key in (None, ""):
        key = None
    elif not isinstance(key, str) or not 8 <= len(key.strip()) <= 100:
        raise InvalidInput("幂等键须为 8-100 个字符", "idempotency_key")
    else:
        key = key.strip()
    return CheckedRow(row=row, task_id=task_id, update=update, idempotency_key=key)


def _blank_to_none(value):
    return None if isinstance(value, str) and not value.strip() else value


def _task_id(value) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        shown = "" if value is None else f"“{str(value)[:20]}”"
        raise InvalidInput(f"任务编号{shown}须为正整数", "task_id")
    return value


def _period(value):
    # Excel turns "2018-09" typed into a cell into a date.
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _state(value):
    if isinstance(value, str):
        text = value.strip()
        return _STATES_BY_LABEL.get(text, text)
    return value


def _text(value):
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _links(value):
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [link for link in _LINK_SEPARATORS.split(value) if link]
    return value
