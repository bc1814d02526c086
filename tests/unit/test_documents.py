"""documents: plan files (.txt in several encodings, .docx, .pdf) → text → the same plan tree."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from tracker.domain.plan_model import PlanParseError
from tracker.domain.plan_parsing import (
    DocumentReadError,
    join_wrapped_lines,
    parse_plan_text,
    read_plan_text,
)

SEED = Path(__file__).resolve().parents[2] / "plan_templates" / "suzhou_planning_2018.txt"
FONT = "STSong-Light"
CLOSING = "。，、；：！？）》”"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def without_lines(data):
    """to_dict() minus the source line numbers, which differ between file formats."""
    if isinstance(data, dict):
        return {k: without_lines(v) for k, v in data.items() if k != "line"}
    if isinstance(data, list):
        return [without_lines(v) for v in data]
    return data


def seed_tree() -> dict:
    return without_lines(parse_plan_text(seed_text()).to_dict())


def tree_from(data: bytes, filename: str) -> dict:
    return without_lines(parse_plan_text(read_plan_text(data, filename)).to_dict())


# --- builders --------------------------------------------------------------------------------


def make_docx(paragraphs: list[str]) -> bytes:
    document = Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def wrap(line: str, width: float, size: float) -> list[str]:
    """Break a line into drawn lines no wider than `width` points, as a word processor would.

    Punctuation never starts a line (the last character moves down with it, as Chinese
    typesetting does), and a break is never placed right after sentence punctuation in the middle
    of a paragraph, so that the only wrapped lines ending in 。；：！？ are real paragraph ends
    (that ambiguity cannot be resolved from a PDF's text layer either). Nor is a break placed next
    to a space, which a text layer would lose at the line edge.
    """
    chunks, current = [], ""
    for ch in line:
        if current and pdfmetrics.stringWidth(current + ch, FONT, size) > width:
            cut = len(current)
            if ch in CLOSING or current[-1] in "。；：！？":
                cut -= 1
            while cut > 1 and " " in (current + ch)[cut - 1: cut + 1]:
                cut -= 1
            chunks.append(current[:cut])
            current = current[cut:]
        current += ch
    chunks.append(current)
    return chunks


def make_pdf(text: str, size: float = 11, width: float = 420) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    top, bottom, leading = A4[1] - 60, 60, size * 1.5
    y = top
    pdf.setFont(FONT, size)
    page = 1
    for line in text.split("\n"):
        for chunk in wrap(line.strip(), width, size) if line.strip() else []:
            if y < bottom:
                pdf.drawCentredString(A4[0] / 2, 30, f"- {page} -")  # a page number to ignore
                pdf.showPage()
                pdf.setFont(FONT, size)
                page += 1
                y = top
            pdf.drawString(60, y, chunk)
            y -= leading
    pdf.save()
    return buffer.getvalue()


# --- .txt ------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_txt_encodings_give_the_same_tree(encoding):
    assert tree_from(seed_text().encode(encoding), "plan.txt") == seed_tree()


def test_gbk_copy_with_windows_newlines():
    data = seed_text().replace("\n", "\r\n").encode("gbk")
    assert tree_from(data, "方案.TXT") == seed_tree()


def test_txt_text_is_returned_with_unix_newlines():
    assert read_plan_text("一、甲\r\n1. 做甲。\r二".encode(), "a.txt") == "一、甲\n1. 做甲。\n二"


# --- .docx -----------------------------------------------------------------------------------


def test_docx_with_the_seed_paragraphs_gives_the_same_tree():
    data = make_docx(seed_text().split("\n"))
    assert tree_from(data, "plan.docx") == seed_tree()


def test_docx_table_with_merged_cells():
    document = Document()
    document.add_paragraph("某局2018年政务公开工作任务分解表")
    table = document.add_table(rows=6, cols=5)
    rows = [
        ["序号", "工作任务", "牵头单位", "配合单位", "完成时限"],
        ["一、推进决策公开", "", "", "", ""],
        ["1", "发布重大政策", "局办公室", "规划处", "2018年12月底前"],
        ["2", "解读重大政策", "", "宣传处、法规处", "持续推进"],
        ["二、推进服务公开", "", "", "", ""],
        ["3", "公开办事指南", "行政审批处", "", "年底前"],
    ]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if value:
                table.cell(r, c).text = value
    table.cell(1, 0).merge(table.cell(1, 4))  # section rows merged across the table
    table.cell(4, 0).merge(table.cell(4, 4))
    table.cell(2, 2).merge(table.cell(3, 2))  # 牵头单位 merged down two rows
    cell = table.cell(5, 3)  # two paragraphs in one cell: two units
    cell.text = "规划处"
    cell.add_paragraph("信息中心")
    document.add_paragraph("某市某局")
    document.add_paragraph("2018年8月1日")
    buffer = io.BytesIO()
    document.save(buffer)

    text = read_plan_text(buffer.getvalue(), "table.docx")
    assert text.split("\n")[1:5] == [
        "序号\t工作任务\t牵头单位\t配合单位\t完成时限",
        "\t".join(["一、推进决策公开"] * 5),
        "1\t发布重大政策\t局办公室\t规划处\t2018年12月底前",
        "2\t解读重大政策\t局办公室\t宣传处、法规处\t持续推进",  # merged down: repeated
    ]
    plan = parse_plan_text(text)
    assert (plan.title, plan.year, plan.issuer, plan.issued_on) == (
        "某局2018年政务公开工作任务分解表", 2018, "某市某局", "2018-08-01")
    summary = [
        (s.number, s.title, [(t.number, t.text, t.lead_units, t.cooperating_units, t.deadline_text,
                               t.deadline) for i in s.items for t in i.tasks])
        for s in plan.sections
    ]
    assert summary == [
        ("一", "推进决策公开", [
            ("1", "发布重大政策", ["局办公室"], ["规划处"], "2018年12月底前", "2018-12-31"),
            ("2", "解读重大政策", ["局办公室"], ["宣传处", "法规处"], "持续推进", "ongoing"),
        ]),
        ("二", "推进服务公开", [
            ("3", "公开办事指南", ["行政审批处"], ["规划处", "信息中心"], "年底前", "2018-12-31"),
        ]),
    ]


def test_docx_keeps_document_order_of_paragraphs_and_tables():
    document = Document()
    document.add_paragraph("一、甲")
    document.add_paragraph("做甲。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "工作任务", "责任单位"
    table.cell(1, 0).text, table.cell(1, 1).text = "做乙", "局办公室"
    document.add_paragraph("二、丙")
    buffer = io.BytesIO()
    document.save(buffer)
    text = read_plan_text(buffer.getvalue(), "x.docx")
    assert text == "一、甲\n做甲。\n工作任务\t责任单位\n做乙\t局办公室\n二、丙"


# --- .pdf ------------------------------------------------------------------------------------


@pytest.mark.parametrize("size, width", [(11, 420), (9, 440), (10, 480), (12, 360), (14, 380), (14, 340)])
def test_pdf_with_wrapped_lines_gives_the_same_tree(size, width):
    data = make_pdf(seed_text(), size=size, width=width)
    assert tree_from(data, "plan.pdf") == seed_tree()


def test_pdf_text_rejoins_wrapped_paragraphs():
    text = read_plan_text(make_pdf(seed_text(), size=14, width=380), "plan.PDF")
    expected = [line.strip() for line in seed_text().split("\n") if line.strip()]
    assert text.split("\n") == expected


def test_join_wrapped_lines():
    full = "这" * 30
    assert join_wrapped_lines([full, "续写。", "短标题", "下一行"]) == [full + "续写。", "短标题", "下一行"]
    assert join_wrapped_lines([full, "1. 新任务"]) == [full, "1. 新任务"]  # a heading starts anew
    assert join_wrapped_lines([full[:-1] + "。", "新段落"]) == [full[:-1] + "。", "新段落"]
    assert join_wrapped_lines(["办公室" + " " * 20 + "2018年8月1日印发", "共印：5份"]) == [
        "办公室" + " " * 20 + "2018年8月1日印发", "共印：5份"]  # laid out, not wrapped
    assert join_wrapped_lines([]) == []


def test_join_wrapped_heading_lines():
    title = "（七）" + "标" * 28
    assert join_wrapped_lines([title, "工作", full_line := "这" * 30, "。"]) == [
        title + "工作", full_line + "。"]
    assert join_wrapped_lines([title, full_line, "完。"]) == [title, full_line + "完。"]
    sentence = "（一）推进公开。" + "这" * 24
    assert join_wrapped_lines([sentence, full_line, "完。"]) == [sentence + full_line + "完。"]


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["a.txt", "a.docx", "a.pdf"])
def test_empty_file(filename):
    with pytest.raises(DocumentReadError, match="文件为空"):
        read_plan_text(b"", filename)


def test_whitespace_only_file():
    with pytest.raises(DocumentReadError, match="没有文字"):
        read_plan_text(" \r\n\t\u3000\n".encode(), "a.txt")


def test_whitespace_only_docx():
    with pytest.raises(DocumentReadError, match="没有文字"):
        read_plan_text(make_docx(["", "   "]), "a.docx")


@pytest.mark.parametrize("filename", ["plan.xlsx", "plan", "plan.txt.exe"])
def test_unsupported_extension(filename):
    with pytest.raises(DocumentReadError, match="不支持的文件类型"):
        read_plan_text(b"abc", filename)


def test_png_bytes_as_txt():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
    with pytest.raises(DocumentReadError, match="不是文本文件.*PNG"):
        read_plan_text(png, "plan.txt")


def test_binary_bytes_with_nul_as_txt():
    with pytest.raises(DocumentReadError, match="二进制"):
        read_plan_text(b"abc\x00\x01\x02def", "plan.txt")


def test_control_characters_mean_binary():
    with pytest.raises(DocumentReadError, match="二进制"):
        read_plan_text(bytes(range(1, 9)) * 10, "plan.txt")


def test_undecodable_text_names_the_byte_offset():
    data = "一、甲\n".encode() + b"\xff\xff"
    with pytest.raises(DocumentReadError) as caught:
        read_plan_text(data, "plan.txt")
    assert str(caught.value) == "无法识别文件编码：第10字节（0xFF）处既不是有效的UTF-8也不是有效的GB18030"
    assert isinstance(caught.value, PlanParseError)


@pytest.mark.parametrize("data", [b"PK\x03\x04broken zip", b"this is not a word file", b"\x00" * 50])
def test_corrupt_docx(data):
    with pytest.raises(DocumentReadError, match="无法读取 Word 文件"):
        read_plan_text(data, "plan.docx")


def test_docx_named_as_txt():
    with pytest.raises(DocumentReadError, match="docx"):
        read_plan_text(make_docx(["一、甲"]), "plan.txt")


@pytest.mark.parametrize("data", [b"not a pdf at all", b"%PDF-1.4\n garbage"])
def test_corrupt_pdf(data):
    with pytest.raises(DocumentReadError, match="无法读取 PDF 文件"):
        read_plan_text(data, "plan.pdf")


def test_pdf_without_a_text_layer():
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.rect(100, 100, 200, 300, fill=1)  # a "scan": graphics only
    pdf.showPage()
    pdf.save()
    with pytest.raises(DocumentReadError, match="扫描件，无文字层"):
        read_plan_text(buffer.getvalue(), "scan.pdf")


def test_errors_are_one_line():
    for data, filename in [(b"", "a.txt"), (b"x", "a.doc"), (b"\x00", "a.txt"), (b"x", "a.docx")]:
        with pytest.raises(DocumentReadError) as caught:
            read_plan_text(data, filename)
        assert "\n" not in str(caught.value) and caught.value.line is None
