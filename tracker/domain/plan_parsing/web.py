"""A plan published as a web page (saved .html, or fetched by `tracker plan import URL`) → text.

* The bytes are decoded by the charset the page declares (GBK/GB2312 read as GB18030, their
  superset), else UTF-8, else GB18030.
* Page chrome is dropped: script/style/nav/header/footer/aside/form/iframe elements, and
  elements whose id or class names a menu, breadcrumb, share bar, footer, sidebar and the like.
* The article is the element most government CMSs put it in (TRS_Editor, zoom, article,
  content, …); without one, the block holding the most paragraph text.
* Each paragraph-like block becomes a line; a <table> becomes tab-separated rows, a merged
  cell (colspan/rowspan) repeated in every column and row it spans, as .docx tables are read.

lxml is imported here only, so the `tracker` command starts without it.
"""

from __future__ import annotations

import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.IGNORECASE)
_CHROME = re.compile(
    r"nav|menu|breadcrumb|crumb|bread|position|location|share|footer|foot|header|head-|top-bar|"
    r"sidebar|side-|aside|copyright|toolbar|print|font-?size|fontsize|related|xgwz|pager|"
    r"login|search|weixin|qrcode|ewm", re.IGNORECASE)
_ARTICLE = re.compile(
    r"TRS_Editor|TRS_UEDITOR|Custom_UnionStyle|zoom|article|content|conTxt|main-?txt|"
    r"news_?content|detail|text|zw|wzzw|pages_content|view", re.IGNORECASE)
_DROP_TAGS = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe",
              "button", "select", "input", "svg", "template", "head", "title"}
_BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
           "blockquote", "pre", "dd", "dt", "center", "ul", "ol", "dl", "main", "tr", "table",
           "tbody", "thead", "td", "th", "font", "span"}
_BLOCK_LEVEL = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
                "blockquote", "pre", "dd", "dt", "center", "ul", "ol", "dl", "main"}


def decode_html(data: bytes) -> str:
    match = _META_CHARSET.search(data[:4096])
    charset = match.group(1).decode("ascii").lower() if match else ""
    if charset in ("gb2312", "gbk", "gb18030", "x-gbk"):
        charset = "gb18030"
    for candidate in (charset, "utf-8", "gb18030"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("gb18030", errors="replace")


def html_text(data: bytes) -> str:
    """The article of a web page as lines of text (tables as tab-separated rows)."""
    import lxml.etree
    import lxml.html

    text = decode_html(data).strip()
    if not text:
        return ""
    text = re.sub(r"^<\?xml[^>]*>", "", text)  # lxml refuses a str with an encoding declaration
    document = lxml.html.document_fromstring(text)
    lxml.etree.strip_elements(document, lxml.etree.Comment, lxml.etree.ProcessingInstruction,
                              with_tail=False)
    for element in list(document.iter()):
        if not isinstance(element.tag, str):
            continue
        if element.tag in _DROP_TAGS or _is_chrome(element):
            if element.getparent() is not None:
                element.drop_tree()
    root = _article(document)
    lines: list[str] = []
    _walk(root, lines)
    return "\n".join(line for line in (re.sub(r"[ \t\u3000\xa0]+", " ", ln).strip()
                                         if "\t" not in ln else ln for ln in lines) if line)


def _is_chrome(element) -> bool:
    if element.tag in ("body", "html", "table", "tr", "td", "th", "tbody"):
        return False
    names = f"{element.get('id', '')} {element.get('class', '')}"
    return bool(names.strip()) and bool(_CHROME.search(names)) and not _ARTICLE.search(names)


def _article(document):
    best, best_length = None, 0
    for element in document.iter("div", "article", "section", "td", "main"):
        names = f"{element.get('id', '')} {element.get('class', '')}"
        if names.strip() and _ARTICLE.search(names):
            length = len(element.text_content().strip())
            if length > best_length:
                best, best_length = element, length
    if best is not None and best_length >= 50:
        return best
    body = document.find("body")
    return body if body is not None else document


def _walk(element, lines: list[str]) -> None:
    """Text in document order: a block starts a new line, <br> ends one, tables become rows."""
    if element.tag == "table":
        lines.extend(_table_rows(element))
        lines.append("")
        return
    if element.tag in _BLOCK_LEVEL:
        lines.append("")
    if element.tag == "br":
        lines.append("")
    elif element.text:
        _add(lines, element.text)
    for child in element:
        if not isinstance(child.tag, str):
            if child.tail:
                _add(lines, child.tail)
            continue
        _walk(child, lines)
        if child.tail:
            _add(lines, child.tail)
    if element.tag in _BLOCK_LEVEL:
        lines.append("")


def _add(lines: list[str], text: str) -> None:
    text = text.replace("\r", "").replace("\n", " ")
    if not lines:
        lines.append("")
    lines[-1] += text


def _cell_text(cell) -> str:
    parts: list[str] = []
    _walk(cell, parts)
    text = ""
    for part in (p.strip() for p in parts):
        if part:
            text += ("" if not text or text[-1] in "。；;，,：:！？!?、" else "；") + part
    return text.replace("\t", " ")


def _table_rows(table) -> list[str]:
    rows: list[str] = []
    spans: dict[int, tuple[int, str]] = {}  # column → (rows still covered, text) from a rowspan
    for tr in table.iter("tr"):
        if tr.getparent() is not None and _closest_table(tr) is not table:
            continue  # a row of a table nested in a cell
        cells: list[str] = []
        column = 0
        for cell in tr:
            if cell.tag not in ("td", "th"):
                continue
            while column in spans:
                cells.append(spans[column][1])
                _consume(spans, column)
                column += 1
            text = _cell_text(cell)
            colspan = _span(cell.get("colspan"))
            rowspan = _span(cell.get("rowspan"))
            for offset in range(colspan):
                cells.append(text)
                if rowspan > 1:
                    spans[column + offset] = (rowspan - 1, text)
            column += colspan
        while column in spans:
            cells.append(spans[column][1])
            _consume(spans, column)
            column += 1
        if any(cells):
            rows.append("\t".join(cells) if len(cells) > 1 else cells[0])
    return rows


def _consume(spans: dict[int, tuple[int, str]], column: int) -> None:
    left, text = spans[column]
    if left <= 1:
        del spans[column]
    else:
        spans[column] = (left - 1, text)


def _closest_table(element):
    parent = element.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def _span(value: str | None) -> int:
    try:
        return max(1, min(50, int(value or 1)))
    except ValueError:
        return 1
