"""Validation of a progress update and its evidence: pure, one place for every input rule.

The page form and the JSON API both call these, so a reason reads the same everywhere.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from tracker.domain.errors import InvalidInput
from tracker.domain.periods import parse_period
from tracker.domain.vocabulary import UPDATE_STATE_LABELS

TEXT_LIMITS = {"work_done": 2000, "problems": 2000, "next_steps": 2000}
TEXT_LABELS = {"work_done": "工作进展", "problems": "存在问题", "next_steps": "下步计划"}
MAX_LINKS = 10
MAX_LINK_LENGTH = 500
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_FILENAME_LENGTH = 200
# Evidence people actually attach: documents, spreadsheets, scans and screenshots.
ALLOWED_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ofd": "application/ofd",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}
# Content that must never be served back as an "evidence" file, whatever its name says.
_FORBIDDEN_MAGIC = (b"<!doctype html", b"<html", b"<script", b"<svg", b"MZ", b"\x7fELF")


@dataclass(frozen=True)
class UpdateInput:
    period: str
    percent: int
    state: str
    work_done: str
    problems: str = ""
    next_steps: str = ""
    evidence_links: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EvidenceFile:
    name: str
    content_type: str
    content: bytes


def parse_percent(raw: object) -> int:
    """0-100 as a whole number; "50%", "abc", NaN, 50.5 and booleans are refused."""
    if isinstance(raw, bool) or raw is None or raw == "":
        raise InvalidInput("请填写完成进度（0-100 的整数）", "percent")
    if isinstance(raw, float):
        if math.isnan(raw) or math.isinf(raw) or not raw.is_integer():
            raise InvalidInput("完成进度须为 0-100 的整数", "percent")
        raw = int(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if not re.fullmatch(r"[0-9]{1,3}", text):
            raise InvalidInput(f"完成进度“{raw[:20]}”不是 0-100 的整数（不要带 %）", "percent")
        raw = int(text)
    if not isinstance(raw, int):
        raise InvalidInput("完成进度须为 0-100 的整数", "percent")
    if not 0 <= raw <= 100:
        raise InvalidInput(f"完成进度 {raw} 超出 0-100 范围", "percent")
    return raw


def _text(raw: Mapping, name: str, required: bool) -> str:
    value = raw.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{TEXT_LABELS[name]}须为文本", name)
    value = value.replace("\r\n", "\n").strip()
    if "\x00" in value:
        raise InvalidInput(f"{TEXT_LABELS[name]}含有非法字符", name)
    if required and not value:
        raise InvalidInput(f"请填写{TEXT_LABELS[name]}", name)
    limit = TEXT_LIMITS[name]
    if len(value) > limit:
        raise InvalidInput(f"{TEXT_LABELS[name]}不能超过{limit}字（现为{len(value)}字）", name)
    return value


def parse_links(raw: object) -> list[str]:
    """Evidence URLs: a list, or text with one URL per line (the form's textarea)."""
    if raw is None or raw == "":
        return []
    items = raw.splitlines() if isinstance(raw, str) else raw
    if not isinstance(items, list):
        raise InvalidInput("佐证链接须为链接列表", "evidence_links")
    links = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise InvalidInput(f"第{index + 1}个佐证链接须为文本", "evidence_links")
        link = item.strip()
        if not link:
            continue
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(link) > MAX_LINK_LENGTH:
            raise InvalidInput(f"佐证链接“{link[:60]}”无效，须为 http(s) 地址且不超过"
                               f"{MAX_LINK_LENGTH}字符", "evidence_links")
        links.append(link)
    if len(links) > MAX_LINKS:
        raise InvalidInput(f"佐证链接最多{MAX_LINKS}个", "evidence_links")
    return links


def state_for_percent(percent: int) -> str:
    """The state a percent implies when none is chosen: 0 not started, 100 done, else under way."""
    if percent == 0:
        return "not_started"
    return "done" if percent == 100 else "in_progress"


AUTO_STATE = ""  # the update form's "按进度自动" choice


def with_state_from_percent(raw: Mapping) -> dict:
    """The form's fields with the automatic state resolved from the percent (a bad percent is
    left for `validate_update` to refuse, naming the percent)."""
    fields = dict(raw)
    if fields.get("state", AUTO_STATE) == AUTO_STATE:
        try:
            fields["state"] = state_for_percent(parse_percent(fields.get("percent")))
        except InvalidInput:
            pass
    return fields


def validate_update(raw: Mapping) -> UpdateInput:
    """Check a submitted update (form fields or JSON) and return it cleaned."""
    period_raw = raw.get("period")
    if not isinstance(period_raw, str):
        raise InvalidInput("请填写报送周期（如 2018-09）", "period")
    try:
        period = parse_period(period_raw)
    except ValueError as error:
        raise InvalidInput(str(error), "period") from None
    percent = parse_percent(raw.get("percent"))
    state = raw.get("state")
    if state not in UPDATE_STATE_LABELS:
        raise InvalidInput(f"未知状态“{str(state)[:20]}”（可用：{'、'.join(UPDATE_STATE_LABELS)}）", "state")
    if state == "done" and percent != 100:
        raise InvalidInput("状态为“已完成”时完成进度应为 100", "percent")
    if state == "not_started" and percent != 0:
        raise InvalidInput("状态为“未启动”时完成进度应为 0", "percent")
    return UpdateInput(
        period=period,
        percent=percent,
        state=state,
        work_done=_text(raw, "work_done", required=True),
        problems=_text(raw, "problems", required=False),
        next_steps=_text(raw, "next_steps", required=False),
        evidence_links=parse_links(raw.get("evidence_links")),
    )


def validate_evidence(files: list[EvidenceFile]) -> list[EvidenceFile]:
    """Names, sizes and types of evidence files; refused whole, never silently renamed.

    The stored content type comes from the (allowed) extension, never from the client."""
    if len(files) > MAX_ATTACHMENTS:
        raise InvalidInput(f"附件最多{MAX_ATTACHMENTS}个", "attachments")
    for file in files:
        name = file.name
        # The name as echoed in a reason: no NUL or other control characters sent back.
        shown = "".join(ch if ch.isprintable() else "?" for ch in name[:60])
        if not name or "\x00" in name or "/" in name or "\\" in name or ".." in name:
            raise InvalidInput(f"附件名“{shown}”无效（不能含路径、.. 或空字符）", "attachments")
        if len(name) > MAX_FILENAME_LENGTH:
            raise InvalidInput(f"附件名不能超过{MAX_FILENAME_LENGTH}字符", "attachments")
        suffix = PurePosixPath(name).suffix.lower()
        if suffix not in ALLOWED_TYPES:
            raise InvalidInput(f"附件“{shown}”类型不允许（可用：{' '.join(sorted(ALLOWED_TYPES))}）",
                               "attachments")
        if not file.content:
            raise InvalidInput(f"附件“{shown}”是空文件", "attachments")
        if len(file.content) > MAX_ATTACHMENT_BYTES:
            raise InvalidInput(f"附件“{shown}”超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB 上限",
                               "attachments")
        head = file.content[:64].lstrip().lower()
        if any(head.startswith(magic.lower()) for magic in _FORBIDDEN_MAGIC):
            raise InvalidInput(f"附件“{shown}”的内容与类型不符", "attachments")
    return [EvidenceFile(file.name, ALLOWED_TYPES[PurePosixPath(file.name).suffix.lower()], file.content)
            for file in files]
