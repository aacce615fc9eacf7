"""Org tree, users and roles: scope, anti-escalation, audit of every write, list convention."""

from __future__ import annotations

import csv
import io

import httpx
from sqlalchemy import select

from libs.common.db.models import AuditEntry
from tests.services.admin_api.support import PASSWORDS, AdminStack


async def test_org_tree_and_branch_user_sees_only_own_subtree(stack: AdminStack) -> None:
    tree = (await stack.call("admin", "GET", "/api/v1/orgs/tree")).json()
    assert [n["name"] for n in tree] == ["总部"]
    assert sorted(c["name"] for c in tree[0]["children"]) == ["上海分公司", "北京分公司"]
    sub = await _create_org(stack, "sh_super", "SH-PD", "浦东支行", stack.ids["org_sh"])
    assert sub.status_code == 201
    assert sub.json()["path"] == f"/{stack.ids['org_hq']}/{stack.ids['org_sh']}/{sub.json()['id']}/"
    listed = (await stack.call("sh_super", "GET", "/api/v1/orgs")).json()
    assert sorted(o["code"] for o in listed["items"]) == ["SH", "SH-PD"]
    # A branch cannot create under another branch: that parent is "not found" for it.
    other = await _create_org(stack, "sh_super", "BJ-X", "x", stack.ids["org_bj"])
    assert other.status_code == 404
    codes = [o["code"] for o in (await stack.call("admin", "GET", "/api/v1/orgs")).json()["items"]]
    assert "BJ-X" not in codes


async def test_list_convention_paging_sorting_search_and_bad_sort(stack: AdminStack) -> None:
    page = (await stack.call("admin", "GET", "/api/v1/users?page_size=2&sort=-username")).json()
    assert page["total"] == 9
    assert page["page_size"] == 2
    assert [u["username"] for u in page["items"]] == ["sh_super", "sh_editor"]
    second = await stack.call("admin", "GET", "/api/v1/users?page=2&page_size=2&sort=-username")
    assert [u["username"] for u in second.json()["items"]] == ["noperm", "cs_lead"]
    found = (await stack.call("admin", "GET", "/api/v1/users?q=EDIT")).json()
    assert [u["username"] for u in found["items"]] == ["sh_editor"]
    # LIKE wildcards in the search text are literal: "%" matches no name, "_" only names with one.
    wildcard = (await stack.call("admin", "GET", "/api/v1/users", params={"q": "%"})).json()
    assert wildcard["total"] == 0
    underscore = (await stack.call("admin", "GET", "/api/v1/users", params={"q": "_"})).json()
    names = [u["username"] for u in underscore["items"]]
    assert names
    assert all("_" in name for name in names)
    assert "admin" not in names
    bad = await stack.call("admin", "GET", "/api/v1/users?sort=password_hash")
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_error"
    assert bad.json()["errors"][0]["loc"] == ["query", "sort"]


async def test_user_create_enforces_no_privilege_escalation(stack: AdminStack) -> None:
    editor_role = (await stack.call("admin", "GET", "/api/v1/roles?q=branch_editor")).json()
    role_id = editor_role["items"][0]["id"]
    created = await stack.call(
        "admin",
        "POST",
        "/api/v1/users",
        json={
            "username": "sh2",
            "password": "Sh2-password-1",
            "org_id": stack.ids["org_sh"],
            "role_ids": [role_id],
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["role_ids"] == [role_id]
    assert "password" not in created.text
    # A role with permissions the caller does not hold cannot be created by that caller.
    role_url = f"/api/v1/roles/{stack.ids['sh_all_role']}"
    permissions_before = (await stack.call("admin", "GET", role_url)).json()["permissions"]
    escalate = await stack.call(
        "sh_super",
        "PATCH",
        f"/api/v1/roles/{stack.ids['sh_all_role']}",
        json={"permissions": ["audit.read", "no.such"]},
    )
    assert escalate.status_code == 422
    assert (await stack.call("admin", "GET", role_url)).json()["permissions"] == permissions_before
    dup = await stack.call(
        "admin",
        "POST",
        "/api/v1/users",
        json={"username": "sh2", "password": "Sh2-password-1", "org_id": stack.ids["org_sh"]},
    )
    assert dup.status_code == 409
    assert dup.json()["code"] == "conflict"
    # The refused duplicate created nothing: sh2 is still the one user with its roles.
    same_name = (await stack.call("admin", "GET", "/api/v1/users?q=sh2")).json()
    assert same_name["total"] == 1
    assert same_name["items"][0]["role_ids"] == [role_id]


async def test_branch_user_cannot_grant_role_it_does_not_hold(stack: AdminStack) -> None:
    # sh_super holds everything; make a SH-only user with user.manage but no audit.read.
    role = await stack.call(
        "admin",
        "POST",
        "/api/v1/roles",
        json={
            "code": "sh_hr",
            "name": "SH HR",
            "org_id": stack.ids["org_sh"],
            "permissions": ["user.manage", "user.read", "role.read"],
        },
    )
    assert role.status_code == 201
    await stack.call(
        "admin",
        "POST",
        "/api/v1/users",
        json={
            "username": "shhr",
            "password": "Shhr-password-1",
            "org_id": stack.ids["org_sh"],
            "role_ids": [role.json()["id"]],
        },
    )
    PASSWORDS["shhr"] = "Shhr-password-1"
    escalate = await stack.call(
        "shhr",
        "PATCH",
        f"/api/v1/users/{stack.ids['user_sh_editor']}",
        json={"role_ids": [stack.ids["sh_all_role"]]},
    )
    assert escalate.status_code == 403
    # The refused grant granted nothing.
    editor = await stack.call("admin", "GET", f"/api/v1/users/{stack.ids['user_sh_editor']}")
    assert stack.ids["sh_all_role"] not in editor.json()["role_ids"]
    me_id = (await stack.call("shhr", "GET", "/api/v1/auth/me")).json()["id"]
    own = await stack.call("shhr", "PATCH", f"/api/v1/users/{me_id}", json={"role_ids": []})
    assert own.status_code == 409
    me = await stack.call("admin", "GET", f"/api/v1/users/{me_id}")
    assert me.json()["role_ids"] == [role.json()["id"]]


async def test_every_write_is_audited_with_before_and_after(stack: AdminStack) -> None:
    uid = stack.ids["user_sh_editor"]
    response = await stack.call(
        "admin",
        "PATCH",
        f"/api/v1/users/{uid}",
        json={"display_name": "新名字"},
        headers={"X-Forwarded-For": "10.1.2.3"},
    )
    assert response.status_code == 200
    async with stack.sessions() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "user.update").order_by(AuditEntry.id)
        )
    assert entry is not None
    assert entry.username == "admin"
    assert entry.ip == "10.1.2.3"
    assert entry.before is not None
    assert entry.before["display_name"] == "上海分公司编辑"
    assert entry.after is not None
    assert entry.after["display_name"] == "新名字"
    assert entry.after["password_hash"] == "set"
    audit = (await stack.call("admin", "GET", f"/api/v1/audit?entity=user&entity_id={uid}")).json()
    assert audit["items"][0]["action"] == "user.update"


async def test_audit_export_is_csv_and_scoped(stack: AdminStack) -> None:
    await stack.call("admin", "PATCH", f"/api/v1/orgs/{stack.ids['org_bj']}", json={"name": "北京"})
    await stack.call(
        "sh_super", "PATCH", f"/api/v1/orgs/{stack.ids['org_sh']}", json={"name": "沪"}
    )
    csv_text = (await stack.call("admin", "GET", "/api/v1/audit/export.csv?action=org.")).text
    lines = csv_text.lstrip("\ufeff").strip().splitlines()
    assert lines[0].startswith("id,at,username")
    assert len(lines) == 3
    branch = (await stack.call("sh_super", "GET", "/api/v1/audit/export.csv?action=org.")).text
    assert "北京" not in branch
    assert "沪" in branch


async def test_audit_export_cannot_carry_a_formula_into_a_spreadsheet(stack: AdminStack) -> None:
    # Anyone can put text into the audit log: a failed login records the username typed.
    payload = '=HYPERLINK("http://evil.test","点此")'
    failed = await stack.client.post(
        "/api/v1/auth/login", data={"username": payload, "password": "guess"}
    )
    assert failed.status_code == 401
    text = (await stack.call("admin", "GET", "/api/v1/audit/export.csv?action=auth.")).text
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [row["username"] for row in rows if row["action"] == "auth.login_failed"] == [
        "'" + payload
    ]
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


async def test_delete_org_with_users_is_conflict(stack: AdminStack) -> None:
    response = await stack.call("admin", "DELETE", f"/api/v1/orgs/{stack.ids['org_bj']}")
    assert response.status_code == 409
    still = await stack.call("admin", "GET", f"/api/v1/orgs/{stack.ids['org_bj']}")
    assert still.status_code == 200


async def _create_org(
    stack: AdminStack, user: str, code: str, name: str, parent_id: int
) -> httpx.Response:
    return await stack.call(
        user, "POST", "/api/v1/orgs", json={"code": code, "name": name, "parent_id": parent_id}
    )
