"""Demo organisations, roles and users for the admin API (embedded default). Idempotent.

The passwords below are TEST values for the embedded default, printed at start; they are never
real credentials (set real users up through the API and disable these in production).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import (
    Account,
    AccountGrant,
    AdminUser,
    CsAgent,
    CsConfig,
    Org,
    Role,
    user_roles,
)
from libs.common.secret_box import SecretBox
from services.admin_api.permissions import PERMISSIONS
from wxhub.demo.account import DEMO

ALL_PERMISSIONS = sorted(PERMISSIONS)

ROLES: dict[str, tuple[str, str, list[str]]] = {
    # code: (name, org code, permissions)
    "hq_admin": ("总部管理员 · head-office administrator", "HQ", ALL_PERMISSIONS),
    "hq_approver": (
        "总部审核员 · head-office approver",
        "HQ",
        [
            "content.read",
            "content.approve",
            "material.read",
            "account.read",
            "customer.read",
            "menu.read",
            "audit.read",
        ],
    ),
    "branch_editor": (
        "分公司编辑 · branch editor",
        "HQ",
        [
            "content.read",
            "content.submit",
            "material.read",
            "material.edit",
            "account.read",
            "customer.read",
            "customer.handover",
            "application.read",
            "location.read",
            "menu.read",
            "command.read",
            "reminder.read",
            "simulator.use",
        ],
    ),
    "cs_agent": (
        "客服坐席 · customer-service agent",
        "HQ",
        ["cs.agent", "account.read", "customer.read"],
    ),
    "cs_supervisor": (
        "客服主管 · customer-service supervisor",
        "HQ",
        ["cs.agent", "cs.supervise", "account.read", "customer.read", "stats.read"],
    ),
}

# (username, display name, org code, role code, TEST password)
USERS: list[tuple[str, str, str, str, str]] = [
    ("admin", "总部管理员", "HQ", "hq_admin", "admin-TEST-pass-1"),
    ("approver", "总部审核员", "HQ", "hq_approver", "approver-TEST-pass-1"),
    ("sh_editor", "上海分公司编辑", "SH", "branch_editor", "editor-TEST-pass-1"),
    ("agent1", "客服小王", "HQ", "cs_agent", "agent1-TEST-pass-1"),
    ("agent2", "客服小李", "HQ", "cs_agent", "agent2-TEST-pass-1"),
    ("cs_lead", "客服主管", "HQ", "cs_supervisor", "cslead-TEST-pass-1"),
]

ORGS: list[tuple[str, str, str | None]] = [
    ("HQ", "总部", None),
    ("SH", "上海分公司", "HQ"),
    ("BJ", "北京分公司", "HQ"),
]


async def seed_admin_demo(session: AsyncSession, box: SecretBox) -> list[tuple[str, str]]:
    """Create the demo org tree, roles and users if missing; returns (username, TEST password)."""
    del box  # no secrets of our own; kept for the common seed signature
    orgs: dict[str, Org] = {}
    for code, name, parent_code in ORGS:
        org = await session.scalar(select(Org).where(Org.code == code))
        if org is None:
            parent = orgs[parent_code] if parent_code else None
            org = Org(code=code, name=name, parent_id=parent.id if parent else None)
            session.add(org)
            await session.flush()
            org.path = f"{parent.path if parent else '/'}{org.id}/"
            await session.flush()
        orgs[code] = org
    roles: dict[str, Role] = {}
    for code, (name, org_code, permissions) in ROLES.items():
        role = await session.scalar(select(Role).where(Role.code == code))
        if role is None:
            role = Role(code=code, name=name, org_id=orgs[org_code].id, permissions=permissions)
            session.add(role)
            await session.flush()
        elif code == "hq_admin" and set(role.permissions or []) != set(ALL_PERMISSIONS):
            # The demo administrator holds every permission, also ones added since seeding.
            role.permissions = list(ALL_PERMISSIONS)
        roles[code] = role
    hasher = PasswordHasher()
    for username, display, org_code, role_code, password in USERS:
        if await session.scalar(select(AdminUser.id).where(AdminUser.username == username)):
            continue
        user = AdminUser(
            username=username,
            display_name=display,
            org_id=orgs[org_code].id,
            password_hash=hasher.hash(password),
        )
        session.add(user)
        await session.flush()
        await session.execute(
            insert(user_roles).values(user_id=user.id, role_id=roles[role_code].id)
        )
    account = await session.scalar(select(Account).where(Account.code == DEMO.code))
    if account is not None:
        if account.org_id is None:
            account.org_id = orgs["HQ"].id
        for branch in ("SH", "BJ"):
            key = (account.id, orgs[branch].id)
            if await session.get(AccountGrant, key) is None:
                session.add(AccountGrant(account_id=account.id, org_id=orgs[branch].id))
        if await session.get(CsConfig, account.id) is None:
            # Customer service around the clock, so the demo's agents can be reached any time.
            session.add(CsConfig(account_id=account.id))
    for username in ("agent1", "agent2", "cs_lead"):
        user_id = await session.scalar(select(AdminUser.id).where(AdminUser.username == username))
        if user_id is not None and await session.get(CsAgent, user_id) is None:
            session.add(CsAgent(user_id=user_id))
    await session.flush()
    return [(username, password) for username, _, _, _, password in USERS]
