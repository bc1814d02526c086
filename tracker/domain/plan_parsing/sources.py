"""Read an uploaded plan file (bytes + filename) into plain text for plan_parsing.

* .txt — UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030 (which covers GBK/GB2312).
* .docx — paragraphs and tables in document order; a table row becomes one tab-separated line.
  A merged cell is repeated in every column and every row it spans (so a row merged across the
  table reads as one repeated value, and a 牵头单位 merged down three rows assigns all three).
  Several paragraphs in one cell are joined with "；" unless the first ends in punctuation.
* .pdf — the text layer (pypdf); a page with ruled tables is read with pdfplumber instead: its
  table cells (merged cells repeated over what they cover) as tab-separated rows, the text
  around them as prose. An image-only (scanned) PDF: "扫描件，无文字层". Lines that the PDF wrapped are re-joined: a line is joined with the
  next when it does not end in 。；：！？, the next line is not a heading, and the line is "full"
  (at least 80% as wide as the widest line, and at least 15 characters wide), which tells a
  wrapped line from a short title or signature line. A full-width heading title without clause
  punctuation ("（七）…试点工作") is continued only by a short tail (under 40% of the width); a line with a wide gap of spaces is laid
  out (signature, 印发 line), not wrapped prose. Bare page numbers are dropped.

* .html / .htm — web.py; .ofd — ofd.py; .doc / .wps — converted by LibreOffice when it is
  installed, else a message naming what to save the file as.

Every failure raises DocumentReadError (a PlanParseError) with a one-line Chinese reason.
"""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import PurePath

from tracker.domain.plan_model import PlanParseError
from tracker.domain.plan_parsing.numbering import heading_level

__all__ = ["SUPPORTED_EXTENSIONS", "DocumentReadError", "read_plan_text"]

SUPPORTED_EXTENSIONS = (".txt", ".docx", ".pdf", ".html", ".htm", ".ofd")
# Formats that cannot be read here: what to save them as instead.
_SAVE_AS = {".doc": "Word 97-2003 文档（.doc）", ".wps": "WPS 文字文档（.wps）", ".et": "WPS 表格（.et）",
            ".rtf": "RTF 文档（.rtf）", ".odt": "ODF 文档（.odt）"}

# User-facing messages (Chinese), collected so that an English table can follow.
MESSAGES = {
    "empty": "文件为空",
    "no_text": "文件中没有文字内容",
    "unsupported": "不支持的文件类型“{ext}”（支持 .txt、.docx、.pdf、.html、.ofd）",
    "save_as": "无法直接读取{kind}：请在 Word 或 WPS 中“另存为”.docx（或 PDF）后再导入",
    "bad_html": "无法读取网页文件（不是有效的 HTML）",
    "html_no_text": "网页中没有正文文字",
    "bad_ofd": "无法读取 OFD 文件（文件已损坏或不是 OFD 格式）",
    "binary": "文件不是文本文件（含有二进制内容）",
    "binary_kind": "文件不是文本文件（内容是{kind}）",
    "undecodable": "无法识别文件编码：第{offset}字节（0x{byte}）处既不是有效的UTF-8也不是有效的GB18030",
    "bad_docx": "无法读取 Word 文件（文件已损坏或不是 .docx 格式）",
    "bad_pdf": "无法读取 PDF 文件（文件已损坏或不是 PDF 格式）",
    "encrypted_pdf": "PDF 文件已加密，无法读取",
    "pdf_no_text": "扫描件，无文字层：PDF 中没有可读取的文字，请先进行文字识别（OCR）或上传 Word/文本文件",
}

# Recognisable binary formats, for a more helpful message than "binary".
_MAGIC = (
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"%PDF", "PDF 文档，请使用 .pdf 扩展名"),
    (b"PK\x03\x04", "ZIP/Word 文档，请使用 .docx 扩展名"),
    (b"\xd0\xcf\x11\xe0", "旧版 Word/Excel 文档（.doc/.xls），请另存为 .docx"),
)


class DocumentReadError(PlanParseError):
    """A file that cannot be turned into text."""


def read_plan_text(data: bytes, filename: str) -> str:
    """The text of a plan file, lines separated by "\\n"; raise DocumentReadError on failure."""
    ext = PurePath(filename or "").suffix.lower()
    if ext in _SAVE_AS:
        converted = _convert_with_libreoffice(data, ext)
        if converted is None:
            raise DocumentReadError(MESSAGES["save_as"].format(kind=_SAVE_AS[ext]))
        data, ext = converted, ".docx"
    if ext not in SUPPORTED_EXTENSIONS:
        raise DocumentReadError(MESSAGES["unsupported"].format(ext=ext or filename or ""))
    if not data:
        raise DocumentReadError(MESSAGES["empty"])
    reader = {".txt": _read_txt, ".docx": _read_docx, ".pdf": _read_pdf, ".html": _read_html,
              ".htm": _read_html, ".ofd": _read_ofd}[ext]
    text = reader(data)
    text = re.sub(r"\r\n?", "\n", text)
    if not text.strip():
        empty = {".pdf": "pdf_no_text", ".html": "html_no_text", ".htm": "html_no_text"}
        raise DocumentReadError(MESSAGES[empty.get(ext, "no_text")])
    return text


def _convert_with_libreoffice(data: bytes, ext: str) -> bytes | None:
    """.doc/.wps → .docx with LibreOffice when it is installed (headless, 60 s); else None."""
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    office = shutil.which("soffice") or shutil.which("libreoffice")
    if not office:
        return None
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / f"plan{ext}"
        source.write_bytes(data)
        try:
            subprocess.run([office, "--headless", f"-env:UserInstallation=file://{folder}/profile",
                            "--convert-to", "docx", "--outdir", folder, str(source)],
                           capture_output=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        target = Path(folder) / "plan.docx"
        return target.read_bytes() if target.exists() else None


# --- .html -----------------------------------------------------------------------------------


def _read_html(data: bytes) -> str:
    from tracker.domain.plan_parsing.web import html_text

    if data.lstrip()[:5] == b"%PDF-" or b"\x00" in data[:1024]:
        raise DocumentReadError(MESSAGES["bad_html"])
    try:
        return html_text(data)
    except (ValueError, TypeError):
        raise DocumentReadError(MESSAGES["bad_html"]) from None
    except Exception as error:  # lxml's parser errors
        if type(error).__module__.startswith("lxml"):
            raise DocumentReadError(MESSAGES["bad_html"]) from None
        raise


# --- .ofd ------------------------------------------------------------------------------------


def _read_ofd(data: bytes) -> str:
    from tracker.domain.plan_parsing.ofd import OfdError, ofd_text

    try:
        return ofd_text(data)
    except OfdError:
        raise DocumentReadError(MESSAGES["bad_ofd"]) from None


# --- .txt ------------------------------------------------------------------------------------


def _read_txt(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Notepad's "Unicode": UTF-16 with a BOM
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise DocumentReadError(MESSAGES["binary"]) from None
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise DocumentReadError(MESSAGES["binary_kind"].format(kind=kind))
    if b"\x00" in data:
        raise DocumentReadError(MESSAGES["binary"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            offset = utf8_error.start
            raise DocumentReadError(
                MESSAGES["undecodable"].format(offset=offset, byte=f"{data[offset]:02X}")) from None
    if _looks_binary(text):
        raise DocumentReadError(MESSAGES["binary"])
    return text


def _looks_binary(text: str) -> bool:
    """Control characters other than tab/newline/form feed are rare in real text."""
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    return controls > max(2, len(text) // 100)


# --- .docx -----------------------------------------------------------------------------------

_PUNCTUATION_END = "。；;，,：:！？!?、"


def _read_docx(data: bytes) -> str:
    try:
        import docx
        from docx.oxml.ns import qn
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for element in _block_elements(document.element.body, qn):
            if element.tag == qn("w:p"):
                lines.append(Paragraph(element, document).text)
            else:
                lines.extend(_table_lines(Table(element, document), qn))
    except DocumentReadError:
        raise
    except Exception:  # python-docx/zipfile/lxml raise many types for a damaged file
        raise DocumentReadError(MESSAGES["bad_docx"]) from None
    return "\n".join(lines)


def _block_elements(parent, qn):
    """Paragraphs and tables in document order, looking inside content controls."""
    for child in parent.iterchildren():
        if child.tag in (qn("w:p"), qn("w:tbl")):
            yield child
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _block_elements(content, qn)


def _table_lines(table, qn) -> list[str]:
    from docx.table import _Cell

    lines = []
    above: dict[int, str] = {}  # grid column → text of the cell that starts a vertical merge
    for tr in table._tbl.tr_lst:
        cells: list[str] = []
        before = tr.trPr.find(qn("w:gridBefore")) if tr.trPr is not None else None
        if before is not None:
            cells.extend([""] * int(before.get(qn("w:val"), "0")))
        for tc in tr.tc_lst:
            column = len(cells)
            if tc.vMerge == "continue":  # the lower part of a vertically merged cell
                text = above.get(column, "")
            else:
                text = _cell_text(_Cell(tc, table))
                above[column] = text
            cells.extend([text] * tc.grid_span)
        lines.append("\t".join(cells))
    return lines


def _cell_text(cell) -> str:
    parts: list[str] = []
    for paragraph in cell.paragraphs:
        for piece in paragraph.text.replace("\t", " ").split("\n"):
            piece = piece.strip()
            if piece:
                parts.append(piece)
    text = ""
    for part in parts:
        joiner = "" if not text or text[-1] in _PUNCTUATION_END else "；"
        text += joiner + part
    return text


# --- .pdf ------------------------------------------------------------------------------------

_SENTENCE_END = "。；：！？;:!?"
_CLAUSE = re.compile(r"[。，,；;]")
_LAYOUT_GAP = re.compile(r"\s{3,}")  # "办公室      2018年8月1日印发": laid out, not wrapped prose
_PAGE_NUMBER = re.compile(r"[-—–\s]*\d{1,4}[-—–\s]*|第\s*\d+\s*页.*")


def _read_pdf(data: bytes) -> str:
    try:
        import pypdf

        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentReadError(MESSAGES["encrypted_pdf"])
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentReadError:
        raise
    except Exception:  # pypdf raises many types for a damaged file
        raise DocumentReadError(MESSAGES["bad_pdf"]) from None
    if not any(page.strip() for page in pages):
        raise DocumentReadError(MESSAGES["pdf_no_text"])
    ruled = _pdf_ruled_tables(data)
    out: list[str] = []
    flowing: list[str] = []  # text-flow lines, re-joined across page breaks
    for index, page in enumerate(pages):
        if index in ruled:
            out.extend(join_wrapped_lines(flowing))
            flowing = []
            out.extend(ruled[index])
            continue
        lines = [line.strip() for line in page.splitlines()]
        flowing.extend(ln for ln in lines if ln and not _PAGE_NUMBER.fullmatch(ln))
    out.extend(join_wrapped_lines(flowing))
    if not out:
        raise DocumentReadError(MESSAGES["pdf_no_text"])
    return "\n".join(out)


def _pdf_ruled_tables(data: bytes) -> dict[int, list[str]]:
    """Pages that hold ruled tables → their lines: the text around the tables (re-joined as
    prose) and each table row as tab-separated cells, top to bottom. A merged cell is repeated
    in every row and column it covers (read from the cells' rectangles, as .docx is read).
    Pages without ruled tables are left to pypdf's text flow."""
    try:
        import pdfplumber
    except ImportError:
        return {}
    result: dict[int, list[str]] = {}
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for index, page in enumerate(pdf.pages):
                tables = [t for t in page.find_tables() if len(t.rows) >= 2 and len(t.cells) >= 4]
                if not tables:
                    continue
                blocks: list[tuple[float, list[str]]] = []
                outside = page
                for table in tables:
                    blocks.append((table.bbox[1], _pdf_table_rows(page, table)))
                    outside = outside.outside_bbox(table.bbox)
                for line in (outside.extract_text_lines() or []):
                    text = line["text"].strip()
                    if text and not _PAGE_NUMBER.fullmatch(text):
                        blocks.append((line["top"], [text]))
                blocks.sort(key=lambda block: block[0])
                lines: list[str] = []
                prose: list[str] = []
                for _, block in blocks:
                    if len(block) == 1 and "\t" not in block[0]:
                        prose.append(block[0])
                        continue
                    lines.extend(join_wrapped_lines(prose))
                    prose = []
                    lines.extend(block)
                lines.extend(join_wrapped_lines(prose))
                result[index] = lines
    except Exception:  # a damaged page: the text flow read above still stands
        return {}
    return result


def _pdf_table_rows(page, table) -> list[str]:
    xs = sorted({round(c[0], 1) for c in table.cells} | {round(c[2], 1) for c in table.cells})
    ys = sorted({round(c[1], 1) for c in table.cells} | {round(c[3], 1) for c in table.cells})
    grid = [[""] * (len(xs) - 1) for _ in range(len(ys) - 1)]
    for x0, top, x1, bottom in table.cells:
        text = page.crop((x0, top, x1, bottom)).extract_text() or ""
        text = "".join(part.strip() for part in text.splitlines())
        for r in range(len(ys) - 1):
            if ys[r] >= round(top, 1) - 0.5 and ys[r + 1] <= round(bottom, 1) + 0.5:
                for c in range(len(xs) - 1):
                    if xs[c] >= round(x0, 1) - 0.5 and xs[c + 1] <= round(x1, 1) + 0.5:
                        grid[r][c] = text
    return ["\t".join(row) for row in grid if any(row)]


def _width(text: str) -> float:
    """Display width in em: CJK and full-width characters 1, others ½."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


def join_wrapped_lines(lines: list[str]) -> list[str]:
    """Re-join lines that a PDF wrapped (see the module docstring for the rule)."""
    if not lines:
        return []
    prose = [_width(line) for line in lines if not _LAYOUT_GAP.search(line)] or [0.0]
    full = max(15.0, 0.8 * max(prose))
    result: list[str] = []
    current = lines[0]
    for line, following in zip(lines, lines[1:], strict=False):
        wrapped = (_width(line) >= full and line[-1] not in _SENTENCE_END
                   and not _LAYOUT_GAP.search(line) and heading_level(following) is None
                   and "\t" not in line and "\t" not in following)  # table rows stay rows
        if wrapped and heading_level(current) in ("section", "item") and not _CLAUSE.search(current):
            # A heading title (no clause punctuation) that fills the line: only a short tail
            # can be its continuation; a sentence-like heading wraps as prose does.
            wrapped = _width(following) < 0.4 * full and "。" not in following[:-1]
        if wrapped:
            current += following
        else:
            result.append(current)
            current = following
    result.append(current)
    return result
