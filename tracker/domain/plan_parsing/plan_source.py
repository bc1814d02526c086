"""Turn an uploaded or local plan file into a PlanTemplate: a YAML template, or a document to parse."""

from __future__ import annotations

from pathlib import PurePath

from tracker.domain.plan_parsing import parse_plan_document
from tracker.domain.plan_templates import (
    PlanTemplate,
    TemplateError,
    load_template,
    template_from_parsed,
)

TEMPLATE_SUFFIXES = {".yaml", ".yml"}


def is_template(filename: str) -> bool:
    return PurePath(filename).suffix.lower() in TEMPLATE_SUFFIXES


def load_plan_source(data: bytes, filename: str) -> PlanTemplate:
    """Raises TemplateError or PlanParseError with a one-line reason."""
    if is_template(filename):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise TemplateError(f"模板须为 UTF-8 编码（第 {error.start} 字节无法解码）") from None
        return load_template(text)
    return template_from_parsed(parse_plan_document(data, filename))
