"""Login, refresh rotation, logout revocation, lock-out and password change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from libs.common.db.models import AuditEntry
from tests.services.admin_api.support import PASSWORDS, AdminStack


async def _login(stack: AdminStack, username: str, password: str) -> dict[str, Any]:
    response = await stack.client.post(
        "/api/v1/auth/login", data={"username": username, "password": password}
    )
    return {"status": response.status_code, **response.json()}


async def test_login_returns_bearer_tokens_usable_on_me(stack: AdminStack) -> None:
    body = await _login(stack, "admin", PASSWORDS["admin"])
    assert body["status"] == 200
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    me = await stack.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["username"] == "admin"
    assert me.json()["is_head_office"] is True
    assert "menu.publish" in me.json()["permissions"]


async def test_wrong_password_is_401_with_stable_code(stack: AdminStack) -> None:
    body = await _login(stack, "admin", "wrong")
    assert body["status"] == 401
    assert body["code"] == "invalid_credentials"
    unknown = await _login(stack, "nobody", "wrong")
    assert unknown["code"] == "invalid_credentials"


async def test_lockout_after_five_failures_even_with_right_password(stack: AdminStack) -> None:
    for _ in range(5):
        assert (await _login(stack, "approver", "bad-password"))["status"] == 401
    locked = await _login(stack, "approver", PASSWORDS["approver"])
    assert locked["status"] == 423
    assert locked["code"] == "account_locked"
    # An administrator unlocks; then the right password works again.
    uid = stack.ids["user_approver"]
    unlocked = await stack.call("admin", "POST", f"/api/v1/users/{uid}/unlock")
    assert unlocked.json()["locked"] is False
    assert (await _login(stack, "approver", PASSWORDS["approver"]))["status"] == 200
    async with stack.sessions() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert actions.count("auth.login_failed") == 5
    assert "auth.login_locked" in actions


async def test_refresh_rotates_and_reuse_revokes_the_session(stack: AdminStack) -> None:
    first = await _login(stack, "admin", PASSWORDS["admin"])
    rotated = await stack.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    reused = await stack.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert reused.status_code == 401
    # Reuse of a rotated token ends the session: the new tokens die too.
    again = await stack.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    assert again.status_code == 401
    me = await stack.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {second['access_token']}"}
    )
    assert me.status_code == 401


async def test_logout_revokes_access_token_at_once(stack: AdminStack) -> None:
    headers = await stack.auth("admin")
    assert (await stack.client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    me = await stack.client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 401
    assert me.headers["www-authenticate"] == "Bearer"


async def test_password_change_checks_policy_and_old_password(stack: AdminStack) -> None:
    url = "/api/v1/auth/password"
    wrong = await stack.call(
        "approver", "POST", url, json={"current_password": "x", "new_password": "Another-pass-9"}
    )
    assert wrong.status_code == 422
    weak = await stack.call(
        "approver",
        "POST",
        url,
        json={"current_password": PASSWORDS["approver"], "new_password": "short"},
    )
    assert weak.status_code == 422
    assert weak.json()["errors"][0]["loc"] == ["new_password"]
    # Neither refusal changed the password.
    assert (await _login(stack, "approver", PASSWORDS["approver"]))["status"] == 200
    ok = await stack.call(
        "approver",
        "POST",
        url,
        json={"current_password": PASSWORDS["approver"], "new_password": "Another-pass-9"},
    )
    assert ok.status_code == 204
    assert (await _login(stack, "approver", PASSWORDS["approver"]))["status"] == 401
    assert (await _login(stack, "approver", "Another-pass-9"))["status"] == 200


async def test_garbage_token_is_401(stack: AdminStack) -> None:
    response = await stack.client.get(
        "/api/v1/auth/me", headers={"Authorization": "Bearer x.y.z", "Accept-Language": "en"}
    )
    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "message": "invalid access token",
        "errors": [],
    }
