"""Login, token refresh, logout, password change (OAuth2 password flow, R-AD-1)."""

from __future__ import annotations

import math
import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from libs.common.db.models import AdminUser, AuthSession, utcnow
from services.admin_api.api.deps import (
    AUTHENTICATED,
    CurrentUser,
    Perm,
    SessionDep,
    StateDep,
    client_ip,
)
from services.admin_api.api.models import MAX_ID, WriteModel
from services.admin_api.audit import record
from services.admin_api.errors import (
    AccountLocked,
    FieldError,
    FieldErrors,
    InvalidCredentials,
    NotAuthenticated,
    TooManyRequests,
)
from services.admin_api.repositories import audit_log, auth_sessions, rows, users
from services.admin_api.security import (
    hash_password,
    hash_refresh_secret,
    new_refresh_token,
    split_refresh_token,
    verify_password,
)

router = APIRouter(prefix="/api/v1/auth", tags=["auth 认证"])


class TokenRead(BaseModel):
    """Tokens issued at login or refresh (OAuth2 token response)."""

    access_token: str = Field(description="访问令牌（JWT） · access token (JWT)")
    token_type: str = Field("bearer", description="令牌类型 · token type")
    expires_in: int = Field(description="访问令牌有效秒数 · access token lifetime in seconds")
    refresh_token: str = Field(description="刷新令牌 · refresh token")


class RefreshRequest(WriteModel):
    """A refresh token to exchange."""

    refresh_token: str = Field(min_length=1, max_length=256, description="刷新令牌 · refresh token")


class PasswordChange(WriteModel):
    """Change one's own password."""

    current_password: str = Field(max_length=256, description="当前密码 · current password")
    new_password: str = Field(max_length=256, description="新密码 · new password")


class MeRead(BaseModel):
    """The logged-in user."""

    id: int = Field(description="用户 ID · user id")
    username: str = Field(description="用户名 · username")
    org_id: int = Field(ge=1, le=MAX_ID, description="所属机构 · organisation id")
    is_head_office: bool = Field(description="是否总行用户 · belongs to the head office")
    permissions: list[str] = Field(description="权限 · permissions")


async def _issue(state: StateDep, session: SessionDep, user: AdminUser, ip: str) -> TokenRead:
    session_id = uuid.uuid4().hex
    refresh, refresh_hash = new_refresh_token(session_id)
    await auth_sessions.create(
        session,
        session_id=session_id,
        user_id=user.id,
        refresh_hash=refresh_hash,
        expires_at=utcnow() + timedelta(seconds=state.settings.refresh_token_ttl_s),
        ip=ip,
    )
    access, ttl = state.tokens.issue(user.id, session_id)
    return TokenRead(access_token=access, expires_in=ttl, refresh_token=refresh)


async def check_login_throttle(
    session: SessionDep, state: StateDep, ip: str, username: str
) -> None:
    """Refuse a login with too many recent failures from its address (guessing across many
    usernames) or for its username (one name guessed from many addresses, existing or not).

    Checked before the password, so a throttled attempt costs no argon2 work. The audit log
    already records every failure with its address and username, on every replica.
    """
    settings = state.settings
    limits = (
        ({"ip": ip}, settings.login_ip_max_failures, settings.login_ip_window_s, "address"),
        (
            {"username": username[:64]},
            settings.login_user_max_failures,
            settings.login_user_window_s,
            "username",
        ),
    )
    for key, max_failures, window_s, what in limits:
        window = timedelta(seconds=window_s)
        failures = await audit_log.list_recent_failed_logins(
            session, since=utcnow() - window, limit=max_failures, **key
        )
        if len(failures) < max_failures:
            continue
        # The window frees a slot when the oldest of the last N failures leaves it.
        retry_after = max(1, math.ceil((failures[-1] + window - utcnow()).total_seconds()))
        await record(
            session, None, "auth.login_throttled", "user", "", ip=ip, username=username[:64]
        )
        await session.commit()
        raise TooManyRequests(
            f"too many failed logins for this {what}; try again later", retry_after=retry_after
        )


@router.post("/login", response_model=TokenRead, summary="登录 · log in")
async def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    state: StateDep,
) -> TokenRead:
    """Exchange username + password for tokens; repeated failures lock the user out, and too
    many failures from one client address or for one username answer 429 with ``Retry-After``."""
    ip = client_ip(request)
    await check_login_throttle(session, state, ip, form.username)
    user = await users.get_by_username(session, username=form.username)
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        await record(
            session, None, "auth.login_locked", "user", user.id, ip=ip, username=user.username
        )
        await session.commit()
        raise AccountLocked(
            "too many failed logins; try again later",
            locked_until=user.locked_until.isoformat(),
        )
    ok = verify_password(user.password_hash if user else None, form.password)
    if user is None or not ok or not user.is_active:
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= state.settings.lockout_threshold:
                user.locked_until = now + timedelta(seconds=state.settings.lockout_s)
                user.failed_logins = 0
        await record(
            session,
            None,
            "auth.login_failed",
            "user",
            user.id if user else "",
            ip=ip,
            username=form.username[:64],
        )
        # The failure counter must survive the error response, so commit before raising.
        await session.commit()
        raise InvalidCredentials("incorrect username or password")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    tokens = await _issue(state, session, user, ip)
    await record(session, None, "auth.login", "user", user.id, ip=ip, username=user.username)
    return tokens


@router.post("/refresh", response_model=TokenRead, summary="刷新令牌 · refresh tokens")
async def refresh(
    body: RefreshRequest, request: Request, session: SessionDep, state: StateDep
) -> TokenRead:
    """Rotate a refresh token: the old one stops working; reusing it revokes the session."""
    session_id, secret = split_refresh_token(body.refresh_token)
    login_row = await rows.get(session, AuthSession, session_id)
    if login_row is None or login_row.revoked_at is not None or login_row.expires_at <= utcnow():
        raise NotAuthenticated("refresh token revoked or expired")
    if login_row.refresh_hash != hash_refresh_secret(secret):
        # A rotated-away token came back: someone holds a copy, so end the whole session.
        login_row.revoked_at = utcnow()
        await session.commit()
        raise NotAuthenticated("refresh token already used")
    user = await rows.get(session, AdminUser, login_row.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("user disabled")
    new_token, new_hash = new_refresh_token(session_id)
    login_row.refresh_hash = new_hash
    access, ttl = state.tokens.issue(user.id, session_id)
    return TokenRead(access_token=access, expires_in=ttl, refresh_token=new_token)


@router.post(
    "/logout", status_code=204, dependencies=[Perm(AUTHENTICATED)], summary="退出 · log out"
)
async def logout(principal: CurrentUser, session: SessionDep) -> None:
    """Revoke the current login session (access and refresh tokens stop working at once)."""
    await auth_sessions.revoke(session, session_id=principal.session_id)
    await record(session, principal, "auth.logout", "user", principal.user_id)


@router.get(
    "/me", response_model=MeRead, dependencies=[Perm(AUTHENTICATED)], summary="当前用户 · me"
)
async def me(principal: CurrentUser) -> MeRead:
    """Who is logged in and what they may do."""
    return MeRead(
        id=principal.user_id,
        username=principal.username,
        org_id=principal.org_id,
        is_head_office=principal.is_head_office,
        permissions=sorted(principal.permissions),
    )


def check_password_policy(password: str, min_length: int, field: str) -> None:
    """Refuse short or single-class passwords."""
    classes = sum(
        [
            any(c.isdigit() for c in password),
            any(c.isalpha() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if len(password) < min_length or classes < 2:
        message = f"at least {min_length} characters mixing letters, digits or symbols"
        raise FieldErrors("password too weak", [FieldError(field, message, "password_policy")])


@router.post(
    "/password",
    status_code=204,
    dependencies=[Perm(AUTHENTICATED)],
    summary="修改密码 · change password",
)
async def change_password(
    body: PasswordChange, principal: CurrentUser, session: SessionDep, state: StateDep
) -> None:
    """Change one's own password; every other login session is revoked."""
    user = await rows.get(session, AdminUser, principal.user_id)
    assert user is not None
    if not verify_password(user.password_hash, body.current_password):
        raise FieldErrors(
            "current password is wrong",
            [FieldError("body.current_password", "does not match", "invalid")],
        )
    check_password_policy(
        body.new_password, state.settings.min_password_length, "body.new_password"
    )
    user.password_hash = hash_password(body.new_password)
    user.password_changed_at = utcnow()
    await auth_sessions.revoke_all_of_user(
        session, user_id=user.id, except_session_id=principal.session_id
    )
    await record(session, principal, "auth.password_changed", "user", user.id)
