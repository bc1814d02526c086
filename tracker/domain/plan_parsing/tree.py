"""Text → plan tree: the builder and ``parse_plan_text``. Pure: no I/O (sources.py reads files).

A 政务公开 work plan reads, in order:

* a distribution cover (文号, 关于印发《…》的通知, addressee, 现将…印发给你们, signature,
  （信息公开形式：…）, …印发, 共印：N份) — skipped, but the 文号 and signature are kept as metadata;
* the plan's own title (possibly split over two lines) and a preamble;
* the body: sections "一、", items "（一）", tasks "1." / "（1）" / "⑴" or plain paragraphs, and/or a
  task-division table pasted as tab- or "|"-separated rows;
* optionally the attached 解读, kept apart as ``interpretation``.

Decisions for ambiguous input (kept stable; tests pin them):

* Every non-empty line that is not a heading is one paragraph; blank lines carry no meaning.
* A task's ``text`` is the paragraph as written minus its leading number ("1. "); unit and
  deadline notes are left in the text.
* A plain paragraph right after a numbered task (same item) continues that task ("\\n"-joined),
  and so do lines numbered in another style than the item's tasks ("1." tasks, "（1）" points).
* Items without a section level (only "（一）…") go into one section numbered "一" titled with the
  plan title; tasks without any heading go into that section's unnumbered item.
* An item left with no task lines becomes one task made from its heading, so that one-line items
  ("（三）做好X工作（市发改委负责）") stay trackable.
* A table that follows prose becomes a section of its own, numbered after the last section and
  titled with its caption line or "任务分解表"; its grouping rows become items. A table with no
  prose around it maps its grouping rows ("一、…" / merged rows) to sections.
* ``interpretation`` starts with the 解读 heading itself (a two-line heading joined into one line),
  followed by the remaining non-empty lines, "\\n"-joined.
* ``year`` comes from the title, else the 文号, else the signature date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tracker.deadlines import resolve_deadline, resolve_deadline_phrase
from tracker.domain.plan_parsing.front import (
    ATTACHMENT_RE,
    date_only,
    interpretation_heading,
    is_footer,
    issuer_from_title,
    issuer_like,
    read_front,
    title_like,
    year_of,
)
from tracker.domain.plan_parsing.numbering import (
    item_heading,
    next_numeral,
    section_heading,
    split_title,
    task_heading,
)
from tracker.domain.plan_parsing.tables import (
    INHERITED,
    SEPARATOR_CELL,
    Table,
    header_columns,
    is_table_line,
    read_table,
    row_cells,
    row_number,
    table_row_units,
)
from tracker.domain.plan_parsing.text import Line, match_key, split_lines
from tracker.domain.plan_parsing.units import extract_units
from tracker.plan_model import ParsedItem, ParsedPlan, ParsedSection, ParsedTask, PlanParseError

__all__ = ["parse_plan_text"]

# User-facing messages (Chinese), collected so that an English table can follow.
MESSAGES = {
    "empty": "文本为空",
    "no_structure": "未识别到任何编号结构（如“一、”“（一）”“1.”）或任务分解表",
    "duplicate_task": "任务编号“{number}”重复",
}
DEFAULT_TABLE_TITLE = "任务分解表"
DEFAULT_SECTION_TITLE = "工作任务"

# --- building the tree -----------------------------------------------------------------------


@dataclass
class _Builder:
    year: int | None
    plan_title: str
    sections: list[ParsedSection] = field(default_factory=list)
    numbers: dict[int, dict[str, int]] = field(default_factory=dict)  # id(item) → number → line
    styles: dict[int, str] = field(default_factory=dict)  # id(item) → numbering style of its tasks
    last_task: ParsedTask | None = None  # a numbered task that a plain paragraph may continue
    headings: dict[int, tuple[str, int]] = field(default_factory=dict)  # id(item) → (title, line)
    issuer: str | None = None
    issued_on: str | None = None
    attachment: tuple[int, str] | None = None  # (line, name) of a "附件：…" line

    @property
    def current_section(self) -> ParsedSection:
        if not self.sections:
            self.sections.append(ParsedSection("一", self.plan_title or DEFAULT_SECTION_TITLE, []))
        return self.sections[-1]

    @property
    def current_item(self) -> ParsedItem:
        section = self.current_section
        if not section.items:
            section.items.append(ParsedItem(None, None, []))
        return section.items[-1]

    def section(self, number: str, title: str) -> None:
        self.sections.append(ParsedSection(number, title, []))
        self.last_task = None

    def item(self, number: str | None, title: str | None, line: int | None = None) -> None:
        """A new item; with a heading line, the heading becomes a task if no task follows."""
        item = ParsedItem(number, title, [])
        self.current_section.items.append(item)
        if title and line is not None:
            self.headings[id(item)] = (title, line)
        self.last_task = None

    def task(self, number: str | None, text: str, line: int, units=None, deadline=None) -> None:
        item = self.current_item
        if number is not None:
            seen = self.numbers.setdefault(id(item), {})
            if number in seen:
                raise PlanParseError(MESSAGES["duplicate_task"].format(number=number), line)
            seen[number] = line
        lead, coop = units if units is not None else extract_units(text)
        deadline_text, deadline_value = deadline if deadline is not None else resolve_deadline(text, self.year)
        task = ParsedTask(number, text, lead, [u for u in coop if u not in lead],
                          deadline_text, deadline_value, line)
        item.tasks.append(task)
        self.last_task = task if number is not None else None

    def numbered(self, line: Line, number: str, text: str, style: str) -> None:
        """A numbered line: a task, or a sub-point when the item numbers its tasks in another
        style ("1." tasks with "（1）" points under them), so nested lists are not duplicates."""
        styles = self.styles.setdefault(id(self.current_item), style)
        if styles != style and self.last_task is not None:
            self.paragraph(line)
        else:
            self.task(number, text, line.no)

    def paragraph(self, line: Line) -> None:
        if self.last_task is not None and self.current_item.tasks and self.current_item.tasks[-1] is self.last_task:
            task = self.last_task
            task.text = f"{task.text}\n{line.text}" if task.text else line.text
            task.lead_units, task.cooperating_units = extract_units(task.text)
            task.deadline_text, task.deadline = resolve_deadline(task.text, self.year)
            return
        self.task(None, line.text, line.no)

    def signature(self, issuer: str | None, date: str) -> None:
        """A signature in the body (issuer line and date line) closes the plan text."""
        self.issued_on = self.issued_on or date
        self.issuer = self.issuer or issuer

    def take_caption(self, line_no: int) -> str | None:
        """The plain or 附件 line right above a table, when it reads like the table's caption."""
        if self.attachment and self.attachment[0] == line_no - 1:
            return self.attachment[1]
        item = self.sections[-1].items[-1] if self.sections and self.sections[-1].items else None
        last = item.tasks[-1] if item and item.tasks else None
        if (last and last.number is None and last.line == line_no - 1 and title_like(last.text)
                and re.search(r"表|分解|分工|清单|台账|任务|方案", match_key(last.text))):
            item.tasks.pop()
            return last.text
        return None

    def table(self, table: Table, caption: str | None) -> None:
        cols = table.columns
        appended = bool(self.sections)  # prose came first: the table gets a section of its own
        if appended:
            self.section(next_numeral([s.number for s in self.sections]), caption or table.caption or DEFAULT_TABLE_TITLE)
        title = caption or table.caption or self.plan_title or DEFAULT_TABLE_TITLE
        numbered_sections = False
        previous: dict[str, str] = {}
        header_key = [match_key(c) for c in table.header]

        def cell(cells: list[str], role: str) -> str:
            index = cols.get(role)
            return cells[index] if index is not None and index < len(cells) else ""

        for line, cells in table.rows:
            filled = [c for c in cells if c]
            if not filled or [match_key(c) for c in cells] == header_key:
                continue
            if all(SEPARATOR_CELL.fullmatch(c) for c in filled):
                continue
            first = cells[0]
            first_line = Line(line.no, first, match_key(first))
            heading = section_heading(first_line) or item_heading(first_line)
            merged = len(filled) == len(cells) > 1 and len(set(filled)) == 1
            only_first = len(filled) == 1 and bool(first) and cols.get("task") != 0 \
                and cols.get("requirement") != 0 and not re.fullmatch(r"\d{1,3}[.、]?", first)
            if heading or merged or only_first:
                previous = {}
                self.last_task = None
                row_item = item_heading(first_line)
                if row_item:
                    self.item(*row_item)
                elif appended:
                    self.item(None, first)
                elif section_heading(first_line):
                    self.section(*section_heading(first_line))
                    numbered_sections = True
                elif numbered_sections:
                    self.item(None, first)
                else:
                    self.section(next_numeral([s.number for s in self.sections]), first)
                if merged or only_first:
                    continue
            if not self.sections:
                self.section("一", title)
            values = {role: cell(cells, role) for role in cols}
            if not any(values.get(r) for r in ("task", "requirement", "lead", "responsible")):
                continue
            for role in INHERITED:
                if role in values:
                    values[role] = values[role] or previous.get(role, "")
                    previous[role] = values[role]
            task_text, requirement = values.get("task", ""), values.get("requirement", "")
            if task_text and requirement:
                sep = "" if task_text[-1] in "：:" else "："
                text = f"{task_text}{sep}{requirement}"
            else:
                text = task_text or requirement
            if not text:
                continue
            number = None if heading else row_number(values.get("number", ""))
            units = None
            if {"lead", "responsible", "cooperating"} & cols.keys():
                units = table_row_units(values, cols)
            deadline = (resolve_deadline_phrase(values.get("deadline"), self.year)
                        if "deadline" in cols and values.get("deadline") else None)
            self.task(number, text, line.no, units, deadline)
            self.last_task = None

    def finish(self) -> list[ParsedSection]:
        for section in self.sections:
            for item in section.items:
                if not item.tasks and id(item) in self.headings:
                    text, line = self.headings[id(item)]
                    lead, coop = extract_units(text)
                    deadline_text, deadline = resolve_deadline(text, self.year)
                    item.tasks.append(ParsedTask(None, text, lead, [u for u in coop if u not in lead],
                                                 deadline_text, deadline, line))
        return self.sections


def _build_body(lines: list[Line], builder: _Builder) -> None:
    i = 0
    while i < len(lines):
        line = lines[i]
        if is_table_line(line):
            j = i
            while j < len(lines) and is_table_line(lines[j]):
                j += 1
            table = read_table(lines[i:j])
            if table:
                builder.table(table, builder.take_caption(line.no))
                i = j
                continue
        i += 1
        if (section := section_heading(line)) is not None:
            title, rest = split_title(section[1])
            builder.section(section[0], title)
            if rest:
                builder.task(None, rest, line.no)
        elif (item := item_heading(line)) is not None:
            title, rest = split_title(item[1])
            builder.item(item[0], title or None, line.no)
            if rest:
                builder.task(None, rest, line.no)
        elif (task := task_heading(line)) is not None:
            builder.numbered(line, *task)
        elif (date := date_only(line.key)) is not None:
            builder.signature(None, date)
        elif i < len(lines) and issuer_like(line.text) and (date := date_only(lines[i].key)):
            builder.signature(line.text, date)
            i += 1
        elif attachment := ATTACHMENT_RE.fullmatch(line.key):
            if attachment[1]:
                builder.attachment = (line.no, line.text[attachment.start(1):].strip())
        elif not is_footer(line):
            builder.paragraph(line)


def _is_structural(lines: list[Line], i: int) -> bool:
    line = lines[i]
    if section_heading(line) or item_heading(line) or task_heading(line):
        return True
    return is_table_line(line) and header_columns(row_cells(line)) is not None


# --- entry point -----------------------------------------------------------------------------


def parse_plan_text(text: str) -> ParsedPlan:
    """Parse a plan's text into a ParsedPlan; raise PlanParseError with a one-line reason."""
    lines = split_lines(text or "")
    if not lines:
        raise PlanParseError(MESSAGES["empty"])
    body_start = next((i for i in range(len(lines)) if _is_structural(lines, i)), None)
    if body_start is None:
        raise PlanParseError(MESSAGES["no_structure"])

    front = read_front(lines[:body_start])
    body = lines[body_start:]
    interpretation = None
    for i in range(1, len(body)):
        span = interpretation_heading(body, i)
        if span:
            heading = "".join(ln.text for ln in body[i:i + span])
            interpretation = "\n".join([heading, *(ln.text for ln in body[i + span:])])
            body = body[:i]
            break

    title = front.title or front.cover_title or ""
    year = year_of(title, front.doc_number) or (int(front.issued_on[:4]) if front.issued_on else None)
    builder = _Builder(year=year, plan_title=title)
    _build_body(body, builder)
    sections = builder.finish()
    return ParsedPlan(
        title=title,
        issuer=front.issuer or builder.issuer or issuer_from_title(title),
        doc_number=front.doc_number,
        issued_on=front.issued_on or builder.issued_on,
        year=year,
        interpretation=interpretation,
        preamble=front.preamble,
        sections=sections,
    )


