"""The real `tracker` command for parents, next year, revisions and the annual draft."""

from __future__ import annotations

import io

import docx
from openpyxl import load_workbook

from tests.support import lineage
from tests.support.commands import run_tracker
from tests.support.samples import MINIMAL, SEED_TEMPLATE
from tracker.domain.plan_templates import dump_template


def test_the_commands_store_what_they_say_and_refuse_bad_input(tmp_path):
    def tracker(*args):
        return run_tracker(*args, data_dir=tmp_path / "data")

    files = {"parent.yaml": lineage.PARENT_2018, "2019.yaml": dump_template(lineage.plan_2019()),
             "revised.yaml": dump_template(lineage.revised_2018()), "other.yaml": MINIMAL,
             "wrong-year.yaml": dump_template(lineage.seed_with_doc_number("苏规办〔2018〕99号"))}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert tracker("db", "migrate").returncode == 0
    assert tracker("plan", "import", str(SEED_TEMPLATE), "--create-units").returncode == 0  # plan 1

    parent = tracker("plan", "import", str(tmp_path / "parent.yaml"), "--parent-of", "1")
    assert parent.returncode == 0, parent.stderr
    assert "已导入上级计划 2" in parent.stdout and "建议对照" in parent.stdout
    links = tracker("plan", "links", "1", "--kind", "parent")
    first = links.stdout.splitlines()[0].split("\t")[0]
    assert tracker("plan", "links", "1", "--confirm", first).returncode == 0
    out = tmp_path / "对照.xlsx"
    coverage = tracker("plan", "coverage", "1", "--out", str(out))
    assert coverage.returncode == 0 and "漏项" in coverage.stdout
    sheet = load_workbook(io.BytesIO(out.read_bytes())).active
    assert sheet["J3"].value in ("已落实", "漏项")

    assert tracker("plan", "import", str(tmp_path / "other.yaml"), "--create-units").returncode == 0  # plan 3
    refused = tracker("plan", "import", str(tmp_path / "2019.yaml"), "--follows", "3")
    assert refused.returncode == 2 and "不能承接" in refused.stderr
    refused = tracker("plan", "import", str(tmp_path / "wrong-year.yaml"), "--revise", "1")
    assert refused.returncode == 2 and "修订稿的文号" in refused.stderr
    listed = tracker("plan", "list").stdout
    assert len(listed.splitlines()) == 3  # nothing stored by the refusals

    follows = tracker("plan", "import", str(tmp_path / "2019.yaml"), "--follows", "1")
    assert follows.returncode == 0 and "已导入计划 4" in follows.stdout
    assert "0 项" in tracker("plan", "carry-over", "4").stdout
    assert "未承接" in tracker("plan", "look-back", "4").stdout

    preview = tracker("plan", "import", str(tmp_path / "revised.yaml"), "--revise", "1")
    assert preview.returncode == 0 and "未保存" in preview.stdout and "［撤销］" in preview.stdout
    applied = tracker("plan", "import", str(tmp_path / "revised.yaml"), "--revise", "1", "--apply")
    assert applied.returncode == 0 and "撤销 1 项" in applied.stdout

    draft = tmp_path / "年报.docx"
    annual = tracker("report", "annual", "--plan", "1", "--out", str(draft))
    assert annual.returncode == 0, annual.stderr
    assert "一、总体情况" in "\n".join(p.text for p in docx.Document(str(draft)).paragraphs)
    refused = tracker("report", "annual", "--plan", "2", "--out", str(draft))
    assert refused.returncode == 2 and "上级计划" in refused.stderr
