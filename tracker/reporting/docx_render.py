"""The report as an editable Word document (.docx), from the same HTML as the PDF.

Offices revise a report before it goes up. Rather than a second layout that could drift from
the PDF, the Word copy is made by walking the very HTML the PDF is typeset from: headings,
paragraphs, tables, lists and figures map onto python-docx's, the charts go in as PNG (Word
does not take SVG), so the two carry the same words and the same figures.
"""

from __future__ import annotations

import io
import re

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from lxml import html as lxml_html

from tracker.reporting.model import ReportData
from tracker.reporting.render import render_html

BODY_FONT = "宋体"  # Word substitutes a Song face the machine has
HEADING_FONT = "黑体"
_CHART_CLASS = re.compile(r"\bchart-(\w+)\b")
_SKIP = {"style", "script", "colgroup", "hr", "meta", "title", "head"}


def _space(text: str) -> str:
    """Whitespace as the browser shows it: runs collapsed, none between CJK characters' lines."""
    return re.sub(r"\s+", " ", text).strip()


def _text(element) -> str:
    """An element's text; `.sub` spans (notes under a cell's value) go on their own line."""
    parts: list[str] = [element.text or ""]
    for child in element:
        classes = (child.get("class") or "").split()
        inner = _text(child)
        if "sub" in classes or child.tag in ("br", "p", "div"):
            parts.append("\n" + inner + "\n")
        else:
            parts.append(inner)
        parts.append(child.tail or "")
    lines = [_space(line) for line in "".join(parts).split("\n")]
    return "\n".join(line for line in lines if line)


def _set_fonts(document) -> None:
    for name, font, size in (("Normal", BODY_FONT, 12), ("Heading 1", HEADING_FONT, 16),
                             ("Heading 2", HEADING_FONT, 13), ("Title", BODY_FONT, 20),
                             ("Caption", HEADING_FONT, 10)):
        style = document.styles[name]
        style.font.name = font
        style.font.size = Pt(size)
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
        if name != "Normal":
            style.font.color.rgb = RGBColor(0, 0, 0)


def _page(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)


class _Writer:
    def __init__(self, document, pngs: dict[str, bytes]) -> None:
        self.document = document
        self.pngs = pngs

    def walk(self, element) -> None:
        for child in element:
            if not isinstance(child.tag, str) or child.tag in _SKIP:
                continue
            handler = getattr(self, f"_{child.tag}", None)
            if handler is not None:
                handler(child)
            else:
                self.walk(child)

    def _h1(self, element) -> None:
        self.document.add_paragraph(_text(element), style="Title").alignment = (
            WD_ALIGN_PARAGRAPH.CENTER)

    def _h2(self, element) -> None:
        self.document.add_heading(_text(element), level=1)

    def _h3(self, element) -> None:
        self.document.add_heading(_text(element), level=2)

    def _p(self, element) -> None:
        text = _text(element)
        if not text:
            return
        paragraph = self.document.add_paragraph(text)
        classes = (element.get("class") or "").split()
        if {"issuer", "report-kind", "doc-number", "brief-meta"} & set(classes):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if "summary-text" in classes or "summary" in classes:
            paragraph.paragraph_format.first_line_indent = Pt(24)

    def _div(self, element) -> None:
        if "figure-box" in (element.get("class") or ""):
            self.document.add_paragraph(_space(" ".join(reversed(_text(element).split("\n")))))
        else:
            self.walk(element)

    def _ol(self, element) -> None:
        for index, item in enumerate(element.findall("li"), start=1):
            self.document.add_paragraph(f"{index}. " + _text(item).replace("\n", "  "))

    _ul = _ol

    def _dl(self, element) -> None:
        label = None
        for child in element:
            if child.tag == "dt":
                label = _text(child)
            elif child.tag == "dd":
                self.document.add_paragraph(f"{label}：{_text(child)}" if label else _text(child))
                label = None

    def _figure(self, element) -> None:
        match = _CHART_CLASS.search(element.get("class") or "")
        png = self.pngs.get(match.group(1)) if match else None
        if png is not None:
            self.document.add_picture(io.BytesIO(png), width=Cm(15.5))
            self.document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        caption = element.find("figcaption")
        if caption is not None:
            paragraph = self.document.add_paragraph(_text(caption), style="Caption")
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def _table(self, element) -> None:
        rows = [row for row in element.iter("tr")]
        if not rows:
            return
        width = max(sum(int(cell.get("colspan", "1")) for cell in row.findall("*"))
                    for row in rows)
        table = self.document.add_table(rows=0, cols=width)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for row in rows:
            cells = [cell for cell in row if cell.tag in ("td", "th")]
            out = table.add_row().cells
            column = 0
            for cell in cells:
                span = int(cell.get("colspan", "1"))
                target = out[column]
                if span > 1:
                    target = target.merge(out[column + span - 1])
                target.text = _text(cell)
                if cell.tag == "th":
                    for run in target.paragraphs[0].runs:
                        run.bold = True
                for paragraph in target.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(9)
                column += span
        self.document.add_paragraph()


def render_docx(data: ReportData, charts_drawn: dict[str, dict[str, bytes]]) -> bytes:
    """The report as .docx bytes; `charts_drawn` holds each chart's "png" (and "svg")."""
    root = lxml_html.document_fromstring(render_html(data, charts_drawn))
    document = Document()
    _page(document)
    _set_fonts(document)
    document.core_properties.title = f"{data.plan_title} {data.period}"
    if data.issuer:
        document.core_properties.author = data.issuer
    pngs = {name: formats["png"] for name, formats in charts_drawn.items() if "png" in formats}
    _Writer(document, pngs).walk(root.find("body"))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
