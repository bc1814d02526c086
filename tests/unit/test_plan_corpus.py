"""The corpus of real plan documents (tests/data/plans, see bench/parse_bench.py): the parser's
score on the development set may only go up, and no document of the corpus is refused.

The hold-out set (tests/data/plans/holdout) is scored by the bench and reported in the README;
its numbers are not pinned here, so nobody tunes the parser against them. It may be empty for a
while (its documents were retired into development on 2026-11-28 and a fresh hold-out is being
collected): its test then skips. A second, separate hold-out (tests/data/plans/holdout_other_topics)
holds whole work plans on other topics (普法, 林长制, 专利, 乡村振兴…) in the same layouts, added because
few whole 政务公开 plans from new bodies are reachable; it is scored once and never tuned on either.

2026-11-29: the fresh hold-out h01-h11 joined development (41 -> 52 documents). Their untouched
hold-out score, taken once before any tuning on them: sections 0.85 / items 0.96 / tasks 0.72 /
units 0.76 / roles 0.76 / deadlines 0.92, none refused.

2026-11-29: the hold-out on other topics o01-o11 joined development too (52 -> 63 documents; their
untouched score is in the README). Two of them are task tables flattened into one line whose cells
run together with nothing between them (o04 工作措施|工作目标 glued, o05 考核评分细则|节点任务 glued and
merged cells): no rule that is not about those two documents' words tells where a cell ends, so
they stay misses and the floors below are the 63-document totals (o04 and o05 alone cost 0.07 of
tasks F1).

2026-11-29: the hold-out on other topics r01-r18 joined development as well (63 -> 81 documents; their
untouched score is in the README), then the parser was tuned on their layouts. The floors are the
81-document totals after that tuning.

2026-11-29: the hold-out on other topics x01-x08 (the 广州 2012 实施意见, 成都/丽水 分解方案, 咸阳 要点) joined
development (104 -> 112 documents; their untouched score is in the README, "A fifth fresh hold-out").

2026-11-29: the rest of that fifth hold-out, w01-w03 and y01-y02 (政务公开, from holdout/) and z01-z02 (other
topics), joined development too (112 -> 119 documents; their untouched score is in the README), then the
parser was tuned on their layouts. The floors are the 119-document totals after that tuning.

2026-11-29: the odd-numbered half of the a/g and b/j hold-out (a01-a29 and g01-g13 odd, 政务公开, from
holdout/; b01-b13 odd and j01, j03, j05, j07, other topics) and j06 (refused untouched; no corpus
document may be refused) joined development (119 -> 153 documents; their untouched score is in
tests/data/plans/README.md), then the parser was tuned on their layouts (parser-ag). The floors are the
153-document totals after that tuning; no development document scores lower than before it.

2026-11-29: f01 of the fresh f/i hold-out, refused untouched (a page folded onto one line whose items
are half-width "(一)" after a space), joined development and is read (153 -> 154 documents); the
others of f/i stay unseen.

2026-11-29: f02-f17, the other 16 政务公开 documents of the f/i hold-out (cut pages, 39 tasks), joined
development after their one untouched score (sections 0.91 / items 0.94 / tasks 0.85 / units 0.46 /
roles 0.46 / deadlines 0.79, none refused; 154 -> 170 documents), then the parser was tuned on their
layouts (parser-f). The floors are the 170-document totals after that tuning; no development document
scores lower than before it. i01-i02 stay unseen.

2026-11-29: the even-numbered half of the a/g and b/j hold-out (a02-a28 and g02-g12 even, 政务公开, from
holdout/; b02-b14 even, j02, j04, other topics; 29 documents, 104 tasks), never tuned on, joined
development after their scores were taken (untouched 政务公开 even half 1.00 / 0.99 / 0.77 / 0.57 /
0.57 / 0.73, after the other tuning rounds 1.00 / 0.99 / 0.91 / 0.73 / 0.73 / 0.86; other topics even
half 1.00 / 0.92 / 0.78 / 0.68 / 0.68 / 0.72 both times; 170 -> 199 documents), then the parser was
tuned on their layouts (parser-even). The floors are the 199-document totals after that tuning; no
development document scores lower than before it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "plans"
# Measured on the development set; raise a floor when the parser gets better, never lower it
# (the exceptions: 2026-11-28 the 14 hold-out documents joined the set, 27 -> 41 documents;
# 2026-11-29 h01-h11 joined, 41 -> 52; then o01-o11, 52 -> 63, with o04/o05 unread; then r01-r18,
# 63 -> 81; then s01-s16, 81 -> 97; then u01-u02 and v01-v05, 97 -> 104; then x01-x08, 104 -> 112; then w01-w03, y01-y02 and
# z01-z02, 112 -> 119; then the odd a/g, b/j half and j06, 119 -> 153; then f01, 153 -> 154; then f02-f17,
# 154 -> 170; then the even a/g, b/j half, 170 -> 199: see above).
DEV_FLOORS = {
    "documents": 199,
    "sections_f1": 0.9953,
    "items_f1": 0.9809,
    "tasks_f1": 0.9763,
    "units": 0.9795,
    "units_roles": 0.9795,
    "deadlines": 0.9781,
}


def _bench():
    spec = importlib.util.spec_from_file_location("parse_bench", ROOT / "bench" / "parse_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return _bench()


def test_dev_totals_only_go_up(bench):
    _, totals = bench.score_folder(CORPUS)
    measured = totals.as_dict()
    for key, floor in DEV_FLOORS.items():
        assert measured[key] >= floor, (key, measured)


@pytest.mark.parametrize("folder", [CORPUS, CORPUS / "holdout", CORPUS / "holdout_other_topics"],
                         ids=["dev", "holdout", "holdout_other_topics"])
def test_no_document_of_the_corpus_is_refused(bench, folder):
    scores, _ = bench.score_folder(folder)
    if not scores and folder != CORPUS:
        pytest.skip(f"no documents in {folder} yet")
    assert scores, f"no documents in {folder}"
    assert [(s.name, s.refused) for s in scores if s.refused] == []


# The plan's title is not one of the scored measures, but it is the first thing the
# coordinator reads in the preview: titles read right may only go up too (2026-11-29: 55 of the 168
# documents whose expected tree names a title, then 98 once a page's field lines and chrome were
# no title candidates and a title naming no kind of plan gave way to the cover notice's 《…》).
TITLES_RIGHT_FLOOR = 98


def test_dev_titles_read_right_only_go_up(bench):
    from tracker.domain.plan_parsing import parse_plan_document

    right = 0
    for _, document, expected_path in bench.documents(CORPUS):
        expected = json.loads(expected_path.read_text(encoding="utf-8")).get("title")
        if expected:
            plan = parse_plan_document(bench.document_bytes(document), document.name)
            right += plan.title == expected
    assert right >= TITLES_RIGHT_FLOOR, right


def test_the_score_rules(bench):
    from tracker.domain.plan_parsing.score import score_document

    task = {"number": "1", "text": "做好政务公开工作。", "lead_units": ["局办公室"],
            "cooperating_units": ["法规处"], "deadline_text": "年底前"}
    expected = {"cut": True, "sections": [{"number": None, "title": None, "items": [
        {"number": None, "title": None, "tasks": [task]}]}]}
    found = {"sections": [{"number": None, "title": None, "items": [{"number": None, "title": None, "tasks": [
        {**task, "text": "做好政务公开工作", "lead_units": ["法规处"], "cooperating_units": ["局办公室"]},
        {**task, "text": "后面被截掉的任务"}]}]}]}
    doc = score_document("x", expected, found)
    # punctuation ignored; the cut document's extra task after the last expected one not counted
    assert (doc.tasks.matched, doc.tasks.found, doc.tasks.f1) == (1, 1, 1.0)
    assert (doc.units_right, doc.roles_right, doc.deadlines_right) == (1, 0, 1)
    refused = score_document("y", expected, None, refused="文本为空")
    assert refused.tasks.f1 == 0 and refused.refused == "文本为空"


@pytest.mark.parametrize("folder", [CORPUS, CORPUS / "holdout", CORPUS / "holdout_other_topics"],
                         ids=["dev", "holdout", "holdout_other_topics"])
def test_expected_files_follow_the_schema(bench, folder):
    """Every expected tree has the `plan parse --format json` shape the score reads (see the README)."""
    pairs = bench.documents(folder)
    if not pairs and folder != CORPUS:
        pytest.skip(f"no documents in {folder} yet")
    for name, _, expected_path in pairs:
        tree = json.loads(expected_path.read_text(encoding="utf-8"))
        assert {"source", "cut", "title", "sections"} <= tree.keys(), name
        assert isinstance(tree["cut"], bool) and tree["sections"], name
        for section in tree["sections"]:
            assert {"number", "title", "items"} <= section.keys(), name
            for item in section["items"]:
                assert {"number", "title", "tasks"} <= item.keys(), name
                for task in item["tasks"]:
                    assert isinstance(task["text"], str) and task["text"].strip(), name
                    for key in ("lead_units", "cooperating_units"):
                        assert all(isinstance(u, str) and u.strip() for u in task[key]), (name, key)
                    assert task["deadline_text"] is None or task["deadline_text"].strip(), name


def test_the_collectors_source_line_is_not_scored_as_the_documents_text(bench, tmp_path):
    """The `# source: …` line is the corpus's note (it may describe the layout: "（一）…（五）");
    the parser is scored on the document as found, its line numbers unchanged."""
    document = tmp_path / "x.txt"
    document.write_bytes("# source: https://example.org; items （一）…（五）, （六）\n一、工作任务\n".encode())
    assert bench.document_bytes(document) == "\n一、工作任务\n".encode()
    document.write_bytes("一、工作任务\n".encode("gb18030"))
    assert bench.document_bytes(document) == "一、工作任务\n".encode("gb18030")
