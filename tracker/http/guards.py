"""Who is asking: session cookies for pages, bearer tokens for the API; and the role guards."""

from __future__ import annotations

import hashlib

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.middleware.session.client_side import CookieBackendConfig

from tracker.domain.roles import ACCOUNT_MANAGERS, PLANNERS, READERS_OF_ALL, REPORTER
from tracker.services import accounts
from tracker.settings import Settings, secret_key

SESSION_IDLE_SECONDS = 2 * 60 * 60  # the cookie expires after two idle hours (a login: accounts.SESSION_LIFETIME)
SESSION_EXPIRED = "登录已过期，请重新登录"
PUBLIC_PATHS = ["/login", "/static", "/schema", "/api/tokens", "/healthz", "/readyz"]


def session_config(settings: Settings) -> CookieBackendConfig:
    """Encrypted, signed cookies carrying a random session id that is checked against the
    database on every request (tracker.services.accounts.user_for_session), so logout and a
    new password or a deactivation end the session at once."""
    return CookieBackendConfig(
        secret=hashlib.sha256(secret_key().encode()).digest(),
        key="tracker_session",
        max_age=SESSION_IDLE_SECONDS,
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
    )


async def start_session(connection: ASGIConnection, user: accounts.CurrentUser) -> None:
    connection.set_session({"sid": await accounts.start_session(user)})


async def end_session(connection: ASGIConnection) -> None:
    session = connection.session if "session" in connection.scope else {}
    if isinstance(session.get("sid"), str):
        await accounts.end_session(session["sid"])
    connection.clear_session()


class AuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Sets `connection.user`; API routes take only bearer tokens, pages only the session."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        if connection.url.path.startswith("/api/"):
            header = connection.headers.get("authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise NotAuthorizedException("需要 Authorization: Bearer 令牌（tracker login 或 POST /api/tokens）")
            user = await accounts.user_for_token(token.strip())
            if user is None:
                raise NotAuthorizedException("令牌无效、已过期或已吊销，请重新登录")
            return AuthenticationResult(user=user, auth="token")
        session = connection.session if "session" in connection.scope else {}
        session_id = session.get("sid")
        if not isinstance(session_id, str):
            raise NotAuthorizedException("请先登录")
        user = await accounts.user_for_session(session_id)
        if user is None:
            connection.clear_session()  # logged out, expired, or the account changed since
            raise NotAuthorizedException(SESSION_EXPIRED)
        return AuthenticationResult(user=user, auth="session")


def _require(roles: tuple[str, ...], message: str):
    # A coroutine: Litestar runs a plain function guard in a worker thread (a thread hop,
    # ~0.1 ms of CPU on every guarded request, for one comparison).
    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if connection.user.role not in roles:
            raise PermissionDeniedException(message)

    return guard


planner_guard = _require(PLANNERS, "只有协调人可以进行此操作")
reader_guard = _require(READERS_OF_ALL, "只有协调人、局领导和管理员可以查看全部任务")
reporter_guard = _require((REPORTER,), "只有单位填报人可以填报进展")
admin_guard = _require(ACCOUNT_MANAGERS, "只有系统管理员可以管理单位和账号")
jobs_guard = _require(ACCOUNT_MANAGERS, "只有系统管理员可以查看和重试后台任务")
