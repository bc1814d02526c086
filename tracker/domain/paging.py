"""Paging rules shared by the long lists (review queue, 催报, plan overview): page numbers and
limit/offset from a query string, checked with a Chinese message naming the parameter."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.domain.errors import InvalidInput

MAX_LIMIT = 500  # rows in one API answer


def _whole_number(raw: str | int | None, field: str, label: str, minimum: int) -> int | None:
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or int(text) < minimum:
        shown = text[:20]
        raise InvalidInput(f"{label}须为不小于 {minimum} 的整数（收到“{shown}”）", field)
    return int(text)


def page_number(raw: str | int | None, field: str = "page") -> int:
    """?page=N: 1 when absent; a word, zero or a negative number is refused."""
    return _whole_number(raw, field, "页码", 1) or 1


def check_page(page: int, total: int, per_page: int, field: str = "page") -> int:
    """The number of pages; a page past the last one is refused (page 1 always exists)."""
    pages = max(1, -(-total // per_page))
    if page > pages:
        raise InvalidInput(f"第 {page} 页不存在：共 {pages} 页（每页 {per_page} 条，共 {total} 条）",
                           field)
    return pages


@dataclass(frozen=True)
class Window:
    """A slice of a list asked for by the API's limit and offset."""

    limit: int
    offset: int

    def of(self, rows: list) -> list:
        return rows[self.offset:self.offset + self.limit]


def window(limit: str | int | None, offset: str | int | None, default_limit: int) -> Window:
    """?limit=&offset=: limit 1-500 (default `default_limit`), offset from 0."""
    chosen = _whole_number(limit, "limit", "limit", 1)
    if chosen is not None and chosen > MAX_LIMIT:
        raise InvalidInput(f"limit 不能超过 {MAX_LIMIT}（收到 {chosen}）", "limit")
    return Window(chosen or default_limit, _whole_number(offset, "offset", "offset", 0) or 0)


def filter_id(raw: str | None, field: str = "unit") -> int | None:
    """A list's ?unit=N filter: absent or empty is no filter."""
    text = (raw or "").strip()
    if text and not (text.isascii() and text.isdigit()):
        raise InvalidInput("单位编号无效", field)
    return int(text) if text else None


MAX_WAIT_SECONDS = 30  # a long poll's longest hold; proxies commonly cut idle requests at 60 s


def wait_seconds(raw: str | int | None, field: str = "wait") -> int:
    """?wait=N on a job's status: hold the answer up to N seconds (0-30) until the job moves."""
    chosen = _whole_number(raw, field, "wait", 0) or 0
    if chosen > MAX_WAIT_SECONDS:
        raise InvalidInput(f"wait 不能超过 {MAX_WAIT_SECONDS} 秒（收到 {chosen}）", field)
    return chosen

