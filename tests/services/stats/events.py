"""Event builders for the stats tests: batches as the engine and the dispatcher publish them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from libs.common.schemas.events import (
    DeliveryStatusChanged,
    DeliveryStatusChangedBatch,
    InboundHandled,
    InboundHandledBatch,
)

T0 = datetime(2026, 12, 7, 8, 30, 15, tzinfo=UTC)


def delivered_batch(
    n: int, *, account: str = "demo", at: datetime = T0, latency_s: float = 0.3
) -> DeliveryStatusChangedBatch:
    """``n`` notifications delivered over the template channel ``latency_s`` after acceptance."""
    return DeliveryStatusChangedBatch(
        items=[
            DeliveryStatusChanged(
                notification_id=f"n{i}",
                account=account,
                status="delivered",
                previous="sending",
                channel="wechat_template",
                priority="alert",
                occurred_at=at,
                accepted_at=at - timedelta(seconds=latency_s),
            )
            for i in range(n)
        ]
    )


def fallback_batch(
    n: int, *, account: str = "demo", at: datetime = T0
) -> DeliveryStatusChangedBatch:
    """``n`` notifications sent by SMS after WeChat refused them (errcode 43004)."""
    return DeliveryStatusChangedBatch(
        items=[
            DeliveryStatusChanged(
                notification_id=f"f{i}",
                account=account,
                status="fallback_sent",
                channel="sms",
                reason="not_following",
                errcode=43004,
                priority="marketing",
                occurred_at=at,
                accepted_at=at - timedelta(seconds=20),
            )
            for i in range(n)
        ]
    )


def inbound_batch(
    kinds: list[str], *, account: str = "demo", at: datetime = T0
) -> InboundHandledBatch:
    """One answered callback per entry of ``kinds``."""
    return InboundHandledBatch(
        items=[
            InboundHandled(
                account=account,
                kind=kind,
                openid=f"o{i}",
                answer="balance" if kind == "text" else "",
                outcome="answered",
                handle_ms=3.0,
                occurred_at=at,
            )
            for i, kind in enumerate(kinds)
        ]
    )
