"""Precision and recall of the suggested task links against hand-made pairs on real plans.

    .venv/bin/python bench/link_bench.py

The plans are real documents (tests/data/plan_pairs/*.txt, with their source lines) read
through their hand-written expected trees; the pairs in gold.json were written by reading both
documents. Each pair has a kind: "follows" (this year's plan against last year's, the default
when absent) or "parent" (a body's plan against its parent's plan of the same year). Each kind is
measured with the unit weight the service uses for it (tracker/services/plan_links.py: parents
are matched on text only) and reported on its own. Prints one line per plan pair and per
threshold, then the totals per kind at the default.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.domain import plan_links  # noqa: E402

DATA = ROOT / "tests" / "data" / "plan_pairs"


def tasks_of(filename: str) -> list[plan_links.LinkText]:
    tree = json.loads((DATA / filename).read_text(encoding="utf-8"))
    result = []
    for section in tree["sections"]:
        for item in section["items"]:
            for task in item["tasks"]:
                result.append(plan_links.LinkText(
                    key=len(result) + 1, text=task["text"],
                    units=tuple(task["lead_units"] + task["cooperating_units"]),
                    heading=item["title"] or ""))
    return result


KINDS = ("follows", "parent")
UNIT_WEIGHT = {"follows": plan_links.UNIT_WEIGHT, "parent": 0.0}


def kind_of(pair: dict) -> str:
    return pair.get("kind", "follows")


def measure(pair: dict, **options) -> tuple[int, int, int]:
    """(hits, suggested, gold) for one plan pair, with the service's unit weight for its kind."""
    options.setdefault("unit_weight", UNIT_WEIGHT[kind_of(pair)])
    new, old = tasks_of(pair["this_year"]), tasks_of(pair["last_year"])
    suggested = {(s.source, s.target) for s in plan_links.suggest_links(new, old, **options)}
    gold = {tuple(link) for link in pair["links"]}
    return len(suggested & gold), len(suggested), len(gold)


def report(kind: str, pairs: list[dict]) -> None:
    print(f"== {kind} pairs ({len(pairs)})")
    if not pairs:
        print("   no hand-made pairs of this kind yet")
        return
    print("threshold  pair                          precision  recall")
    for threshold in (0.06, plan_links.SUGGEST_THRESHOLD, 0.10, 0.12, 0.15):
        totals = [0, 0, 0]
        for pair in pairs:
            hits, suggested, gold = measure(pair, threshold=threshold)
            totals = [totals[0] + hits, totals[1] + suggested, totals[2] + gold]
            print(f"{threshold:9.2f}  {pair['name']:28}  {hits / max(suggested, 1):9.2f}  "
                  f"{hits / gold:6.2f}")
        marker = "  ← default" if threshold == plan_links.SUGGEST_THRESHOLD else ""
        print(f"{threshold:9.2f}  {'all':28}  {totals[0] / max(totals[1], 1):9.2f}  "
              f"{totals[0] / totals[2]:6.2f}  ({totals[0]} of {totals[1]} suggested, "
              f"{totals[2]} gold){marker}")
    if UNIT_WEIGHT[kind]:
        hits = suggested = gold = 0
        for pair in pairs:
            h, s, g = measure(pair, unit_weight=0.0)
            hits, suggested, gold = hits + h, suggested + s, gold + g
        print(f"without unit overlap: precision {hits / max(suggested, 1):.2f}, "
              f"recall {hits / gold:.2f}")


def main() -> None:
    pairs = json.loads((DATA / "gold.json").read_text(encoding="utf-8"))["pairs"]
    for kind in KINDS:
        report(kind, [pair for pair in pairs if kind_of(pair) == kind])


if __name__ == "__main__":
    main()
