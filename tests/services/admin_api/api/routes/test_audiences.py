"""Saved audiences: CRUD with audit and scope, live counts, and group/mass sends that target one
(resolved at send time, frozen while in review)."""

from __future__ import annotations

import httpx

from libs.common.db.models import Customer, CustomerProfile
from services.admin_api.publishing.scheduler import run_due
from tests.services.admin_api.support import AdminStack

URL = "/api/v1/audiences"


async def _customers(stack: AdminStack) -> None:
    acc = stack.ids["demo_account"]
    rows = [
        # (openid, following, tags, subscriptions, category)
        ("oFundVip", True, ["基金", "vip"], ["weekly"], "vip"),
        ("oFundOnly", True, ["基金"], ["weekly"], "vip"),
        ("oVipGone", False, ["基金", "vip"], ["weekly"], "vip"),
        ("oNoWeekly", True, ["基金", "vip"], [], "vip"),
        ("oRetail", True, ["基金", "vip"], ["weekly"], "retail"),
    ]
    async with stack.sessions.begin() as session:
        for openid, following, tags, subs, category in rows:
            customer = Customer(account_id=acc, openid=openid, subscribed=following)
            session.add(customer)
            await session.flush()
            session.add(
                CustomerProfile(
                    customer_id=customer.id, category=category, tags=tags, subscriptions=subs
                )
            )


def _vip_weekly(account_id: int) -> dict[str, object]:
    return {
        "account_id": account_id,
        "name": "VIP 周报订阅",
        "criteria": {"category": "vip", "tags": ["基金", "vip"], "subscriptions": ["weekly"]},
    }


async def test_crud_counts_scope_and_audit(stack: AdminStack) -> None:
    await _customers(stack)
    acc = stack.ids["demo_account"]
    created = await stack.call("sh_editor", "POST", URL, json=_vip_weekly(acc))
    assert created.status_code == 201, created.text
    aid = created.json()["id"]
    assert created.json()["criteria"]["tags"] == ["基金", "vip"]
    # Every listed tag and subscription must match; the unfollowed one matches but is unreachable.
    count = await stack.call("sh_editor", "GET", f"{URL}/{aid}/count")
    assert count.json() == {"matching": 2, "reachable": 1}
    preview = await stack.call(
        "sh_editor",
        "POST",
        f"{URL}/preview",
        json={"account_id": acc, "criteria": {"tags": ["基金"]}},
    )
    assert preview.json() == {"matching": 5, "reachable": 4}
    listed = await stack.call("sh_editor", "GET", f"{URL}?q=周报&account_id={acc}")
    assert [a["id"] for a in listed.json()["items"]] == [aid]
    duplicate = await stack.call("sh_editor", "POST", URL, json=_vip_weekly(acc))
    assert duplicate.status_code == 409
    same_name = await stack.call("sh_editor", "GET", f"{URL}?q=周报&account_id={acc}")
    assert same_name.json()["total"] == 1
    renamed = await stack.call(
        "sh_editor", "PATCH", f"{URL}/{aid}", json={"criteria": {"category": "retail"}}
    )
    criteria = renamed.json()["criteria"]
    assert {k: v for k, v in criteria.items() if v not in (None, [])} == {"category": "retail"}
    # A BJ-branch account is outside SH's scope, and so are BJ's audiences.
    other = await stack.call("sh_editor", "POST", URL, json=_vip_weekly(stack.ids["bj_account"]))
    assert other.status_code == 404
    on_bj = await stack.call("admin", "GET", f"{URL}?account_id={stack.ids['bj_account']}")
    assert on_bj.json()["total"] == 0
    bj = await stack.call("admin", "POST", URL, json=_vip_weekly(stack.ids["bj_account"]))
    assert (await stack.call("sh_editor", "GET", f"{URL}/{bj.json()['id']}")).status_code == 404
    assert bj.json()["id"] not in [
        a["id"] for a in (await stack.call("sh_editor", "GET", URL)).json()["items"]
    ]
    deleted = await stack.call("sh_editor", "DELETE", f"{URL}/{aid}")
    assert deleted.status_code == 200
    actions = await stack.call("admin", "GET", f"/api/v1/audit?entity=audience&entity_id={aid}")
    assert sorted(a["action"] for a in actions.json()["items"]) == [
        "audience.create",
        "audience.delete",
        "audience.update",
    ]


async def test_group_send_to_saved_audience_is_resolved_at_send_time(stack: AdminStack) -> None:
    await _customers(stack)
    acc = stack.ids["demo_account"]
    aid = (await stack.call("sh_editor", "POST", URL, json=_vip_weekly(acc))).json()["id"]
    draft = await stack.call(
        "sh_editor",
        "POST",
        "/api/v1/publications",
        json={"account_id": acc, "kind": "group", "text": "周报", "audience": {"audience_id": aid}},
    )
    assert draft.status_code == 201, draft.text
    pid = draft.json()["id"]
    submitted = await stack.call("sh_editor", "POST", f"/api/v1/publications/{pid}/submit")
    assert submitted.json()["recipient_count"] == 1
    # While in review the definition is frozen, and the audience cannot be deleted.
    frozen = await stack.call(
        "sh_editor", "PATCH", f"{URL}/{aid}", json={"criteria": {"category": "retail"}}
    )
    assert frozen.status_code == 409
    assert (await stack.call("sh_editor", "DELETE", f"{URL}/{aid}")).status_code == 409
    kept = await stack.call("sh_editor", "GET", f"{URL}/{aid}")
    assert kept.status_code == 200
    assert kept.json()["criteria"]["tags"] == ["基金", "vip"]
    approved = await stack.call("approver", "POST", f"/api/v1/publications/{pid}/approve", json={})
    assert approved.status_code == 200, approved.text
    # A customer who starts matching after approval is reached: members resolve at send time.
    async with stack.sessions.begin() as session:
        late = Customer(account_id=acc, openid="oLateVip")
        session.add(late)
        await session.flush()
        session.add(
            CustomerProfile(
                customer_id=late.id, category="vip", tags=["vip", "基金"], subscriptions=["weekly"]
            )
        )
    assert await run_due(stack.state) == 2
    recipients = await stack.call("sh_editor", "GET", f"/api/v1/publications/{pid}/recipients")
    assert sorted(r["openid"] for r in recipients.json()["items"]) == ["oFundVip", "oLateVip"]


async def test_saved_audience_must_belong_to_the_publication_account(stack: AdminStack) -> None:
    bj_aid = (
        await stack.call("admin", "POST", URL, json=_vip_weekly(stack.ids["bj_account"]))
    ).json()["id"]
    wrong = await _mass_draft(stack, stack.ids["demo_account"], {"audience_id": bj_aid})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["loc"] == ["audience", "audience_id"]
    mixed = await _mass_draft(
        stack, stack.ids["bj_account"], {"audience_id": bj_aid, "region": "北京"}
    )
    assert mixed.status_code == 422
    # Neither refused draft was created.
    assert (await stack.call("admin", "GET", "/api/v1/publications")).json()["total"] == 0


async def _mass_draft(
    stack: AdminStack, account_id: int, audience: dict[str, object]
) -> httpx.Response:
    """Ask the head office to draft a mass send to ``audience`` on ``account_id``."""
    return await stack.call(
        "admin",
        "POST",
        "/api/v1/publications",
        json={"account_id": account_id, "kind": "mass", "text": "x", "audience": audience},
    )
