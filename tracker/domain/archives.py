"""Uploaded archives that would swell the server are refused before anything is parsed.

Office files (.xlsx, .docx) are zip archives: their central directory declares every member's
uncompressed size, and Python's zipfile never inflates a member past its declared size. So the
declared sizes are checked before any XML is parsed (total, per member, ratio to the archive,
member count), which bounds memory: a 240 KB workbook declaring 55 MB of XML is refused at once
(413), without inflating a byte.

Parsing itself runs off the event loop with a time limit: tracker.services.parsing.
"""

from __future__ import annotations

import io
import zipfile

from tracker.domain.errors import TooLarge

MAX_UNCOMPRESSED_BYTES = 40 * 1024 * 1024  # a 2,000-task ledger is a few MB of XML
MAX_MEMBER_BYTES = 30 * 1024 * 1024
MAX_RATIO = 100  # office XML compresses 5-20×; a bomb compresses hundreds of times
RATIO_FLOOR_BYTES = 2 * 1024 * 1024  # small archives may be as repetitive as they like
MAX_MEMBERS = 5_000


def check_zip_archive(data: bytes, field: str = "file") -> None:
    """Refuse an archive whose declared contents are too large (TooLarge, 413) before parsing.
    A damaged archive is left to the parser, which says so in its own words."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return
    total = sum(member.file_size for member in members)
    largest = max((member.file_size for member in members), default=0)
    mb = 1024 * 1024
    if len(members) > MAX_MEMBERS:
        raise TooLarge(f"文件内含 {len(members)} 个部件，超过 {MAX_MEMBERS} 个上限", field)
    if total > MAX_UNCOMPRESSED_BYTES or largest > MAX_MEMBER_BYTES:
        raise TooLarge(f"文件解压后约 {total / mb:.0f} MB，超过 {MAX_UNCOMPRESSED_BYTES // mb} MB 上限，"
                       "请删去多余内容或拆分后上传", field)
    if total > RATIO_FLOOR_BYTES and total > MAX_RATIO * max(len(data), 1):
        raise TooLarge(f"文件压缩比异常（{total // max(len(data), 1)} 倍），疑似压缩炸弹，不予解析", field)

