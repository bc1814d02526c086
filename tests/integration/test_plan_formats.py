"""Plan files in every format offices receive them in, and web addresses: real files built with
the libraries that write them (python-docx, reportlab, a zip of OFD XML), real HTTP on loopback."""

from __future__ import annotations

import io
import zipfile

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from tests.support.commands import run_tracker
from tests.support.http_recorder import recording_server
from tracker.domain.plan_parsing import DocumentReadError, parse_plan_document, read_plan_text
from tracker.services.link_check import CheckConfig
from tracker.services.plan_fetch import fetch_plan_document

LOOPBACK = CheckConfig(allow_loopback=True, total_timeout=3.0, connect_timeout=1.0,
                       max_bytes=64 * 1024)


def tasks_of(plan):
    return [(i.title, t.number, t.text, t.lead_units, t.cooperating_units, t.deadline_text)
            for s in plan.sections for i in s.items for t in i.tasks]


# --- a saved web page ------------------------------------------------------------------------

PAGE = """<!doctype html><html><head><meta charset="gb2312"><title>某局2019年政务公开工作要点</title>
<script>var x = "一、不是任务";</script></head><body>
<div class="header">首页 | 政务公开 | 互动交流</div>
<div class="breadcrumb">当前位置：首页 &gt; 政务公开 &gt; 通知公告</div>
<div class="TRS_Editor">
<p>某局2019年政务公开工作要点</p>
<p>一、推进决策公开</p>
<p>（一）做好政策发布。及时发布重大政策。（牵头单位：局办公室；配合单位：法规处）</p>
<p>二、任务分工</p>
<table border="1">
<tr><th>序 号</th><th>工 作 任 务</th><th>牵头单位</th><th>完成时限</th></tr>
<tr><td colspan="4">（二）推进执行公开</td></tr>
<tr><td>1</td><td>公开重点项目进展</td><td rowspan="2">规划处</td><td>6月底前</td></tr>
<tr><td>2</td><td>公开督查结果</td><td>年底前</td></tr>
</table>
</div>
<div class="share">分享到：微信 微博</div><div class="footer">主办单位：某局 版权所有</div>
</body></html>"""


def test_saved_html_page_reads_article_paragraphs_and_table_cells():
    plan = parse_plan_document(PAGE.encode("gbk"), "要点.html")
    assert plan.title == "某局2019年政务公开工作要点"
    assert tasks_of(plan) == [
        ("做好政策发布", None, "及时发布重大政策。", ["局办公室"], ["法规处"], None),
        ("推进执行公开", "1", "公开重点项目进展", ["规划处"], [], "6月底前"),
        ("推进执行公开", "2", "公开督查结果", ["规划处"], [], "年底前"),  # rowspan: same lead
    ]
    assert "首页" not in plan.source_text and "分享" not in plan.source_text


def test_html_without_text():
    with pytest.raises(DocumentReadError, match="网页中没有正文文字"):
        read_plan_text(b"<html><body><script>x()</script></body></html>", "a.html")


# --- OFD -------------------------------------------------------------------------------------


def make_ofd(lines: list[list[str]]) -> bytes:
    """A one-page OFD whose lines are TextObjects on their own baselines (cells 60 mm apart)."""
    objects = []
    for row, cells in enumerate(lines):
        for column, text in enumerate(cells):
            objects.append(
                f'<ofd:TextObject ID="{row * 10 + column + 10}" Boundary="{20 + column * 60} {20 + row * 8} 170 6" '
                f'Font="1" Size="3.5"><ofd:TextCode X="0" Y="5">{text}</ofd:TextCode></ofd:TextObject>')
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("OFD.xml", f'<ofd:OFD {ns} Version="1.0"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml'
                                    "</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
        archive.writestr("Doc_0/Document.xml", f'<ofd:Document {ns}><ofd:Pages><ofd:Page ID="1" '
                                               'BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>')
        archive.writestr("Doc_0/Pages/Page_0/Content.xml",
                         f'<ofd:Page {ns}><ofd:Content><ofd:Layer ID="2">{"".join(objects)}'
                         "</ofd:Layer></ofd:Content></ofd:Page>")
    return buffer.getvalue()


def test_ofd_text_layer_with_a_table():
    data = make_ofd([["某局2020年政务公开工作任务分解表"], ["序号", "工作任务", "责任单位"],
                     ["1", "公开权责清单", "局办公室"], ["2", "公开财政预决算", "财务处"]])
    plan = parse_plan_document(data, "plan.ofd")
    assert plan.year == 2020
    assert [(t[1], t[2], t[3]) for t in tasks_of(plan)] == [
        ("1", "公开权责清单", ["局办公室"]), ("2", "公开财政预决算", ["财务处"])]


@pytest.mark.parametrize("data", [b"PK\x03\x04broken", b"not a zip", make_ofd([])[:-30]])
def test_damaged_ofd(data):
    with pytest.raises(DocumentReadError, match="无法读取 OFD 文件"):
        read_plan_text(data, "a.ofd")


# --- PDF ruled tables ------------------------------------------------------------------------


def test_pdf_table_is_read_from_its_ruled_cells():
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("cn", fontName="STSong-Light", fontSize=11)
    rows = [["序号", "工作任务", "牵头单位", "完成时限"],
            ["1", "公开重大建设项目批准和实施信息", "发展改革局", "2021年6月底前"],
            ["2", "公开财政预算决算", "财政局", "持续推进"],
            ["3", "公开重大行政决策事项目录", "", "年底前"]]
    table = Table(rows)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "STSong-Light", 10),
                               ("GRID", (0, 0), (-1, -1), 0.5, "black"),
                               ("SPAN", (2, 2), (2, 3))]))  # 财政局 merged down two rows
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(
        [Paragraph("某县2021年政务公开重点任务清单", style), table])
    plan = parse_plan_document(buffer.getvalue(), "list.pdf")
    assert [(t[1], t[2], t[3], t[5]) for t in tasks_of(plan)] == [
        ("1", "公开重大建设项目批准和实施信息", ["发展改革局"], "2021年6月底前"),
        ("2", "公开财政预算决算", ["财政局"], "持续推进"),
        ("3", "公开重大行政决策事项目录", ["财政局"], "年底前"),
    ]


# --- formats that are refused with a reason --------------------------------------------------


@pytest.mark.parametrize("filename, kind", [("plan.doc", ".doc"), ("方案.wps", ".wps")])
def test_doc_and_wps_name_what_to_save_as(filename, kind, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")  # no LibreOffice to convert with
    with pytest.raises(DocumentReadError, match=rf"无法直接读取.*\{kind}.*另存为”\.docx") as caught:
        read_plan_text(b"\xd0\xcf\x11\xe0 old office file", filename)
    assert "\n" not in str(caught.value)


def test_a_task_table_with_no_task_column_is_not_read_as_a_table():
    with pytest.raises(DocumentReadError.__mro__[1], match="未识别到任何编号结构"):
        parse_plan_document("序号\t牵头单位\t完成时限\n1\t局办公室\t年底前\n".encode(), "t.txt")


# --- a web address ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site():
    html = {"Content-Type": "text/html; charset=gbk"}
    with recording_server() as server:
        server.pages.update({
            "/plan.html": (200, html, PAGE.encode("gbk")),
            "/gone.html": (404, html, b"<html>404</html>"),
            "/data.zip": (200, {"Content-Type": "application/zip"}, b"PK\x03\x04" + b"0" * 500),
            "/huge.html": (200, html, b"<html><body>" + b"<p>x</p>" * 20_000 + b"</body></html>"),
            "/to-private": (302, {"Location": "http://10.0.0.1/plan.html"}, b""),
        })
        yield server


async def test_a_plan_page_is_fetched_and_read_like_a_saved_page(site):
    data, name = await fetch_plan_document(f"{site.url}/plan.html", LOOPBACK)
    assert name == "page.html"
    assert tasks_of(parse_plan_document(data, name))[0][2] == "及时发布重大政策。"


@pytest.mark.parametrize("path, message", [
    ("/gone.html", "网页无法访问（HTTP 404）"),
    ("/data.zip", "网址返回的不是网页或计划文件（application/zip）"),
    ("/huge.html", "网页超过 0 MB"),
    ("/to-private", "网址不予读取：10.0.0.1 指向内网"),
    ("/hang/x", "网页在 0.5 秒内没有取回"),
])
async def test_bad_addresses_are_refused_with_a_reason(site, path, message):
    config = CheckConfig(allow_loopback=True, total_timeout=0.5, max_bytes=64 * 1024)
    with pytest.raises(DocumentReadError) as caught:
        await fetch_plan_document(f"{site.url}{path}", config)
    assert str(caught.value).startswith(message)


def test_cli_refuses_a_private_address_in_one_line(tmp_path):
    result = run_tracker("plan", "parse", "http://192.168.1.10/plan.html", data_dir=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "网址不予读取" in result.stderr and "指向内网" in result.stderr


def test_cli_parses_a_saved_page(tmp_path):
    page = tmp_path / "plan.html"
    page.write_bytes(PAGE.encode("gbk"))
    result = run_tracker("plan", "parse", str(page), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "公开督查结果" in result.stdout
