"""The rules for a progress update and its evidence (tracker/progress_input.py), without a
database: each bad input is refused with the field at fault and a reason in Chinese."""

from __future__ import annotations

import re

import pytest

from tracker.domain.errors import InvalidInput
from tracker.domain.progress_input import (
    MAX_ATTACHMENT_BYTES,
    EvidenceFile,
    parse_links,
    parse_percent,
    validate_evidence,
    validate_update,
)

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def good(**changes) -> dict:
    return {"period": "2018-09", "percent": 40, "state": "in_progress",
            "work_done": "已梳理公开目录", **changes}


def refused(call, *args) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call(*args)
    error = caught.value
    assert CHINESE.search(error.message), error.message
    assert "\x00" not in error.message
    return error


def test_a_good_update_is_cleaned():
    update = validate_update(good(period=" 2018-9 ", percent=" 40 ", work_done="  进展\r\n第二行  ",
                                  problems=None, next_steps="下月上线",
                                  evidence_links="https://a.gov.cn/x\n\n  http://b.gov.cn/y  "))
    assert (update.period, update.percent, update.state) == ("2018-09", 40, "in_progress")
    assert (update.work_done, update.problems, update.next_steps) == ("进展\n第二行", "", "下月上线")
    assert update.evidence_links == ["https://a.gov.cn/x", "http://b.gov.cn/y"]
    assert validate_update(good(percent=100.0, state="done")).percent == 100
    assert validate_update(good(percent=0, state="not_started")).percent == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (-1, "完成进度 -1 超出 0-100 范围"),
        (101, "完成进度 101 超出 0-100 范围"),
        (float("nan"), "完成进度须为 0-100 的整数"),
        (float("inf"), "完成进度须为 0-100 的整数"),
        (50.5, "完成进度须为 0-100 的整数"),
        ("50%", "完成进度“50%”不是 0-100 的整数（不要带 %）"),
        ("abc", "完成进度“abc”不是 0-100 的整数（不要带 %）"),
        ("-1", "完成进度“-1”不是 0-100 的整数（不要带 %）"),
        ("50.5", "完成进度“50.5”不是 0-100 的整数（不要带 %）"),
        ("NaN", "完成进度“NaN”不是 0-100 的整数（不要带 %）"),
        ("５０", "完成进度“５０”不是 0-100 的整数（不要带 %）"),  # full-width digits
        ("1000", "完成进度“1000”不是 0-100 的整数（不要带 %）"),
        ("101", "完成进度 101 超出 0-100 范围"),
        (True, "请填写完成进度（0-100 的整数）"),
        (False, "请填写完成进度（0-100 的整数）"),
        ("", "请填写完成进度（0-100 的整数）"),
        (None, "请填写完成进度（0-100 的整数）"),
        ([50], "完成进度须为 0-100 的整数"),
    ],
)
def test_bad_percent(raw, message):
    error = refused(validate_update, good(percent=raw))
    assert (error.field, error.message) == ("percent", message)
    assert refused(parse_percent, raw).message == message


@pytest.mark.parametrize(("raw", "value"), [(0, 0), (100, 100), ("7", 7), (" 100 ", 100), (60.0, 60)])
def test_good_percent(raw, value):
    assert parse_percent(raw) == value


@pytest.mark.parametrize("state", ["paused", "DONE", "", None, 1])
def test_unknown_status(state):
    error = refused(validate_update, good(state=state))
    assert error.field == "state"
    assert error.message == f"未知状态“{state}”（可用：not_started、in_progress、done、blocked）"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"state": "done", "percent": 90}, "状态为“已完成”时完成进度应为 100"),
        ({"state": "not_started", "percent": 10}, "状态为“未启动”时完成进度应为 0"),
    ],
)
def test_status_and_percent_must_agree(changes, message):
    error = refused(validate_update, good(**changes))
    assert (error.field, error.message) == ("percent", message)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"work_done": ""}, "work_done", "请填写工作进展"),
        ({"work_done": " \r\n\t "}, "work_done", "请填写工作进展"),
        ({"work_done": None}, "work_done", "请填写工作进展"),
        ({"work_done": "字" * 2001}, "work_done", "工作进展不能超过2000字（现为2001字）"),
        ({"problems": "问" * 2001}, "problems", "存在问题不能超过2000字（现为2001字）"),
        ({"next_steps": "计" * 2001}, "next_steps", "下步计划不能超过2000字（现为2001字）"),
        ({"work_done": "进展\x00"}, "work_done", "工作进展含有非法字符"),
        ({"work_done": 5}, "work_done", "工作进展须为文本"),
        ({"problems": ["a"]}, "problems", "存在问题须为文本"),
    ],
)
def test_bad_text(changes, field, message):
    error = refused(validate_update, good(**changes))
    assert (error.field, error.message) == (field, message)


def test_text_limits_count_what_the_user_sees():
    assert len(validate_update(good(work_done="字" * 2000)).work_done) == 2000
    # A browser's line break arrives as CRLF but is one character in the textarea's count.
    assert validate_update(good(work_done="字\r\n" * 1000)).work_done == ("字\n" * 1000).strip()


@pytest.mark.parametrize(
    ("links", "message"),
    [
        (["javascript:alert(1)"], "佐证链接“javascript:alert(1)”无效，须为 http(s) 地址且不超过500字符"),
        (["ftp://files.example.gov.cn/a.pdf"], "佐证链接“ftp://files.example.gov.cn/a.pdf”无效"),
        (["data:text/html,<script>alert(1)</script>"], "无效，须为 http(s) 地址"),
        (["https://"], "佐证链接“https://”无效"),
        (["www.example.gov.cn/a"], "佐证链接“www.example.gov.cn/a”无效"),
        (["https://example.gov.cn/" + "a" * 478], "不超过500字符"),
        ("https://a.gov.cn/x\nvbscript:msgbox", "佐证链接“vbscript:msgbox”无效"),
        ([f"https://a.gov.cn/{n}" for n in range(11)], "佐证链接最多10个"),
        ({"url": "https://a.gov.cn"}, "佐证链接须为链接列表"),
        (["https://a.gov.cn", 5], "第2个佐证链接须为文本"),
    ],
)
def test_bad_links(links, message):
    error = refused(validate_update, good(evidence_links=links))
    assert error.field == "evidence_links" and message in error.message
    assert refused(parse_links, links).message == error.message


def test_link_length_limit_is_inclusive():
    link = "https://example.gov.cn/" + "a" * 477
    assert len(link) == 500 and parse_links([link]) == [link]


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2018-13", "报送周期“2018-13”的月份应在 1 到 12 之间"),
        ("2018-00", "报送周期“2018-00”的月份应在 1 到 12 之间"),
        ("2018/09", "报送周期“2018/09”格式不对，应为“年-月”格式，如 2018-09"),
        ("2018年9月", "格式不对"),
        ("", "报送周期不能为空，应为“年-月”格式，如 2018-09"),
        ("   ", "报送周期不能为空"),
        (None, "请填写报送周期（如 2018-09）"),
        (201809, "请填写报送周期（如 2018-09）"),
    ],
)
def test_bad_period(period, message):
    error = refused(validate_update, good(period=period))
    assert error.field == "period" and message in error.message


# --- evidence files ------------------------------------------------------------------------

PDF = b"%PDF-1.4 evidence"


def files(*named: tuple[str, bytes]) -> list[EvidenceFile]:
    return [EvidenceFile(name, "application/octet-stream", content) for name, content in named]


def test_good_evidence_takes_its_type_from_the_extension():
    checked = validate_evidence([EvidenceFile("进展.PDF", "text/html", PDF),
                                 EvidenceFile("台账.xlsx", "", b"PK\x03\x04"),
                                 EvidenceFile("scan.JPG", "image/svg+xml", b"\xff\xd8\xff"),
                                 EvidenceFile("exact.pdf", "", b"%" * MAX_ATTACHMENT_BYTES)])
    assert [(f.name, f.content_type) for f in checked] == [
        ("进展.PDF", "application/pdf"),
        ("台账.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("scan.JPG", "image/jpeg"),
        ("exact.pdf", "application/pdf")]


@pytest.mark.parametrize(
    ("evidence", "message"),
    [
        (files(("big.pdf", b"%" * (MAX_ATTACHMENT_BYTES + 1))), "附件“big.pdf”超过 10 MB 上限"),
        (files(("setup.exe", b"MZ\x90")), "附件“setup.exe”类型不允许"),
        (files(("page.html", b"<p>x</p>")), "附件“page.html”类型不允许"),
        (files(("logo.svg", b"<svg/>")), "附件“logo.svg”类型不允许"),
        (files(("report.pdf.exe", PDF)), "类型不允许"),
        (files(("README", b"text")), "附件“README”类型不允许"),
        (files(("../../etc/passwd.pdf", PDF)), "附件名“../../etc/passwd.pdf”无效（不能含路径、.. 或空字符）"),
        (files(("..\\..\\boot.ini.pdf", PDF)), "（不能含路径、.. 或空字符）"),
        (files(("evil\x00.pdf", PDF)), "（不能含路径、.. 或空字符）"),
        (files(("dir/a.pdf", PDF)), "附件名“dir/a.pdf”无效"),
        (files(("/etc/a.pdf", PDF)), "附件名“/etc/a.pdf”无效"),
        (files(("", PDF)), "附件名“”无效"),
        (files(("长" * 197 + ".pdf", PDF)), "附件名不能超过200字符"),
        (files(("empty.pdf", b"")), "附件“empty.pdf”是空文件"),
        (files(("report.pdf", b"<!DOCTYPE html><html><script>alert(1)</script>")),
         "附件“report.pdf”的内容与类型不符"),
        (files(("report.pdf", b"  \n<HTML><body>")), "的内容与类型不符"),
        (files(("report.pdf", b"<script>alert(1)</script>")), "的内容与类型不符"),
        (files(("scan.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>")), "的内容与类型不符"),
        (files(("tool.docx", b"MZ\x90\x00")), "的内容与类型不符"),
        (files(("tool.pdf", b"\x7fELF\x02")), "的内容与类型不符"),
        (files(*[(f"{n}.pdf", PDF) for n in range(6)]), "附件最多5个"),
    ],
)
def test_bad_evidence(evidence, message):
    error = refused(validate_evidence, evidence)
    assert error.field == "attachments" and message in error.message


def test_one_bad_file_refuses_them_all():
    error = refused(validate_evidence, files(("a.pdf", PDF), ("b.exe", b"MZ")))
    assert "b.exe" in error.message


def test_a_nul_in_a_name_is_not_echoed_back():
    error = refused(validate_evidence, files(("evil\x00.pdf", PDF)))
    assert error.message == "附件名“evil?.pdf”无效（不能含路径、.. 或空字符）"
