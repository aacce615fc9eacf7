"""A send whose process died half-way is resumed without re-sending to queued recipients; the
"what was sent" views show each recipient's queue state and the dispatcher's delivery outcome."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from libs.common.bus import DISPATCHER_BULK
from libs.common.db.models import Notification, Publication, PublicationRecipient, utcnow
from services.admin_api.publishing.scheduler import run_due
from tests.services.admin_api.support import AdminStack, queued_messages

URL = "/api/v1/publications"
OPENIDS = [f"oList{i}" for i in range(5)]


class DyingBus:
    """The real bus, until the process "dies" after ``survive`` publishes."""

    def __init__(self, bus: Any, survive: int) -> None:
        self.bus, self.left = bus, survive

    async def publish(self, *args: Any, **kwargs: Any) -> None:
        if self.left == 0:
            raise RuntimeError("process killed")
        self.left -= 1
        await self.bus.publish(*args, **kwargs)


async def _scheduled_list_send(stack: AdminStack) -> int:
    acc = stack.ids["demo_account"]
    created = await stack.call(
        "sh_editor", "POST", URL, json={"account_id": acc, "kind": "list", "text": "通知"}
    )
    pid = int(created.json()["id"])
    await stack.call(
        "sh_editor",
        "PUT",
        f"{URL}/{pid}/recipients",
        files={"file": ("r.csv", "\n".join(OPENIDS).encode(), "text/csv")},
    )
    await stack.call("sh_editor", "POST", f"{URL}/{pid}/submit")
    approved = await stack.call("approver", "POST", f"{URL}/{pid}/approve", json={})
    assert approved.json()["status"] == "scheduled"
    return pid


async def _drain(stack: AdminStack) -> list[str]:
    return [m.openid or "" for m in await queued_messages(stack, DISPATCHER_BULK)]


async def test_stuck_send_resumes_only_pending_recipients(stack: AdminStack) -> None:
    pid = await _scheduled_list_send(stack)
    real_bus = stack.state.bus
    stack.state.settings.dispatch_chunk_size = 2
    stack.state.bus = DyingBus(real_bus, survive=3)  # type: ignore[assignment]
    # The first batch (2) commits; the second dies after one publish and rolls back.
    assert await run_due(stack.state) == 0
    stack.state.bus = real_bus
    async with stack.sessions() as session:
        publication = await session.get(Publication, pid)
        assert publication is not None
        assert publication.status == "sending"
        states = list(
            await session.scalars(
                select(PublicationRecipient.status)
                .where(PublicationRecipient.publication_id == pid)
                .order_by(PublicationRecipient.id)
            )
        )
    assert states == ["queued", "queued", "pending", "pending", "pending"]
    # A live sender is not taken over: the claim is fresh.
    assert await run_due(stack.state) == 0
    async with stack.sessions.begin() as session:
        await session.execute(
            update(Publication)
            .where(Publication.id == pid)
            .values(updated_at=utcnow() - timedelta(minutes=10))
        )
    assert await run_due(stack.state) == 3
    done = (await stack.call("sh_editor", "GET", f"{URL}/{pid}")).json()
    assert (done["status"], done["sent_count"]) == ("done", 5)
    received = await _drain(stack)
    # The one message published by the batch that died goes again (at-least-once, same
    # message id); the two committed as queued are never sent twice.
    assert sorted(received) == sorted([*OPENIDS, OPENIDS[2]])
    assert received.count(OPENIDS[0]) == received.count(OPENIDS[1]) == 1


async def test_recipients_show_the_dispatcher_delivery_outcome(stack: AdminStack) -> None:
    pid = await _scheduled_list_send(stack)
    assert await run_due(stack.state) == 5
    async with stack.sessions.begin() as session:
        recipients = list(
            await session.scalars(
                select(PublicationRecipient)
                .where(PublicationRecipient.publication_id == pid)
                .order_by(PublicationRecipient.id)
            )
        )
        outcomes = [("delivered", None), ("failed", "errcode 45015: response out of time limit")]
        for recipient, (status, reason) in zip(recipients, outcomes, strict=False):
            session.add(
                Notification(
                    id=recipient.message_id,
                    account_id=stack.ids["demo_account"],
                    event_type="publication",
                    openid=recipient.openid,
                    deadline_at=utcnow() + timedelta(hours=1),
                    status=status,
                    reason=reason,
                )
            )
    page = (await stack.call("sh_editor", "GET", f"{URL}/{pid}/recipients?sort=id")).json()
    rows = {r["openid"]: r for r in page["items"]}
    assert rows[OPENIDS[0]]["delivery_status"] == "delivered"
    assert rows[OPENIDS[1]]["delivery_status"] == "failed"
    assert rows[OPENIDS[1]]["reason"].startswith("errcode 45015")
    assert rows[OPENIDS[2]]["delivery_status"] is None
    assert {r["status"] for r in page["items"]} == {"queued"}
    assert rows[OPENIDS[0]]["message_id"] == recipients[0].message_id
    pending = await stack.call("sh_editor", "GET", f"{URL}/{pid}/recipients?status=pending")
    assert pending.json()["total"] == 0
    outcome = (await stack.call("sh_editor", "GET", f"{URL}/{pid}/outcome")).json()
    assert outcome["recipients"] == 5
    assert outcome["queued"] == {"queued": 5}
    assert outcome["delivery"] == {"delivered": 1, "failed": 1, "unknown": 3}
