"""Login throttle counters in the database, so every instance sees the same counts; the rule
itself is tracker/domain/login_throttle.py."""

from __future__ import annotations

import datetime as dt

import msgspec

from tracker.db import is_sqlite, is_unique_violation, write_transaction
from tracker.domain import login_throttle as rule
from tracker.domain.errors import TooManyRequests
from tracker.services import audit
from tracker.tables import LoginThrottle


class ThrottledOut(msgspec.Struct):
    """A key being slowed down, for the administrator's page."""

    id: int
    scope: str
    scope_label: str
    key: str
    failures: int
    last_failure_at: str
    retry_after_seconds: int


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _counter(row: dict | None) -> rule.Counter | None:
    if row is None:
        return None
    return rule.Counter(scope=row["scope"], key=row["key"], failures=row["failures"],
                        last_failure_at=row["last_failure_at"], blocked_until=row["blocked_until"])


async def _counters(username: str, address: str,
                    for_update: bool = False) -> dict[str, rule.Counter | None]:
    keys = rule.keys(username, address)
    query = LoginThrottle.select().where(
        LoginThrottle.key.is_in(list(keys.values()))).order_by(LoginThrottle.id)
    if for_update and not is_sqlite(LoginThrottle._meta.db):
        # Two instances counting failures of the same key at once: without the row lock both
        # read N and write N + 1, and a guesser spreading tries over instances gets free ones.
        # (SQLite's IMMEDIATE transaction already lets one writer in at a time.)
        query = query.lock_rows()
    rows = await query
    by_scope = {row["scope"]: row for row in rows if keys.get(row["scope"]) == row["key"]}
    return {scope: _counter(by_scope.get(scope)) for scope in keys}


async def check(username: str, address: str) -> None:
    """TooManyRequests (429, Retry-After) while a delay earned by recent failures runs."""
    wait = rule.retry_after(await _counters(username, address), _now())
    if wait:
        raise TooManyRequests(f"登录尝试过于频繁，请{wait}秒后再试", "password", retry_after=wait)


async def record_failure(username: str, address: str) -> None:
    # Two instances counting the first failure of a key at once: one insert loses to the
    # unique key; counting again then finds the row.
    for attempt in range(3):
        try:
            await _count_failure(username, address)
            return
        except Exception as error:
            if attempt == 2 or not is_unique_violation(error):
                raise


async def _count_failure(username: str, address: str) -> None:
    now = _now()
    async with write_transaction(LoginThrottle._meta.db):
        counters = await _counters(username, address, for_update=True)
        for scope, key in rule.keys(username, address).items():
            previous = counters[scope]
            counter = rule.after_failure(scope, key, previous, now)
            values = {LoginThrottle.failures: counter.failures,
                      LoginThrottle.last_failure_at: counter.last_failure_at,
                      LoginThrottle.blocked_until: counter.blocked_until}
            if previous is None:
                await LoginThrottle.insert(LoginThrottle(scope=scope, key=key, **{
                    column._meta.name: value for column, value in values.items()}))
            else:
                await LoginThrottle.update(values).where(LoginThrottle.scope == scope,
                                                         LoginThrottle.key == key)


async def record_success(username: str, address: str) -> None:
    keys = rule.keys(username, address)
    await LoginThrottle.delete().where(
        ((LoginThrottle.scope == rule.PAIR) & (LoginThrottle.key == keys[rule.PAIR]))
        | ((LoginThrottle.scope == rule.ACCOUNT) & (LoginThrottle.key == keys[rule.ACCOUNT])))


async def throttled() -> list[ThrottledOut]:
    """Keys with failures within the window, longest delays first."""
    now = _now()
    rows = await LoginThrottle.select().where(
        LoginThrottle.last_failure_at > now - rule.WINDOW).order_by(
        LoginThrottle.blocked_until, ascending=False)
    return [ThrottledOut(
        id=row["id"], scope=row["scope"], scope_label=rule.SCOPE_LABELS[row["scope"]],
        key=row["key"], failures=row["failures"],
        last_failure_at=row["last_failure_at"].astimezone(dt.UTC).isoformat(timespec="seconds"),
        retry_after_seconds=max(0, int((row["blocked_until"] - now).total_seconds()))
        if row["blocked_until"] else 0) for row in rows]


async def clear(throttle_id: int, actor: int) -> None:
    """The administrator lets a key log in again at once (the audit trail says who)."""
    async with write_transaction(LoginThrottle._meta.db):
        row = await LoginThrottle.select().where(LoginThrottle.id == throttle_id).first()
        if row is None:
            return
        await LoginThrottle.delete().where(LoginThrottle.id == throttle_id)
        await audit.record(actor, "login.throttle_clear", "login_throttle", throttle_id,
                           f"解除登录限速：{rule.SCOPE_LABELS[row['scope']]} {row['key']}",
                           before={"failures": row["failures"]})
