"""deadlines: the completion time written in a task → ISO date, "ongoing" or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain.deadlines import (
    ONGOING,
    DeadlineError,
    chinese_number,
    chinese_numeral,
    parse_deadline_input,
    resolve_deadline,
    resolve_deadline_phrase,
)


@pytest.mark.parametrize("text, year, expected", [
    # month ends
    ("2018年12月底前", None, ("2018年12月底前", "2018-12-31")),
    ("12月底前完成", 2018, ("12月底前", "2018-12-31")),
    ("6月底前", 2018, ("6月底前", "2018-06-30")),
    ("2月底前", 2020, ("2月底前", "2020-02-29")),
    ("十二月底前", 2018, ("十二月底前", "2018-12-31")),
    ("2019年3月底", 2018, ("2019年3月底", "2019-03-31")),
    # dates
    ("2018年9月30日前", None, ("2018年9月30日前", "2018-09-30")),
    ("9月30日", 2018, ("9月30日", "2018-09-30")),
    ("９月３０日前", 2018, ("９月３０日前", "2018-09-30")),
    # year ends
    ("年底前", 2018, ("年底前", "2018-12-31")),
    ("年内完成", 2018, ("年内", "2018-12-31")),
    ("年底", 2018, ("年底", "2018-12-31")),
    ("2018年底前", None, ("2018年底前", "2018-12-31")),
    # halves and quarters
    ("上半年", 2018, ("上半年", "2018-06-30")),
    ("下半年", 2018, ("下半年", "2018-12-31")),
    ("第三季度", 2018, ("第三季度", "2018-09-30")),
    ("三季度末", 2019, ("三季度末", "2019-09-30")),
    ("第一季度", 2018, ("第一季度", "2018-03-31")),
    ("2020年第4季度", None, ("2020年第4季度", "2020-12-31")),
    # open-ended
    ("持续推进", None, ("持续推进", ONGOING)),
    ("长期坚持", 2018, ("长期坚持", ONGOING)),
    ("长期", 2018, ("长期", ONGOING)),
    ("持续", 2018, ("持续", ONGOING)),
    ("常态化", 2018, ("常态化", ONGOING)),
    ("長期堅持", 2018, ("長期堅持", ONGOING)),
    # labelled
    ("完成时限：2018年12月底前", None, ("2018年12月底前", "2018-12-31")),
    ("做好公开。完成时限：持续推进", None, ("持续推进", ONGOING)),
    ("做好公开（完成时限:6月底前）", 2018, ("6月底前", "2018-06-30")),
])
def test_resolve_deadline(text, year, expected):
    assert resolve_deadline(text, year) == expected


@pytest.mark.parametrize("text, year, expected", [
    # inside a task's text
    ("做好公开工作（局办公室负责，2018年12月底前完成）。", None, ("2018年12月底前", "2018-12-31")),
    ("做好公开工作，年底前完成。", 2018, ("年底前", "2018-12-31")),
    ("做好公开工作，持续推进。", 2018, ("持续推进", ONGOING)),
    ("做好公开工作（市发改委牵头，长期坚持）", 2018, ("长期坚持", ONGOING)),
    ("做好公开工作（9月30日）", 2018, ("9月30日", "2018-09-30")),
    ("6月底前出台方案，12月底前全面完成。", 2018, ("12月底前", "2018-12-31")),
    # a year written earlier in the same text carries over to later phrases
    ("2019年1月启动，6月底前完成。", 2018, ("6月底前", "2019-06-30")),
    # a month phrase without a known year: written, but not resolved
    ("做好公开工作，6月底前完成。", None, ("6月底前", None)),
    ("年底前完成", None, ("年底前", None)),
    # impossible dates are reported as written, never corrected
    ("2月30日前完成", 2018, ("2月30日前", None)),
])
def test_resolve_deadline_in_task_text(text, year, expected):
    assert resolve_deadline(text, year) == expected


@pytest.mark.parametrize("text", [
    "",
    None,
    "做好行政许可、行政处罚信息公示。",
    "作为本部门2018年度政务公开工作要点的重要内容向社会发布。",  # a year is not a deadline
    "落实新条例，自2019年5月15日起施行。",  # nor is a date in prose
    "持续推进政务公开各项制度建设",  # "持续推进" in the middle of a sentence is a verb
    "持续提升服务质量",
    "（苏府办〔2017〕5号）",
    "做好（2018年）工作",
])
def test_nothing_written_means_nothing_resolved(text):
    assert resolve_deadline(text, 2018) == (None, None)


@pytest.mark.parametrize("phrase, year, expected", [
    ("2018年12月底前", None, ("2018年12月底前", "2018-12-31")),
    ("  持续推进 ", None, ("持续推进", ONGOING)),
    ("2018年", None, ("2018年", "2018-12-31")),  # an isolated year in a 完成时限 cell
    ("9月30日", 2018, ("9月30日", "2018-09-30")),
    ("9月30日", None, ("9月30日", None)),
    ("2018年6月底前出台，12月底前完成", None, ("2018年6月底前出台，12月底前完成", "2018-12-31")),
    ("随时", 2018, ("随时", None)),
    ("完成时限：年底", 2018, ("年底", "2018-12-31")),
    ("", 2018, (None, None)),
    (None, 2018, (None, None)),
    ("完成时限：", 2018, (None, None)),
])
def test_resolve_deadline_phrase(phrase, year, expected):
    assert resolve_deadline_phrase(phrase, year) == expected


@pytest.mark.parametrize("text, value", [
    ("12", 12), ("十", 10), ("十二", 12), ("二十一", 21), ("三十", 30), ("一", 1), ("九十九", 99),
    ("", None), ("十十", None), ("一二", None), ("百", None), ("一百", None),
])
def test_chinese_number(text, value):
    assert chinese_number(text) == value


def test_chinese_numeral_is_the_inverse_of_chinese_number():
    assert [chinese_numeral(n) for n in (1, 10, 11, 20, 21, 99)] == [
        "一", "十", "十一", "二十", "二十一", "九十九"]
    assert all(chinese_number(chinese_numeral(n)) == n for n in range(1, 100))


def _valid(result):
    written, resolved = result
    if written is None:
        assert resolved is None
    if resolved is not None and resolved != ONGOING:
        dt.date.fromisoformat(resolved)


PIECES = ["2018年", "12月", "底", "前", "30日", "第三季度", "上半年", "年底", "年内", "持续推进", "长期",
          "完成时限：", "（", "）", "，", "。", "十二", "二", "月", "日", "0", "99", "13月", "32日", "完成"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=20),
       st.one_of(st.none(), st.integers(min_value=1900, max_value=2100)))
def test_never_crashes(pieces, year):
    text = "".join(pieces)
    _valid(resolve_deadline(text, year))
    _valid(resolve_deadline_phrase(text, year))


@pytest.mark.parametrize(("value", "year", "expected"), [
    ("2018-12-31", 2018, ("2018-12-31", "2018-12-31")),
    ("2018/6/30", None, ("2018/6/30", "2018-06-30")),
    ("持续推进", 2018, ("持续推进", "ongoing")),
    ("ongoing", 2018, (None, "ongoing")),
    ("年底前", 2018, ("年底前", "2018-12-31")),
    ("6月底前", 2019, ("6月底前", "2019-06-30")),
    ("", 2018, (None, None)),
])
def test_parse_deadline_input_takes_dates_and_the_plans_phrases(value, year, expected):
    assert parse_deadline_input(value, year) == expected


@pytest.mark.parametrize(("value", "year", "reason"), [
    ("2019-02-30", 2019, "完成时限“2019-02-30”不是有效日期（2019年2月只有28天）"),
    ("2月30日", 2018, "完成时限“2月30日”不是有效日期（2018年2月只有28天）"),
    ("看情况", 2018, "无法识别完成时限“看情况”，可写 2018-12-31、6月底前、年底前、持续推进"),
    ("6月底前", None, "无法识别完成时限“6月底前”，可写 2018-12-31、6月底前、年底前、持续推进"),
])
def test_parse_deadline_input_refuses_with_the_reason(value, year, reason):
    with pytest.raises(DeadlineError) as error:
        parse_deadline_input(value, year)
    assert str(error.value) == reason


def test_an_unrecognised_phrase_may_be_kept_as_text_only():
    assert parse_deadline_input("按上级要求", 2018, require_resolved=False) == ("按上级要求", None)
