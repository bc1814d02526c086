"""OFD (GB/T 33190-2016, the national fixed-layout format) → text lines.

An OFD file is a zip of XML parts: OFD.xml names each document's root (DocBody/DocRoot),
Document.xml lists the pages (Pages/Page@BaseLoc), and each page's Content.xml holds
TextObject elements with a Boundary ("x y w h", mm) and TextCode runs (X/Y inside the object).
The text layer is read directly from those parts with zipfile and lxml, the same way the PDF
text layer is read: runs on one baseline make a line (a wide horizontal gap between runs becomes
a tab, so a table row reads as cells), lines run top to bottom, pages in order. Wrapped lines
are re-joined by the PDF rule (sources.join_wrapped_lines). Signatures, seals and images are
ignored; an OFD of scanned images has no text and gets the scanned-document message.
"""

from __future__ import annotations

import io
import posixpath
import zipfile

MAX_PARTS = 2000  # a page count far above any plan: a bound on a hostile zip
MAX_PART_BYTES = 20 * 1024 * 1024


class OfdError(ValueError):
    pass


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element, name: str):
    return [child for child in element.iter() if isinstance(child.tag, str) and _local(child.tag) == name]


def _read(archive: zipfile.ZipFile, name: str):
    from lxml import etree

    name = name.lstrip("/")
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise OfdError(name) from None
    if info.file_size > MAX_PART_BYTES:
        raise OfdError(name)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(archive.read(info), parser)
    except etree.XMLSyntaxError:
        raise OfdError(name) from None


def _resolve(base: str, location: str) -> str:
    location = location.strip()
    if location.startswith("/"):
        return location.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), location))


def ofd_text(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        raise OfdError("zip") from None
    with archive:
        if len(archive.infolist()) > MAX_PARTS:
            raise OfdError("parts")
        root = _read(archive, "OFD.xml")
        lines: list[str] = []
        for doc_root in _children(root, "DocRoot"):
            document_path = _resolve("OFD.xml", doc_root.text or "")
            document = _read(archive, document_path)
            for page in _children(document, "Page"):
                location = page.get("BaseLoc")
                if location:
                    content = _read(archive, _resolve(document_path, location))
                    lines.extend(_page_lines(content))
    from tracker.domain.plan_parsing.sources import join_wrapped_lines

    return "\n".join(join_wrapped_lines([line for line in lines if line.strip()]))


def _page_lines(content) -> list[str]:
    runs: list[tuple[float, float, float, str]] = []  # (y, x, x_end, text)
    for obj in _children(content, "TextObject"):
        try:
            x0, y0, _w, _h = (float(v) for v in (obj.get("Boundary") or "0 0 0 0").split()[:4])
        except ValueError:
            continue
        size = float(obj.get("Size") or 3.5)
        for code in _children(obj, "TextCode"):
            text = code.text or ""
            if not text.strip():
                continue
            try:
                x = x0 + float(code.get("X") or 0)
                y = y0 + float(code.get("Y") or 0)
            except ValueError:
                continue
            runs.append((y, x, x + size * len(text), text))
    runs.sort()
    lines: list[str] = []
    current: list[tuple[float, float, float, str]] = []
    for run in runs:
        if current and abs(run[0] - current[0][0]) > 1.5:
            lines.append(_join(current))
            current = []
        current.append(run)
    if current:
        lines.append(_join(current))
    return lines


def _join(runs: list[tuple[float, float, float, str]]) -> str:
    runs = sorted(runs, key=lambda r: r[1])
    text, end = "", None
    for _y, x, x_end, piece in runs:
        if end is not None and x - end > 8:  # a wide gap: the next cell of a table row
            text += "\t"
        text += piece
        end = x_end
    return text
