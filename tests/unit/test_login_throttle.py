"""The login throttling rule (tracker/domain/login_throttle.py), pure: delays, the window, and
a fresh address never held back by the account's delay."""

from __future__ import annotations

import datetime as dt

from tracker.domain import login_throttle as rule


def test_the_delay_grows_after_the_free_failures_and_stops_at_the_cap():
    assert [rule.delay_seconds(rule.PAIR, n) for n in range(1, 9)] == [0, 0, 0, 1, 2, 4, 8, 16]
    assert rule.delay_seconds(rule.PAIR, 50) == 300
    assert rule.delay_seconds(rule.ACCOUNT, 5) == 0 and rule.delay_seconds(rule.ACCOUNT, 6) == 1
    assert rule.delay_seconds(rule.ADDRESS, 20) == 0 and rule.delay_seconds(rule.ADDRESS, 99) == 60
    now = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)
    old = rule.Counter(rule.PAIR, "a@1", 9, now - rule.WINDOW, now)
    assert rule.after_failure(rule.PAIR, "a@1", old, now).failures == 1  # forgotten


def test_a_fresh_address_is_never_held_back_by_the_account_delay():
    now = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)
    account = rule.Counter(rule.ACCOUNT, "admin", 40, now, now + dt.timedelta(seconds=300))
    assert rule.retry_after({rule.PAIR: None, rule.ACCOUNT: account, rule.ADDRESS: None}, now) == 0
    failed_here = rule.Counter(rule.ADDRESS, "10.0.0.1", 1, now, None)
    assert rule.retry_after({rule.PAIR: None, rule.ACCOUNT: account,
                             rule.ADDRESS: failed_here}, now) == 300
