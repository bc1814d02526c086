"""Plan templates: a plan, its units, assignments, milestones and deadlines as readable YAML.

Pure functions: YAML text -> PlanTemplate (strictly validated) and PlanTemplate -> YAML text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import yaml

from tracker.domain.plan_model import (
    MilestoneSpec,
    ParsedItem,
    ParsedPlan,
    ParsedSection,
    ParsedTask,
)

FORMAT_VERSION = 1


class TemplateError(ValueError):
    """A template refused, with the key at fault (e.g. sections[0].items[1].tasks[2].deadline)."""

    def __init__(self, message: str, key: str | None = None):
        self.key = key
        super().__init__(f"{key}：{message}" if key else message)


@dataclass
class ReportingCycle:
    cycle: str = "monthly"
    due_day: int = 5
    tolerance_percent: int = 10


@dataclass
class PlanTemplate:
    plan: ParsedPlan
    units: list[str]
    milestones: list[MilestoneSpec] = field(default_factory=list)
    reporting: ReportingCycle = field(default_factory=ReportingCycle)
    note: str | None = None
    # Units not yet known to the tracker and what to do with each (a reviewed import):
    # "新建"/"create", "不分配"/"unassigned", the name of a known unit, or None (undecided).
    new_units: dict[str, str | None] = field(default_factory=dict)


def template_from_parsed(plan: ParsedPlan) -> PlanTemplate:
    """A template for a freshly parsed document: its units are those named in its text."""
    units: list[str] = []
    for task in iter_tasks(plan):
        for name in [*task.lead_units, *task.cooperating_units]:
            if name not in units:
                units.append(name)
    return PlanTemplate(plan=plan, units=units)


def iter_tasks(plan: ParsedPlan):
    """Every task of the plan in tree order, sub-tasks after their parent."""

    def walk(tasks):
        for task in tasks:
            yield task
            yield from walk(task.subtasks)

    for section in plan.sections:
        for item in section.items:
            yield from walk(item.tasks)


# --- reading -----------------------------------------------------------------------------

_TOP_KEYS = {"format", "note", "plan", "reporting", "units", "new_units", "milestones", "sections"}
_PLAN_KEYS = {"title", "issuer", "doc_number", "issued_on", "year", "preamble", "interpretation"}
_REPORTING_KEYS = {"cycle", "due_day", "tolerance_percent"}
_SECTION_KEYS = {"number", "title", "items"}
_ITEM_KEYS = {"number", "title", "tasks"}
_TASK_KEYS = {
    "number", "text", "lead_units", "cooperating_units", "deadline_text", "deadline",
    "milestones", "subtasks",
}
_MILESTONE_KEYS = {"title", "due_on"}
_CYCLES = {"monthly"}


class _Reader:
    """Walks the YAML tree keeping the path, so every error names its key."""

    def __init__(self, units: set[str]):
        self.units = units

    def mapping(self, value: Any, key: str, allowed: set[str], required: set[str]) -> dict:
        if not isinstance(value, dict):
            raise TemplateError("应为键值对（mapping）", key)
        for name in value:
            if name not in allowed:
                raise TemplateError(f"未知字段“{name}”（可用：{'、'.join(sorted(allowed))}）",
                                    _join(key, str(name)))
        for name in sorted(required):
            if value.get(name) in (None, ""):
                raise TemplateError("缺少必填字段", _join(key, name))
        return value

    def text(self, value: Any, key: str, *, required: bool = False, limit: int = 10000) -> str | None:
        if value is None or value == "":
            if required:
                raise TemplateError("不能为空", key)
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise TemplateError("应为文本", key)
        text = str(value).strip()
        if len(text) > limit:
            raise TemplateError(f"超过{limit}字", key)
        return text

    def integer(self, value: Any, key: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TemplateError("应为整数", key)
        if not low <= value <= high:
            raise TemplateError(f"应在{low}到{high}之间", key)
        return value

    def date(self, value: Any, key: str) -> str:
        if isinstance(value, dt.datetime):
            raise TemplateError("应为日期 YYYY-MM-DD，不含时间", key)
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise TemplateError(f"日期“{value}”无效，应为 YYYY-MM-DD", key) from None

    def sequence(self, value: Any, key: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            raise TemplateError("应为列表", key)
        return value

    def unit_names(self, value: Any, key: str) -> list[str]:
        names = []
        for index, raw in enumerate(self.sequence(value, key)):
            name = self.text(raw, f"{key}[{index}]", required=True, limit=100)
            if name not in self.units:
                raise TemplateError(f"单位“{name}”未在 units 中列出", f"{key}[{index}]")
            if name in names:
                raise TemplateError(f"单位“{name}”重复", f"{key}[{index}]")
            names.append(name)
        return names

    def milestones(self, value: Any, key: str) -> list[MilestoneSpec]:
        result = []
        for index, raw in enumerate(self.sequence(value, key)):
            path = f"{key}[{index}]"
            raw = self.mapping(raw, path, _MILESTONE_KEYS, {"title", "due_on"})
            result.append(MilestoneSpec(
                title=self.text(raw["title"], f"{path}.title", required=True, limit=300),
                due_on=self.date(raw["due_on"], f"{path}.due_on"),
            ))
        return result

    def task(self, raw: Any, key: str) -> ParsedTask:
        raw = self.mapping(raw, key, _TASK_KEYS, {"text"})
        deadline = raw.get("deadline")
        if deadline is not None and deadline != "ongoing":
            deadline = self.date(deadline, f"{key}.deadline")
        lead = self.unit_names(raw.get("lead_units"), f"{key}.lead_units")
        cooperating = self.unit_names(raw.get("cooperating_units"), f"{key}.cooperating_units")
        for index, name in enumerate(cooperating):
            if name in lead:
                raise TemplateError(f"单位“{name}”不能既是牵头单位又是配合单位",
                                    f"{key}.cooperating_units[{index}]")
        return ParsedTask(
            number=self.text(raw.get("number"), f"{key}.number", limit=20),
            text=self.text(raw["text"], f"{key}.text", required=True),
            lead_units=lead,
            cooperating_units=cooperating,
            deadline_text=self.text(raw.get("deadline_text"), f"{key}.deadline_text", limit=100),
            deadline=deadline,
            milestones=self.milestones(raw.get("milestones"), f"{key}.milestones"),
            subtasks=self.tasks(raw.get("subtasks"), f"{key}.subtasks"),
        )

    def tasks(self, value: Any, key: str) -> list[ParsedTask]:
        result: list[ParsedTask] = []
        seen: dict[str, int] = {}
        for index, raw in enumerate(self.sequence(value, key)):
            task = self.task(raw, f"{key}[{index}]")
            number = task.number
            if number is not None:
                if number in seen:
                    raise TemplateError(f"任务编号“{number}”与第{seen[number] + 1}项重复",
                                        f"{key}[{index}].number")
                seen[number] = index
            result.append(task)
        return result


class _Loader(yaml.SafeLoader):
    """Dates stay strings, so a bad date is reported with its key, not as a YAML crash."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_template(text: str) -> PlanTemplate:
    """Parse and validate a template; raise TemplateError naming the key at fault."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"第{mark.line + 1}行" if mark else None
        raise TemplateError(f"YAML 格式错误：{getattr(error, 'problem', error)}", where) from None
    if data is None:
        raise TemplateError("模板为空")
    reader = _Reader(units=set())
    data = reader.mapping(data, "", _TOP_KEYS, {"plan", "sections"})
    if data.get("format", FORMAT_VERSION) != FORMAT_VERSION:
        raise TemplateError(f"不支持的模板格式版本（应为 {FORMAT_VERSION}）", "format")

    units: list[str] = []
    for index, raw in enumerate(reader.sequence(data.get("units"), "units")):
        name = reader.text(raw, f"units[{index}]", required=True, limit=100)
        if name in units:
            raise TemplateError(f"单位“{name}”重复", f"units[{index}]")
        units.append(name)
    reader.units = set(units)
    new_units: dict[str, str | None] = {}
    raw_new = data.get("new_units")
    if raw_new is not None and not isinstance(raw_new, dict):
        raise TemplateError("应为键值对（mapping）", "new_units")
    for name, value in (raw_new or {}).items():
        name = reader.text(name, "new_units", required=True, limit=100)
        if name not in reader.units:
            raise TemplateError(f"单位“{name}”未在 units 中列出", f"new_units.{name}")
        new_units[name] = reader.text(value, f"new_units.{name}", limit=100)

    meta = reader.mapping(data["plan"], "plan", _PLAN_KEYS, {"title"})
    year = meta.get("year")
    reporting_raw = reader.mapping(data.get("reporting") or {}, "reporting", _REPORTING_KEYS, set())
    cycle = reporting_raw.get("cycle", "monthly")
    if cycle not in _CYCLES:
        raise TemplateError(f"不支持的报送周期“{cycle}”（可用：monthly）", "reporting.cycle")
    reporting = ReportingCycle(
        cycle=cycle,
        due_day=reader.integer(reporting_raw.get("due_day", 5), "reporting.due_day", 1, 28),
        tolerance_percent=reader.integer(
            reporting_raw.get("tolerance_percent", 10), "reporting.tolerance_percent", 0, 100),
    )

    sections: list[ParsedSection] = []
    for s_index, raw_section in enumerate(reader.sequence(data["sections"], "sections")):
        s_key = f"sections[{s_index}]"
        raw_section = reader.mapping(raw_section, s_key, _SECTION_KEYS, {"number", "title"})
        items = []
        for i_index, raw_item in enumerate(reader.sequence(raw_section.get("items"), f"{s_key}.items")):
            i_key = f"{s_key}.items[{i_index}]"
            raw_item = reader.mapping(raw_item, i_key, _ITEM_KEYS, set())
            items.append(ParsedItem(
                number=reader.text(raw_item.get("number"), f"{i_key}.number", limit=20),
                title=reader.text(raw_item.get("title"), f"{i_key}.title", limit=300),
                tasks=reader.tasks(raw_item.get("tasks"), f"{i_key}.tasks"),
            ))
        sections.append(ParsedSection(
            number=reader.text(raw_section["number"], f"{s_key}.number", required=True, limit=20),
            title=reader.text(raw_section["title"], f"{s_key}.title", required=True, limit=300),
            items=items,
        ))
    if not sections:
        raise TemplateError("至少需要一个部分", "sections")

    plan = ParsedPlan(
        title=reader.text(meta["title"], "plan.title", required=True, limit=300),
        issuer=reader.text(meta.get("issuer"), "plan.issuer", limit=200),
        doc_number=reader.text(meta.get("doc_number"), "plan.doc_number", limit=100),
        issued_on=reader.date(meta["issued_on"], "plan.issued_on") if meta.get("issued_on") else None,
        year=reader.integer(year, "plan.year", 1990, 2100) if year is not None else None,
        interpretation=reader.text(meta.get("interpretation"), "plan.interpretation", limit=200000),
        preamble=reader.text(meta.get("preamble"), "plan.preamble", limit=200000),
        sections=sections,
    )
    return PlanTemplate(
        plan=plan,
        units=units,
        milestones=reader.milestones(data.get("milestones"), "milestones"),
        reporting=reporting,
        note=reader.text(data.get("note"), "note"),
        new_units=new_units,
    )


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


# --- writing -----------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line text as literal blocks, keys in the order written."""


def _str_representer(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _list_representer(dumper: yaml.SafeDumper, value: list):
    # Unit lists read best on one line: lead_units: [局办公室, 法规处]
    flow = all(isinstance(entry, str) and "\n" not in entry for entry in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


def _date(value: str | None):
    """ISO strings written as YAML dates (unquoted); "ongoing" and None pass through."""
    try:
        return dt.date.fromisoformat(value) if value else value
    except ValueError:
        return value


_Dumper.add_representer(str, _str_representer)
_Dumper.add_representer(list, _list_representer)


_MARK = "__comment_mark__"


def _task_to_data(task: ParsedTask, comments: dict[int, list[str]] | None = None) -> dict:
    data: dict[str, Any] = {}
    if comments and comments.get(id(task)):
        data[_MARK] = id(task)
    if task.number is not None:
        data["number"] = task.number
    data["text"] = task.text
    data["lead_units"] = list(task.lead_units)
    data["cooperating_units"] = list(task.cooperating_units)
    if task.deadline_text:
        data["deadline_text"] = task.deadline_text
    if task.deadline:
        data["deadline"] = _date(task.deadline)
    if task.milestones:
        data["milestones"] = [{"title": m.title, "due_on": _date(m.due_on)} for m in task.milestones]
    if task.subtasks:
        data["subtasks"] = [_task_to_data(sub, comments) for sub in task.subtasks]
    return data


def _place_comments(text: str, comments: dict[int, list[str]]) -> str:
    """Each marked task's comment lines go just above its "- " line."""
    lines: list[str] = []
    pending: str | None = None  # the "- " prefix owed to the line after a mark
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if stripped.startswith(f"- {_MARK}: "):
            indent = line[: len(line) - len(stripped)]
            key = int(stripped.split(": ", 1)[1])
            lines.extend(f"{indent}# {comment}" for comment in comments[key])
            pending = indent
            continue
        if pending is not None:
            line = f"{pending}- {line[len(pending) + 2:]}"
            pending = None
        lines.append(line)
    return "\n".join(lines) + "\n"


def dump_template(template: PlanTemplate, *, header: list[str] | None = None,
                  task_comments: dict[int, list[str]] | None = None,
                  unit_comments: list[str] | None = None) -> str:
    """The template as YAML. A reviewed import adds comment lines: `header` on top,
    `unit_comments` above the units, `task_comments` (by id() of the task) above each task."""
    plan = template.plan
    meta = {
        "title": plan.title,
        "issuer": plan.issuer,
        "doc_number": plan.doc_number,
        "issued_on": _date(plan.issued_on),
        "year": plan.year,
        "preamble": plan.preamble,
        "interpretation": plan.interpretation,
    }
    data: dict[str, Any] = {"format": FORMAT_VERSION}
    if template.note:
        data["note"] = template.note
    data["plan"] = {key: value for key, value in meta.items() if value is not None}
    data["reporting"] = {
        "cycle": template.reporting.cycle,
        "due_day": template.reporting.due_day,
        "tolerance_percent": template.reporting.tolerance_percent,
    }
    data["units"] = list(template.units)
    if template.new_units:
        data["new_units"] = dict(template.new_units)
    if template.milestones:
        data["milestones"] = [{"title": m.title, "due_on": _date(m.due_on)} for m in template.milestones]
    data["sections"] = [
        {
            "number": section.number,
            "title": section.title,
            "items": [
                {
                    "number": item.number,
                    "title": item.title,
                    "tasks": [_task_to_data(task, task_comments) for task in item.tasks],
                }
                for item in section.items
            ],
        }
        for section in plan.sections
    ]
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    if task_comments:
        text = _place_comments(text, task_comments)
    if unit_comments:
        text = text.replace("\nunits:", "".join(f"\n# {c}" for c in unit_comments) + "\nunits:", 1)
    if header:
        text = "".join(f"# {line}\n" for line in header) + text
    return text
