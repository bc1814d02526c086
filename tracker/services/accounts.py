"""Units, users, logins (throttled: tracker/services/login_throttle.py) and API tokens."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from tracker.db import Statement, write_transaction
from tracker.domain.errors import Conflict, InvalidInput, NotFound
from tracker.domain.roles import REPORTER, ROLE_LABELS, ROLES
from tracker.schemas import TokenOut, UnitOut, UserOut
from tracker.services import audit, login_throttle
from tracker.services.security import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)
from tracker.tables import ApiToken, Unit, User, UserSession

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{2,50}$")
TOKEN_LIFETIME = dt.timedelta(days=90)
SESSION_LIFETIME = dt.timedelta(hours=10)  # a page login lasts one working day at most


@dataclass(frozen=True)
class CurrentUser:
    """Who is making a request; what guards and services check."""

    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None
    unit_name: str | None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _user_out(row: dict) -> UserOut:
    return UserOut(id=row["id"], username=row["username"], display_name=row["display_name"],
                   role=row["role"], unit_id=row["unit"], unit_name=row.get("unit.name"),
                   active=row["active"])


_USER_COLUMNS = (User.id, User.username, User.display_name, User.role, User.unit, User.unit.name,
                 User.active)


# --- units ---------------------------------------------------------------------------------


def clean_unit_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("单位名称不能为空", "name")
    if len(name) > 100:
        raise InvalidInput("单位名称不能超过100字", "name")
    return name


async def list_units(include_inactive: bool = True) -> list[UnitOut]:
    query = Unit.select(Unit.id, Unit.name, Unit.active, Unit.position)
    if not include_inactive:
        query = query.where(Unit.active.eq(True))
    return [UnitOut(**row) for row in sorted(await query, key=_in_order)]


def _in_order(row: dict) -> tuple[int, int]:
    """The organisation's order: the admin's number, else where the unit was added."""
    return (row["position"] or row["id"], row["id"])


async def add_unit(name: str, actor: int | None = None) -> UnitOut:
    name = clean_unit_name(name)
    async with write_transaction(Unit._meta.db):
        if await Unit.exists().where(Unit.name == name):
            raise Conflict(f"单位“{name}”已存在", "name")
        row = (await Unit.insert(Unit(name=name)))[0]
        await audit.record(actor, "unit.add", "unit", row["id"], f"添加单位“{name}”",
                           after={"name": name})
    return UnitOut(id=row["id"], name=name, active=True)


async def unit_order() -> dict[int, tuple[int, int]]:
    """Unit id → its sort key in the organisation's order, for lists built elsewhere."""
    return {row["id"]: _in_order(row) for row in await Unit.select(Unit.id, Unit.position)}


async def set_unit_position(unit_id: int, position: int, actor: int | None = None) -> UnitOut:
    """Move a unit in the organisation's order (smaller first; 0 puts it back where it was
    added)."""
    if not 0 <= position <= 9999:
        raise InvalidInput("顺序须为 0-9999 的整数", "position")
    async with write_transaction(Unit._meta.db):
        row = await Unit.select(Unit.name, Unit.active, Unit.position).where(Unit.id == unit_id).first()
        if row is None:
            raise NotFound(f"单位 {unit_id} 不存在", "unit_id")
        await Unit.update({Unit.position: position}).where(Unit.id == unit_id)
        await audit.record(actor, "unit.position", "unit", unit_id,
                           f"调整单位“{row['name']}”的顺序", before={"position": row["position"]},
                           after={"position": position})
    return UnitOut(id=unit_id, name=row["name"], active=row["active"], position=position)


async def set_unit_active(unit_id: int, active: bool, actor: int | None = None) -> UnitOut:
    async with write_transaction(Unit._meta.db):
        row = await Unit.select(Unit.id, Unit.name, Unit.active).where(Unit.id == unit_id).first()
        if row is None:
            raise NotFound(f"单位 {unit_id} 不存在", "unit_id")
        await Unit.update({Unit.active: active}).where(Unit.id == unit_id)
        await audit.record(actor, "unit.active", "unit", unit_id,
                           f"{'启用' if active else '停用'}单位“{row['name']}”",
                           before={"active": row["active"]}, after={"active": active})
    return UnitOut(id=unit_id, name=row["name"], active=active)


async def unit_id_by_name(name: str) -> int:
    row = await Unit.select(Unit.id).where(Unit.name == name.strip()).first()
    if row is None:
        raise NotFound(f"单位“{name}”不存在", "unit")
    return row["id"]


# --- users ---------------------------------------------------------------------------------


def _check_new_user(username: str, display_name: str, password: str, role: str,
                    unit_id: int | None) -> None:
    if not USERNAME_PATTERN.match(username or ""):
        raise InvalidInput("用户名须为2-50位字母、数字或 _ . -", "username")
    if not (display_name or "").strip() or len(display_name) > 100:
        raise InvalidInput("姓名不能为空且不超过100字", "display_name")
    if role not in ROLES:
        raise InvalidInput(f"未知角色“{role}”（可用：{'、'.join(ROLES)}）", "role")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"密码至少{MIN_PASSWORD_LENGTH}位", "password")
    if role == REPORTER and unit_id is None:
        raise InvalidInput("单位填报人必须属于一个单位", "unit")


async def add_user(username: str, display_name: str, password: str, role: str,
                   unit_id: int | None = None, actor: int | None = None) -> UserOut:
    username = (username or "").strip()
    _check_new_user(username, display_name, password, role, unit_id)
    password_hash = await hash_password(password)
    async with write_transaction(User._meta.db):
        if unit_id is not None and not await Unit.exists().where(Unit.id == unit_id):
            raise NotFound(f"单位 {unit_id} 不存在", "unit")
        if await User.exists().where(User.username == username):
            raise Conflict(f"用户名“{username}”已被使用", "username")
        row = (await User.insert(User(username=username, display_name=display_name.strip(),
                                      password_hash=password_hash, role=role, unit=unit_id)))[0]
        await audit.record(actor, "user.add", "user", row["id"], f"添加账号 {username}（{ROLE_LABELS.get(role, role)}）",
                           after={"username": username, "role": role, "unit": unit_id})
    return await get_user(row["id"])


async def get_user(user_id: int) -> UserOut:
    row = await User.select(*_USER_COLUMNS).where(User.id == user_id).first()
    if row is None:
        raise NotFound(f"用户 {user_id} 不存在", "user_id")
    return _user_out(row)


async def list_users() -> list[UserOut]:
    return [_user_out(row) for row in await User.select(*_USER_COLUMNS).order_by(User.username)]


async def set_user_active(user_id: int, active: bool, acting: CurrentUser) -> UserOut:
    if user_id == acting.id and not active:
        raise InvalidInput("不能停用自己的账号", "active")
    async with write_transaction(User._meta.db):
        before = await User.select(User.username, User.active).where(User.id == user_id).first()
        if before is None:
            raise NotFound(f"用户 {user_id} 不存在", "user_id")
        await User.update({User.active: active}).where(User.id == user_id)
        await audit.record(acting.id, "user.active", "user", user_id,
                           f"{'启用' if active else '停用'}账号 {before['username']}",
                           before={"active": before["active"]}, after={"active": active})
        if not active:
            await _end_every_login(user_id)
    return await get_user(user_id)


async def set_password(user_id: int, password: str, actor: int | None = None) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"密码至少{MIN_PASSWORD_LENGTH}位", "password")
    password_hash = await hash_password(password)
    async with write_transaction(User._meta.db):
        if not await User.exists().where(User.id == user_id):
            raise NotFound(f"用户 {user_id} 不存在", "user_id")
        await User.update({User.password_hash: password_hash}).where(User.id == user_id)
        await _end_every_login(user_id)
        # The audit trail notes the change, never the password or its hash.
        await audit.record(actor, "user.password", "user", user_id, f"重设账号 {user_id} 的密码")


async def current_user(user_id: int) -> CurrentUser | None:
    """The active user with this id, or None (deactivated users lose their sessions at once)."""
    row = await User.select(*_USER_COLUMNS).where(User.id == user_id, User.active.eq(True)).first()
    if row is None:
        return None
    return CurrentUser(id=row["id"], username=row["username"], display_name=row["display_name"],
                       role=row["role"], unit_id=row["unit"], unit_name=row["unit.name"])


async def _end_every_login(user_id: int) -> None:
    """Inside the caller's transaction: every page session and API token of the user ends."""
    await UserSession.delete().where(UserSession.user == user_id)
    await ApiToken.update({ApiToken.revoked: True}).where(ApiToken.user == user_id,
                                                          ApiToken.revoked.eq(False))


# --- page sessions -------------------------------------------------------------------------


async def start_session(user: CurrentUser) -> str:
    """A new server-side session; returns the random id for the (encrypted) cookie."""
    session_id = new_token()
    now = _now()
    await UserSession.delete().where(UserSession.created_at < now - SESSION_LIFETIME)
    await UserSession.insert(UserSession(user=user.id, session_hash=token_digest(session_id),
                                         created_at=now))
    return session_id


# Prebuilt SQL for the two lookups every request makes: Piccolo rebuilds a select with two
# joins each time (about a millisecond of CPU, more than the rest of a submission; issue 14).
_WHO_SQL = (
    "SELECT {stamp}, u.id, u.username, u.display_name, u.role, u.unit, u.active, "
    "n.name AS unit_name FROM {table} s JOIN app_user u ON u.id = s.\"user\" "
    "LEFT JOIN unit n ON n.id = u.unit WHERE s.{key} = {{}}"
)
_SESSION_SQL = Statement(_WHO_SQL.format(stamp="s.created_at", table="user_session",
                                         key="session_hash"))
_TOKEN_SQL = Statement(_WHO_SQL.format(stamp="s.expires_at, s.revoked", table="api_token",
                                       key="token_hash"))


def _current_user(row: dict) -> CurrentUser:
    return CurrentUser(id=row["id"], username=row["username"], display_name=row["display_name"],
                       role=row["role"], unit_id=row["unit"], unit_name=row["unit_name"])


async def user_for_session(session_id: str) -> CurrentUser | None:
    """The user of a live session, or None (logged out, expired, or the user changed since).
    One indexed query with the user and unit joined: this runs on every page request."""
    rows = await _SESSION_SQL.fetch(UserSession._meta.db, token_digest(session_id))
    row = rows[0] if rows else None
    if row is None or not row["active"] or _aware(row["created_at"]) <= _now() - SESSION_LIFETIME:
        return None
    return _current_user(row)


async def end_session(session_id: str) -> None:
    await UserSession.delete().where(UserSession.session_hash == token_digest(session_id))


# --- logins and tokens ---------------------------------------------------------------------


async def authenticate(username: str, password: str, client: str) -> CurrentUser:
    """Check a password; failures slow further attempts down (tracker/domain/login_throttle.py)."""
    username = (username or "").strip()[:50]
    if not username or not password:
        raise InvalidInput("请输入用户名和密码", "username" if not username else "password")
    client = client[:100]
    await login_throttle.check(username, client)
    row = await User.select(User.id, User.password_hash, User.active).where(
        User.username == username).first()
    ok = await verify_password(row["password_hash"] if row else None, password)
    if not ok or not row["active"]:
        await login_throttle.record_failure(username, client)
        raise InvalidInput("用户名或密码错误，或账号已停用", "password")
    await login_throttle.record_success(username, client)
    user = await current_user(row["id"])
    assert user is not None
    return user


async def issue_token(user: CurrentUser, name: str = "") -> TokenOut:
    token = new_token()
    expires_at = _now() + TOKEN_LIFETIME
    await ApiToken.insert(ApiToken(user=user.id, token_hash=token_digest(token), name=name[:100],
                                   expires_at=expires_at))
    return TokenOut(token=token, expires_at=expires_at.isoformat(timespec="seconds"),
                    user=await get_user(user.id))


# Built once: Piccolo rebuilds a join chain (ApiToken.user.unit.name) on every attribute access.
async def user_for_token(token: str) -> CurrentUser | None:
    # One query with the user and unit joined: this runs on every API request.
    rows = await _TOKEN_SQL.fetch(ApiToken._meta.db, token_digest(token))
    row = rows[0] if rows else None
    if row is None or row["revoked"] or _aware(row["expires_at"]) <= _now() or not row["active"]:
        return None
    return _current_user(row)


def _aware(moment: dt.datetime) -> dt.datetime:
    """A stored moment as an aware datetime (SQLite's raw rows give naive UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


async def revoke_token(token: str) -> None:
    await ApiToken.update({ApiToken.revoked: True}).where(ApiToken.token_hash == token_digest(token))
