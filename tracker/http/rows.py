"""Table rows rendered once and reused while nothing they show has changed.

A city's plan page lists 100 top-level tasks with their sub-tasks, the 催报 page up to 150
late tasks: rendering those rows through Jinja was most of each page's CPU (~0.1 ms a row).
A row is rendered by its own small template and kept with the key it was rendered from: every
value the row shows (the task node as read from the database, its status figures, warning and
extended deadline, its depth). The next page that needs the row with an equal key reuses the
HTML; any difference renders it again. Nothing else goes into a row: not the viewer (the rows
are the same for every reader) and not the time, so a key that is equal means the same HTML.
The cache is dropped whole when the row template is reloaded, and when it grows past `LIMIT`.
"""

from __future__ import annotations

from collections.abc import Iterable

from jinja2 import Environment, Template
from markupsafe import Markup

LIMIT = 20_000


class RowCache:
    """Rendered rows of one template, by row id, each with the key it was rendered from."""

    def __init__(self, environment: Environment, template: str, limit: int = LIMIT) -> None:
        self.environment = environment
        self.name = template
        self.limit = limit
        self.template: Template | None = None
        self.rows: dict[object, tuple[tuple, Markup]] = {}

    def current(self) -> Template:
        """The row template; a reloaded one (auto_reload, a changed file) empties the cache."""
        template = self.environment.get_template(self.name)
        if template is not self.template:
            self.template, self.rows = template, {}
        return template

    def render(self, template: Template, row_id: object, key: tuple, context: dict) -> Markup:
        """The row rendered from `context`, whose values are all in `key`."""
        known = self.rows.get(row_id)
        if known is not None and known[0] == key:
            return known[1]
        if len(self.rows) >= self.limit:
            self.rows.clear()
        # The template autoescapes: its output is markup, safe to insert as it is.
        html = Markup(template.render(context))
        self.rows[row_id] = (key, html)
        return html


def plan_rows(cache: RowCache, tasks: Iterable, statuses: dict, warnings: dict,
              extended: dict) -> Markup:
    """The overview's rows for `tasks` and their sub-tasks, depth first; a task without a
    status (added after the as-of day) is left out with its sub-tasks."""
    template = cache.current()
    out: list[str] = []

    def add(task, depth: int) -> None:
        s = statuses.get(task.id)
        if s is None:
            return
        w, ext = warnings.get(task.id), extended.get(task.id)
        out.append(cache.render(template, task.id,
                                (task, depth, s.percent, s.code, s.last_period, w, ext),
                                {"task": task, "depth": depth, "percent": s.percent,
                                 "code": s.code, "last_period": s.last_period, "w": w,
                                 "ext": ext}))
        for sub in task.subtasks:
            add(sub, depth + 1)

    for task in tasks:
        add(task, 0)
    return Markup("".join(out))


def chase_rows(cache: RowCache, rows: Iterable) -> Markup:
    """The 催报 page's task rows (tracker.schemas.ChaseTask: the struct is the key)."""
    template = cache.current()
    return Markup("".join(cache.render(template, row.task_id, (row,), {"r": row}) for row in rows))


def review_cards(cache: RowCache, rows: Iterable) -> list[Markup]:
    """The review page's cards, one per queued update, without their forms
    (tracker.schemas.ReviewQueueRow: the struct is the key)."""
    template = cache.current()
    return [cache.render(template, row.update.id, (row,), {"row": row}) for row in rows]
