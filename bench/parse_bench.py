"""The plan corpus score: how well the parser reads real plan documents (issue 9 §1).

    .venv/bin/python bench/parse_bench.py [DIR] [--misses] [--only NAME] [--json FILE]

DIR (default tests/data/plans) holds `NAME.EXT` documents beside their hand-checked
`NAME.expected.json`; its `holdout/` folder is the hold-out set, scored and printed apart (the
parser is never tuned on it). Per document and in total: sections / items / tasks F1, units
right (lead ∪ cooperating), units right with roles, deadlines right, refused documents. The
rules of the score are in tracker/domain/plan_parsing/score.py. `--misses` lists each expected
task that was missed or got wrong units/deadline (dev set only: hold-out misses are not shown).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.domain.plan_parsing import PlanParseError, parse_plan_document  # noqa: E402
from tracker.domain.plan_parsing.score import DocScore, Totals, score_document  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "plans"
HOLDOUT = "holdout"


def documents(folder: Path) -> list[tuple[str, Path, Path]]:
    """(name, document, expected) for every complete pair in `folder` (not its subfolders)."""
    pairs = []
    for expected in sorted(folder.glob("*.expected.json")):
        name = expected.name.removesuffix(".expected.json")
        candidates = [p for p in folder.glob(f"{name}.*")
                      if p != expected and not p.name.endswith((".source.txt", ".expected.json"))
                      and not p.name.endswith(".tmp")]
        if candidates:
            pairs.append((name, sorted(candidates)[0], expected))
    return pairs


_SOURCE_COMMENT = b"# source:"


def document_bytes(document: Path) -> bytes:
    """The document as found: the corpus's own first line (`# source: …`, the collector's note on
    where the text came from and what its layout is) is left out, keeping the line count."""
    data = document.read_bytes()
    if data.startswith(_SOURCE_COMMENT):  # ASCII-compatible encodings (UTF-8, GB18030)
        end = data.find(b"\n")
        return b"" if end < 0 else data[end:]
    return data


def score_file(name: str, document: Path, expected_path: Path) -> DocScore:
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    try:
        parsed = parse_plan_document(document_bytes(document), document.name).to_dict()
    except PlanParseError as error:
        return score_document(name, expected, None, refused=str(error))
    return score_document(name, expected, parsed)


def score_folder(folder: Path, only: str | None = None) -> tuple[list[DocScore], Totals]:
    scores = [score_file(*pair) for pair in documents(folder) if not only or only in pair[0]]
    totals = Totals()
    for doc in scores:
        totals.add(doc)
    return scores, totals


def _row(name: str, sections: float, items: float, tasks: float, units: float, roles: float,
         deadlines: float, count: int, note: str = "") -> str:
    return (f"{name[:38]:<38} {sections:6.2f} {items:6.2f} {tasks:6.2f} {units:6.2f} {roles:6.2f} "
            f"{deadlines:6.2f} {count:5d}  {note}")


def report(title: str, scores: list[DocScore], totals: Totals, misses: bool) -> None:
    print(f"\n{title}")
    print(f"{'document':<38} {'sect':>6} {'items':>6} {'tasks':>6} {'units':>6} {'roles':>6} "
          f"{'dline':>6} {'n':>5}")
    for doc in scores:
        print(_row(doc.name, doc.sections.f1, doc.items.f1, doc.tasks.f1, doc.ratio(doc.units_right),
                   doc.ratio(doc.roles_right), doc.ratio(doc.deadlines_right), doc.expected_tasks,
                   f"REFUSED: {doc.refused}" if doc.refused else ""))
        if misses:
            for expected, got, what in doc.misses:
                print(f"    - {what}: {expected[:50]}" + (f" | got: {got[:40]}" if got and what == "未找到" else ""))
    t = totals.as_dict()
    print(_row(f"TOTAL ({totals.documents} documents)", t["sections_f1"], t["items_f1"], t["tasks_f1"],
               t["units"], t["units_roles"], t["deadlines"], totals.tasks.expected,
               f"refused {totals.refused}"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(CORPUS))
    parser.add_argument("--misses", action="store_true", help="list what each dev document got wrong")
    parser.add_argument("--only", help="only documents whose name contains this")
    parser.add_argument("--json", help="write the totals as JSON to this file")
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    started = time.perf_counter()
    dev, dev_totals = score_folder(folder, args.only)
    report(f"development set: {folder}", dev, dev_totals, args.misses)
    result = {"dev": dev_totals.as_dict()}
    hold, hold_totals = score_folder(folder / HOLDOUT, args.only) if (folder / HOLDOUT).is_dir() else ([], None)
    if (folder / HOLDOUT).is_dir() and not hold:
        print(f"\nhold-out set: {folder / HOLDOUT} holds no documents")
    elif hold:
        report(f"hold-out set (never tuned on): {folder / HOLDOUT}", hold, hold_totals, False)
        result["holdout"] = hold_totals.as_dict()
    print(f"\n{time.perf_counter() - started:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
