"""Upload bombs (issue 12.3): an .xlsx or .docx whose declared contents are huge is refused
from its zip directory in well under a second (413), without inflating it; parsing runs in a
worker thread with a time limit (422), and /healthz answers meanwhile. On SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import time
import zipfile
from functools import cache

import pytest
from openpyxl import Workbook

from tests.support.world import build_world
from tracker.domain.archives import check_zip_archive
from tracker.domain.errors import InvalidInput, TooLarge
from tracker.services import parsing
from tracker.tables import TaskUnit

BOMB_BYTES = 55 * 1024 * 1024

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def _bomb(member: str, base: bytes) -> bytes:
    """A real office file with one member replaced by 55 MB of repetitive XML (~60 KB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename == member:
                row = b'<row><c t="inlineStr"><is><t>AAAAAAAAAAAAAAAAAAAAAAAA</t></is></c></row>'
                head = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                body = head + row * ((BOMB_BYTES - len(head)) // len(row)) + b"</sheetData></worksheet>"
                target.writestr(member, body)
            else:
                target.writestr(info, source.read(info.filename))
    return out.getvalue()


@cache
def xlsx_bomb() -> bytes:
    workbook = Workbook()
    workbook.active.append(["序号", "工作任务", "牵头单位"])
    base = io.BytesIO()
    workbook.save(base)
    return _bomb("xl/worksheets/sheet1.xml", base.getvalue())


@cache
def docx_bomb() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("一、总体要求")
    base = io.BytesIO()
    document.save(base)
    return _bomb("word/document.xml", base.getvalue())


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_declared_sizes_are_checked_before_parsing():
    bomb = xlsx_bomb()
    assert len(bomb) < 400 * 1024
    started = time.perf_counter()
    with pytest.raises(TooLarge, match="超过 40 MB 上限"):
        check_zip_archive(bomb)
    assert time.perf_counter() - started < 0.1
    # Over the ratio, under the total: 10 MB of one repeated byte in ~10 KB.
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"A" * (10 * 1024 * 1024))
    with pytest.raises(TooLarge, match="压缩比异常"):
        check_zip_archive(packed.getvalue())
    check_zip_archive(b"not a zip")  # left to the parser to refuse in its words


async def test_bombs_are_refused_at_once_while_healthz_answers(app_client):
    w = await build_world()
    assigned = await TaskUnit.count()
    coordinator = w.h["coordinator"]
    healthz_times: list[float] = []
    done = asyncio.Event()

    async def probe_healthz():
        while not done.is_set():
            started = time.perf_counter()
            assert (await app_client.get("/healthz")).status_code == 200
            healthz_times.append(time.perf_counter() - started)
            await asyncio.sleep(0.01)

    async def uploads():
        try:
            results = []
            for url, name, content, kind in (
                    (f"/api/plans/{w.plan_id}/assignments/preview", "分工表.xlsx", xlsx_bomb(), XLSX),
                    ("/api/plans/parse", "方案.docx", docx_bomb(), DOCX),
                    ("/api/plans/", "方案.docx", docx_bomb(), DOCX)):
                started = time.perf_counter()
                response = await app_client.post(url, headers=coordinator,
                                                 files={"file": (name, content, kind)})
                results.append((response, time.perf_counter() - started))
            return results
        finally:
            done.set()

    results, _ = await asyncio.gather(uploads(), probe_healthz())
    for response, seconds in results:
        assert response.status_code == 413, response.text
        assert response.json()["field"] == "file" and "上限" in response.json()["detail"]
        assert seconds < 1.0
    assert healthz_times and max(healthz_times) < 0.5
    assert await TaskUnit.count() == assigned  # nothing assigned from the bomb


async def test_slow_parsing_is_refused_after_the_time_limit_and_the_loop_keeps_answering(
        app_client, monkeypatch):
    await build_world()
    monkeypatch.setattr(parsing, "PARSE_SECONDS", 0.3)

    def slow_parser(_: bytes) -> str:
        time.sleep(1.5)
        return "never used"

    started = time.perf_counter()
    parse = asyncio.create_task(parsing.parse_off_loop(slow_parser, b"x"))
    health = await app_client.get("/healthz")
    assert health.status_code == 200 and time.perf_counter() - started < 0.3
    with pytest.raises(InvalidInput, match="文件解析超过 0.3 秒") as refused:
        await parse
    assert refused.value.status_code == 422 and refused.value.field == "file"
    assert time.perf_counter() - started < 1.0
