"""Monthly reports end to end, on SQLite and PostgreSQL: a plan with a hand-built history
(through the real progress and review services, on a controlled clock), reports generated
through the API and the CLI, and the PDFs read back with poppler.

The world (as of 2018-10-05, the due date of the 2018-09 reports; tolerance 10 points):

| task                 | lead     | deadline   | September                       | status  |
|----------------------|----------|------------|---------------------------------|---------|
| 做好财政预决算公开   | 局办公室 | 2018-12-31 | 65 %                            | 正常推进 |
| 推进行政执法公示     | 法规处   | 2018-06-30 | 100 % done                      | 已完成   |
| 政策解读同步发布     | 信息中心 | 2018-09-30 | 100 % returned, corrected: 90 % | 超期     |
| 政务舆情回应         | 宣传处   | ongoing    | nothing (August: 40 %)          | 滞后     |
| 政府网站集约化建设   | 信息中心 | 2018-12-31 | 50 % (expected 71.5 %)          | 滞后     |

Plan completion (65 + 100 + 90 + 40 + 50) / 5 = 69 %; 宣传处 has not reported for September.
After that date more happens (a late September report, October reports, a review that
returns a September update): the September report must not change.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import re
import shutil
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from matplotlib.image import imread

from tests.support.commands import run_tracker
from tests.support.factories import bearer, login, make_user
from tests.support.report_api import finished_job, generated_report
from tracker.domain import status
from tracker.domain.plan_parsing.plan_source import load_plan_source
from tracker.domain.progress_input import validate_update
from tracker.domain.status import DEFAULT_TZ
from tracker.domain.vocabulary import STATUS_LABELS
from tracker.reporting import archive as report_archive
from tracker.reporting.pdf import DataOnlyFetcher
from tracker.reporting.render import percent
from tracker.services import plans, progress
from tracker.services.accounts import CurrentUser
from tracker.services.tracking import load_plan_facts, statuses_as_of
from tracker.tables import Task, Unit

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

POPPLER = ("pdftotext", "pdffonts", "pdfinfo", "pdfimages")
if missing := [tool for tool in POPPLER if shutil.which(tool) is None]:
    pytest.fail(f"poppler-utils is needed for the report tests (missing {missing}): "
                "make setup-test installs it", pytrace=False)

PLAN_TITLE = "测试局2018年政务公开工作要点"
PLAN = textwrap.dedent(f"""\
    plan:
      title: {PLAN_TITLE}
      issuer: 测试局
      doc_number: 测办〔2018〕9号
      issued_on: 2018-03-01
      year: 2018
    units: [局办公室, 法规处, 信息中心, 宣传处]
    milestones:
      - {{title: 三季度工作小结, due_on: 2018-09-30}}
    sections:
      - number: 一
        title: 重点领域公开
        items:
          - number: （一）
            title: 财政和执法
            tasks:
              - number: 1
                text: 做好财政预决算公开
                lead_units: [局办公室]
                cooperating_units: [法规处]
                deadline_text: 2018年12月底前
                deadline: 2018-12-31
              - number: 2
                text: 推进行政执法公示
                lead_units: [法规处]
                deadline_text: 2018年6月底前
                deadline: 2018-06-30
      - number: 二
        title: 政策解读回应
        items:
          - number: （一）
            title: 解读和回应
            tasks:
              - number: 1
                text: 政策解读同步发布
                lead_units: [信息中心]
                deadline_text: 2018年9月底前
                deadline: 2018-09-30
              - number: 2
                text: 政务舆情回应
                lead_units: [宣传处]
                deadline_text: 持续推进
                deadline: ongoing
              - number: 3
                text: 政府网站集约化建设
                lead_units: [信息中心]
                deadline_text: 2018年12月底前
                deadline: 2018-12-31
    """)
AS_OF = dt.date(2018, 10, 5)
SEPTEMBER_WORDS = "已在门户网站公开本局2018年部门预算和“三公”经费预算"
HOSTILE = [
    '<img src="file:///etc/passwd">',
    "<script>alert(1)</script>",
    '<img src="http://example.com/x.png">',
]




# --- poppler ---------------------------------------------------------------------------------


def poppler(tool: str, *args: str | Path) -> str:
    result = subprocess.run([tool, *map(str, args)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def layout_text(pdf: Path) -> str:
    return poppler("pdftotext", "-layout", pdf, "-")


def text_of(pdf: Path) -> str:
    """The text without whitespace: line breaks and spacing do not matter."""
    return re.sub(r"\s+", "", layout_text(pdf))


def page_count(pdf: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", poppler("pdfinfo", pdf), re.M)[1])


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- the world -------------------------------------------------------------------------------


@dataclass
class World:
    plan_id: int
    tasks: dict[str, int]  # by text
    reporters: dict[str, CurrentUser]  # by unit name
    coordinator: CurrentUser
    leader: CurrentUser
    h: dict[str, dict[str, str]]  # bearer headers: coordinator, leader, reporter


def at(monkeypatch, day: dt.date, hour: int = 10) -> dt.datetime:
    """Set the services' clock to `day` at `hour`, Beijing time."""
    moment = dt.datetime.combine(day, dt.time(hour), DEFAULT_TZ)
    monkeypatch.setattr(progress, "_now", lambda: moment)
    return moment


async def submit(monkeypatch, world: World, unit: str, task: str, day: dt.date, period: str,
                 percent_done: int, work_done: str = "按计划推进", problems: str = "",
                 hour: int = 10) -> int:
    at(monkeypatch, day, hour)
    state = "done" if percent_done == 100 else "in_progress"
    data = validate_update({"period": period, "percent": percent_done, "state": state,
                            "work_done": work_done, "problems": problems,
                            "next_steps": "继续推进"})
    update = await progress.submit_update(world.reporters[unit], world.tasks[task], data,
                                          today=day)
    return update.id


async def review(monkeypatch, world: World, update_id: int, day: dt.date, decision: str = "accept",
                 comment: str = "") -> None:
    at(monkeypatch, day, 16)
    await progress.review_update(world.coordinator, update_id, decision, comment)


async def build_world(monkeypatch, hostile: bool = False) -> World:
    summary = await plans.import_plan(load_plan_source(PLAN.encode(), "plan.yaml"),
                                      source_name="plan.yaml")
    units = {row["name"]: row["id"] for row in await Unit.select(Unit.id, Unit.name)}
    tasks = {row["text"]: row["id"] for row in await Task.select(Task.id, Task.text)}
    reporters = {name: await make_user("reporter", unit_id) for name, unit_id in units.items()}
    coordinator = await make_user("coordinator", units["局办公室"])
    leader = await make_user("leader")
    world = World(plan_id=summary.plan_id, tasks=tasks, reporters=reporters,
                  coordinator=coordinator, leader=leader,
                  h={"coordinator": await bearer(coordinator), "leader": await bearer(leader),
                     "reporter": await bearer(reporters["局办公室"])})

    # August, reported on time (due 2018-09-05) and accepted.
    august = dt.date(2018, 9, 3)
    for unit, task, share in [("局办公室", "做好财政预决算公开", 30), ("法规处", "推进行政执法公示", 70),
                              ("信息中心", "政策解读同步发布", 50),
                              ("信息中心", "政府网站集约化建设", 20), ("宣传处", "政务舆情回应", 40),
                              ("法规处", "做好财政预决算公开", 20)]:
        update_id = await submit(monkeypatch, world, unit, task, august, "2018-08", share)
        await review(monkeypatch, world, update_id, dt.date(2018, 9, 4))

    # September, due 2018-10-05; 宣传处 does not report by then.
    problems = "\n".join(HOSTILE) if hostile else "个别栏目更新不够及时"
    budget = await submit(monkeypatch, world, "局办公室", "做好财政预决算公开", dt.date(2018, 10, 3),
                          "2018-09", 65, work_done=SEPTEMBER_WORDS, problems=problems)
    enforcement = await submit(monkeypatch, world, "法规处", "推进行政执法公示", dt.date(2018, 10, 4),
                               "2018-09", 100, work_done="执法公示平台已上线运行")
    await review(monkeypatch, world, enforcement, dt.date(2018, 10, 5))
    first = await submit(monkeypatch, world, "信息中心", "政策解读同步发布", dt.date(2018, 10, 2),
                         "2018-09", 100, work_done="解读材料已全部发布")
    await review(monkeypatch, world, first, dt.date(2018, 10, 3), "return", "请补充佐证链接")
    corrected = await submit(monkeypatch, world, "信息中心", "政策解读同步发布",
                             dt.date(2018, 10, 4), "2018-09", 90, work_done="已发布解读材料九篇")
    await review(monkeypatch, world, corrected, dt.date(2018, 10, 5))
    website = await submit(monkeypatch, world, "信息中心", "政府网站集约化建设", dt.date(2018, 10, 3),
                           "2018-09", 50, work_done="完成栏目迁移方案")

    # After the as-of date: none of this may change the September report.
    await review(monkeypatch, world, budget, dt.date(2018, 10, 8))
    await review(monkeypatch, world, website, dt.date(2018, 10, 9), "return", "进度与材料不符")
    await submit(monkeypatch, world, "宣传处", "政务舆情回应", dt.date(2018, 10, 20), "2018-09", 60,
                 work_done="补报：九月回应关切十二件")
    await submit(monkeypatch, world, "局办公室", "做好财政预决算公开", dt.date(2018, 11, 2),
                 "2018-10", 100, work_done="决算公开已完成")
    return world


async def expected_figures(plan_id: int, as_of: dt.date) -> tuple[dict[str, int], float]:
    """What the database says as of the date: count per status code, and plan completion."""
    statuses = statuses_as_of(await load_plan_facts(plan_id), as_of)
    return status.plan_summary(statuses.values()), status.plan_percent(statuses.values())


async def generate(client, world: World, tmp_path: Path, name: str, **body) -> tuple[dict, Path]:
    """POST a report as the coordinator, download it, check the bytes are the archived ones."""
    report = await generated_report(client, world.plan_id, world.h["coordinator"],
                                    **{"period": "2018-09", **body})
    download = await client.get(f"/api/reports/{report['id']}/download",
                                headers=world.h["coordinator"])
    assert download.status_code == 200, download.text
    assert download.headers["content-type"].startswith("application/pdf")
    assert hashlib.sha256(download.content).hexdigest() == report["sha256"]
    assert len(download.content) == report["size"]
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(download.content)
    return report, path


# --- the monthly report ----------------------------------------------------------------------


async def test_monthly_report_figures_fonts_and_reproducibility(app_client, monkeypatch,
                                                                tmp_path):
    world = await build_world(monkeypatch)
    counts, plan_percent = await expected_figures(world.plan_id, AS_OF)
    # The hand-computed figures of the module doc, so the DB and the report cannot both be wrong.
    assert counts == {"done": 1, "on_track": 1, "behind": 2, "overdue": 1, "not_started": 0}
    assert plan_percent == 69.0

    report, pdf = await generate(app_client, world, tmp_path, "september", edition="detail")
    assert (report["period"], report["as_of"], report["edition"]) == ("2018-09", "2018-10-05",
                                                                       "detail")
    text = text_of(pdf)
    assert PLAN_TITLE in text
    assert "2018年9月工作进展月报" in text
    assert "统计截至2018年10月5日" in text
    assert "测办〔2018〕9号" in text
    assert f"共有工作任务{sum(counts.values())}项" in text
    for code, label in STATUS_LABELS.items():
        assert f"{label}{counts[code]}项" in text, label
    assert f"计划总体完成率{percent(round(plan_percent, 1))}" in text
    assert "有1个单位未报送2018年9月进展" in text
    assert "未报送单位：宣传处。" in text
    # The units' own words: the latest counting version, not the returned one.
    assert SEPTEMBER_WORDS in text
    assert "已发布解读材料九篇" in text
    assert "解读材料已全部发布" not in text
    # Nothing from after the as-of date.
    assert "补报：九月回应关切十二件" not in text
    assert "决算公开已完成" not in text

    # Fonts: CJK subsets, all embedded.
    rows = poppler("pdffonts", pdf).splitlines()[2:]
    assert any("CJK" in row.split()[0] for row in rows), rows
    for row in rows:
        emb, sub = re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", row).group(1, 2)
        assert (emb, sub) == ("yes", "yes"), row
        assert re.match(r"^[A-Z]{6}\+", row.split()[0]), row
    # PDF/A metadata, and a page count that fits five tasks (cover, overview, charts, ...).
    assert re.search(r"pdfaid:part(>|=\")3", poppler("pdfinfo", "-meta", pdf))
    assert 5 <= page_count(pdf) <= 12

    # Later updates (already in the database) do not change a regenerated September report:
    # its content is the same, so the archived copy is returned, not a new row.
    again, pdf_again = await generate(app_client, world, tmp_path, "september-again",
                                      edition="detail")
    assert again["id"] == report["id"]
    assert layout_text(pdf_again) == layout_text(pdf)
    listed = (await app_client.get(f"/api/plans/{world.plan_id}/reports",
                                   headers=world.h["leader"])).json()
    assert [(r["id"], r["sha256"], r["period"], r["as_of"]) for r in listed] == [
        (report["id"], report["sha256"], "2018-09", "2018-10-05")]
    one = (await app_client.get(f"/api/reports/{report['id']}", headers=world.h["leader"])).json()
    assert one["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()

    # Generated later with a later as-of date, the report does show what came in since.
    later, pdf_later = await generate(app_client, world, tmp_path, "september-late",
                                      as_of="2018-10-31", edition="detail")
    later_text = text_of(pdf_later)
    assert "补报：九月回应关切十二件" in later_text
    assert "统计截至2018年10月31日" in later_text
    counts_later, _ = await expected_figures(world.plan_id, dt.date(2018, 10, 31))
    for code, label in STATUS_LABELS.items():
        assert f"{label}{counts_later[code]}项" in later_text, label


async def test_unit_and_year_end_editions(app_client, monkeypatch, tmp_path):
    world = await build_world(monkeypatch)
    unit, pdf = await generate(app_client, world, tmp_path, "unit", unit="信息中心")
    assert (unit["edition"], unit["unit_name"]) == ("unit", "信息中心")
    text = text_of(pdf)
    assert "2018年9月工作进展月报（信息中心）" in text
    assert "政策解读同步发布" in text and "政府网站集约化建设" in text
    for other in ("做好财政预决算公开", "推进行政执法公示", "政务舆情回应", SEPTEMBER_WORDS):
        assert other not in text, other
    assert "共有工作任务2项" in text
    assert "超期1项" in text and "滞后1项" in text

    year_end, pdf = await generate(app_client, world, tmp_path, "year-end", edition="year_end")
    assert (year_end["edition"], year_end["period"], year_end["as_of"]) == (
        "year_end", "2018-12", "2019-01-05")
    text = text_of(pdf)
    assert "2018年年度总结" in text and "四、本年变化" in text
    counts, plan_percent = await expected_figures(world.plan_id, dt.date(2019, 1, 5))
    for code, label in STATUS_LABELS.items():
        assert f"{label}{counts[code]}项" in text, label
    assert f"计划总体完成率{percent(round(plan_percent, 1))}" in text


async def test_bad_report_requests_are_refused(app_client, monkeypatch):
    world = await build_world(monkeypatch)
    url = f"/api/plans/{world.plan_id}/reports"
    h = world.h["coordinator"]
    for body, field in [({"period": "2018-13"}, "period"), ({"period": "2019-01"}, "period"),
                        ({"period": "2018-09", "as_of": "2018-02-30"}, "as_of"),
                        ({"period": "2018-09", "as_of": "2018-08-01"}, "as_of"),
                        ({"period": "2018-09", "edition": "weekly"}, "edition")]:
        response = await app_client.post(url, json=body, headers=h)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["field"] == field, response.text
    response = await app_client.post(url, json={"period": "2018-09", "unit": "没有这个处"}, headers=h)
    assert (response.status_code, response.json()["field"]) == (404, "unit")
    # A period that has not begun has nothing to report (in the plan's year or not).
    monkeypatch.setattr(status, "today", lambda tz=None: dt.date(2018, 9, 20))
    for body in ({"period": "2018-10"}, {"period": "2018-12", "edition": "year_end"}):
        response = await app_client.post(url, json=body, headers=h)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["field"] == "period"
        assert response.json()["detail"].endswith("尚未开始，不能生成报告")
    response = await app_client.post("/api/plans/999/reports", json={"period": "2018-09"}, headers=h)
    assert response.status_code == 404
    response = await app_client.post(url, json={"period": "2018-09"}, headers=world.h["reporter"])
    assert response.status_code == 403
    assert (await app_client.get("/api/reports/999", headers=h)).status_code == 404
    assert (await app_client.get("/api/reports/999/download", headers=h)).status_code == 404


async def test_a_render_over_its_limit_is_stopped_and_the_user_told(app_client, monkeypatch):
    world = await build_world(monkeypatch)
    monkeypatch.setenv("TRACKER_REPORT_TIMEOUT", "0.05")
    job = await finished_job(app_client, world.plan_id, world.h["coordinator"], period="2018-09")
    assert (job["state"], job["report"]) == ("failed", None), job
    assert job["error"].startswith("报告生成超过0.05秒，已停止"), job
    # The job's failure is what the API says from then on, to anyone who asks.
    again = await app_client.get(job["status_url"], headers=world.h["leader"])
    assert again.json()["state"] == "failed"
    unknown = await app_client.get("/api/report-jobs/" + "0" * 32, headers=world.h["leader"])
    assert (unknown.status_code, unknown.json()["field"]) == (404, "job_id")
    assert (await app_client.get(job["status_url"], headers=world.h["reporter"])).status_code == 403
    assert (await app_client.get(f"/api/plans/{world.plan_id}/reports",
                                 headers=world.h["coordinator"])).json() == []


# --- safe rendering --------------------------------------------------------------------------


async def test_hostile_narrative_is_text_and_nothing_is_fetched(app_client, monkeypatch, tmp_path):
    """Markup in a narrative is printed as text; the renderer asks for nothing but the
    embedded charts. The render runs in a thread here, so the fetcher can be watched."""
    world = await build_world(monkeypatch, hostile=True)
    fetched: list[str] = []
    original = DataOnlyFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(DataOnlyFetcher, "fetch", spy)

    async def in_this_process(function, *args, lane="small", limits=None):
        return await asyncio.to_thread(function, *args)

    # Rendered in a thread of this process, so the test sees every fetch the renderer makes.
    monkeypatch.setattr(report_archive, "run_limited", in_this_process)
    _, pdf = await generate(app_client, world, tmp_path, "hostile", edition="detail")
    text = text_of(pdf)
    for hostile in HOSTILE:
        assert compact(hostile) in text, hostile
    assert "root:x:0:0" not in layout_text(pdf)
    assert poppler("pdfimages", "-list", pdf).splitlines()[2:] == []  # no raster image at all
    assert len(fetched) == 5, fetched  # the five charts
    assert all(url.startswith("data:image/svg+xml;base64,") for url in fetched), fetched


# --- charts ----------------------------------------------------------------------------------


def svg_text(svg: bytes) -> str:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)
    return compact("".join("".join(node.itertext())
                           for node in root.iter("{http://www.w3.org/2000/svg}text")))


async def test_charts_api(app_client, monkeypatch):
    world = await build_world(monkeypatch)
    base = f"/api/plans/{world.plan_id}/charts"
    h = world.h["leader"]
    expected = {
        "sections": ["一、重点领域公开", "二、政策解读回应"],
        "units": ["局办公室", "法规处", "信息中心", "宣传处"],
        "trend": ["9月"],
        "status": ["已完成1", "正常推进1", "滞后2", "超期1", "未启动0"],
        "milestones": ["三季度工作小结"],
    }
    for name, words in expected.items():
        response = await app_client.get(f"{base}/{name}.svg?as_of=2018-10-05", headers=h)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("image/svg+xml")
        text = svg_text(response.content)
        for word in words:
            assert word in text, (name, word, text)
        png = await app_client.get(f"{base}/{name}.png?as_of=2018-10-05", headers=h)
        assert png.status_code == 200
        assert png.headers["content-type"] == "image/png"
        assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
        pixels = imread(io.BytesIO(png.content), format="png")[..., :3]
        assert (pixels.min(axis=-1) < 0.9).sum() > 1000, name  # not blank
        assert (pixels.min(axis=-1) > 0.95).sum() > 1000, name  # and not a solid block
    # The status chart follows as_of: the later date sees the October report of 局办公室.
    later = svg_text((await app_client.get(f"{base}/status.svg?as_of=2018-11-30",
                                           headers=h)).content)
    counts, _ = await expected_figures(world.plan_id, dt.date(2018, 11, 30))
    assert f"已完成{counts['done']}" in later and counts["done"] >= 2

    unknown = await app_client.get(f"{base}/pie.svg", headers=h)
    assert (unknown.status_code, unknown.json()["field"]) == (404, "chart")
    unknown_format = await app_client.get(f"{base}/status.gif", headers=h)
    assert (unknown_format.status_code, unknown_format.json()["field"]) == (404, "chart")
    bad_date = await app_client.get(f"{base}/status.svg?as_of=2018-10-35", headers=h)
    assert (bad_date.status_code, bad_date.json()["field"]) == (400, "as_of")
    assert (await app_client.get("/api/plans/999/charts/status.svg", headers=h)).status_code == 404
    # Reporters read only their own unit's tasks: the plan-wide charts and reports are not
    # theirs (reader_guard: 403).
    for path in (f"{base}/status.svg", f"{base}/units.png",
                 f"/api/plans/{world.plan_id}/reports"):
        response = await app_client.get(path, headers=world.h["reporter"])
        assert response.status_code == 403, (path, response.status_code)
    assert (await app_client.get(f"{base}/status.svg")).status_code == 401


async def test_phone_charts_by_query_with_their_own_cache_and_refusals(app_client, monkeypatch):
    """?shape=phone: the overview's charts drawn 360 px wide for a phone (plan.html's
    <picture>), kept under a key of their own; a bad shape is a 400 naming the field."""
    from tracker.reporting import chart_sizes, figures

    world = await build_world(monkeypatch)
    h = world.h["leader"]
    base = f"/api/plans/{world.plan_id}/charts"
    for name in figures.OVERVIEW_CHARTS:
        wide = await app_client.get(f"{base}/{name}.svg?as_of=2018-10-05", headers=h)
        phone = await app_client.get(f"{base}/{name}.svg?as_of=2018-10-05&shape=phone",
                                     headers=h)
        assert phone.status_code == 200, phone.text
        assert phone.headers["content-type"].startswith("image/svg+xml")
        assert b'width="270pt"' in phone.content and b'width="446.4pt"' in wide.content
        explicit = await app_client.get(f"{base}/{name}.svg?as_of=2018-10-05&shape=wide",
                                        headers=h)
        assert explicit.content == wide.content
    units = svg_text(phone.content)  # the last: units
    assert all(unit in units for unit in ("局办公室", "法规处", "信息中心", "宣传处"))
    png = await app_client.get(f"{base}/units.png?as_of=2018-10-05&shape=phone", headers=h)
    assert imread(io.BytesIO(png.content), format="png").shape[1] == round(
        chart_sizes.PHONE_WIDTH * 150)
    data = await report_archive._chart_model(world.plan_id, dt.date(2018, 10, 5))
    inputs = figures.chart_inputs(data, "units")
    assert figures.cached(figures.cache_key("units@phone", "svg", inputs)) == phone.content
    assert figures.cached(figures.cache_key("units", "svg", inputs)) == wide.content

    for query, reason in [("shape=tablet", "图表版式“tablet”无效"), ("shape=Phone", "无效")]:
        refused = await app_client.get(f"{base}/status.svg?{query}", headers=h)
        assert refused.status_code == 400, (query, refused.status_code)
        assert refused.json()["field"] == "shape" and reason in refused.json()["detail"], query
    milestones = await app_client.get(f"{base}/milestones.svg?shape=phone", headers=h)
    assert (milestones.status_code, milestones.json()["field"]) == (400, "shape")
    assert "没有手机版" in milestones.json()["detail"]
    # The page's own route (the <img> the overview shows) takes and refuses the same.
    await login(app_client, world.leader.username)
    page = f"/plans/{world.plan_id}/charts/trend.svg?as_of=2018-10-05"
    assert (await app_client.get(page + "&shape=phone")).content == (
        await app_client.get(f"{base}/trend.svg?as_of=2018-10-05&shape=phone", headers=h)).content
    refused = await app_client.get(page + "&shape=x")
    assert refused.status_code == 400 and "图表版式“x”无效" in refused.text
    overview = (await app_client.get(f"/plans/{world.plan_id}?as_of=2018-10-05")).text
    for name in figures.OVERVIEW_CHARTS:
        src = f"/plans/{world.plan_id}/charts/{name}.svg?as_of=2018-10-05"
        assert f'<source media="(max-width: 600px)" srcset="{src}&amp;shape=phone">' in overview
        assert f'<img src="{src}"' in overview


# --- the command -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("demo-data")
    result = run_tracker("demo", "load", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return data_dir


def test_cli_monthly_report_on_the_demo(demo_dir, tmp_path):
    out = tmp_path / "september.pdf"
    result = run_tracker("report", "monthly", "--plan", "1", "--period", "2018-09", "--out",
                         str(out), data_dir=demo_dir)
    assert result.returncode == 0, result.stderr
    assert "SHA-256" in result.stdout
    sha = re.search(r"SHA-256 ([0-9a-f]{64})", result.stdout)[1]
    assert hashlib.sha256(out.read_bytes()).hexdigest() == sha
    text = text_of(out)
    assert "苏州市规划局2018年政务公开工作要点实施方案" in text
    assert "2018年9月工作进展月报" in text and "统计截至2018年10月5日" in text
    figures = re.search(r"共有工作任务(\d+)项", text)
    assert figures and int(figures[1]) == 19
    assert "一、摘要" in text and "各单位填报原文" not in text
    assert page_count(out) <= 8  # the leadership edition, the default
    # The detail edition: every task and the units' own words.
    detail = tmp_path / "september-detail.pdf"
    result = run_tracker("report", "monthly", "--plan", "1", "--period", "2018-09", "--edition",
                         "detail", "--out", str(detail), data_dir=demo_dir)
    assert result.returncode == 0, result.stderr
    assert "各单位填报原文" in text_of(detail)
    assert page_count(detail) >= 8  # a full report: the demo holds months of updates


@pytest.mark.parametrize(("args", "code"), [
    (["--period", "2018-13"], 2),
    (["--period", "2018-09", "--unit", "没有这个处"], 4),
    (["--period", "2018-09", "--plan", "99"], 4),
    (["--period", "2018-09", "--out", "/nonexistent-dir/x.pdf"], 2),
])
def test_cli_refusals_are_one_line(demo_dir, tmp_path, args, code):
    options = {"--plan": "1", "--out": str(tmp_path / "r.pdf")}
    rest = []
    iterator = iter(args)
    for arg in iterator:
        if arg in options:
            options[arg] = next(iterator)
        else:
            rest.append(arg)
    argv = ["report", "monthly", *rest]
    for key, value in options.items():
        argv += [key, value]
    result = run_tracker(*argv, data_dir=demo_dir)
    assert result.returncode == code, (args, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tracker: "), result.stderr
    assert not list(tmp_path.glob("*.pdf"))


async def test_generated_city_plan_is_consistent(database):
    """`tracker demo generate`'s generator, small: the same seed gives the same history on
    every backend, nothing is reviewed before it was submitted, nothing after `today`."""
    from tracker.services.demo_data import generate_city_plan
    from tracker.tables import ProgressUpdate, Review

    plan_id, history = await generate_city_plan(units=6, tasks=60, months=4, seed=11)
    # The same on every backend (rows are read back in a fixed order).
    assert (history.updates, history.reviews) == (391, 343)
    assert await ProgressUpdate.count() == history.updates
    assert await Review.count() == history.reviews
    rows = await Review.select(Review.decided_at, Review.update.submitted_at)
    assert all(row["decided_at"] > row["update.submitted_at"] for row in rows)
    latest = max(row["submitted_at"] for row in await ProgressUpdate.select(
        ProgressUpdate.submitted_at))
    assert latest < status.end_of_day(dt.date(2025, 5, 5))  # today: the 2025-04 due date
    counts, _ = await expected_figures(plan_id, dt.date(2025, 5, 5))
    assert sum(counts.values()) == 60
    periods = sorted({row["period"] for row in await ProgressUpdate.select(ProgressUpdate.period)})
    assert periods == ["2025-01", "2025-02", "2025-03", "2025-04"]


@pytest.mark.parametrize("status_url", ["/api/report-jobs/{}", "/report-jobs/{}"],
                         ids=["api", "page"])
async def test_a_job_status_can_be_held_until_the_job_moves_on(app_client, monkeypatch,
                                                                status_url):
    """?wait=N (long poll), for the API's clients and for the job page's script: the answer
    comes as soon as the job's step or state changes, so a client learns the report is ready
    at once instead of at its next look; bad values are refused naming the parameter."""
    from tracker.reporting import build as reports
    from tracker.reporting import jobs as report_jobs

    world = await build_world(monkeypatch)
    request = await reports.resolve_request(world.plan_id, "2018-09", None, "monthly", None)
    job_id, _ = await report_jobs.create(request, None)
    url, h = status_url.format(job_id), world.h["coordinator"]
    if not url.startswith("/api/"):  # the page's script: a logged-in browser session
        assert (await login(app_client, world.coordinator.username)).status_code == 200
        h = {"Accept": "application/json"}  # as report_job.js asks

    async def move_on_later():
        await asyncio.sleep(0.4)
        await report_jobs._set_step(job_id, 2)

    mover = asyncio.create_task(move_on_later())
    started = asyncio.get_running_loop().time()
    held = await app_client.get(url, params={"wait": "10"}, headers=h)
    took = asyncio.get_running_loop().time() - started
    await mover
    assert held.status_code == 200 and held.json()["done_steps"] == 2, held.text
    assert 0.3 < took < 3, took  # held until the step changed, not for the 10 s asked
    await report_jobs.fail(job_id, "测试")
    started = asyncio.get_running_loop().time()
    done = await app_client.get(url, params={"wait": "10"}, headers=h)
    assert done.json()["state"] == "failed"
    assert asyncio.get_running_loop().time() - started < 1  # finished: answered at once
    for bad in ("abc", "-1", "31", "1.5"):
        refused = await app_client.get(url, params={"wait": bad}, headers=h)
        assert (refused.status_code, refused.json()["field"]) == (400, "wait"), bad
