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

import unicodedata
from collections.abc import Mapping

from tracker.domain.errors import InvalidInput

_ALLOWED_CONTROLS = frozenset("\t\n\r")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                           "\u200e\u200f\u061c")
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e")


def refused_character(value: str) -> tuple[int, str, str] | None:
    """(position, character, reason) of the first refused character, or None."""
    for position, char in enumerate(value):
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            return position, char, "无效的代理字符"
        if char in _BIDI_CONTROLS:
            return position, char, "文字方向控制字符"
        if char in _INVISIBLE:
            return position, char, "不可见的零宽字符"
        if char not in _ALLOWED_CONTROLS and unicodedata.category(char) == "Cc":
            return position, char, "控制字符"
    return None


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
