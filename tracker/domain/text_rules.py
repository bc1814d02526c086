"""One rule for every piece of text a user sends: what characters are refused.

Refused, with the field named and the character shown as U+XXXX:
- control characters other than tab, newline and carriage return (NUL among them): the
  databases refuse or truncate them, and they have no place in an office's text;
- lone surrogates: not text at all (PostgreSQL and every encoder refuse them);
- bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C): they reorder
  what a reader sees ("Trojan Source"), so a file name or a task title could show one thing
  and be another;
- zero-width and invisible characters (U+200B-U+200D, U+2060-U+2064, U+FEFF, U+00AD,
  U+180E): they make two names that look identical differ (a unit "宣传处" and "宣\u200b传处").

Refusing, rather than showing them visibly, was chosen because the text ends up in many
places (pages, PDF, DOCX, the ledger .xlsx, WeCom/DingTalk notices, the CLI), and a marker
would have to be added in each; refusing once at the door keeps every output clean, and
Chinese official text never needs these characters. The message says which character and
where, so a reporter who pasted from Word can remove it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tracker.domain.errors import InvalidInput

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                           "\u200e\u200f\u061c")
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e")
# Every refused character in one class, so a clean text (nearly all of them) is scanned by the
# regex engine rather than character by character in Python (every field of every request).
# Category Cc is exactly U+0000-U+001F and U+007F-U+009F; tab, newline and CR are allowed.
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"
                      + "".join(sorted(_BIDI_CONTROLS | _INVISIBLE)) + "]")


def refused_character(value: str) -> tuple[int, str, str] | None:
    """(position, character, reason) of the first refused character, or None."""
    found = _REFUSED.search(value)
    if found is None:
        return None
    char = found.group()
    if 0xD800 <= ord(char) <= 0xDFFF:
        reason = "无效的代理字符"
    elif char in _BIDI_CONTROLS:
        reason = "文字方向控制字符"
    elif char in _INVISIBLE:
        reason = "不可见的零宽字符"
    else:
        reason = "控制字符"
    return found.start(), char, reason


def check_text(value: str, field: str, label: str | None = None) -> str:
    """`value` unchanged, or InvalidInput naming `field` (shown as `label`, the field's Chinese
    name, where the caller knows it) and the first refused character."""
    found = refused_character(value)
    if found is not None:
        position, char, reason = found
        raise InvalidInput(f"“{label or field}”第{position + 1}个字符是{reason}"
                           f"（U+{ord(char):04X}），请删除后重试", field)
    return value


def check_all_text(value: object, field: str = "") -> None:
    """Apply `check_text` to every string inside a decoded JSON body or a form (keys too),
    naming each field by its path: `text`, `events[1]`, `units.name`."""
    if isinstance(value, str):
        check_text(value, field or "body")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            key_text = str(key)
            check_text(key_text, key_text)
            check_all_text(item, f"{field}.{key_text}" if field else key_text)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_all_text(item, f"{field}[{index}]")
