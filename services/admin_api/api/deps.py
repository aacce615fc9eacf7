"""Annotated dependency aliases of the admin API: session, state, current user, permissions.

Every route declares its permission with ``dependencies=[Perm("menu.publish")]`` (or
``Perm(AUTHENTICATED)`` when any logged-in user may call it); route dependencies run before
parameter and body validation, so a caller without the permission gets 401/403, never 422.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import utcnow
from services.admin_api.errors import NotAuthenticated, PermissionDenied
from services.admin_api.repositories import users
from services.admin_api.scope import Principal
from services.admin_api.state import AdminState

LOGIN_PATH = "/api/v1/auth/login"
AUTHENTICATED = "authenticated"

_bearer = OAuth2PasswordBearer(tokenUrl=LOGIN_PATH, auto_error=False)


# Dependencies are coroutines even where they do not await: FastAPI runs a plain ``def``
# dependency in its thread pool, a thread hop on every request.
async def get_state(request: Request) -> AdminState:
    """The admin API's process-wide state."""
    return _state(request)


def _state(request: Request) -> AdminState:
    state: AdminState = request.app.state.admin
    return state


StateDep = Annotated[AdminState, Depends(get_state)]


async def get_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    """One session and transaction per request, committed when the handler returns."""
    async with state.sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def client_ip(request: Request) -> str:
    """The caller's address, for throttling and the audit log.

    X-Forwarded-For counts only when the direct peer is a trusted proxy, and then its right-most
    untrusted hop is the client: hops further left were written by the client and can say
    anything, so a caller cannot pick the address its failed logins are counted against.
    """
    peer = request.client.host if request.client else ""
    trusted = _state(request).settings.trusted_proxies
    forwarded = request.headers.get("x-forwarded-for")
    if not forwarded or not _in_networks(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _in_networks(hop, trusted):
            return hop[:64]
    return hops[0][:64] if hops else peer


def _in_networks(address: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


async def load_principal(
    session: AsyncSession, state: AdminState, token: str, ip: str
) -> Principal:
    """Check an access token against its login session and user; build the principal."""
    claims = state.tokens.decode(token)
    login = await users.get_login(session, session_id=claims.session_id)
    if login is None or login.revoked_at is not None or login.user_id != claims.user_id:
        raise NotAuthenticated("session revoked")
    if login.expires_at <= utcnow():
        raise NotAuthenticated("session expired")
    if login.username is None or not login.is_active:
        raise NotAuthenticated("user disabled")
    if login.org_id is None or login.org_path is None:
        raise NotAuthenticated("user has no organisation")
    return Principal(
        user_id=claims.user_id,
        username=login.username,
        org_id=login.org_id,
        org_path=login.org_path,
        is_head_office=login.org_parent_id is None,
        permissions=login.permissions,
        session_id=claims.session_id,
        ip=ip,
    )


async def get_principal(
    request: Request,
    session: SessionDep,
    state: StateDep,
    token: Annotated[str | None, Depends(_bearer)],
) -> Principal:
    """The authenticated user; 401 without a valid bearer token."""
    if not token:
        raise NotAuthenticated("bearer token required")
    return await load_principal(session, state, token, client_ip(request))


CurrentUser = Annotated[Principal, Depends(get_principal)]


class Require:
    """Dependency that admits only users holding ``permission`` (its value is the principal)."""

    def __init__(self, permission: str) -> None:
        self.permission = permission

    async def __call__(self, principal: CurrentUser) -> Principal:
        if self.permission != AUTHENTICATED and not principal.can(self.permission):
            raise PermissionDenied(
                f"permission {self.permission!r} required", permission=self.permission
            )
        return principal


def Perm(permission: str) -> Any:
    """``Depends`` on :class:`Require` for ``permission``, for a route's ``dependencies``."""
    return Depends(Require(permission))
