"""The `tracker` command as a user runs it: parse, import, export, units, users, on a fresh
SQLite file and a fresh PostgreSQL database; exit codes and one-line reasons for bad input."""

from __future__ import annotations

import itertools
import json

import asyncpg
import pytest
import yaml

from tests.support.commands import run_tracker
from tests.support.samples import MINIMAL, SEED_TEMPLATE, SEED_TEXT

_names = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgres"])
async def cli_env(request, tmp_path):
    """(database_url, data_dir) of an empty, migrated database made for this test."""
    url = None
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_url")
        name = f"cli_{next(_names)}"
        connection = await asyncpg.connect(server)
        await connection.execute(f"CREATE DATABASE {name}")
        await connection.close()
        url = server.rsplit("/", 1)[0] + "/" + name
    data_dir = tmp_path / "data"
    migrated = run_tracker("db", "migrate", database_url=url, data_dir=data_dir)
    assert migrated.returncode == 0, migrated.stderr
    return url, data_dir


def tracker(env, *args, input_text=None):
    url, data_dir = env
    return run_tracker(*args, database_url=url, data_dir=data_dir, input_text=input_text)


def test_parse_prints_the_documented_shape_and_stores_nothing(tmp_path):
    result = run_tracker("plan", "parse", str(SEED_TEXT), "--format", "json", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    tree = json.loads(result.stdout)
    assert {"title", "issuer", "doc_number", "issued_on", "year", "interpretation",
            "sections"} <= set(tree)
    assert (tree["doc_number"], tree["issued_on"], tree["year"]) == ("苏规办〔2018〕17号",
                                                                     "2018-08-01", 2018)
    assert [s["number"] for s in tree["sections"]] == ["一", "二", "三"]
    task = tree["sections"][0]["items"][0]["tasks"][0]
    assert {"number", "text", "lead_units", "cooperating_units", "deadline_text",
            "deadline"} <= set(task)
    assert not (tmp_path / "tracker.sqlite").exists()  # parse never touches a database


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"", "empty.txt", "空"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 4, "image.txt", ""),
        ("一、计划".encode() + b"\xff\xff text", "bad.txt", "编码"),
        ("这是一段没有任何编号的文字。\n".encode(), "plain.txt", "编号"),
    ],
)
def test_bad_documents_get_one_line_and_exit_2(tmp_path, content, name, reason):
    path = tmp_path / name
    path.write_bytes(content)
    result = run_tracker("plan", "parse", str(path), "--format", "json", data_dir=tmp_path)
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith("tracker: ") and result.stderr.count("\n") == 1
    assert reason in result.stderr
    assert result.stdout == ""


def test_missing_file_is_bad_input(tmp_path):
    result = run_tracker("plan", "parse", str(tmp_path / "nope.txt"), data_dir=tmp_path)
    assert result.returncode == 2 and "文件不存在" in result.stderr


async def test_import_twice_is_refused_unless_replaced_and_export_round_trips(cli_env, tmp_path):
    first = tracker(cli_env, "plan", "import", str(SEED_TEMPLATE), "--create-units")
    assert first.returncode == 0, first.stderr
    assert "已导入计划 1：苏州市规划局2018年政务公开工作要点实施方案" in first.stdout
    assert "任务 19 项" in first.stdout

    again = tracker(cli_env, "plan", "import", str(SEED_TEMPLATE), "--create-units")
    assert again.returncode == 3 and "--replace" in again.stderr
    assert again.stderr.count("\n") == 1

    exported = tracker(cli_env, "plan", "export", "1", "--format", "yaml")
    assert exported.returncode == 0, exported.stderr
    data = yaml.safe_load(exported.stdout)
    assert data["plan"]["doc_number"] == "苏规办〔2018〕17号"
    assert sum(len(item["tasks"]) for s in data["sections"] for item in s["items"]) == 19
    out = tmp_path / "exported.yaml"
    out.write_text(exported.stdout, encoding="utf-8")
    replaced = tracker(cli_env, "plan", "import", str(out), "--replace")
    assert replaced.returncode == 0 and "已替换计划" in replaced.stdout
    new_id = replaced.stdout.split("已替换计划 ", 1)[1].split("：", 1)[0]
    assert tracker(cli_env, "plan", "export", new_id).stdout == exported.stdout

    listed = tracker(cli_env, "plan", "list")
    assert listed.stdout.count("\n") == 1 and "苏规办〔2018〕17号" in listed.stdout
    missing = tracker(cli_env, "plan", "export", "99")
    assert missing.returncode == 4 and "计划 99 不存在" in missing.stderr


async def test_a_document_with_unknown_units_is_refused_unless_they_may_be_created(cli_env):
    refused = tracker(cli_env, "plan", "import", str(SEED_TEXT))
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "以下单位在本系统中不存在：局办公室、政策制定业务部门、宣传部门" in refused.stderr
    assert "--create-units" in refused.stderr
    assert tracker(cli_env, "plan", "list").stdout == ""
    assert tracker(cli_env, "unit", "list").stdout == ""

    result = tracker(cli_env, "plan", "import", str(SEED_TEXT), "--create-units")
    assert result.returncode == 0, result.stderr
    assert "新建单位 3 个：局办公室、政策制定业务部门、宣传部门" in result.stdout
    assert "尚未指定牵头单位的任务 18 项" in result.stdout


async def test_review_yaml_is_edited_then_imported(cli_env, tmp_path):
    assert tracker(cli_env, "unit", "add", "办公室").returncode == 0
    out = tmp_path / "review.yaml"
    written = tracker(cli_env, "plan", "import", str(SEED_TEXT), "--review", str(out))
    assert written.returncode == 0, written.stderr
    assert f"已写出待核对的计划：{out}（任务 19 项，需核对 19 项，本系统没有的单位 2 个）" in written.stdout
    assert tracker(cli_env, "plan", "list").stdout == ""  # nothing stored
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# 待核对的计划")
    assert "#   局办公室 → 办公室（按别名对应，任务中已改为“办公室”）" in text
    assert "    # ⚠ 未识别到责任单位\n    # 原文第 22 行\n    - number: '1'" in text
    assert "lead_units: [办公室]" in text
    assert "new_units:\n  政策制定业务部门: null\n  宣传部门: null\n" in text

    undecided = tracker(cli_env, "plan", "import", str(out))
    assert undecided.returncode == 2
    assert "以下单位在本系统中不存在：政策制定业务部门、宣传部门" in undecided.stderr

    # The coordinator decides each new unit, fixes the first task, and imports the file.
    text = text.replace("  政策制定业务部门: null", "  政策制定业务部门: 新建")
    text = text.replace("  宣传部门: null", "  宣传部门: 办公室")
    text = text.replace("    - number: '1'\n      text: 围绕", "    - number: '1'\n"
                        "      deadline_text: 2018年10月底前\n      deadline: 2018-10-31\n      text: 围绕", 1)
    first_units = "      lead_units: []\n      cooperating_units: []"
    text = text.replace(first_units, "      lead_units: [办公室]\n      cooperating_units: []", 1)
    out.write_text(text, encoding="utf-8")
    stored = tracker(cli_env, "plan", "import", str(out))
    assert stored.returncode == 0, stored.stderr
    assert "新建单位 1 个：政策制定业务部门" in stored.stdout
    exported = yaml.safe_load(tracker(cli_env, "plan", "export", "1").stdout)
    first = exported["sections"][0]["items"][0]["tasks"][0]
    assert first["lead_units"] == ["办公室"] and str(first["deadline"]) == "2018-10-31"
    assert exported["units"] == ["办公室", "政策制定业务部门"]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("units: [局办公室, 法规处]", "unitz: [局办公室]"), "unitz"),
        (("lead_units: [局办公室]", "lead_units: [宣传处]"),
         "sections[0].items[0].tasks[0].lead_units[0]"),
        (("deadline: 2018-12-31", "deadline: 2018-02-30"), "sections[0].items[0].tasks[0].deadline"),
    ],
)
async def test_bad_templates_are_refused_whole(cli_env, tmp_path, change, key):
    path = tmp_path / "plan.yaml"
    path.write_text(MINIMAL.replace(*change), encoding="utf-8")
    result = tracker(cli_env, "plan", "import", str(path))
    assert result.returncode == 2 and key in result.stderr, result.stderr
    assert tracker(cli_env, "plan", "list").stdout == ""


async def test_units_and_users_from_the_shell(cli_env):
    assert tracker(cli_env, "unit", "add", "宣传处").returncode == 0
    duplicate = tracker(cli_env, "unit", "add", "宣传处")
    assert duplicate.returncode == 3 and "已存在" in duplicate.stderr
    added = tracker(cli_env, "user", "add", "zhang", "--role", "reporter", "--unit", "宣传处",
                    "--password-stdin", input_text="long-enough-1\n")
    assert added.returncode == 0 and "zhang" in added.stdout
    short = tracker(cli_env, "user", "add", "li", "--role", "coordinator", "--password-stdin",
                    input_text="short\n")
    assert short.returncode == 2 and "密码至少8位" in short.stderr
    no_unit = tracker(cli_env, "user", "add", "wang", "--role", "reporter", "--unit", "无此处",
                      "--password-stdin", input_text="long-enough-1\n")
    assert no_unit.returncode == 4 and "无此处" in no_unit.stderr
    assert tracker(cli_env, "user", "list").stdout.splitlines()[0].startswith("zhang\t")


def test_an_unmigrated_database_is_refused_with_a_clear_reason(tmp_path):
    result = run_tracker("plan", "list", data_dir=tmp_path / "fresh")
    assert result.returncode == 2 and "tracker db migrate" in result.stderr
