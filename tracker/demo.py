"""Demo data: the 2018 seed plan with its sample assignment."""

from __future__ import annotations

from tracker.plan_templates import load_template
from tracker.services.database import migrate
from tracker.services.plans import find_same_plan, import_plan
from tracker.settings import PROJECT_ROOT

SEED_TEMPLATE = PROJECT_ROOT / "plan_templates" / "suzhou_planning_2018.yaml"


async def load_demo() -> list[str]:
    """Migrate, then load the seed plan unless it is already there. Returns lines to print."""
    await migrate()
    template = load_template(SEED_TEMPLATE.read_text(encoding="utf-8"))
    existing = await find_same_plan(template.plan)
    if existing is not None:
        return [f"示例计划已存在（计划 {existing}）：{template.plan.title}"]
    summary = await import_plan(template, source_name=SEED_TEMPLATE.name)
    return [f"已载入示例计划 {summary.plan_id}：{summary.title}（任务 {summary.tasks} 项）"]
