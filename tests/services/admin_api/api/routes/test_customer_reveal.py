"""Customer and phone numbers: masked in every answer, shown whole only through the audited
reveal with a reason, to holders of ``customer.reveal``."""

from __future__ import annotations

from libs.common.customer_numbers import sealed
from libs.common.db.models import Customer
from tests.services.admin_api.support import AdminStack

NUMBER = "6222020012345678"
PHONE = "13912345678"


async def _customers(stack: AdminStack) -> dict[str, int]:
    async with stack.sessions.begin() as session:
        rows = {
            "sh": Customer(
                account_id=stack.ids["demo_account"],
                openid="o_reveal",
                binding_state="bound",
                **sealed(stack.state.secret_box, NUMBER),
                phone=PHONE,
            ),
            "bj": Customer(
                account_id=stack.ids["bj_account"],
                openid="o_reveal_bj",
                **sealed(stack.state.secret_box, "BJ0001234"),
            ),
        }
        session.add_all(rows.values())
        await session.flush()
        return {key: row.id for key, row in rows.items()}


async def _reveals(stack: AdminStack) -> list[dict[str, object]]:
    audit = await stack.call("admin", "GET", "/api/v1/audit?action=customer.reveal")
    items: list[dict[str, object]] = audit.json()["items"]
    return items


async def test_search_and_detail_mask_customer_and_phone_numbers(stack: AdminStack) -> None:
    ids = await _customers(stack)
    found = await stack.call("admin", "GET", "/api/v1/customers?q=o_reveal&sort=id")
    one = await stack.call("admin", "GET", f"/api/v1/customers/{ids['sh']}")
    for answer in (found, one):
        assert NUMBER not in answer.text
        assert PHONE not in answer.text
    assert found.json()["items"][0]["customer_no"] == "************5678"
    assert one.json()["phone"] == "139****5678"


async def test_reveal_shows_the_numbers_and_audits_who_why_and_which_fields(
    stack: AdminStack,
) -> None:
    ids = await _customers(stack)
    shown = await stack.call(
        "admin",
        "POST",
        f"/api/v1/customers/{ids['sh']}/reveal",
        json={"reason": "  客户来电核实身份 "},
    )
    assert shown.status_code == 200, shown.text
    assert shown.json() == {"id": ids["sh"], "customer_no": NUMBER, "phone": PHONE}
    [entry] = await _reveals(stack)
    assert entry["username"] == "admin"
    assert entry["entity_id"] == str(ids["sh"])
    assert entry["after"] == {"reason": "客户来电核实身份", "fields": ["customer_no", "phone"]}
    # the audit log, read by more people than may reveal, never holds the numbers themselves
    log = await stack.call("admin", "GET", f"/api/v1/audit?entity_id={ids['sh']}")
    assert NUMBER not in log.text
    assert PHONE not in log.text


async def test_a_refused_reveal_shows_nothing_and_is_not_audited(stack: AdminStack) -> None:
    ids = await _customers(stack)
    url = f"/api/v1/customers/{ids['sh']}/reveal"
    reason = {"reason": "核实身份"}
    # the approver may read customers but not reveal them
    denied = await stack.call("approver", "POST", url, json=reason)
    assert denied.status_code == 403
    assert denied.json()["details"]["permission"] == "customer.reveal"
    without_reason = await stack.call("admin", "POST", url, json={})
    blank_reason = await stack.call("admin", "POST", url, json={"reason": "   "})
    assert without_reason.status_code == blank_reason.status_code == 422
    # a customer of an account outside the caller's data scope does not exist for it
    outside = await stack.call(
        "sh_super", "POST", f"/api/v1/customers/{ids['bj']}/reveal", json=reason
    )
    assert outside.status_code == 404
    for answer in (denied, without_reason, blank_reason, outside):
        assert NUMBER not in answer.text
        assert PHONE not in answer.text
        assert "BJ0001234" not in answer.text
    assert await _reveals(stack) == []
