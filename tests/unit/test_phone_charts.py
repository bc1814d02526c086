"""The overview's charts for a phone (figures.SHAPES "phone"): 360 CSS px wide, no text under
9 pt (12 px there), Chinese kept as text and drawn as glyphs, every label inside the picture
and clear of the others, a cache key of their own; the wide charts are left as they were."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import matplotlib
import numpy as np
import pytest
from matplotlib.image import imread

from tests.support.report_samples import sample_report_data
from tests.unit.test_charts import svg_text
from tracker.domain.errors import InvalidInput
from tracker.reporting import chart_sizes, charts, figures

PHONE_CSS_PX = 360  # what a 390 px phone gives a chart (plan.html, site.css)
MIN_TEXT_PX = 11
LONG = "四、加强组织领导，推进决策、执行、管理、服务、结果公开和政务公开平台建设工作"


def phone_inputs(name: str, empty: bool = False) -> tuple:
    data = sample_report_data()
    inputs = figures.chart_inputs(data, name)
    if empty:
        return ({},) if name == "status" else ([],)
    return inputs


def long_labels(name: str) -> tuple:
    """The sample's rows, the first one named with a 38-character title."""
    rows = phone_inputs(name)[0]
    return ([(LONG, *rows[0][1:]), *rows[1:]],)


def two_years() -> tuple:
    months = [f"{year}-{month:02d}" for year in (2025, 2026) for month in range(1, 13)]
    return ([(period, i * 4.0, i) for i, period in enumerate(months)],)


def drawn_figure(monkeypatch, name: str, inputs: tuple):
    """The matplotlib figure a phone chart saves, with a renderer, to measure its texts (under
    the charts' rcParams: measure_in)."""
    kept = {}
    save = charts._save

    def keep(fig, fmt):
        kept["fig"] = fig
        return save(fig, fmt)

    monkeypatch.setattr(charts, "_save", keep)
    charts.PHONE_CHARTS[name](*inputs, fmt="svg")
    fig = kept["fig"]
    return fig, fig.canvas.get_renderer()


def measure_in():
    """The charts' fonts, for text extents measured as drawn."""
    return matplotlib.rc_context(charts._RC)


def texts_of(fig) -> list:
    found = [t for t in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_fontsize"))
             if t.get_visible() and t.get_text().strip()]
    return found


@pytest.mark.parametrize("name", figures.PHONE_CHARTS)
@pytest.mark.parametrize("empty", [False, True])
def test_a_phone_chart_is_360_px_wide_and_as_tall_as_its_size_says(name, empty):
    inputs = phone_inputs(name, empty)
    svg = ET.fromstring(charts.PHONE_CHARTS[name](*inputs, fmt="svg"))
    assert svg.get("width") == "270pt"  # 3.75 in: 360 CSS px
    height = chart_sizes.height_of(name, *inputs, shape="phone")
    assert float(svg.get("height").removesuffix("pt")) == pytest.approx(height * 72, abs=0.01)
    png = imread(io.BytesIO(charts.PHONE_CHARTS[name](*inputs, fmt="png")), format="png")
    assert png.shape[1] == round(chart_sizes.PHONE_WIDTH * charts.PNG_DPI)
    if empty:
        assert "暂无数据" in svg_text(ET.tostring(svg))


@pytest.mark.parametrize("name", figures.PHONE_CHARTS)
def test_a_phone_charts_text_reads_at_11_px_or_more(name):
    svg = charts.PHONE_CHARTS[name](*phone_inputs(name), fmt="svg")
    root = ET.fromstring(svg)
    scale = PHONE_CSS_PX / float(root.get("viewBox").split()[2])  # CSS px per SVG unit (pt)
    sizes = [float(size) for size in re.findall(rb"font-size: ([\d.]+)px", svg)]
    assert sizes, "no text"
    assert min(sizes) * scale >= MIN_TEXT_PX, (min(sizes), scale)
    # The reason for the phone's: the wide chart shrunk to this width would not read.
    wide = charts.CHARTS[name](*phone_inputs(name), fmt="svg")
    wide_sizes = [float(size) for size in re.findall(rb"font-size: ([\d.]+)px", wide)]
    assert min(wide_sizes) * PHONE_CSS_PX / 446.4 < MIN_TEXT_PX


@pytest.mark.parametrize("name", figures.PHONE_CHARTS)
def test_a_phone_chart_keeps_its_chinese_as_text(name):
    data = sample_report_data()
    text = svg_text(charts.PHONE_CHARTS[name](*phone_inputs(name), fmt="svg"))
    expected = {
        "status": [f"{label}{data.totals[code]}" for code, label in charts.STATUS_LABELS.items()],
        "sections": [title.replace(" ", "") for title, _ in data.sections],
        "units": [u.name for u in data.units] + ["完成率", "报送及时率"],
        "trend": ["计划完成率（%）", "已完成任务数", "3月", "9月"],
    }[name]
    for word in expected:
        assert word in text, (word, text)
    assert re.search(r"[\u4e00-\u9fff]", text)


def test_phone_chinese_is_drawn_as_glyphs_not_boxes():
    first = imread(io.BytesIO(charts.completion_by_section_phone([("政务公开", 50.0)], fmt="png")))
    second = imread(io.BytesIO(charts.completion_by_section_phone([("规划编制", 50.0)], fmt="png")))
    assert first.shape == second.shape
    assert np.abs(first - second).sum() > 50


@pytest.mark.parametrize("name, inputs", [
    (name, phone_inputs(name)) for name in figures.PHONE_CHARTS] + [
    ("sections", long_labels("sections")), ("units", long_labels("units")),
    ("trend", two_years())])
def test_every_text_is_inside_the_picture_and_clear_of_the_others(monkeypatch, name, inputs):
    fig, renderer = drawn_figure(monkeypatch, name, inputs)
    with measure_in():
        fig.canvas.draw()  # placed again at the renderer's dpi (the SVG was saved at 72)
        check_layout(name, fig, renderer)


def check_layout(name, fig, renderer) -> None:
    frame = fig.bbox
    boxes = []
    for text in texts_of(fig):
        box = text.get_window_extent(renderer)
        assert box.x0 >= frame.x0 - 0.5 and box.x1 <= frame.x1 + 0.5, (text.get_text(), box)
        assert box.y0 >= frame.y0 - 0.5 and box.y1 <= frame.y1 + 0.5, (text.get_text(), box)
        boxes.append((text.get_text(), box))
    for i, (first, a) in enumerate(boxes):
        for second, b in boxes[i + 1:]:
            assert not a.overlaps(b), f"{first!r} overlaps {second!r}"
    for legend in fig.legends:  # the legend is clear of the plot and its labels
        for ax in fig.axes:
            if ax.axison:
                assert not legend.get_window_extent(renderer).overlaps(
                    ax.get_tightbbox(renderer)), name


def test_long_labels_wrap_into_the_width_and_months_thin_out(monkeypatch):
    fig, _ = drawn_figure(monkeypatch, "sections", long_labels("sections"))
    first = next(t.get_text() for t in texts_of(fig) if t.get_text().startswith("四、"))
    assert 2 <= first.count("\n") + 1 <= chart_sizes.MAX_LABEL_LINES
    assert all(chart_sizes.display_columns(line) <= chart_sizes.PHONE_WRAP_COLUMNS
               for line in first.split("\n"))
    fig, _ = drawn_figure(monkeypatch, "trend", two_years())
    months = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert 4 <= len(months) <= 6 and "1月\n2025" in months


def test_the_shape_is_part_of_the_cache_key_and_the_wide_key_is_unchanged():
    inputs = figures.chart_inputs(sample_report_data(), "units")
    phone = figures.variant("units", "phone")
    assert phone != "units" and figures.variant("units", "wide") == "units"
    assert figures.chart_inputs(sample_report_data(), phone) == inputs
    assert figures.cache_key(phone, "svg", inputs) != figures.cache_key("units", "svg", inputs)
    drawn = figures.draw_many({phone: (inputs, ("svg",)), "units": (inputs, ("svg",))})
    assert drawn[phone]["svg"] == charts.completion_by_unit_phone(*inputs)
    assert drawn["units"]["svg"] == charts.completion_by_unit(*inputs)
    assert drawn[phone]["svg"] != drawn["units"]["svg"]


def test_the_shape_from_a_query():
    assert figures.parse_shape(None, "units") == figures.parse_shape("", "units") == "wide"
    assert figures.parse_shape("phone", "trend") == "phone"
    for value, chart in [("tablet", "units"), ("PHONE", "units"), ("phone", "milestones")]:
        with pytest.raises(InvalidInput) as refused:
            figures.parse_shape(value, chart)
        assert refused.value.field == "shape"


def test_every_overview_chart_has_a_phone_drawing():
    assert set(charts.PHONE_CHARTS) == set(figures.PHONE_CHARTS) == set(figures.OVERVIEW_CHARTS)
