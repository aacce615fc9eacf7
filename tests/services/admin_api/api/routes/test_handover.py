"""One-click "follow head office" hand-over: a record, an audit entry and a queued message."""

from __future__ import annotations

from sqlalchemy import select

from libs.common.bus import DISPATCHER_ALERT
from libs.common.db.models import Account, Customer, Handover
from libs.common.schemas.outbound import OutboundRequested
from tests.services.admin_api.support import AdminStack, queued_messages


async def _customer(stack: AdminStack, account_id: int, openid: str, following: bool = True) -> int:
    async with stack.sessions.begin() as session:
        customer = Customer(account_id=account_id, openid=openid, subscribed=following)
        session.add(customer)
        await session.flush()
        return customer.id


async def _alerts(stack: AdminStack) -> list[OutboundRequested]:
    return await queued_messages(stack, DISPATCHER_ALERT)


async def test_branch_customer_is_told_to_follow_head_office(stack: AdminStack) -> None:
    cid = await _customer(stack, stack.ids["bj_account"], "oBjAsk")
    response = await stack.call(
        "admin", "POST", f"/api/v1/customers/{cid}/handover", json={"note": "理财问题"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    async with stack.sessions() as session:
        hq_account = await session.get(Account, stack.ids["demo_account"])
        assert hq_account is not None
        rows = list(await session.scalars(select(Handover)))
    assert (body["from_account_id"], body["to_account_id"]) == (
        stack.ids["bj_account"],
        stack.ids["demo_account"],
    )
    assert hq_account.name in body["text"]
    assert [(r.customer_id, r.message_id) for r in rows] == [(cid, body["message_id"])]
    messages = await _alerts(stack)
    assert len(messages) == 1
    message = messages[0]
    assert (message.origin, message.account, message.openid) == ("handover", "bj", "oBjAsk")
    assert message.message_id == body["message_id"]
    assert message.custom_message == {"msgtype": "text", "text": {"content": body["text"]}}
    audit = await stack.call(
        "admin", "GET", f"/api/v1/audit?action=customer.handover&entity_id={cid}"
    )
    assert audit.json()["total"] == 1
    history = await stack.call("admin", "GET", f"/api/v1/customers/{cid}/handovers")
    assert [h["id"] for h in history.json()["items"]] == [body["id"]]


async def test_refusals_head_office_customer_unfollowed_wrong_target(stack: AdminStack) -> None:
    hq_customer = await _customer(stack, stack.ids["demo_account"], "oHqAsk")
    already = await stack.call(
        "admin", "POST", f"/api/v1/customers/{hq_customer}/handover", json={}
    )
    assert already.status_code == 409
    gone = await _customer(stack, stack.ids["bj_account"], "oBjGone", following=False)
    refused = await stack.call("admin", "POST", f"/api/v1/customers/{gone}/handover", json={})
    assert refused.status_code == 409
    asker = await _customer(stack, stack.ids["bj_account"], "oBjAsk2")
    wrong = await stack.call(
        "admin",
        "POST",
        f"/api/v1/customers/{asker}/handover",
        json={"to_account_id": stack.ids["bj_account"]},
    )
    assert wrong.status_code == 422
    # The branch editor (SH) holds the permission but cannot reach a BJ customer.
    outside = await stack.call("sh_editor", "POST", f"/api/v1/customers/{asker}/handover", json={})
    assert outside.status_code == 404
    assert await _alerts(stack) == []
    # No refusal left a hand-over record behind.
    audit = await stack.call("admin", "GET", "/api/v1/audit?action=customer.handover")
    assert audit.json()["total"] == 0
    for customer in (hq_customer, gone, asker):
        history = await stack.call("admin", "GET", f"/api/v1/customers/{customer}/handovers")
        assert history.json()["total"] == 0
