"""Every batch type is unpacked into its items, each keeping its own id."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from libs.common.schemas.events import HeartbeatSent
from services.stats.unpack import MalformedEvent, unpack
from tests.services.stats.events import delivered_batch, inbound_batch


def test_a_delivery_batch_yields_one_event_per_item() -> None:
    batch = delivered_batch(7)
    unpacked = unpack("delivery.delivered", batch.to_bytes())
    assert [e.id for e in unpacked.events] == [item.message_id for item in batch.items]
    assert {e.event for e in unpacked.events} == {"delivery.delivered"}
    assert unpacked.events[0].payload["notification_id"] == "n0"
    assert unpacked.events[0].account == "demo"


def test_an_inbound_batch_yields_one_event_per_item() -> None:
    unpacked = unpack("inbound.handled", inbound_batch(["text", "event.subscribe"]).to_bytes())
    assert [e.payload["kind"] for e in unpacked.events] == ["text", "event.subscribe"]


def test_a_heartbeat_is_not_an_event() -> None:
    beat = HeartbeatSent(service="engine", instance_id="e1", uptime_s=1.0)
    unpacked = unpack("heartbeat.engine", beat.to_bytes())
    assert unpacked.events == []
    assert unpacked.heartbeat == beat


def test_an_event_without_a_batch_form_is_stored_whole() -> None:
    body = json.dumps(
        {"message_id": "c" * 32, "occurred_at": "2026-12-07T08:00:00Z", "link": "https://x"}
    ).encode()
    (event,) = unpack("click", body).events
    assert event.id == "c" * 32
    assert event.payload["link"] == "https://x"
    assert event.occurred_at.tzinfo is not None


@pytest.mark.parametrize(
    ("key", "body"),
    [
        ("delivery.delivered", b'{"items": [{"status": "delivered"}]}'),
        ("inbound.handled", b"not json"),
        ("heartbeat.engine", b"{}"),
    ],
)
def test_malformed_messages_are_refused(key: str, body: bytes) -> None:
    with pytest.raises(MalformedEvent):
        unpack(key, body)


def test_an_item_without_an_id_gets_the_same_id_on_every_delivery() -> None:
    body = b'{"items": [{"notification_id": "n1", "account": "demo", "status": "delivered"}]}'
    first = unpack("delivery.delivered", body).events[0].id
    assert unpack("delivery.delivered", body).events[0].id == first
    other = body.replace(b"n1", b"n2")
    assert unpack("delivery.delivered", other).events[0].id != first


def test_times_are_kept_in_utc_whatever_zone_the_publisher_wrote() -> None:
    body = b'{"message_id": "a1", "occurred_at": "2026-12-08T07:30:00+08:00", "account": "demo"}'
    (event,) = unpack("click", body).events
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert event.occurred_at.date() == date(2026, 12, 7)
