"""The parsed shape of a disclosure work plan: plain dataclasses, no I/O.

A plan is a tree: sections (一、) → items (（一）) → tasks (1. / plain paragraphs).
Dates are ISO strings ("YYYY-MM-DD"); a deadline may also be ONGOING.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ONGOING = "ongoing"
# The two parts a unit can have in a task (TaskUnit.role).
LEAD = "lead"
COOPERATING = "cooperating"
# What a stored plan is to this office (Plan.kind): its own plan, or a parent plan (上级),
# kept for reference only: never assigned, chased or reported on.
OWN = "own"
PARENT = "parent"


class PlanParseError(ValueError):
    """A plan that cannot be read, with a one-line Chinese reason.

    ``line`` is the 1-based line number at fault, or None when no single line is to blame.
    """

    def __init__(self, message: str, line: int | None = None):
        self.message = message
        self.line = line
        super().__init__(f"第{line}行：{message}" if line is not None else message)


@dataclass
class MilestoneSpec:
    """An intermediate checkpoint of a task or plan (templates only; the text parser never makes one)."""

    title: str
    due_on: str  # "YYYY-MM-DD"


@dataclass
class ParsedTask:
    number: str | None  # "1" for 1. / 1、 / (1) / ⑴; None for a plain paragraph
    text: str
    lead_units: list[str]
    cooperating_units: list[str]
    deadline_text: str | None  # as written, e.g. "2018年12月底前", "持续推进"
    deadline: str | None  # "YYYY-MM-DD" | ONGOING | None
    line: int | None = None  # source line (1-based)
    milestones: list[MilestoneSpec] = field(default_factory=list)
    subtasks: list[ParsedTask] = field(default_factory=list)
    end_line: int | None = None  # last source line of the task (a preview shows line..end_line)
    warnings: list[str] = field(default_factory=list)  # what the parser was unsure of (Chinese)

    def to_dict(self) -> dict:
        data = {
            "number": self.number,
            "text": self.text,
            "lead_units": list(self.lead_units),
            "cooperating_units": list(self.cooperating_units),
            "deadline_text": self.deadline_text,
            "deadline": self.deadline,
            "line": self.line,
        }
        # Template-only extras appear only when present, so parsed plans keep the documented keys.
        if self.milestones:
            data["milestones"] = [{"title": m.title, "due_on": m.due_on} for m in self.milestones]
        if self.subtasks:
            data["subtasks"] = [task.to_dict() for task in self.subtasks]
        if self.end_line is not None and self.end_line != self.line:
            data["end_line"] = self.end_line
        if self.warnings:
            data["warnings"] = list(self.warnings)
        return data


@dataclass
class ParsedItem:
    number: str | None  # "（一）" (full-width brackets), or None when the section has no item level
    title: str | None
    tasks: list[ParsedTask]

    def to_dict(self) -> dict:
        return {
            "number": self.number,
            "title": self.title,
            "tasks": [task.to_dict() for task in self.tasks],
        }


@dataclass
class ParsedSection:
    number: str  # "一"
    title: str
    items: list[ParsedItem]
    # The document writes no section level: number and title are stand-ins ("一", the plan's
    # title) so the tree can be stored, and the JSON shows them as null.
    implied: bool = False
    # The document names the section but does not number it (a table's group cell "主动公开"):
    # the number is a stand-in, shown as null in the JSON.
    unnumbered: bool = False

    def to_dict(self) -> dict:
        return {
            "number": None if self.implied or self.unnumbered else self.number,
            "title": None if self.implied else self.title,
            "items": [item.to_dict() for item in self.items],
        }


@dataclass
class ParsedPlan:
    title: str
    issuer: str | None
    doc_number: str | None  # e.g. "苏规办〔2018〕17号"
    issued_on: str | None  # "YYYY-MM-DD"
    year: int | None
    interpretation: str | None  # the attached 解读 text, kept apart (not tasks)
    preamble: str | None  # the intro paragraph(s) before 一、
    sections: list[ParsedSection]
    # The text the tasks' line numbers refer to (what was read from the file); not in to_dict.
    source_text: str | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        """JSON-ready dict with exactly the fields above (tasks include "line")."""
        return {
            "title": self.title,
            "issuer": self.issuer,
            "doc_number": self.doc_number,
            "issued_on": self.issued_on,
            "year": self.year,
            "interpretation": self.interpretation,
            "preamble": self.preamble,
            "sections": [section.to_dict() for section in self.sections],
        }
