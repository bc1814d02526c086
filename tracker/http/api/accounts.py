"""JSON API: tokens, the current user, units and users."""

from __future__ import annotations

from litestar import Controller, Request, get, patch, post
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, JSONBody

from tracker.domain.errors import InvalidInput
from tracker.http.forms import client_address
from tracker.http.guards import admin_guard
from tracker.schemas import (
    TokenIn,
    TokenOut,
    UnitIn,
    UnitOut,
    UnitPatch,
    UserIn,
    UserOut,
    UserPatch,
)
from tracker.services import accounts


class TokenApi(Controller):
    path = "/api"
    tags = ["账号 accounts"]

    @post("/tokens", operation_id="createToken", status_code=201, security=[])
    async def create_token(self, request: Request, data: JSONBody[TokenIn]) -> TokenOut:
        """Exchange a user name and password for a bearer token (throttled like page logins)."""
        try:
            user = await accounts.authenticate(data.username, data.password, client_address(request))
        except InvalidInput as error:
            raise NotAuthorizedException(error.message) from None
        return await accounts.issue_token(user, data.name)

    @post("/tokens/revoke", operation_id="revokeToken", status_code=204)
    async def revoke_token(self, request: Request) -> None:
        """Revoke the token this request carries (log out)."""
        await accounts.revoke_token(request.headers["authorization"].partition(" ")[2].strip())

    @get("/me", operation_id="getMe")
    async def me(self, request: Request) -> UserOut:
        """The user the token belongs to."""
        return await accounts.get_user(request.user.id)


class AccountApi(Controller):
    path = "/api"
    tags = ["账号 accounts"]
    guards = [admin_guard]

    @get("/units", operation_id="listUnits", guards=[])
    async def list_units(self) -> list[UnitOut]:
        """All units (处室、分局、基层单位)."""
        return await accounts.list_units()

    @post("/units", operation_id="addUnit", status_code=201)
    async def add_unit(self, request: Request, data: JSONBody[UnitIn]) -> UnitOut:
        """Add a unit (admin)."""
        return await accounts.add_unit(data.name, actor=request.user.id)

    @patch("/units/{unit_id:int}", operation_id="updateUnit")
    async def update_unit(self, request: Request, unit_id: FromPath[int], data: JSONBody[UnitPatch]) -> UnitOut:
        """Activate or deactivate a unit (admin)."""
        return await accounts.set_unit_active(unit_id, data.active, actor=request.user.id)

    @get("/users", operation_id="listUsers")
    async def list_users(self) -> list[UserOut]:
        """All accounts (admin)."""
        return await accounts.list_users()

    @post("/users", operation_id="addUser", status_code=201)
    async def add_user(self, request: Request, data: JSONBody[UserIn]) -> UserOut:
        """Add an account (admin)."""
        return await accounts.add_user(data.username, data.display_name, data.password, data.role,
                                       data.unit_id, actor=request.user.id)

    @patch("/users/{user_id:int}", operation_id="updateUser")
    async def update_user(self, request: Request, user_id: FromPath[int], data: JSONBody[UserPatch]) -> UserOut:
        """Activate or deactivate an account, or set its password (admin); deactivating or a
        new password ends the account's sessions and tokens."""
        if data.password is not None:
            await accounts.set_password(user_id, data.password, actor=request.user.id)
        if data.active is not None:
            return await accounts.set_user_active(user_id, data.active, request.user)
        return await accounts.get_user(user_id)
