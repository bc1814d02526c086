"""How close a parsed tree is to a hand-checked expected tree (the corpus score, issue 9 §1).

Both trees are dicts of the ``plan parse --format json`` schema (tests/data/plans/*.expected.json).

* **Tasks** are matched one to one by text: whitespace and punctuation dropped, full-width
  folded, then difflib's ratio ≥ 0.8; best pairs first. Precision, recall and F1 over tasks.
* **Sections** and **items** are matched the same way on "number + title" (a missing level,
  number and title null, matches a missing level).
* **Units right**: of the expected tasks, those matched to a parsed task whose set of lead ∪
  cooperating units is the same; **with roles**: lead set and cooperating set both the same.
  **Deadlines right**: the matched task's ``deadline_text`` equal after trimming (null = null).
  An expected task the parser missed counts as wrong on all three.
* A **cut** document (only a prefix was stored) is scored on its whole part only: parsed tasks,
  items and sections after the one matched to the last expected one are ignored.
* A document the parser refuses scores zero and is counted as refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from tracker.domain.plan_parsing.text import match_key

MATCH_RATIO = 0.8
_NOISE = re.compile(r"[\W_]+")


def normalise(text: str | None) -> str:
    """Text for matching: matching key (full-width folded), no whitespace or punctuation."""
    return _NOISE.sub("", match_key(text or ""))


@dataclass
class Counts:
    matched: int = 0
    expected: int = 0
    found: int = 0

    def add(self, other: Counts) -> None:
        self.matched += other.matched
        self.expected += other.expected
        self.found += other.found

    @property
    def f1(self) -> float:
        if not self.expected and not self.found:
            return 1.0
        return 2 * self.matched / (self.expected + self.found) if self.expected + self.found else 0.0


@dataclass
class DocScore:
    name: str
    refused: str | None = None  # the parser's reason when it refused the document
    sections: Counts = field(default_factory=Counts)
    items: Counts = field(default_factory=Counts)
    tasks: Counts = field(default_factory=Counts)
    units_right: int = 0
    roles_right: int = 0
    deadlines_right: int = 0
    # (expected text, parsed text or None, what differs) for the report
    misses: list[tuple[str, str | None, str]] = field(default_factory=list)

    @property
    def expected_tasks(self) -> int:
        return self.tasks.expected

    def ratio(self, value: int) -> float:
        return value / self.tasks.expected if self.tasks.expected else 1.0


@dataclass
class Totals:
    documents: int = 0
    refused: int = 0
    sections: Counts = field(default_factory=Counts)
    items: Counts = field(default_factory=Counts)
    tasks: Counts = field(default_factory=Counts)
    units_right: int = 0
    roles_right: int = 0
    deadlines_right: int = 0

    def add(self, doc: DocScore) -> None:
        self.documents += 1
        self.refused += doc.refused is not None
        self.sections.add(doc.sections)
        self.items.add(doc.items)
        self.tasks.add(doc.tasks)
        self.units_right += doc.units_right
        self.roles_right += doc.roles_right
        self.deadlines_right += doc.deadlines_right

    def ratio(self, value: int) -> float:
        return value / self.tasks.expected if self.tasks.expected else 1.0

    def as_dict(self) -> dict[str, float]:
        return {
            "documents": self.documents,
            "refused": self.refused,
            "sections_f1": round(self.sections.f1, 4),
            "items_f1": round(self.items.f1, 4),
            "tasks_f1": round(self.tasks.f1, 4),
            "units": round(self.ratio(self.units_right), 4),
            "units_roles": round(self.ratio(self.roles_right), 4),
            "deadlines": round(self.ratio(self.deadlines_right), 4),
        }


def _similar(a: str, b: str) -> float:
    if a == b:
        return 1.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < MATCH_RATIO or matcher.quick_ratio() < MATCH_RATIO:
        return 0.0
    return matcher.ratio()


def match(expected: list[str], found: list[str]) -> dict[int, int]:
    """One-to-one pairs expected index → found index, best ratio first, each ≥ MATCH_RATIO."""
    exp = [normalise(t) for t in expected]
    got = [normalise(t) for t in found]
    pairs = []
    for i, a in enumerate(exp):
        for j, b in enumerate(got):
            ratio = _similar(a, b)
            if ratio >= MATCH_RATIO:
                pairs.append((-ratio, abs(i - j), i, j))
    pairs.sort()
    result: dict[int, int] = {}
    used: set[int] = set()
    for _, _, i, j in pairs:
        if i not in result and j not in used:
            result[i] = j
            used.add(j)
    return result


def _heading(node: dict) -> str:
    number, title = node.get("number"), node.get("title")
    if number is None and title is None:
        return "∅"  # a level the document does not write
    return f"{number or ''}{title or ''}"


def _level_counts(expected: list[str], found: list[str], cut: bool) -> Counts:
    pairs = match(expected, found)
    return Counts(len(pairs), len(expected), _found_in_whole_part(pairs, len(found), len(expected), cut))


def _found_in_whole_part(pairs: dict[int, int], found: int, expected: int, cut: bool) -> int:
    """Parsed nodes that count: in a cut document, none after the last matched one."""
    if not cut:
        return found
    return min(found, max(pairs.values()) + 1) if pairs else min(found, expected)


def _units(task: dict) -> set[str]:
    return {normalise(u) for u in [*task.get("lead_units", []), *task.get("cooperating_units", [])]}


def _roles(task: dict) -> tuple[frozenset[str], frozenset[str]]:
    return (frozenset(normalise(u) for u in task.get("lead_units", [])),
            frozenset(normalise(u) for u in task.get("cooperating_units", [])))


def _deadline(task: dict) -> str | None:
    text = (task.get("deadline_text") or "").strip()
    return text or None


def _flatten(tree: dict) -> tuple[list[dict], list[dict], list[dict]]:
    sections, items, tasks = [], [], []
    for section in tree.get("sections", []):
        sections.append(section)
        for item in section.get("items", []):
            items.append(item)
            tasks.extend(item.get("tasks", []))
    return sections, items, tasks


def score_document(name: str, expected: dict, parsed: dict | None, refused: str | None = None
                   ) -> DocScore:
    """Score one parsed tree (None when the parser refused) against its expected tree."""
    doc = DocScore(name, refused=refused)
    e_sections, e_items, e_tasks = _flatten(expected)
    p_sections, p_items, p_tasks = _flatten(parsed or {})
    cut = bool(expected.get("cut"))
    doc.sections = _level_counts([_heading(s) for s in e_sections], [_heading(s) for s in p_sections], cut)
    doc.items = _level_counts([_heading(i) for i in e_items], [_heading(i) for i in p_items], cut)
    pairs = match([t["text"] for t in e_tasks], [t["text"] for t in p_tasks])
    doc.tasks = Counts(len(pairs), len(e_tasks), _found_in_whole_part(pairs, len(p_tasks), len(e_tasks), cut))
    for i, task in enumerate(e_tasks):
        j = pairs.get(i)
        if j is None:
            doc.misses.append((task["text"], None, "未找到"))
            continue
        got = p_tasks[j]
        wrong = []
        if _units(task) == _units(got):
            doc.units_right += 1
        else:
            wrong.append(f"单位 {sorted(_units(task))} ≠ {sorted(_units(got))}")
        if _roles(task) == _roles(got):
            doc.roles_right += 1
        elif not wrong:
            wrong.append(f"角色 牵头{task.get('lead_units')} ≠ {got.get('lead_units')}")
        if _deadline(task) == _deadline(got):
            doc.deadlines_right += 1
        else:
            wrong.append(f"时限 {_deadline(task)!r} ≠ {_deadline(got)!r}")
        if wrong:
            doc.misses.append((task["text"], got["text"], "；".join(wrong)))
    return doc
