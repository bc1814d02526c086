"""Login, logout, and the admin's pages for units and accounts."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody

from tracker.domain.errors import DomainError
from tracker.domain.roles import REPORTER, ROLE_LABELS
from tracker.http.forms import client_address
from tracker.http.guards import admin_guard, start_session
from tracker.http.pages.common import form_error, page, redirect
from tracker.services import accounts


def safe_next(target: str | None) -> str:
    """Only local paths, so a login link cannot send the user to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


class LoginPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/login")
    async def login_form(self, request: Request, next: FromQuery[str | None] = None) -> Response:
        return page(request, "login.html", next=safe_next(next), form={}, error=None)

    @post("/login")
    async def login(self, request: Request, data: URLEncodedBody[dict[str, str]]) -> Response:
        try:
            user = await accounts.authenticate(data.get("username", ""), data.get("password", ""),
                                               client_address(request))
        except DomainError as error:
            return page(request, "login.html", status_code=400, next=safe_next(data.get("next")),
                        form={"username": data.get("username", "")}, error=form_error(error))
        request.clear_session()
        start_session(request, user)
        target = safe_next(data.get("next"))
        if target == "/":
            target = "/my" if user.role == REPORTER else "/plans"
        return redirect(target)

    @post("/logout")
    async def logout(self, request: Request) -> Response:
        request.clear_session()
        return redirect("/login", "logged_out")

    @get("/healthz", include_in_schema=False)
    async def healthz(self) -> dict[str, str]:
        """Liveness, without touching the database (also the benchmarks' floor endpoint)."""
        return {"status": "ok"}

    @get("/")
    async def home(self, request: Request) -> Response:
        return redirect("/my" if request.user.role == REPORTER else "/plans")


class AdminPages(Controller):
    path = "/admin"
    include_in_schema = False
    guards = [admin_guard]

    async def _render(self, request: Request, status_code: int = 200, **context) -> Response:
        return page(request, "admin.html", status_code=status_code,
                    units=await accounts.list_units(), users=await accounts.list_users(),
                    roles=ROLE_LABELS, **{"unit_form": {}, "user_form": {}, "error": None, **context})

    @get("/")
    async def admin(self, request: Request) -> Response:
        return await self._render(request)

    @post("/units")
    async def add_unit(self, request: Request, data: URLEncodedBody[dict[str, str]]) -> Response:
        try:
            await accounts.add_unit(data.get("name", ""), actor=request.user.id)
        except DomainError as error:
            return await self._render(request, 400, unit_form=data, error=form_error(error))
        return redirect("/admin", "unit_added")

    @post("/units/{unit_id:int}/active")
    async def unit_active(self, request: Request, unit_id: FromPath[int], data: URLEncodedBody[dict[str, str]]) -> Response:
        await accounts.set_unit_active(unit_id, data.get("active") == "1", actor=request.user.id)
        return redirect("/admin", "saved")

    @post("/units/{unit_id:int}/position")
    async def unit_position(self, request: Request, unit_id: FromPath[int], data: URLEncodedBody[dict[str, str]]) -> Response:
        try:
            position = int(data.get("position", "").strip())
        except ValueError:
            position = -1
        try:
            await accounts.set_unit_position(unit_id, position, actor=request.user.id)
        except DomainError as error:
            return await self._render(request, 400, error=form_error(error))
        return redirect("/admin", "saved")

    @post("/users")
    async def add_user(self, request: Request, data: URLEncodedBody[dict[str, str]]) -> Response:
        unit = data.get("unit_id") or ""
        try:
            await accounts.add_user(data.get("username", ""), data.get("display_name", ""),
                                    data.get("password", ""), data.get("role", ""),
                                    int(unit) if unit.isdigit() else None, actor=request.user.id)
        except DomainError as error:
            form = {k: v for k, v in data.items() if k != "password"}
            return await self._render(request, 400, user_form=form, error=form_error(error))
        return redirect("/admin", "user_added")

    @post("/users/{user_id:int}/active")
    async def user_active(self, request: Request, user_id: FromPath[int], data: URLEncodedBody[dict[str, str]]) -> Response:
        try:
            await accounts.set_user_active(user_id, data.get("active") == "1", request.user)
        except DomainError as error:
            return await self._render(request, 400, error=form_error(error))
        return redirect("/admin", "saved")

    @post("/users/{user_id:int}/password")
    async def user_password(self, request: Request, user_id: FromPath[int], data: URLEncodedBody[dict[str, str]]) -> Response:
        try:
            await accounts.set_password(user_id, data.get("password", ""), actor=request.user.id)
        except DomainError as error:
            return await self._render(request, 400, error=form_error(error))
        return redirect("/admin", "saved")
