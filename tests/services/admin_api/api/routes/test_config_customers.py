"""Config files (versions, diff, rollback) and the customer search."""

from __future__ import annotations

from libs.common.customer_numbers import sealed
from libs.common.db.models import Customer, CustomerProfile
from tests.services.admin_api.support import AdminStack


async def test_each_save_is_a_version_with_author_and_diff_and_rollback(stack: AdminStack) -> None:
    created = await stack.call(
        "admin",
        "POST",
        "/api/v1/config-files",
        json={
            "name": "engine/limits.yaml",
            "format": "yaml",
            "content": "rate: 10\nburst: 5\n",
            "comment": "first",
        },
    )
    assert created.status_code == 201, created.text
    doc = created.json()["id"]
    saved = await stack.call(
        "admin", "PUT", f"/api/v1/config-files/{doc}", json={"content": "rate: 20\nburst: 5\n"}
    )
    assert saved.json()["current_version"] == 2
    v2 = (await stack.call("admin", "GET", f"/api/v1/config-files/{doc}/versions/2")).json()
    assert v2["author_name"] == "admin"
    assert "-rate: 10\n+rate: 20\n" in v2["diff"]
    rolled = await stack.call(
        "admin", "POST", f"/api/v1/config-files/{doc}/rollback", json={"version": 1}
    )
    assert rolled.json()["current_version"] == 3
    assert rolled.json()["content"] == "rate: 10\nburst: 5\n"
    history = (await stack.call("admin", "GET", f"/api/v1/config-files/{doc}/versions")).json()
    assert [v["version"] for v in history["items"]] == [3, 2, 1]
    assert history["items"][0]["comment"] == "rollback to version 1"


async def test_invalid_syntax_and_unchanged_content_are_refused(stack: AdminStack) -> None:
    bad = await stack.call(
        "admin",
        "POST",
        "/api/v1/config-files",
        json={"name": "x.json", "format": "json", "content": "{not json"},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["content"]
    assert (await stack.call("admin", "GET", "/api/v1/config-files?q=x.json")).json()["total"] == 0
    doc = (
        await stack.call(
            "admin",
            "POST",
            "/api/v1/config-files",
            json={"name": "y.json", "format": "json", "content": "{}"},
        )
    ).json()["id"]
    same = await stack.call("admin", "PUT", f"/api/v1/config-files/{doc}", json={"content": "{}"})
    assert same.status_code == 409
    versions = await stack.call("admin", "GET", f"/api/v1/config-files/{doc}/versions")
    assert versions.json()["total"] == 1


async def _customers(stack: AdminStack) -> None:
    acc = stack.ids["demo_account"]
    async with stack.sessions.begin() as session:
        rows = [
            Customer(
                account_id=acc,
                openid="o1",
                binding_state="bound",
                **sealed(stack.state.secret_box, "6222020012345678"),
                phone_enc=stack.state.secret_box.encrypt("13912345678"),
            ),
            Customer(account_id=acc, openid="o2", phone="13800000002"),
            Customer(account_id=acc, openid="o3", subscribed=False),
            Customer(account_id=stack.ids["bj_account"], openid="o_bj"),
        ]
        session.add_all(rows)
        await session.flush()
        session.add_all(
            [
                CustomerProfile(
                    customer_id=rows[0].id, category="vip", region="上海", tags=["高净值"]
                ),
                CustomerProfile(
                    customer_id=rows[1].id, category="vip", region="北京", tags=["新客"]
                ),
            ]
        )


async def test_customer_search_masks_numbers_filters_and_scopes(stack: AdminStack) -> None:
    await _customers(stack)
    found = (await stack.call("admin", "GET", "/api/v1/customers?category=vip&sort=id")).json()
    assert [c["openid"] for c in found["items"]] == ["o1", "o2"]
    assert found["items"][0]["customer_no"] == "************5678"
    # A phone bound on the page (encrypted) and an older plain one are both shown masked.
    assert [c["phone"] for c in found["items"]] == ["139****5678", "138****0002"]
    assert "13912345678" not in str(found)
    tagged = (await stack.call("admin", "GET", "/api/v1/customers?tag=高净值")).json()
    assert [c["openid"] for c in tagged["items"]] == ["o1"]
    count = (await stack.call("sh_super", "GET", "/api/v1/customers/count?subscribed=true")).json()
    assert count == {"count": 2}  # o_bj belongs to an account SH cannot see
    by_number = await stack.call("admin", "GET", "/api/v1/customers?customer_no=6222020012345678")
    assert by_number.json()["total"] == 1


async def test_customer_profile_update_is_audited(stack: AdminStack) -> None:
    await _customers(stack)
    o2 = (await stack.call("admin", "GET", "/api/v1/customers?q=o2")).json()["items"][0]["id"]
    updated = await stack.call(
        "admin", "PATCH", f"/api/v1/customers/{o2}", json={"occupation": "教师", "tags": ["a"]}
    )
    assert updated.json()["occupation"] == "教师"
    assert updated.json()["category"] == "vip"
    audit = await stack.call("admin", "GET", f"/api/v1/audit?entity=customer&entity_id={o2}")
    assert audit.json()["items"][0]["after"]["tags"] == ["a"]
