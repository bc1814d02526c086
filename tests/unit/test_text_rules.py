"""The one text rule (tracker/domain/text_rules.py): which characters are refused, and how the
refusal names the field, the character and its position."""

from __future__ import annotations

import pytest

from tests.support.samples import REFUSED_TEXT
from tracker.domain.errors import InvalidInput
from tracker.domain.text_rules import check_all_text, check_text, refused_character


@pytest.mark.parametrize("case", REFUSED_TEXT)
def test_the_text_rule_names_field_character_and_position(case):
    value, reason = REFUSED_TEXT[case]
    with pytest.raises(InvalidInput) as caught:
        check_text(value, "name", "单位名称")
    assert caught.value.field == "name"
    assert reason in caught.value.message and "“单位名称”第" in caught.value.message


def test_the_text_rule_keeps_ordinary_text_and_walks_nested_bodies():
    assert check_text("第一行\n\t第二行\r\n（一）", "text") == "第一行\n\t第二行\r\n（一）"
    check_all_text({"events": ["update.submit"], "nested": {"a": ["ok"]}})
    with pytest.raises(InvalidInput) as caught:
        check_all_text({"events": ["ok", "bad\x00"]})
    assert caught.value.field == "events[1]"


def test_the_rule_is_exactly_its_definition_for_every_character():
    """The one-class regex refuses exactly: surrogates, the bidi and invisible sets, and
    category Cc except tab, newline and CR (checked against unicodedata, all of Unicode)."""
    import sys
    import unicodedata

    from tracker.domain.text_rules import _BIDI_CONTROLS, _INVISIBLE

    refused = {code for code in range(sys.maxunicode + 1)
               if 0xD800 <= code <= 0xDFFF or chr(code) in _BIDI_CONTROLS | _INVISIBLE
               or (chr(code) not in "\t\n\r" and unicodedata.category(chr(code)) == "Cc")}
    found = {code for code in range(sys.maxunicode + 1)
             if refused_character(f"政务{chr(code)}") is not None}
    assert found == refused
    assert refused_character("政务\u0085公开") == (2, "\u0085", "控制字符")
