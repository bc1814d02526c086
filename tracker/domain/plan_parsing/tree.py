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

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field

from tracker.domain.deadlines import resolve_deadline, resolve_deadline_phrase
from tracker.domain.plan_model import (
    ParsedItem,
    ParsedPlan,
    ParsedSection,
    ParsedTask,
    PlanParseError,
)
from tracker.domain.plan_parsing.front import (
    ATTACHMENT_RE,
    TITLE_WORDS,
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
    split_section_title,
    task_heading,
)
from tracker.domain.plan_parsing.runon import recover_runon_tables
from tracker.domain.plan_parsing.tables import (
    CONTENT_NAMES,
    INHERITED,
    SEPARATOR_CELL,
    UNIT_ROLES,
    Table,
    align_row,
    cell_type,
    column_role,
    header_columns,
    is_bar_line,
    is_table_line,
    looks_like_units,
    read_cell_lines,
    read_headerless_table,
    read_table,
    row_cells,
    row_number,
    spaced_tables_to_tabs,
    split_bar_ended_cells,
    table_row_units,
)
from tracker.domain.plan_parsing.text import Line, drop_markup, match_key, split_lines, unfold
from tracker.domain.plan_parsing.units import (
    BEFORE_COMMA_LEADS,
    FIRST_LISTED_LEADS,
    extract_units,
    is_note,
    mask_first_listed_rule,
    merge_units,
    note_deadline,
    note_key,
    split_clauses,
    split_note,
    split_units,
)

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
    # id() of each section whose heading is one sentence and its note (the section's one task)
    section_headings: set[int] = field(default_factory=set)
    issuer: str | None = None
    issued_on: str | None = None
    attachment: tuple[int, str] | None = None  # (line, name) of a "附件：…" line
    raw: dict[int, str] = field(default_factory=dict)  # id(task) → its paragraph as written
    note_no: int = -1  # the line number of the last note line (牵头单位：…) read
    signed_since_section: bool = False  # a signature or 附件 line came after the last section
    # id(section) → (lead, cooperating) its heading names for the tasks under it
    section_units: dict[int, tuple[list[str], list[str]]] = field(default_factory=dict)
    # "（一）推进X。（A牵头，有关单位负责）" over tasks 1. 2.: the units the item's heading names
    item_units: dict[int, tuple[list[str], list[str]]] = field(default_factory=dict)

    @property
    def has_tasks(self) -> bool:
        return any(item.tasks for section in self.sections for item in section.items)

    @property
    def current_section(self) -> ParsedSection:
        if not self.sections:
            self.sections.append(ParsedSection("一", self.plan_title or DEFAULT_SECTION_TITLE, [],
                                               implied=True))
        return self.sections[-1]

    @property
    def current_item(self) -> ParsedItem:
        section = self.current_section
        if not section.items:
            section.items.append(ParsedItem(None, None, []))
        return section.items[-1]

    def restart(self) -> None:
        """Forget the sections read so far (the cover notice's points, not the plan's)."""
        self.sections = []
        self.last_task = None
        # their items are gone: forget what was kept by their id(), an id a new item may reuse
        self.headings.clear()
        self.section_headings.clear()
        self.numbers.clear()
        self.styles.clear()
        self.raw.clear()
        self.section_units.clear()
        self.item_units.clear()

    def section(self, number: str | None, title: str) -> None:
        """A new section; `number` None for a named but unnumbered one (a stand-in number)."""
        if number is not None and self.sections and (self.sections[-1].number, self.sections[-1].title) == (number, title):
            # a table printing the current section's cell again (a new page, a merged cell repeated)
            self.last_task = None
            return
        if (number == "一" and self.signed_since_section and self.sections
                and any(not s.implied for s in self.sections)
                and not any(t.lead_units or t.cooperating_units
                            for s in self.sections for i in s.items for t in i.tasks)):
            # "一、…二、…三、" in the cover notice (naming no units), its signature or 附件 line,
            # then the plan from "一、" again: the notice's points are not the plan's sections
            self.restart()
        self.signed_since_section = False
        if number is None:
            numbers = [s.number for s in self.sections if not s.implied]
            self.sections.append(ParsedSection(next_numeral(numbers), title, [], unnumbered=True))
        else:
            self.sections.append(ParsedSection(number, title, []))
        self.last_task = None

    def item(self, number: str | None, title: str | None, line: int | None = None,
             heading: str | None = None) -> None:
        """A new item; with a heading line, the heading (`heading`: the whole line after the
        number, when its note belongs to it) becomes a task if no task follows."""
        section = self.current_section
        if number is not None and section.items and (section.items[-1].number, section.items[-1].title) == (number, title):
            self.last_task = None  # the current item's cell printed again
            return
        if id(section) in self.section_headings and len(section.items) == 1 and len(section.items[0].tasks) == 1:
            # "一、指导思想（牵头单位：X）" then "（一）…": the note is the heading's, not a task
            section.items.pop()
        elif number is not None and len(section.items) == 1 and (intro := section.items[0]).number is None \
                and intro.title is None and intro.tasks and all(
                    t.number is None and not t.lead_units and not t.cooperating_units and not t.deadline_text
                    for t in intro.tasks):
            # "三、重点整治和分工严格按照…" then "（一）…": the section's lead-in, not a task
            section.items.pop()
        item = ParsedItem(number, title, [])
        section.items.append(item)
        if title and line is not None:
            self.headings[id(item)] = (heading or title, line)
        self.last_task = None

    def task(self, number: str | None, text: str, line: int, units=None, deadline=None) -> None:
        item = self.current_item
        if number is not None:
            seen = self.numbers.setdefault(id(item), {})
            warnings = [MESSAGES["duplicate_task"].format(number=number)] if number in seen else []
            seen[number] = line
        else:
            warnings = []
        lead, coop = units if units is not None else extract_units(text)
        deadline_text, deadline_value = deadline if deadline is not None else resolve_deadline(text, self.year)
        task = ParsedTask(number, text, lead, [u for u in coop if u not in lead],
                          deadline_text, deadline_value, line, warnings=warnings)
        item.tasks.append(task)
        self.last_task = task if number is not None else None

    def numbered(self, line: Line, number: str, text: str, style: str) -> None:
        """A numbered line: a task, or a sub-point when the item numbers its tasks in another
        style ("1." tasks with "（1）" points under them), so nested lists are not duplicates."""
        item = self.current_item
        if (len(item.tasks) == 1 and (intro := item.tasks[0]).number is None and not intro.lead_units
                and not intro.cooperating_units and (match_key(intro.text).rstrip().endswith(":") or (
                    number == "1" and not intro.deadline_text and self._names_its_points(intro.text, text)))):
            # "我区是…主要职责是：" then "1.…": the item's lead-in to its points, not a task
            item.tasks.pop()
        styles = self.styles.setdefault(id(item), style)
        if styles != style and self.last_task is not None:
            self.paragraph(line)
        else:
            self.prose(number, text, line.no)

    @staticmethod
    def _names_its_points(intro: str, first_point: str) -> bool:
        """"…联合采购办公室下设监督组、专家组、集中采购小组。" then "1.监督组。…": the item's
        lead-in names the points that follow (the first point opens with a name it lists)."""
        head = re.split(r"[。,;:]", match_key(first_point).strip(), maxsplit=1)[0].strip()
        sentences = [s for s in match_key(intro).split("。") if s.strip()]
        return 2 <= len(head) <= 12 and bool(sentences) and head in sentences[-1]

    def prose(self, number: str | None, text: str, line: int) -> None:
        """A task written as a paragraph: its trailing unit/deadline notes are read and left out
        of its text; an unnumbered paragraph whose clauses carry their own notes is one task per
        clause. Units named in the prose itself (由A牵头…) are read but stay in the text."""
        row = _UNIT_ROW.match(match_key(text)) if number is None else None
        if row and _unit_name(text[: row.end(1)]):
            # "办公室  组织、协调…": a 处室 / 职责 row flattened with spaces: the unit leads the work
            self._prose_task(None, text[row.end():], line)
            task = self.current_item.tasks[-1]
            if not task.lead_units and not task.cooperating_units:
                task.lead_units = split_units(text[: row.end(1)])
            return
        for clause in ([text] if number is not None else split_clauses(text)):
            self._prose_task(number, clause, line)

    def _prose_task(self, number: str | None, raw: str, line: int, task: ParsedTask | None = None) -> None:
        body, notes = split_note(raw)
        lead, coop = extract_units(raw)
        deadline = note_deadline(notes, self.year)
        if task is None:
            self.task(number, body or raw, line, (lead, coop), deadline)
            task = self.current_item.tasks[-1]
            if number is None:
                self.last_task = None
        else:
            task.text = body or raw
            task.lead_units, task.cooperating_units = lead, [u for u in coop if u not in lead]
            task.deadline_text, task.deadline = deadline
        self.raw[id(task)] = raw

    def paragraph(self, line: Line) -> None:
        if _LEADER_LINE.match(line.key) and self.sections and self.current_item.tasks:
            return
        if (self.last_task is not None and self.current_item.tasks and self.current_item.tasks[-1] is self.last_task
                and not (_UNIT_LINE_START.match(match_key(self.raw.get(id(self.last_task), "").rsplit("\n", 1)[-1]))
                         and not _UNIT_LINE_START.match(line.key))
                and not _opens_a_point(self.raw.get(id(self.last_task), ""), line.key)
                and not _noted_point_after_sentence(self.last_task, self.raw.get(id(self.last_task), ""), line,
                                                    self.current_item.tasks)):
            # (a paragraph after the task's own "责任单位：…" line is a task of its own)
            task = self.last_task
            raw = self.raw.get(id(task), task.text)
            self._prose_task(task.number, f"{raw}\n{line.text}" if raw else line.text, task.line, task)
            task.end_line = line.no
            return
        if self.note_line(line):
            self.note_no = line.no
            return
        if line.no == self.note_no + 1 and _FIELD_LINE.match(line.key):
            # "试点单位：第一批：…" after "牵头单位：X" / "配合单位：Y": one more field of the
            # note block (units of another kind than the task's own), not a task
            self.note_no = line.no
            return
        item = self.current_item if self.sections else None
        last = item.tasks[-1] if item and item.tasks else None
        if (last is not None and last.number is None and id(last) in self.raw
                and (_ends_mid_sentence(self.raw[id(last)]) or _continues_list(self.raw[id(last)], line.text)
                     or (self.headings.get(id(item), ("", None))[1] == last.line
                         and _ends_mid_sentence(self.raw[id(last)], short=True)))):
            # "…完善管" then "机制、创新…": a paragraph broken off mid-sentence goes on
            self._prose_task(None, f"{self.raw[id(last)]}\n{line.text}", last.line, last)
            last.end_line = line.no
            return
        self.prose(None, line.text, line.no)

    def note_line(self, line: Line) -> bool:
        """A line that is only a remark on the tasks above it ("责任单位：X。", "（牵头单位：X）",
        "完成时限：年底前"): its units and deadline go to the item's tasks that have none, or else
        to the last task."""
        body, notes = split_note(line.text)
        if (only := _only_note(line.text)) is not None:
            body, notes = "", [only]
        if body.strip(" 。；;") or not notes or not self.sections:
            return False
        item = self.current_item
        if not item.tasks and id(item) in self.headings:
            # "（三）做好X工作。" then "（X牵头落实）" on the next line: the note is the heading's
            self._heading_task(item)
        if not item.tasks:
            return False
        lead, coop = extract_units(line.text)
        deadline = note_deadline(notes, self.year)
        unassigned = [t for t in item.tasks if not t.lead_units and not t.cooperating_units]
        targets = unassigned if (lead or coop) and item.tasks[-1] in unassigned else [item.tasks[-1]]
        heading_line = self.headings.get(id(item), ("", None))[1]
        if len(targets) > 1 and heading_line is not None:
            # "（四）解决…问题。重点抓住…机制。" then "坚决纠正…。" then "（牵头单位：X）": the note closes
            # the paragraph above it, not the rest of the item's heading line
            targets = [t for t in targets if t.line != heading_line] or targets
        for task in targets:
            merge_units(task.lead_units, lead)
            merge_units(task.cooperating_units, [u for u in coop if u not in task.lead_units])
            if deadline[0] and not task.deadline_text:
                task.deadline_text, task.deadline = deadline
        item.tasks[-1].end_line = line.no
        return True

    def signature(self, issuer: str | None, date: str) -> None:
        """A signature in the body (issuer line and date line) closes the plan text."""
        self.issued_on = self.issued_on or date
        self.issuer = self.issuer or issuer
        self.signed_since_section = True

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
        """The rows of a task-division table. Rules (pinned by tests and the corpus):

        * a row holding one value (merged across, or a lone first cell) is a heading: 一、 → a
          section, （一） → an item, anything else → an item without a number;
        * heading cells written before a row's own cells ("一、…", "（一）…") open that section/item;
        * with both a task column and a details column (工作任务 + 具体要求), the task column names
          the group (an item, new when its value changes) and the details are the task;
        * a row with fewer cells than the header has merged cells: see tables.align_row; a
          column it does not have, and the empty cells of a row continuing a group, come from
          the row above.
        """
        cols = table.columns
        width = len(table.header)
        if self.sections and not self.sections[-1].implied and self._has_section_rows(table):
            # A task table with its own 一、 sections is the plan's task list: what came before
            # it is the cover notice's numbered points or a prose plan of the same tasks.
            self.restart()
        appended = bool(self.sections) and not self.sections[-1].implied
        # "二、重点工作任务分解" right above the table: the table is that section's content
        if appended and (self.sections[-1].items or caption or table.caption):
            self.section(next_numeral([s.number for s in self.sections]),
                         caption or table.caption or DEFAULT_TABLE_TITLE)
        table_section = len(self.sections) - 1
        grouped = "task" in cols and "requirement" in cols
        self_named = grouped and _rows_name_themselves(table)
        previous: dict[str, str] = {}
        spanned: tuple[list[str], list[str]] | None = None  # units of the last item row (_own_item_cell)
        group: str | None = None
        leveled = False  # the items come from group cells before the task column
        header_key = [match_key(c) for c in table.header]
        for row_index, (no, cells) in enumerate(table.rows):
            whole = not (table.cut and row_index == len(table.rows) - 1)
            filled = [c for c in cells if c]
            if not filled or [match_key(c) for c in cells] == header_key:
                continue
            if all(SEPARATOR_CELL.fullmatch(c) for c in filled):
                continue
            headed = False
            while (len(set(filled)) > 1 and cell_type(filled[0]) == "heading" and filled[0] in cells[:2]
                   and len(match_key(filled[0]).strip()) > 4
                   and _own_item_cell(cells) is None):  # an item row with its units: below
                self.table_heading(filled[0], appended)
                cells = cells[cells.index(filled[0]) + 1:]
                filled = filled[1:]
                previous, group = {}, None
                headed = True
            if headed and table.padded and (shifted := _after_heading_column(cells, table)):
                cells = shifted
            own = _own_item_cell(cells) if {"lead", "responsible", "cooperating"} & cols.keys() else None
            if own is not None and (spanned or any(cells[own + 1:])):
                # "（一）A。B。 | units" / "（二）A。 | ||": a requirement cell numbered as an item, with
                # no task cell of its own: the item (title = its first sentence) and its one task
                # (the rest, or the sentence); no unit cell: the merged unit cell above
                number, body = item_heading(Line(0, cells[own], match_key(cells[own])))
                first, _, rest = body.partition("。")
                self.item(number, first.strip() or None)
                unit_cells = [c for c in cells[own + 1:] if c]
                if unit_cells:
                    roles = [r for r in sorted(cols, key=cols.get) if r in UNIT_ROLES]
                    spanned = table_row_units(dict(zip(roles, unit_cells, strict=False)), cols)
                self.task(None, rest.strip() or body, no, (list(spanned[0]), list(spanned[1])) if spanned else ([], []))
                self.last_task = None
                continue
            if not whole and len(set(filled)) == 1 and cell_type(filled[0]) != "heading":
                continue  # a cell the stored text stops inside is neither a task nor a heading
            if len(set(filled)) == 1 and self.is_table_heading(filled[0], cells, width):
                self.table_heading(filled[0], appended)
                previous, group = {}, None
                continue
            number_cell = cells[cols["number"]] if "number" in cols and len(cells) == width else ""
            if number_cell and cell_type(number_cell) in ("heading", "num") and not re.search(r"\d", number_cell):
                # 序号 "一" / "（一）" with the heading's title in the next cell
                title = next((c for c in cells[cols["number"] + 1:] if c), "")
                self.table_heading(f"{number_cell}{'' if item_heading(Line(0, number_cell, match_key(number_cell))) else '、'}{title}", appended)
                previous, group = {}, None
                continue
            levels, cells = _own_cells(cells, cols, width)
            if levels:
                leveled = self.group_levels(levels, appended) or leveled
                previous, group = {}, None
            if table.positional and 2 <= len(cells) <= width:
                cells = [""] * (width - len(cells)) + cells  # the row's last cell is its unit cell
                values = {role: cells[index] for role, index in cols.items() if cells[index]}
            else:
                values = align_row(cells if len(cells) == width else filled, cols, width)
            if table.padded:
                _right_align_units(values, cols)
            absent = {role for role in cols if role not in values}
            task_value = values.get("task", "")
            requirement = values.get("requirement", "")
            own_task = _numbered_task(task_value) if grouped else None
            # "1.文件集中公开" | "1.清理文件。2.发布文本。": the numbered task cell names the group of
            # the numbered points its requirement cell holds
            points = _inline_points(requirement) if grouped and task_value else []
            if points:
                own_task = None
            if self_named and task_value and requirement:
                own_task = task_value
            if own_task:
                # "1.全面公开…清单" + "通过门户网站集中展示": a numbered task cell is the row's
                # task, not a group; its details follow it ("工作任务：具体内容")
                values["task"] = f"{own_task}：{requirement}" if requirement else own_task
                values["requirement"] = ""
                task_value, requirement = values["task"], ""
            if grouped and requirement and task_value and task_value != group and not leveled:
                heading = item_heading(Line(0, task_value, match_key(task_value)))
                numbered = task_heading(Line(0, task_value, match_key(task_value))) if points else None
                if heading:
                    self.item(heading[0], heading[1] or None)
                elif numbered and numbered[1]:
                    self.item(numbered[0], numbered[1].rstrip("。"))
                else:
                    self.item(None, task_value)
                group = task_value
                previous = {}
            continuing = grouped and requirement and not task_value
            own_units = any(values.get(role) for role in UNIT_ROLES)
            for role in INHERITED:
                if role not in cols:
                    continue
                if role in UNIT_ROLES and own_units and role in absent and not continuing and not table.padded:
                    # a short row naming its own units: which unit column it lacks is not known,
                    # so it continues no merged unit cell above it
                    previous[role] = values.get(role, "")
                    continue
                if not values.get(role) and (role in absent or continuing):
                    values[role] = previous.get(role, "")
                previous[role] = values.get(role, "")
            text = requirement if grouped and requirement else (values.get("task") or requirement)
            if not text:
                continue
            if not points and grouped and requirement:
                # "(一)X" | "1.A。 2.B。 3.C。": the item's requirement cell holding its numbered tasks
                points = _inline_points(text)
            number = row_number(values["number"]) if values.get("number") else None
            numbered = task_heading(Line(0, text, match_key(text)))
            if numbered and numbered[1]:
                number = number or numbered[0]
                text = numbered[1]
            units = None
            if {"lead", "responsible", "cooperating"} & cols.keys():
                units = table_row_units(values, cols)
            written = values.get("deadline") or (
                values.get("remark") if cell_type(values.get("remark", "")) == "deadline" else None)
            deadline = resolve_deadline_phrase(written, self.year) if written else (None, None)
            if not whole:
                continue  # the stored text stops inside this row: its task is not whole (a cut page)
            for point_number, point in points or [(number, text)]:
                self.task(point_number, point, no, units and (list(units[0]), list(units[1])), deadline)
            self.last_task = None
        if {"lead", "responsible", "cooperating"} & cols.keys():
            self._unit_cell_after_its_rows(table_section)
        if appended:
            self._drop_repeated_prose(table_section)

    def _unit_cell_after_its_rows(self, table_section: int) -> None:
        """"3.…" "4.…" "5.…" then one unit cell, at the start of a group: a merged unit cell the
        copy printed after the rows it spans (not before, where a row would inherit it), so the
        group's first rows without units share the first unit cell below them."""
        for section in self.sections[table_section:]:
            for item in section.items:
                first = next((k for k, t in enumerate(item.tasks) if t.lead_units or t.cooperating_units), None)
                if not first:
                    continue
                source = item.tasks[first]
                for task in item.tasks[:first]:
                    task.lead_units = list(source.lead_units)
                    task.cooperating_units = list(source.cooperating_units)

    def group_levels(self, levels: list[str], appended: bool) -> bool:
        """Group cells before a row's own cells (the header's task column spans several group
        columns: 主动公开 / 基础信息公开 / …), outermost first: a section, then an item (below a
        section the document numbered above the table: an item); deeper levels are not kept in
        the tree. A level opens a new section/item only when its value changes. True when the
        levels gave the item (the task column then names no item)."""
        kinds = ["item"] if appended else ["section", "item"]
        for kind, value in zip(kinds, levels, strict=False):
            title = value.strip().rstrip("。")
            if kind == "section":
                current = self.sections[-1] if self.sections else None
                if current is None or current.implied or current.title != title:
                    self.section(None, title)
            else:
                section = self.current_section
                if not section.items or section.items[-1].title != title:
                    self.item(None, title)
        return len(levels) >= len(kinds)

    def _drop_repeated_prose(self, table_section: int) -> None:
        """A prose plan followed by a task table of the same tasks: the tree follows the table
        (it carries the units and deadlines), so a section before the table whose tasks mostly
        reappear in the table is not listed again."""
        table_texts = [_plain(t.text) for s in self.sections[table_section:] for i in s.items for t in i.tasks]
        earlier = self.sections[:table_section]
        prose = {id(t): _plain(t.text) for section in earlier for item in section.items for t in item.tasks}
        repeated = _found_in(prose, table_texts)
        kept = []
        for section in earlier:
            tasks = [t for item in section.items for t in item.tasks]
            if not tasks or sum(id(t) in repeated for t in tasks) * 2 < len(tasks):
                kept.append(section)
        self.sections[:table_section] = kept

    @staticmethod
    def _has_section_rows(table: Table) -> bool:
        for _, cells in table.rows:
            filled = [c for c in cells if c]
            if filled and cell_type(filled[0]) == "heading" and section_heading(
                    Line(0, filled[0], match_key(filled[0]))):
                return True
            if len(filled) == 1 and _GROUP_ROW.fullmatch(match_key(filled[0])):
                return True
        return False

    @staticmethod
    def is_table_heading(value: str, cells: list[str], width: int) -> bool:
        if _GROUP_ROW.fullmatch(match_key(value)):
            return True
        kind = cell_type(value)
        if kind == "heading":
            return True
        if kind in ("num", "unit", "deadline") or _numbered_task(value):  # "3.完善…" is a task
            return False
        merged = len(cells) > 1 and all(c == value for c in cells if c) and sum(1 for c in cells if c) > 1
        return merged or len(value) <= 30 and "。" not in value

    def table_heading(self, cell: str, appended: bool) -> None:
        line = Line(0, cell, match_key(cell))
        section = section_heading(line)
        item = item_heading(line)
        if (group := _GROUP_ROW.fullmatch(line.key)) and not appended:
            self.section(group[1], cell[group.start(2):].strip().rstrip("。"))
        elif section and not appended:
            self.section(section[0], section[1].rstrip("。"))
        elif item:
            self.item(item[0], item[1].rstrip("。") or None)
        else:
            self.item(None, cell)
        self.last_task = None

    def _heading_task(self, item: ParsedItem) -> None:
        """An item with no task lines becomes one task made from its heading."""
        text, line = self.headings.pop(id(item))
        body, notes = split_note(text)
        lead, coop = extract_units(text)
        deadline_text, deadline = note_deadline(notes, self.year)
        item.title = body.rstrip("。") or text
        item.tasks.append(ParsedTask(None, body or text, lead, [u for u in coop if u not in lead],
                                     deadline_text, deadline, line))

    def heading_section(self, number: str, heading: str, line: int) -> None:
        """"一、对…的地区，优先支持…。（甲部负责）": a section heading that is one sentence and its
        note is the section's one task (as an item heading is), unless items follow it."""
        body, notes = split_note(heading)
        self.section(number, body.strip().rstrip("。") or heading)
        lead, coop = extract_units(heading)
        self.current_item.tasks.append(ParsedTask(
            None, body.strip() or heading, lead, [u for u in coop if u not in lead],
            *note_deadline(notes, self.year), line))
        self.section_headings.add(id(self.sections[-1]))

    def heading_item_units(self, note: str) -> None:
        """Units the current item's heading note names for the tasks under it."""
        lead, coop = extract_units(f"（{note}）")
        if lead or coop:
            self.item_units[id(self.current_item)] = (lead, coop)

    def heading_units(self, lead: list[str], coop: list[str]) -> None:
        """Units the current section's heading names for its tasks (see _section_heading_units)."""
        self.section_units[id(self.current_section)] = (lead, coop)

    def finish(self, first_listed_from: int | None = None,
               before_comma_from: int | None = None) -> list[ParsedSection]:
        for section in self.sections:
            lead, coop = self.section_units.get(id(section), ([], []))
            for item in section.items:
                item_lead, item_coop = self.item_units.get(id(item), (lead, coop))
                for task in item.tasks:
                    if (item_lead or item_coop) and not task.lead_units and not task.cooperating_units:
                        task.lead_units, task.cooperating_units = list(item_lead), list(item_coop)
            for item in section.items:
                if not item.tasks and id(item) in self.headings:
                    self._heading_task(item)
                self._drop_lead_in(item)
                self._item_unit_line(item)
        self._drop_closing_remark()
        if first_listed_from is not None:
            self._first_listed_leads(first_listed_from)
        if before_comma_from is not None:
            self._before_comma_leads(before_comma_from)
        return self.sections

    def _before_comma_leads(self, from_line: int) -> None:
        """"（责任单位：A、B，C、D。逗号前为牵头单位，…下同）": from the note stating the rule on, a
        task whose units all lead only because its note lists them has the units before the
        note's first comma lead and those after it cooperate; a note that marks roles itself
        (A牵头，B配合) keeps them."""
        for task in (t for section in self.sections for item in section.items for t in item.tasks):
            if (max(task.line, task.end_line or task.line) < from_line or task.cooperating_units
                    or len(task.lead_units) < 2):
                continue
            raw = self.raw.get(id(task))
            note = next((n for n in (split_note(raw)[1] if raw else [])
                         if all(unit in n for unit in task.lead_units)), None)
            if note is None:
                continue
            rule = BEFORE_COMMA_LEADS.search(note)
            listed = re.split(r"[。.]", note[:rule.start()] if rule else note)[0]
            comma = re.search(r"[,，]", listed)
            if comma is None or _MARKED_ROLE.search(note_key(listed)):
                continue
            lead = [unit for unit in task.lead_units if listed.find(unit) < comma.start()]
            if lead and len(lead) < len(task.lead_units):
                task.cooperating_units = [unit for unit in task.lead_units if unit not in lead]
                task.lead_units = lead

    def _first_listed_leads(self, from_line: int) -> None:
        """"（A、B负责。列第一位者为牵头单位，下同）": from the line stating the rule on, a task
        whose units all lead only because the note says 负责 has its first unit lead and the
        others cooperate; a note that marks roles itself (A、B牵头负责 / A牵头，B配合) keeps them."""
        for section in self.sections:
            for item in section.items:
                for task in item.tasks:
                    # (the rule may be stated in the task's own unit line below it: end_line)
                    if (max(task.line, task.end_line or task.line) < from_line or task.cooperating_units
                            or len(task.lead_units) < 2):
                        continue
                    raw = self.raw.get(id(task))
                    notes = split_note(raw)[1] if raw else []
                    marked = mask_first_listed_rule("；".join(notes) if notes else (raw or ""))
                    if _MARKED_ROLE.search(note_key(marked)):
                        continue
                    task.lead_units, task.cooperating_units = task.lead_units[:1], task.lead_units[1:]

    @staticmethod
    def _drop_lead_in(item: ParsedItem) -> None:
        """"…现有的居民…应分期分批整体搬迁。" then "1.编制…。（牵头单位：X）" "2.…（…）": a paragraph
        naming no unit before an item's numbered points that each name theirs is the item's
        lead-in to them, not a task (a paragraph before points without notes stays a task)."""
        tasks = item.tasks
        if (len(tasks) >= 3 and _plain_paragraph(tasks[0]) and tasks[1].number == "1"
                and all(t.number is not None and (t.lead_units or t.cooperating_units) for t in tasks[1:])):
            tasks.pop(0)

    def _item_unit_line(self, item: ParsedItem) -> None:
        """"1.…；2.…；…8.…。责任单位：A、B。" — a unit line run on after an item's last numbered
        point, none of the points naming a unit of its own: the line is the item's, so it
        applies to each of its points."""
        tasks = item.tasks
        if len(tasks) < 2 or any(t.number is None for t in tasks):
            return
        last, others = tasks[-1], tasks[:-1]
        if not (last.lead_units or last.cooperating_units) or any(
                t.lead_units or t.cooperating_units or t.deadline_text for t in others):
            return
        if not _ITEM_UNIT_LINE.search(match_key(self.raw.get(id(last), ""))):
            return
        for task in others:
            task.lead_units, task.cooperating_units = list(last.lead_units), list(last.cooperating_units)

    def _drop_closing_remark(self) -> None:
        """"下一步，我们将…" / "总之，…" after the plan's last point: the plan's conclusion (like
        the preamble before its first section), not a task of the last item. Only plain
        paragraphs with no unit or deadline, and never an item's only task."""
        item = self.sections[-1].items[-1] if self.sections and self.sections[-1].items else None
        while (item is not None and len(item.tasks) > 1 and _plain_paragraph(last := item.tasks[-1])
               and (_CLOSING_REMARK.match(match_key(last.text)) or self._all_others_noted(item))):
            item.tasks.pop()

    def _all_others_noted(self, item: ParsedItem) -> bool:
        """Plain paragraphs right after a task that names its units, closing a plan whose every
        other task (five or more) names its units: the plan's closing words, not tasks that alone
        name none."""
        start = len(item.tasks)
        while start > 0 and _plain_paragraph(item.tasks[start - 1]):
            start -= 1
        closing = item.tasks[start:]
        if start == 0 and len(closing) > 1:
            return False
        others = [t for s in self.sections for i in s.items for t in i.tasks if not any(t is c for c in closing)]
        return len(others) >= 5 and all(t.lead_units or t.cooperating_units for t in others)


def _plain_paragraph(task: ParsedTask) -> bool:
    return task.number is None and not task.lead_units and not task.cooperating_units and not task.deadline_text


# A note that marks roles itself: its units keep them under a first-listed-leads rule.
_MARKED_ROLE = re.compile(r"牵头|配合|协办|参与|协助|协同|会同|主办|主责")


# The openers of a plan's closing remark (its conclusion after the last point).
_CLOSING_REMARK = re.compile(r"(?:下一步|下阶段|今后|总之|综上)[，,:：]?\s*(?:[我本该]|中心|局|单位|全[市县区镇])?"
                             r".{0,6}(?:将|要|会)"
                             # "各地区、各有关部门要…": the plan's last words to everyone it addresses
                             r"|各地区[、,]?各(?:有关)?部门(?:和单位)?(?:要|应)"
                             # "各部门、单位要进一步强化组织领导…": the same words to every body
                             r"|各(?:有关)?部门[、,]?各?(?:有关)?单位(?:要|应)")


_GROUP_CELL_MAX = 20


def _after_heading_column(cells: list[str], table: Table) -> list[str] | None:
    """A padded row whose first column (工作任务) held only its 一、/（一） heading cells, the row's
    own cells filling the other columns one for one: its first two text columns (贯彻举措 | 工作要求)
    are both the task's description, so the row reads as "贯彻举措：工作要求" in the task column."""
    header, cols = table.header, table.columns
    if cols.get("task") != 0 or len(cells) != len(header) - 1 or not all(cells):
        return None
    texts = [j for j in range(1, len(header)) if column_role(header[j]) in ("task", "requirement")]
    if not texts or texts[0] != 1:
        return None
    task = "：".join(cells[j - 1] for j in texts[:2])
    row = ["", *cells]
    row[0] = task
    for j in texts:
        row[j] = ""
    return row


_INLINE_POINT = re.compile(r"(?:^|(?<=[。;；]))\s*(\d{1,2})\s*[.、．](?!\d)\s*")


def _inline_points(cell: str) -> list[tuple[str, str]]:
    """"1.A。2.B。3.C。" in one cell → [("1", "A。"), ("2", "B。"), ("3", "C。")]: two or more
    points numbered 1, 2, … in order, each after a stop; [] for any other cell."""
    key = match_key(cell or "")
    starts = [m for m in _INLINE_POINT.finditer(key)]
    if len(starts) < 2 or starts[0].start() != 0:
        return []
    points = []
    for index, m in enumerate(starts):
        if int(m[1]) != index + 1:
            return []
        end = starts[index + 1].start() if index + 1 < len(starts) else len(cell)
        points.append((m[1], cell[m.end(): end].strip()))
    return points if all(text for _, text in points) else []


def _right_align_units(values: dict[str, str], columns: dict[str, int]) -> None:
    """A padded row printing fewer unit cells than the table has unit columns ("5.… | 乙 | |"
    under "4.… | 甲 | 丙 |"): the first unit columns are merged from the row above, so the
    printed cells are the last ones (乙 is row 5's 责任单位, 甲 still leads)."""
    roles = sorted((r for r in UNIT_ROLES if r in columns), key=columns.get)
    given = [values.pop(r) for r in roles if values.get(r)]
    for role in roles:
        values.pop(role, None)
    for role, value in zip(roles[len(roles) - len(given):], given, strict=True):
        values[role] = value


def _group_levels(cells: list[str], columns: dict[str, int], width: int) -> list[str]:
    """The group cells a row opens with when it has more cells than the header has columns
    (not counting a number cell the header does not name): short names ("主动公开",
    "基础信息公开"), never a task, unit, number or deadline."""
    extra = len(cells) - width
    if "number" not in columns and any(cell_type(c) == "num" for c in cells):
        extra -= 1
    if extra <= 0:
        return []
    levels = cells[:extra]
    if all(c and len(c) <= _GROUP_CELL_MAX and title_like(c) and cell_type(c) in ("text", "heading")
           and not _numbered_task(c) for c in levels):
        return levels
    return []


def _own_cells(cells: list[str], columns: dict[str, int], width: int) -> tuple[list[str], list[str]]:
    """(the group cells a row opens with, the row's own cells): a row longer than the header is
    padded at its end ("||||", the padding dropped) or opens with group cells."""
    if len(cells) > width and not _leads_with_group(cells, columns, width):
        while len(cells) > width and not cells[-1]:
            cells = cells[:-1]
    levels = _group_levels(cells, columns, width)
    return levels, cells[len(levels):]


def _leads_with_group(cells: list[str], columns: dict[str, int], width: int) -> bool:
    """A row with one cell more than the header because it opens with a group cell (the merged
    group is written only in the first row it spans), not because it is padded at its end: after
    the group cells, its unit column holds unit names ("… | 重点推进… | 市规划局、市教委 | |")."""
    levels = _group_levels(cells, columns, width)
    rest = cells[len(levels):]
    return bool(levels) and len(rest) == width and any(
        cell_type(rest[columns[role]]) == "unit" for role in UNIT_ROLES if role in columns)


def _rows_name_themselves(table: Table) -> bool:
    """A table whose details column is the contents (主要内容 / 具体内容) and whose every task row
    has its own number and its own, different value in the task column (序号 | 改革举措 | 主要内容),
    or whose rows open with group cells the task header spans and every row still has its own,
    different task cell: the task column names that row's task, not a group of rows, so the task
    is "名称：内容". A row continuing a group (an empty or repeated task cell, a short row) means
    the column names groups."""
    cols, width = table.columns, len(table.header)
    # 工作任务 spanning the group cells a row opens with and the row's own name (深化…内容 | 推进… |
    # 要求… | 单位): the groups are in the cells before it, so it may name its row
    spanned = any(_leads_with_group(cells, cols, width) for _no, cells in table.rows)
    if not spanned and ("number" not in cols
                        or match_key(table.header[cols["requirement"]]).replace(" ", "") not in CONTENT_NAMES):
        return False  # 主要任务 | 具体要求: the task column names groups, however many rows each has
    seen: set[str] = set()
    for _no, cells in table.rows:
        filled = [c for c in cells if c]
        if len(set(filled)) <= 1:
            continue  # an empty row or a heading merged across the row
        if spanned:
            cells = _own_cells(cells, cols, width)[1]
        if len(cells) != width and not spanned:
            return False
        # a short row whose cells hold no task name continues the group above it
        task = (cells[cols["task"]] if len(cells) == width else align_row(cells, cols, width).get("task", "")).strip()
        number = cells[cols["number"]].strip() if "number" in cols else ""
        if match_key(task) == match_key(table.header[cols["task"]]):
            continue  # the header repeated
        if not task or task in seen or not (spanned or re.fullmatch(r"\d{1,3}\.?", match_key(number))):
            return False
        seen.add(task)
    return len(seen) >= 2


def _numbered_task(cell: str) -> str | None:
    """The text of a table cell that carries its own task number ("1.全面公开…"), else None."""
    numbered = task_heading(Line(0, cell, match_key(cell))) if cell else None
    return numbered[1] if numbered and numbered[1] and numbered[2] == "dot" else None


_WRAPPED_MIN = 40  # a shorter line without a full stop is a title, not a broken-off paragraph


def _ends_mid_sentence(text: str, short: bool = False) -> bool:
    """A paragraph broken off in the middle of a sentence: long, and ending in a character, a
    comma or a quoted name ("…创新跨境电商“O2O”" then "试点模式，…"), not in a full stop, a colon
    or a closing bracket. `short`: the text follows an item's heading sentence on its line
    ("（四）编制年度报告。指导各地按照" then "《条例》要求…"), so it is prose however short."""
    key = match_key(text).rstrip()
    return bool(key) and (short or len(key) >= _WRAPPED_MIN) and (key[-1] in "，,、”’" or "\u4e00" <= key[-1] <= "\u9fff")


# A line that is a unit label and its units ("责任单位：A牵头，B参与").
_UNIT_LINE_START = re.compile(r"\s*(?:责任|牵头|配合|主责|协同)(?:责任)?(?:单位|部门|处室|科室)\s*:")
# "分管省领导：张三" / "牵头负责领导：李四。" under a task: the leader in charge is a person, neither a
# unit nor a task (the task's units are on the lines around it).
_LEADER_LINE = re.compile(r"\s*[\u4e00-\u9fff]{0,6}领导\s*:[^:]{0,20}$")
# A unit line closing a paragraph: "…。责任单位：A、B。" (a label after the last full stop).
_ITEM_UNIT_LINE = re.compile(r"[。;]\s*(?:责任|牵头)(?:单位|部门)\s*:[^。]*。?\s*$")
# A row group numbered with a bare number in a one-cell row ("1 推进生态文明建设", as the
# run-together table reader writes a 序号 + 工作任务 group with no stop): a section numbered as written.
_GROUP_ROW = re.compile(r"(\d{1,2}) ([^\s\d].{0,58})")
# A labelled field naming units of another kind ("试点单位：", "督办单位：", "联系部门：").
_FIELD_LINE = re.compile(r"[\u4e00-\u9fff]{2,4}(?:单位|部门|处室|科室|对象)\s*:")
# "…领导小组，名单如下。" then "组长：张三" / "党委书记、局长" …: a list the paragraph announces.
_ANNOUNCES_LIST = re.compile(r"(?:名单|成员|组成人员)?如下\s*[。:]$")
_LIST_LINE_MAX = 25


# "创新平台建设取得新突破。构建…": a paragraph opening with a short heading sentence of its own,
# after a numbered task that is one whole paragraph of sentences, is a point beside that task (an
# unnumbered goal or measure), not more of its text; after a task that is only a heading line
# ("1.强化工矿企业环境监管") or that broke off mid-sentence, it is still the task's body.
_POINT_HEADING = re.compile(r"\s*[^\s,;:。()!?]{4,16}。(?=\S)")
_WHOLE_PARAGRAPH_MIN = 30


def _opens_a_point(raw: str, key: str) -> bool:
    task = match_key(raw).strip()
    return (_POINT_HEADING.match(key) is not None and "\n" not in task and len(task) >= _WHOLE_PARAGRAPH_MIN
            and task.endswith("。") and "。" in task[:-1])


def _noted_point_after_sentence(task: ParsedTask, raw: str, line: Line, tasks: list[ParsedTask]) -> bool:
    """"1.生产总值增长12%。" then "全市生产总值增长12%，总量达到…。（市发改委）": after a numbered
    point that is one whole line ending in a full stop and names no unit, a paragraph closed by
    its own unit note is a task of its own (the note belongs to the paragraph it ends), not more
    of the point's text. Once two points of the item were each followed by such a paragraph, a
    paragraph after the next point is read the same even without a note (a page cut before it).
    Otherwise a paragraph without a note after such a point stays the point's body."""
    key = match_key(raw).strip()
    if "\n" in key or not key.endswith("。") or task.lead_units or task.cooperating_units:
        return False
    body, notes = split_note(line.text)
    if body.strip(" 。；;") and notes and any(extract_units(line.text)):
        return True
    paired = sum(1 for point, after in zip(tasks, tasks[1:], strict=False)
                 if point.number is not None and not (point.lead_units or point.cooperating_units)
                 and after.number is None and (after.lead_units or after.cooperating_units))
    return paired >= 2 and not _UNIT_LINE_START.match(line.key)


def _continues_list(raw: str, line: str) -> bool:
    """Whether `line` is a line of the list that the paragraph `raw` announced (a 领导小组 name
    list): short lines with no full stop, and the line that closes the list."""
    last = match_key(raw.rsplit("\n", 1)[-1]).strip()
    if _ANNOUNCES_LIST.search(last):
        key = match_key(line).strip()
        return len(key) <= _LIST_LINE_MAX and "。" not in key
    return "\n" in raw and len(last) <= _LIST_LINE_MAX and "。" not in last and bool(
        _ANNOUNCES_LIST.search(match_key(raw.split("\n", 1)[0]).strip()))


def _plain(text: str) -> str:
    return re.sub(r"[^\w]", "", match_key(text))


_SAME_RATIO = 0.8


def _found_in(texts: dict[int, str], others: list[str]) -> set[int]:
    """The keys of `texts` whose text is the same task as one of `others` (a prose point and its
    table row): one text holds the other, or they read alike (difflib ratio >= 0.8). The ratio's
    upper bounds (lengths, then shared characters, as difflib's quick ratios, counted once per
    text) rule out nearly every pair first: a plan of hundreds of points and rows is compared
    in a fraction of a second instead of tens of seconds."""
    counts = {text: Counter(text) for text in {*texts.values(), *others} if text}
    found: set[int] = set()
    for other in filter(None, others):
        other_counts = counts[other]
        for key, text in texts.items():
            if key in found or not text:
                continue
            if text in other or other in text:
                if min(len(text), len(other)) >= 10:
                    found.add(key)
                continue
            total = len(text) + len(other)
            if 2 * min(len(text), len(other)) < _SAME_RATIO * total:
                continue
            text_counts = counts[text]
            shared = sum(min(text_counts[c], other_counts[c])
                         for c in text_counts.keys() & other_counts.keys())
            if 2 * shared < _SAME_RATIO * total:
                continue
            if difflib.SequenceMatcher(None, text, other, autojunk=False).ratio() >= _SAME_RATIO:
                found.add(key)
    return found


def _only_note(text: str) -> str | None:
    """The content of `text` when it is nothing but a bracketed unit/deadline note: "（X牵头落实）"."""
    m = re.fullmatch(r"\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)[\s。;；]*", note_key(text))
    return text[m.start(1):m.end(1)].strip() if m and is_note(m[1]) else None


_ENDING_MIN = 2  # clean headings sharing an ending before it is the document's way of ending one
_HEADING_WORDS = re.compile(r"[\u4e00-\u9fff“”]{4,24}")
# Words that make a compound with a heading's last word ("…工作机制", "…工程建设"): no cut before them.
_COMPOUND_AFTER = re.compile(r"机制|方案|制度|要求|任务|人员|职责|体系|格局|规范|水平|质量|成效|计划|措施|力度"
                             r"|经费|台账|专班|会议|领导|小组|建设|项目|情况|进度|中|的|和|及|与|等")


def _heading_endings(lines: list[Line]) -> set[str]:
    """The last two characters that end two or more of the document's item headings written
    alone (no paragraph run onto them): "工作" in "（一）启动…修复工作" / "（四）加强…监测工作"."""
    counts: Counter[str] = Counter()
    for line in lines:
        if (item := item_heading(line)) and item[1]:
            title, rest = split_section_title(item[1])
            key = match_key(title).strip()
            if rest is None and _HEADING_WORDS.fullmatch(key):
                counts[key[-2:]] += 1
    return {ending for ending, count in counts.items() if count >= _ENDING_MIN}


def _cut_at_ending(text: str, endings: set[str]) -> int | None:
    """Where an item heading run into its paragraph with no stop ("大范围开展保护区宣传工作发挥广播…")
    ends: after the first of the document's own heading endings, before a new word."""
    key = match_key(text)
    first = key.split("。", 1)[0]
    if len(first) <= _RUN_ON_TITLE_MAX or not endings:
        return None
    for end in range(4, _RUN_ON_TITLE_MAX + 1):
        if (key[end - 2:end] in endings and re.match(r"[\u4e00-\u9fff“《]", key[end:end + 1])
                and not _COMPOUND_AFTER.match(key, end) and "，" not in key[:end] and "," not in key[:end]):
            return end
    return None


_RUN_ON_TITLE_MAX = 24


def _own_item_cell(cells: list[str]) -> int | None:
    """The index of a row's first cell when it opens with an item number and is a whole sentence
    ("（一）按照…同步部署。解读材料…。") and only unit cells or empty ones follow it."""
    index = next((k for k, c in enumerate(cells) if c), None)
    if index is None:
        return None
    key = match_key(cells[index]).strip()
    if not (item_heading(Line(0, cells[index], key)) and key.endswith("。")):
        return None
    return index if all(not c or cell_type(c) == "unit" for c in cells[index + 1:]) else None


# "法规处  负责规范性文件的法律审核…": a paragraph opening with a unit name set off by two or more
# spaces (a two-column 处室 / 职责 list flattened).
_UNIT_ROW = re.compile(r"([\u4e00-\u9fff]{2,15})[ \t]{2,}(?=\S)")


def _unit_name(text: str) -> bool:
    return looks_like_units(text) and len(split_units(text)) == 1 and not re.search(r"[、,;]", text)


# "一、县示范区管委会牵头工作（8项）": a section heading naming the unit that leads its tasks.
_LEAD_HEADING = re.compile(r"(.{2,30}?)(?:牵头|负责)的?(?:工作|任务|事项)(?:\((?:共)?\d{1,3}项\))?")


def _section_heading_units(title: str) -> tuple[str, tuple[list[str], list[str]] | None]:
    """A section heading that names the units of the tasks under it: with a closing note
    ("一、减免幼儿保教费（责任单位：县教育局）", the title without it) or as its words
    ("一、县示范区管委会牵头工作（8项）", the title kept whole). (title, (lead, cooperating) or None)."""
    body, notes = split_note(title)
    if notes and body.strip(" 。；;"):
        lead, coop = extract_units(title)
        if lead or coop:
            return body.strip().rstrip("。"), (lead, coop)
    m = _LEAD_HEADING.fullmatch(note_key(title).strip())
    if m and looks_like_units(title[m.start(1): m.end(1)]):
        return title, (split_units(title[m.start(1): m.end(1)]), [])
    return title, None


# "一、紧扣…深化政务公开 |": a heading row of a `|` table, its cell's closing border
_CLOSING_BAR = re.compile(r"\s*[|｜]\s*$")


def _build_body(lines: list[Line], builder: _Builder) -> None:
    i = 0
    last_table: int | None = None
    endings = _heading_endings(lines)
    while i < len(lines):
        line = lines[i]
        if (is_bar_line(line) or column_role(line.text)) and (stream := read_cell_lines(lines, i)):
            builder.table(stream[0], builder.take_caption(line.no))
            i = stream[1]
            continue
        if is_table_line(line):
            j = i
            # a row with fewer bars inside the block (a cut-off last row) is still a row
            while j < len(lines) and (is_table_line(lines[j]) or is_bar_line(lines[j])
                                      or (j > i and "|" in lines[j].key)):
                j += 1
            block = [ln for ln in lines[i:j] if not is_bar_line(ln)]
            table = read_table(block) or read_headerless_table(block)
            if table:
                builder.table(table, builder.take_caption(line.no))
                i = j
                continue
        i += 1
        if (section := section_heading(line)) is not None:
            title, rest = split_section_title(_CLOSING_BAR.sub("", section[1]))
            if rest and (_only_note(rest) is not None or not split_note(rest)[0].strip(" 。；;")):
                builder.heading_section(section[0], section[1], line.no)
                continue
            heading_units = None
            if not rest:
                title, heading_units = _section_heading_units(title)
            builder.section(section[0], title)
            if heading_units:
                builder.heading_units(*heading_units)
            if rest:
                builder.prose(None, rest, line.no)
        elif (item := item_heading(line)) is not None:
            if not item[1] and i < len(lines) and not _is_structural(lines, i) and not is_footer(lines[i]):
                # "（六）" alone, its paragraph on the next line (a space after the number)
                item = (item[0], lines[i].text)
                i += 1
            title, rest = split_section_title(item[1])
            if (cut := _cut_at_ending(title, endings)) is not None:
                title, rest = title[:cut], item[1][cut:].strip()
            if not rest and (noted := split_note(title))[1] and noted[0].strip(" 。；;"):
                # "（十五）加强农村道路交通安全监管（各级人民政府负责，…组织实施）": the heading's note is
                # no part of its title (it stays the heading's: a task of its own if none follows)
                title = noted[0].strip().rstrip("。")
            if rest and (_only_note(rest) is not None or not split_note(rest)[0].strip(" 。；;")):
                # "（三）做好X工作。（X牵头落实）": a one-sentence item whose note is its own
                builder.item(item[0], title or None, line.no, heading=item[1])
                if (note := _only_note(rest)) is not None:  # and its tasks', when tasks follow
                    builder.heading_item_units(note)
            else:
                builder.item(item[0], title or None, line.no, heading=None if rest else item[1])
                if rest:
                    builder.prose(None, rest, line.no)
        elif _attachment_entry(lines, i - 1) or _metadata_line(line):
            continue
        elif (task := task_heading(line)) is not None or (task := _next_number_before_digits(line, builder)):
            builder.numbered(line, *task)
        elif (date := date_only(line.key)) is not None:
            builder.signature(None, date)
        elif (signed := _signature_line(line)) is not None:
            builder.signature(*signed)
        elif i < len(lines) and issuer_like(line.text) and (date := date_only(_ISSUED.sub("", lines[i].key))):
            builder.signature(line.text, date)
            i += 1
        elif attachment := ATTACHMENT_RE.fullmatch(line.key):
            if last_table is None:  # looked for once: the last line that starts a table
                last_table = next((k for k in range(len(lines) - 1, -1, -1) if _table_start(lines, k)), -1)
            if attachment[1] and builder.has_tasks and last_table < i and not _PLAN_ATTACHMENT.search(line.key):
                # "附件：1.X清单2.Y情况表" after the plan's tasks, no task table after it and no
                # attachment named as a plan or its task list: the attachments are not the plan
                break
            if attachment[1]:
                builder.attachment = (line.no, line.text[attachment.start(1):].strip())
            builder.signed_since_section = True
        elif not is_footer(line):
            builder.paragraph(line)


# "流水镇人民政府2017年3月10日Power by … 来源：流水镇": the signature and its date on one line,
# then at most the page's chrome.
_SIGNED = re.compile(r"(\S.{1,29}?)\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)")
_CHROME_AFTER = re.compile(r"[^\u4e00-\u9fff]*(?:(?:文章)?来源\s*:.*)?")


# "平潭综合实验区管委会办公室" then "2013年5月30日印发": the issuer and the date it issued the plan.
_ISSUED = re.compile(r"\s*印发\s*$")


def _signature_line(line: Line) -> tuple[str, str] | None:
    m = _SIGNED.match(line.key)
    if not m or not _CHROME_AFTER.fullmatch(line.key, m.end()) or not issuer_like(line.text[:m.end(1)]):
        return None
    date = date_only(m[2])
    return (line.text[:m.end(1)].strip(), date) if date else None


_PLAN_ATTACHMENT = re.compile(r"任务|分工|分解|要点|方案|计划")


def _table_start(lines: list[Line], i: int) -> bool:
    line = lines[i]
    return is_table_line(line) or is_bar_line(line) or column_role(line.text) is not None


# "11.121人才梯队项目。" after task 10: a dot number whose text opens with digits reads like a
# decimal ("1.5倍"), so it is a task number only when it is the next one after the last task's.
_NUMBER_BEFORE_DIGITS = re.compile(r"\s*(\d{1,3})\.(?=\d)")


def _next_number_before_digits(line: Line, builder: _Builder) -> tuple[str, str, str] | None:
    m = _NUMBER_BEFORE_DIGITS.match(line.key)
    if m is None:
        return None
    last = next((t.number for s in reversed(builder.sections) for i in reversed(s.items)
                 for t in reversed(i.tasks) if t.number is not None), None)
    if last is None or not last.isdigit() or int(m[1]) != int(last) + 1:
        return None
    return m[1], line.text[m.end():].strip(), "dot"


# "附件：1. X分解表" then "2. Y任务分解表": the attachments' list, not numbered tasks.
_LISTED_ATTACHMENT = re.compile(r".*(?:表|清单|分解|方案|计划|要点|目录|名单)\s*$")


# "1. [主题分类] 综合政务" … "8. [有效性] 现行有效": a page's metadata as a numbered list of
# bracketed field names, page furniture, not tasks.
_METADATA_FIELD = re.compile(r"\s*\d{1,2}\s*[.、]\s*\[[\u4e00-\u9fff]{2,6}\]")


def _metadata_line(line: Line) -> bool:
    return bool(_METADATA_FIELD.match(line.key))


def _attachment_entry(lines: list[Line], i: int) -> bool:
    j = i
    while j > 0 and task_heading(lines[j]) and _LISTED_ATTACHMENT.fullmatch(lines[j].key):
        j -= 1
        if (m := ATTACHMENT_RE.fullmatch(lines[j].key)) and m[1] and _LISTED_ATTACHMENT.fullmatch(m[1]):
            return True
    return False


def _is_structural(lines: list[Line], i: int) -> bool:
    line = lines[i]
    if section_heading(line) or item_heading(line):
        return True
    if _attachment_entry(lines, i) or _metadata_line(line):
        return False
    if task_heading(line):
        # "1、XX方案为贯彻…现将重点任务分解如下：" then "一、…": a page marker before the lead-in
        # of a copied document, not a first task (a task does not introduce the sections)
        return not (line.key.rstrip().endswith(":") and i + 1 < len(lines)
                    and (section_heading(lines[i + 1]) or item_heading(lines[i + 1])))
    if is_table_line(line) and header_columns(row_cells(line)) is not None:
        # a header with no row under it is a line that names columns ("# source: … 工作任务 | …")
        return i + 1 < len(lines) and is_table_line(lines[i + 1])
    return (is_bar_line(line) or column_role(line.text) is not None) and read_cell_lines(lines, i) is not None


# --- entry point -----------------------------------------------------------------------------


def parse_plan_text(text: str) -> ParsedPlan:
    """Parse a plan's text into a ParsedPlan; raise PlanParseError with a one-line reason.

    The tasks' line numbers refer to ``plan.source_text`` (the text, with folded lines unfolded)."""
    text = unfold(drop_markup(split_bar_ended_cells(spaced_tables_to_tabs(recover_runon_tables(text or "")))))
    lines = split_lines(text)
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

    # A plan's title names what it is (方案, 要点…); a page's leftover line before the article
    # does not, and then the cover notice's 《…》 names the plan.
    title = (front.title if front.title and (TITLE_WORDS.search(front.title) or not front.cover_title)
             else front.cover_title) or front.title or ""
    year = year_of(title, front.doc_number) or (int(front.issued_on[:4]) if front.issued_on else None)
    builder = _Builder(year=year, plan_title=title)
    _build_body(body, builder)
    rule_line = next((ln.no for ln in lines if FIRST_LISTED_LEADS.search(ln.key)), None)
    comma_rule_line = next((ln.no for ln in lines if BEFORE_COMMA_LEADS.search(ln.key)), None)
    sections = builder.finish(rule_line, comma_rule_line)
    return ParsedPlan(
        title=title,
        issuer=front.issuer or builder.issuer or issuer_from_title(title),
        doc_number=front.doc_number,
        issued_on=front.issued_on or builder.issued_on,
        year=year,
        interpretation=interpretation,
        preamble=front.preamble,
        sections=sections,
        source_text=text,
    )


