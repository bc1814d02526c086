"""Parsing uploaded files without letting one stall the server.

Parsing (openpyxl, python-docx, pypdf, the plan parser) is CPU work: it runs in a worker thread
with a time limit, so the event loop keeps answering (/healthz, other users) and a file that
takes too long is refused (422) instead of holding the request. Archives that would swell
memory are refused before that, by tracker.domain.archives.check_zip_archive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from tracker.domain.errors import InvalidInput

T = TypeVar("T")

PARSE_SECONDS = 20.0


async def parse_off_loop(parse: Callable[..., T], *args, seconds: float | None = None,
                         field: str = "file") -> T:
    """Run a blocking parser in a worker thread, refusing (422) after `seconds`."""
    seconds = PARSE_SECONDS if seconds is None else seconds
    try:
        async with asyncio.timeout(seconds):
            return await asyncio.to_thread(parse, *args)
    except TimeoutError:
        raise InvalidInput(f"文件解析超过 {seconds:g} 秒，已停止；请检查文件或拆分后上传", field,
                           status_code=422) from None
