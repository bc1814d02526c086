"""Charts: valid SVG/PNG for real and empty data, Chinese drawn as glyphs, user text kept as text."""

from __future__ import annotations

import io
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import date

import matplotlib
import numpy as np
import pytest
from matplotlib.image import imread

from tests.support.report_samples import sample_report_data
from tests.support.samples import PROJECT_ROOT
from tracker.reporting import chart_sizes, charts

ROOT = PROJECT_ROOT
SVG_NS = "{http://www.w3.org/2000/svg}"


def chart_args(name: str, empty: bool = False) -> tuple:
    """Arguments for each chart in charts.CHARTS, from the sample report (or empty)."""
    data = sample_report_data()
    if name == "sections":
        return ([] if empty else data.sections,)
    if name == "units":
        return ([] if empty else [(u.name, u.percent, u.timeliness) for u in data.units],)
    if name == "trend":
        return ([] if empty else data.trend,)
    if name == "status":
        return ({} if empty else data.totals,)
    return ([] if empty else data.milestones, data.as_of)


def svg_text(svg: bytes) -> str:
    """All <text> content of an SVG, in document order, without whitespace."""
    root = ET.fromstring(svg)  # also proves the SVG is well-formed XML
    return "".join("".join(node.itertext()) for node in root.iter(f"{SVG_NS}text")).replace(
        "\n", "").replace(" ", "")


def ink(png: bytes) -> int:
    """Number of pixels that are not (near) white."""
    pixels = imread(io.BytesIO(png), format="png")[..., :3]
    return int((pixels.min(axis=-1) < 0.9).sum())


def test_registry_names():
    assert set(charts.CHARTS) == {"sections", "units", "trend", "status", "milestones"}


@pytest.mark.parametrize("name", sorted(charts.CHARTS))
def test_chart_svg_and_png(name):
    chart = charts.CHARTS[name]
    started = time.perf_counter()
    svg = chart(*chart_args(name), fmt="svg")
    svg_seconds = time.perf_counter() - started
    started = time.perf_counter()
    png = chart(*chart_args(name), fmt="png")
    png_seconds = time.perf_counter() - started
    print(f"chart {name}: svg {svg_seconds:.3f} s, png {png_seconds:.3f} s")

    assert ET.fromstring(svg).tag == f"{SVG_NS}svg"
    assert b"<path" in svg
    assert png.startswith(b"\x89PNG")
    assert ink(png) > 2000


@pytest.mark.parametrize("name", sorted(charts.CHARTS))
def test_empty_input_says_no_data(name):
    chart = charts.CHARTS[name]
    svg = chart(*chart_args(name, empty=True), fmt="svg")
    assert "暂无数据" in svg_text(svg)
    assert ink(chart(*chart_args(name, empty=True), fmt="png")) > 100


def test_status_mix_all_zero_says_no_data():
    counts = dict.fromkeys(charts.STATUS_ORDER, 0)
    assert "暂无数据" in svg_text(charts.status_mix(counts, fmt="svg"))


def test_svg_keeps_every_section_and_unit_name_as_text():
    data = sample_report_data(n_units=10)
    sections = svg_text(charts.completion_by_section(data.sections, fmt="svg"))
    for title, _ in data.sections:
        assert title.replace(" ", "") in sections
    units = svg_text(charts.completion_by_unit(
        [(u.name, u.percent, u.timeliness) for u in data.units], fmt="svg"))
    for unit in data.units:
        assert unit.name in units


def test_status_mix_labels_and_counts():
    text = svg_text(charts.status_mix(
        {"done": 7, "on_track": 6, "behind": 3, "overdue": 2, "not_started": 2}, fmt="svg"))
    for label, count in zip(["已完成", "正常推进", "滞后", "超期", "未启动"], [7, 6, 3, 2, 2],
                            strict=True):
        assert f"{label}{count}" in text


def test_missing_timeliness_is_a_dash_not_a_bar():
    svg = charts.completion_by_unit([("政策法规处", 55.0, None)], fmt="svg")
    assert "—" in svg_text(svg)


def test_dollar_signs_are_text_not_math():
    label = "三、预算$x^2$公开 $100"  # unbalanced "$" too
    svg = charts.completion_by_section([(label, 40.0)], fmt="svg")
    assert "$x^2$公开$100" in svg_text(svg)
    charts.completion_by_unit([("$单位$", 10.0, 20.0)], fmt="png")
    charts.milestone_timeline([("$节点$", date(2018, 6, 30), "done")], date(2018, 10, 5),
                              fmt="png")


def test_markup_in_labels_is_escaped_in_svg():
    svg = charts.completion_by_section([('<img src="http://example.com/x.png">&', 10.0)],
                                       fmt="svg")
    assert b"<img" not in svg
    assert '<imgsrc="http://example.com/x.png">&' in svg_text(svg)


def test_cjk_font_is_noto():
    assert "NotoSansCJK" in charts.cjk_font_path()


def test_chinese_is_drawn_as_glyphs_not_boxes():
    # Missing glyphs all draw as the same box: two different words would look the same.
    first = imread(io.BytesIO(charts.completion_by_section([("政务公开", 50.0)], fmt="png")))
    second = imread(io.BytesIO(charts.completion_by_section([("规划编制", 50.0)], fmt="png")))
    assert first.shape == second.shape
    assert np.abs(first - second).sum() > 50


def test_timeline_states_and_as_of_outside_the_range():
    svg = charts.milestone_timeline(
        [("印发方案", date(2018, 3, 1), "done"), ("中期评估", date(2018, 6, 30), "missed"),
         ("年度报告", date(2019, 1, 15), "pending")],
        date(2019, 3, 1), fmt="svg")
    text = svg_text(svg)
    for word in ("印发方案", "中期评估", "年度报告", "已完成", "未到期", "未按期完成", "统计截至3月1日"):
        assert word in text


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        charts.status_mix({"done": 1}, fmt="pdf")


def test_positional_format_works():
    assert charts.status_mix({"done": 1}, "png").startswith(b"\x89PNG")


def test_global_rcparams_are_left_alone():
    before = dict(matplotlib.rcParams)
    charts.monthly_trend([("2018-09", 50.0, 3)], fmt="svg")
    assert dict(matplotlib.rcParams) == before


def test_wrap_label():
    label = chart_sizes.wrap_label("四、加强组织领导，推进决策、执行、管理、服务、结果公开和政务公开平台建设工作")
    lines = label.split("\n")
    assert 2 <= len(lines) <= chart_sizes.MAX_LABEL_LINES
    assert all(chart_sizes.display_columns(line) <= chart_sizes.WRAP_COLUMNS + 2 for line in lines)
    assert not any(line[0] in chart_sizes.NO_LINE_START for line in lines)
    assert chart_sizes.wrap_label("局办公室") == "局办公室"


def test_no_pyplot():
    code = ("import sys; from tracker.reporting import charts; charts.status_mix({'done': 1}, fmt='png');"
            "print('matplotlib.pyplot' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_missing_cjk_font_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(charts, "CJK_FAMILIES", ["No Such CJK Font"])
    charts.cjk_font_path.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="fonts-noto-cjk"):
            charts.status_mix({"done": 1}, fmt="svg")
    finally:
        charts.cjk_font_path.cache_clear()


_CHART_BYTES = (
    "import hashlib, sys\n"
    "from tests.unit.test_charts import chart_args\n"
    "from tracker.reporting import charts\n"
    "for name in sorted(charts.CHARTS):\n"
    "    drawn = charts.CHARTS[name](*chart_args(name), fmt=('svg', 'png'))\n"
    "    print(name, hashlib.sha256(drawn['svg'] + drawn['png']).hexdigest())\n"
)


def test_matplotlib_is_loaded_without_3d_toolkit_or_setter_docs_and_draws_the_same():
    """tracker.reporting.plotting: the charts module imports matplotlib without the 3-D toolkit
    and without writing `set()` docstrings (~0.3 CPU s of the report command's start-up), puts
    both back afterwards, and the charts are byte for byte those of a plain import."""
    ours = subprocess.run(
        [sys.executable, "-c",
         "import sys\n"
         "from tracker.reporting import charts, plotting\n"
         "import matplotlib.artist\n"
         "assert 'mpl_toolkits.mplot3d' not in sys.modules\n"
         "assert matplotlib.artist.kwdoc is not plotting._no_kwdoc\n"
         "assert 'Properties:' in matplotlib.artist.kwdoc(matplotlib.artist.Artist)\n"
         "assert 'Properties:' not in charts.Figure.set.__doc__\n"
         + _CHART_BYTES + "import mpl_toolkits.mplot3d\n"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert ours.returncode == 0, ours.stderr
    assert "Axes3D" not in ours.stderr  # the projections module's warning is not shown
    plain = subprocess.run(
        [sys.executable, "-c", "import matplotlib.figure, mpl_toolkits.mplot3d\n" + _CHART_BYTES],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr
    assert ours.stdout == plain.stdout and ours.stdout.count("\n") == len(charts.CHARTS)


@pytest.mark.parametrize("empty", [False, True])
@pytest.mark.parametrize("name", sorted(charts.CHARTS))
def test_a_charts_outline_has_the_size_of_its_drawing(name, empty):
    """chart_sizes.svg_outline (what a report is laid out with before its charts are drawn)
    gives each chart's root element the width, height and viewBox matplotlib writes, for
    data and for 暂无数据, with long wrapped labels too."""
    cases = [chart_args(name, empty)]
    if name in ("sections", "units", "milestones") and not empty:
        long = "四、加强组织领导，推进决策、执行、管理、服务、结果公开和政务公开平台建设工作" * 2
        first = [(long, *row[1:]) for row in cases[0][0]]
        cases.append((first, *cases[0][1:]))
    for args in cases:
        drawn = ET.fromstring(charts.CHARTS[name](*args))
        outline = ET.fromstring(chart_sizes.svg_outline(name, *args))
        assert {key: drawn.get(key) for key in ("width", "height", "viewBox")} == {
            key: outline.get(key) for key in ("width", "height", "viewBox")}
