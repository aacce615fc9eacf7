"""Which rollup rows an event adds to."""

from __future__ import annotations

from datetime import timedelta

from libs.common.schemas.events import DeliveryStatusChangedBatch
from services.stats.rollup import bucket_start, latency_bucket, rollup
from services.stats.unpack import unpack
from tests.services.stats.events import T0, delivered_batch, fallback_batch


def test_buckets_start_at_the_minute_hour_and_day() -> None:
    assert bucket_start(T0, "minute") == T0.replace(second=0)
    assert bucket_start(T0, "hour") == T0.replace(minute=0, second=0)
    assert bucket_start(T0, "day") == T0.replace(hour=0, minute=0, second=0)


def test_latency_buckets() -> None:
    assert latency_bucket(0) == 100
    assert latency_bucket(100) == 100
    assert latency_bucket(101) == 250
    assert latency_bucket(10**12) == 2_147_483_647


def test_delivery_events_roll_up_by_their_dimensions_and_latency() -> None:
    events = unpack("delivery.delivered", delivered_batch(3, latency_s=2.5).to_bytes()).events
    events += unpack("delivery.fallback_sent", fallback_batch(2).to_bytes()).events
    counts = rollup(events)["hour"]
    by_outcome = {(k.outcome, k.channel, k.errcode, k.latency_le_ms): n for k, n in counts.items()}
    assert by_outcome == {
        ("delivered", "wechat_template", "", 5_000): 3,
        ("fallback_sent", "sms", "43004", 30_000): 2,
    }


def test_hours_and_days_sum_the_minutes() -> None:
    events = unpack("delivery.delivered", delivered_batch(2).to_bytes()).events
    later = T0 + timedelta(minutes=5)
    events += unpack("delivery.delivered", delivered_batch(3, at=later).to_bytes()).events
    counts = rollup(events)
    assert sorted(counts["minute"].values()) == [2, 3]
    assert list(counts["hour"].values()) == [5]
    assert list(counts["day"].values()) == [5]


def test_a_sending_event_has_no_latency() -> None:
    batch = delivered_batch(1)
    body = batch.to_bytes().replace(b'"status":"delivered"', b'"status":"sending"')
    (key,) = rollup(unpack("delivery.sending", body).events)["day"]
    assert key.latency_le_ms == 0
    assert key.bucket == (T0 - timedelta(hours=8, minutes=30, seconds=15))


def test_delivery_events_roll_up_by_event_type_and_reason_code() -> None:
    item = (
        fallback_batch(1)
        .items[0]
        .model_copy(
            update={
                "reason": "WeChat said: not following (43004)",
                "reason_code": "recipient",
                "event_type": "balance_change",
            }
        )
    )
    body = DeliveryStatusChangedBatch(items=[item]).to_bytes()
    (key,) = rollup(unpack("delivery.fallback_sent", body).events)["day"]
    assert (key.kind, key.reason, key.errcode) == ("balance_change", "recipient", "43004")


def test_clicks_roll_up_by_source_and_what_was_clicked() -> None:
    from libs.common.schemas.events import LinkClicked

    tracked = LinkClicked(
        account="demo",
        url="https://a.example/x",
        source="short_link",
        publication_id=12,
        channel="wechat_custom",
        occurred_at=T0,
    )
    menu = LinkClicked(account="demo", url="https://a.example/menu", source="menu", occurred_at=T0)
    keys = set()
    for click in (tracked, menu):
        keys |= set(rollup(unpack("click", click.to_bytes()).events)["day"])
    assert {(k.outcome, k.channel, k.reason) for k in keys} == {
        ("short_link", "wechat_custom", "publication:12"),
        ("menu", "", "https://a.example/menu"),
    }
