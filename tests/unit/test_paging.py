"""Page numbers and API windows from a query string: refused with the parameter named."""

from __future__ import annotations

import pytest

from tracker.domain.errors import InvalidInput
from tracker.domain.paging import MAX_LIMIT, Window, check_page, filter_id, page_number, window


def test_page_numbers():
    assert page_number(None) == 1 and page_number("") == 1 and page_number("3") == 3
    for bad in ("0", "-1", "x", "1.5", "２", " "):
        with pytest.raises(InvalidInput) as caught:
            page_number(bad)
        assert caught.value.field == "page" and "页码须为不小于 1 的整数" in caught.value.message


def test_a_page_past_the_last_is_refused_but_page_one_always_exists():
    assert check_page(3, 25, 10) == 3
    assert check_page(1, 0, 10) == 1
    with pytest.raises(InvalidInput) as caught:
        check_page(4, 25, 10)
    assert caught.value.message == "第 4 页不存在：共 3 页（每页 10 条，共 25 条）"


def test_api_windows():
    assert window(None, None, 50) == Window(50, 0)
    assert window("7", "14", 50).of(list(range(30))) == list(range(14, 21))
    assert window(str(MAX_LIMIT), "0", 50).limit == MAX_LIMIT
    for limit, offset, field in (("0", None, "limit"), (str(MAX_LIMIT + 1), None, "limit"),
                                 ("ten", None, "limit"), (None, "-1", "offset")):
        with pytest.raises(InvalidInput) as caught:
            window(limit, offset, 50)
        assert caught.value.field == field


def test_unit_filter():
    assert filter_id(None) is None and filter_id(" ") is None and filter_id("12") == 12
    with pytest.raises(InvalidInput) as caught:
        filter_id("十二")
    assert caught.value.field == "unit" and caught.value.message == "单位编号无效"
