"""Plan documents → plan tree, in stages that can be read alone:

``sources`` (bytes → text: .txt, .docx, .pdf, .html, .ofd; tables become tab-separated rows) →
``text`` (lines and their matching key) → ``numbering`` (一、 / （一） / 1. headings) and
``tables`` (task-division tables, as rows or one cell per line) → ``units`` (units and
deadlines in notes and prose) → ``front`` (cover, title, 文号, 解读) → ``tree`` (the builder).

The public entry points are ``parse_plan_document`` (file bytes) and ``parse_plan_text``.
Pure: no I/O; fetching a web page is the caller's job (tracker.services.plan_fetch).
"""

from __future__ import annotations

from tracker.domain.plan_model import ParsedPlan, PlanParseError
from tracker.domain.plan_parsing.numbering import (
    heading_level,
    is_heading_line,
    item_heading,
    section_heading,
)
from tracker.domain.plan_parsing.sources import (
    SUPPORTED_EXTENSIONS,
    DocumentReadError,
    join_wrapped_lines,
    read_plan_text,
)
from tracker.domain.plan_parsing.tables import header_columns, table_row_units
from tracker.domain.plan_parsing.text import Line, match_key
from tracker.domain.plan_parsing.tree import parse_plan_text
from tracker.domain.plan_parsing.units import extract_units, split_units

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "DocumentReadError",
    "Line",
    "ParsedPlan",
    "PlanParseError",
    "extract_units",
    "header_columns",
    "heading_level",
    "is_heading_line",
    "item_heading",
    "join_wrapped_lines",
    "match_key",
    "parse_plan_document",
    "parse_plan_text",
    "read_plan_text",
    "section_heading",
    "split_units",
    "table_row_units",
]


def parse_plan_document(data: bytes, filename: str) -> ParsedPlan:
    """A plan file's bytes → its tree; raise PlanParseError (DocumentReadError) with one line.

    The tree's task ``line`` numbers refer to ``plan.source_text``, the text read from the file.
    """
    return parse_plan_text(read_plan_text(data, filename))
