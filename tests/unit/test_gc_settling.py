"""The plan caches are taken out of the cyclic collector's sight now and then (plan_cache
settle_now_and_then): at most every SETTLE_SECONDS, and every SETTLES_PER_FULL_COLLECTION-th
time after one full collection with nothing frozen, so frozen cyclic garbage is not kept."""

import gc

from tracker.services import plan_cache


def test_settles_at_most_every_interval_and_now_and_then_collects_everything(monkeypatch):
    calls = []
    monkeypatch.setattr(plan_cache, "_settling", plan_cache._Settling())
    monkeypatch.setattr(gc, "unfreeze", lambda: calls.append("unfreeze"))
    real_collect = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append(("collect", *a)) or real_collect(1))
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    start = 1_000_000.0
    assert plan_cache.settle_now_and_then(start)
    assert calls == [("collect", 1), "freeze"]
    assert not plan_cache.settle_now_and_then(start + plan_cache.SETTLE_SECONDS - 1)
    assert plan_cache.settle_now_and_then(start + plan_cache.SETTLE_SECONDS)
    calls.clear()
    now = start + plan_cache.SETTLE_SECONDS
    for _ in range(plan_cache.SETTLES_PER_FULL_COLLECTION - 3):
        now += plan_cache.SETTLE_SECONDS
        assert plan_cache.settle_now_and_then(now)
    assert "unfreeze" not in calls
    now += plan_cache.SETTLE_SECONDS
    calls.clear()
    assert plan_cache.settle_now_and_then(now)
    assert calls == ["unfreeze", ("collect",), ("collect", 1), "freeze"]


def test_settling_takes_the_heap_out_of_full_collections():
    kept = [[i] for i in range(50_000)]  # long-lived container objects, like the caches'
    gc.collect()
    before = len(gc.get_objects())
    plan_cache.settle()
    try:
        assert len(gc.get_objects()) < before - 40_000
        assert gc.get_freeze_count() >= 50_000
    finally:
        gc.unfreeze()
    del kept
