"""Which task of one plan continues or implements which task of another: pure text matching.

Used for three links, each confirmed by the coordinator before it counts:
- a task of our plan → the parent plan's clause it implements (上级要点对照),
- a task of this year's plan → last year's task it continues (承接上年),
- a task of a revised document → the stored task it is (修订).

Similarity is TF-IDF over character 2- and 3-grams, cosine between two texts. No library:
Chinese has no spaces, so word tokenisation would need jieba and its dictionary; character
n-grams need nothing, are deterministic, and (bench/link_bench.py) find the pairs of real plans
well enough to suggest them. rapidfuzz's ratios score whole-string edits, which is right for a
reworded task (revision) but weak for a year-later task that keeps the topic and changes the
wording; TF-IDF weighs the rare topic grams (预决算, 政府公报) over the common ones (政务公开).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Default thresholds, measured on real plan pairs in bench/link_bench.py.
SUGGEST_THRESHOLD = 0.08  # a link is suggested from this similarity on
RELATIVE_CUTOFF = 0.4  # other targets within this fraction of the best one are suggested too
MAX_SUGGESTIONS = 5  # per source task
UNIT_WEIGHT = 0.15  # how much shared units add (similarity + weight × unit overlap)
SAME_TEXT = 0.999  # at or above: the same wording

_DROP = re.compile(r"[\s\W_\d]+", re.UNICODE)
# Grams that appear in nearly every disclosure task say nothing about which task it is.
_STOP_GRAMS = frozenset({"政务", "公开", "务公", "政务公", "务公开", "信息", "工作", "做好", "加强",
                         "推进", "进一", "一步", "进一步"})


@dataclass(frozen=True)
class LinkText:
    """One task as the matcher sees it: a key the caller chooses, its text, its units."""

    key: object
    text: str
    units: tuple[str, ...] = ()
    heading: str = ""  # the item title, when there is one: context for short tasks


@dataclass(frozen=True)
class Suggestion:
    source: object
    target: object
    score: float  # combined: text similarity plus unit overlap
    similarity: float  # text alone, 0..1
    unit_overlap: float  # Jaccard of the two unit sets, 0..1


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), punctuation, digits and spaces dropped."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text or ""))


def grams(text: str) -> Counter:
    """Character 2- and 3-grams of the normalised text, without the stop grams."""
    clean = normalise(text)
    result: Counter = Counter()
    for n in (2, 3):
        for start in range(len(clean) - n + 1):
            gram = clean[start:start + n]
            if gram not in _STOP_GRAMS:
                result[gram] += 1
    return result


def _vectors(texts: Sequence[str]) -> list[dict[str, float]]:
    counts = [grams(text) for text in texts]
    documents = Counter(gram for count in counts for gram in count)
    total = len(counts)
    vectors = []
    for count in counts:
        vector = {gram: (1 + math.log(tf)) * math.log((1 + total) / (1 + documents[gram]) + 1)
                  for gram, tf in count.items()}
        norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
        vectors.append({gram: value / norm for gram, value in vector.items()})
    return vectors


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(value * b.get(gram, 0.0) for gram, value in a.items())


def unit_key(name: str) -> str:
    """A unit name compared loosely: 省财政厅 and 财政厅 are the same unit."""
    name = normalise(name)
    for prefix in ("省", "市", "区", "县"):
        if name.startswith(prefix) and len(name) > 3:
            return name[len(prefix):]
    return name


def unit_overlap(a: Iterable[str], b: Iterable[str]) -> float:
    left, right = {unit_key(u) for u in a if u}, {unit_key(u) for u in b if u}
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def similarity_matrix(sources: Sequence[LinkText], targets: Sequence[LinkText]) -> list[list[float]]:
    """Cosine of every source against every target; IDF over both plans together."""
    texts = [f"{t.heading}{t.text}" for t in (*sources, *targets)]
    vectors = _vectors(texts)
    left, right = vectors[:len(sources)], vectors[len(sources):]
    return [[_cosine(a, b) for b in right] for a in left]


def suggest_links(
    sources: Sequence[LinkText], targets: Sequence[LinkText], *,
    threshold: float = SUGGEST_THRESHOLD, relative: float = RELATIVE_CUTOFF,
    max_per_source: int = MAX_SUGGESTIONS, unit_weight: float = UNIT_WEIGHT,
) -> list[Suggestion]:
    """For each source task, the targets it most likely continues or implements: the best one
    if its score reaches `threshold`, and the others within `relative` of it (a task often
    implements two clauses), at most `max_per_source`. Best first per source."""
    matrix = similarity_matrix(sources, targets)
    result: list[Suggestion] = []
    for source, row in zip(sources, matrix, strict=True):
        scored = []
        for target, sim in zip(targets, row, strict=True):
            overlap = unit_overlap(source.units, target.units) if unit_weight else 0.0
            scored.append((sim + unit_weight * overlap * sim, sim, overlap, target))
        scored.sort(key=lambda entry: -entry[0])
        if not scored or scored[0][0] < threshold:
            continue
        best = scored[0][0]
        for score, sim, overlap, target in scored[:max_per_source]:
            if score < threshold or score < best * relative:
                break
            result.append(Suggestion(source.key, target.key, round(score, 4), round(sim, 4),
                                     round(overlap, 4)))
    return result


def one_to_one(sources: Sequence[LinkText], targets: Sequence[LinkText], *,
               threshold: float = SUGGEST_THRESHOLD) -> list[Suggestion]:
    """Pairs where each task is used at most once, best pairs first: a revision's tasks against
    the stored ones (a task is reworded, not split)."""
    matrix = similarity_matrix(sources, targets)
    candidates = []
    for i, row in enumerate(matrix):
        for j, sim in enumerate(row):
            if sim >= threshold:
                candidates.append((sim, i, j))
    candidates.sort(key=lambda entry: (-entry[0], entry[1], entry[2]))
    used_sources: set[int] = set()
    used_targets: set[int] = set()
    pairs = []
    for sim, i, j in candidates:
        if i in used_sources or j in used_targets:
            continue
        used_sources.add(i)
        used_targets.add(j)
        pairs.append(Suggestion(sources[i].key, targets[j].key, round(sim, 4), round(sim, 4),
                                unit_overlap(sources[i].units, targets[j].units)))
    return pairs


def precision_recall(suggested: Iterable[tuple], gold: Iterable[tuple]) -> tuple[float, float]:
    """Precision and recall of suggested (source, target) pairs against hand-made ones."""
    suggested, gold = set(suggested), set(gold)
    hits = len(suggested & gold)
    precision = hits / len(suggested) if suggested else 1.0
    recall = hits / len(gold) if gold else 1.0
    return precision, recall
