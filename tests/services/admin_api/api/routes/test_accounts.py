"""Accounts: secrets encrypted at rest and never returned; grants decide branch visibility."""

from __future__ import annotations

from sqlalchemy import select

from libs.common.db.models import Account, AuditEntry
from tests.services.admin_api.support import SECRET_KEY, AdminStack

NEW = {
    "code": "fund2",
    "name": "基金二号",
    "appid": "wx1234567890abcdef",
    "original_id": "gh_fund2",
    "app_secret": "super-secret-value-9876",
    "token": "tok12345",
    "encoding_aes_key": "A" * 42 + "B",
}


async def test_secrets_are_encrypted_and_only_last4_returned(stack: AdminStack) -> None:
    created = await stack.call("admin", "POST", "/api/v1/accounts", json=NEW)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["app_secret"] == {"set": True, "last4": "9876"}
    assert body["encoding_aes_key_previous"] == {"set": False, "last4": None}
    assert "super-secret-value" not in created.text
    async with stack.sessions() as session:
        row = await session.scalar(select(Account).where(Account.code == "fund2"))
        audit = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "account.create")
        )
    assert row is not None
    assert "super-secret" not in row.app_secret_enc
    assert stack.state.secret_box.decrypt(row.app_secret_enc) == NEW["app_secret"]
    assert audit is not None
    assert audit.after is not None
    assert audit.after["app_secret_enc"] == "set"
    assert SECRET_KEY not in str(audit.after)


async def test_rotating_aes_key_keeps_previous(stack: AdminStack) -> None:
    account_id = (await stack.call("admin", "POST", "/api/v1/accounts", json=NEW)).json()["id"]
    rotated = await stack.call(
        "admin", "PATCH", f"/api/v1/accounts/{account_id}", json={"encoding_aes_key": "C" * 43}
    )
    assert rotated.json()["encoding_aes_key"]["last4"] == "CCCC"
    assert rotated.json()["encoding_aes_key_previous"]["last4"] == "AAAB"


async def test_branch_sees_granted_accounts_only_and_cannot_create(stack: AdminStack) -> None:
    listed = (await stack.call("sh_super", "GET", "/api/v1/accounts")).json()
    assert [a["code"] for a in listed["items"]] == ["demo"]
    forbidden = await stack.call("sh_super", "POST", "/api/v1/accounts", json=NEW)
    assert forbidden.status_code == 403
    assert await account_codes(stack) == ["bj", "demo"]  # nothing was created
    bj = stack.ids["bj_account"]
    await stack.call(
        "admin", "PUT", f"/api/v1/accounts/{bj}/grants", json={"org_ids": [stack.ids["org_sh"]]}
    )
    listed = (await stack.call("sh_super", "GET", "/api/v1/accounts?sort=code")).json()
    assert [a["code"] for a in listed["items"]] == ["bj", "demo"]


async def test_duplicate_appid_and_bad_aes_key_rejected(stack: AdminStack) -> None:
    await stack.call("admin", "POST", "/api/v1/accounts", json=NEW)
    dup = await stack.call("admin", "POST", "/api/v1/accounts", json={**NEW, "code": "other"})
    assert dup.status_code == 409
    bad = await stack.call(
        "admin", "POST", "/api/v1/accounts", json={**NEW, "code": "x", "encoding_aes_key": "short"}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["encoding_aes_key"]
    # Neither refused account exists.
    assert await account_codes(stack) == ["bj", "demo", NEW["code"]]


async def account_codes(stack: AdminStack) -> list[str]:
    """Codes of every account, as the head office sees them."""
    listed = (await stack.call("admin", "GET", "/api/v1/accounts?sort=code")).json()
    return [a["code"] for a in listed["items"]]


async def test_operation_limits_are_set_per_account_and_checked(stack: AdminStack) -> None:
    created = await stack.call(
        "admin", "POST", "/api/v1/accounts", json={**NEW, "operation_limits": {"code_send": 3}}
    )
    assert created.status_code == 201, created.text
    assert created.json()["operation_limits"] == {"code_send": 3}
    path = f"/api/v1/accounts/{created.json()['id']}"
    for bad in ({"no_such_operation": 1}, {"code_send": 0}, {"bind_attempt": "many"}):
        refused = await stack.call("admin", "PATCH", path, json={"operation_limits": bad})
        assert refused.status_code == 422, (bad, refused.text)
    changed = await stack.call(
        "admin", "PATCH", path, json={"operation_limits": {"bind_attempt": 4, "code_send": 2}}
    )
    assert changed.json()["operation_limits"] == {"bind_attempt": 4, "code_send": 2}
    async with stack.sessions() as session:
        row = await session.scalar(select(Account).where(Account.code == NEW["code"]))
    assert row is not None
    assert row.operation_limits == {"bind_attempt": 4, "code_send": 2}
