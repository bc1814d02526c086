"""Filling a new server process's caches before its first coordinator asks.

Every worker process of `tracker serve` keeps its own caches (services/plan_cache.py): a
city's whole progress history, each plan's facts, tree and status snapshot, the review
queue. Built on the first page that needs them, they cost that page one to three seconds
(3.5 s measured at city scale), and with several workers a coordinator meets a cold one now
and then for a while after every restart. The server warms them in the background as it
starts (`TRACKER_WARM_CACHES`, on for `tracker serve`); a page that arrives meanwhile waits
for the same lock it would have taken anyway and finds the work done or under way."""

from __future__ import annotations

import asyncio
import logging

from tracker.domain.status import today as local_today
from tracker.services import chasing, plan_cache, progress, tracking
from tracker.services import plans as plan_service

log = logging.getLogger(__name__)

WARM_PLANS = 12  # the most recent plans: last year's and this year's, with room to spare


async def warm_caches(limit: int = WARM_PLANS) -> list[int]:
    """Load the history, the review queue and the most recent plans' facts, trees, today's
    and the default date's status snapshots and the units' reporting records as of today.
    Returns the warmed plans' ids, the most recent first."""
    summaries = sorted(await plan_service.list_plans(), key=lambda p: (p.year or 0, p.id),
                       reverse=True)[:limit]
    await progress.review_queue_page()
    today = local_today()
    for summary in summaries:
        facts = await tracking.load_plan_facts(summary.id)
        tree = await plan_service.plan_tree(summary.id)
        for day in {today, tracking.default_as_of(tree.year, tree.reporting.due_day, today)}:
            tracking.plan_snapshot(facts, day)
        # Each lead unit's reporting record as of today (the 催报 page's, ~0.6 s at city scale).
        await chasing.chasing(summary.id, None, today)
        await asyncio.sleep(0)  # requests that came in meanwhile go first
    plan_cache.settle()  # what was just built stays out of the collector's full collections
    return [summary.id for summary in summaries]


async def warm_in_background() -> list[int]:
    """warm_caches, logged; a failure only costs the first pages their speed. Returns the
    warmed plans' ids (none after a failure)."""
    started = asyncio.get_running_loop().time()
    try:
        plan_ids = await warm_caches()
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001 - the pages build what is missing themselves
        log.exception("warming the caches failed; pages will build them on first use")
        return []
    log.info("caches warmed: %d plan(s) in %.1f s", len(plan_ids),
             asyncio.get_running_loop().time() - started)
    return plan_ids

