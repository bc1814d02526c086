"""The login throttling rule: slow guessing down, never lock an office out. Pure, no I/O.

Failed logins are counted under three keys, each with a few free failures and then a delay
that doubles with each further failure, up to a cap:

| key                       | free | cap   | why                                            |
|---------------------------|------|-------|------------------------------------------------|
| account + address (pair)  | 3    | 5 min | one machine guessing one password: slow it hard |
| account                   | 5    | 5 min | guessing from several machines                  |
| address                   | 20   | 1 min | a bureau's whole staff may share one gateway    |

- A failure older than the window (15 minutes) is forgotten: a count restarts from one.
- During a delay, a login is answered 429 with Retry-After and its password is not checked
  (so hammering costs nothing and proves nothing).
- The account's delay applies only to addresses that have failed recently themselves (the
  pair or the address has a failure within the window). A login from an address with no
  recent failures is never held back: knowing the admin's user name is not enough to keep
  the admin out. An attacker spread over many addresses gets one guess per fresh address.
- A successful login clears its pair and its account; the address count stays (the gateway's
  other users' failures were not the one who succeeded).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WINDOW = dt.timedelta(minutes=15)
PAIR, ACCOUNT, ADDRESS = "pair", "account", "address"
SCOPE_LABELS = {PAIR: "账号+地址", ACCOUNT: "账号", ADDRESS: "地址"}


@dataclass(frozen=True)
class Rule:
    free_failures: int
    cap_seconds: int


RULES = {PAIR: Rule(3, 300), ACCOUNT: Rule(5, 300), ADDRESS: Rule(20, 60)}


@dataclass(frozen=True)
class Counter:
    """What is stored for one key."""

    scope: str
    key: str
    failures: int
    last_failure_at: dt.datetime
    blocked_until: dt.datetime | None


def keys(username: str, address: str) -> dict[str, str]:
    return {PAIR: f"{username}@{address}", ACCOUNT: username, ADDRESS: address}


def delay_seconds(scope: str, failures: int) -> int:
    """Seconds to wait after the `failures`-th failure in a row under `scope`."""
    rule = RULES[scope]
    over = failures - rule.free_failures
    if over <= 0:
        return 0
    return min(2 ** (over - 1), rule.cap_seconds)


def is_recent(counter: Counter | None, now: dt.datetime) -> bool:
    return counter is not None and now - counter.last_failure_at < WINDOW


def after_failure(scope: str, key: str, previous: Counter | None, now: dt.datetime) -> Counter:
    failures = previous.failures + 1 if is_recent(previous, now) else 1
    delay = delay_seconds(scope, failures)
    return Counter(scope=scope, key=key, failures=failures, last_failure_at=now,
                   blocked_until=now + dt.timedelta(seconds=delay) if delay else None)


def retry_after(counters: dict[str, Counter | None], now: dt.datetime) -> int:
    """Seconds before a login with these counters (by scope) is looked at; 0: go ahead."""
    address_failed = is_recent(counters.get(PAIR), now) or is_recent(counters.get(ADDRESS), now)
    waits = []
    for scope, counter in counters.items():
        if counter is None or counter.blocked_until is None:
            continue
        if scope == ACCOUNT and not address_failed:
            continue  # a fresh address is never held back by someone else's guessing
        remaining = (counter.blocked_until - now).total_seconds()
        if remaining > 0:
            waits.append(remaining)
    return int(-(-max(waits) // 1)) if waits else 0
