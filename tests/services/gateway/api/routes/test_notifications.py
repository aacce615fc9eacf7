"""POST /api/v1/notifications (single and batch) and GET /api/v1/notifications/{id}."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import OperationalError

from libs.common.bus import DISPATCHER_ALERT, DISPATCHER_BULK, BusError
from libs.common.db.models import Notification, NotificationEvent
from libs.common.schemas.outbound import OutboundRequested
from libs.common.secret_box import SecretBox
from tests.services.gateway.api.support import (
    BALANCE_DATA,
    OTHER_SYSTEM,
    SECRET_KEY,
    ApiStack,
    execute,
    fetch_all,
    notification,
    subscribe,
)

URL = "/api/v1/notifications"
BATCH = "/api/v1/notifications:batch"


async def count_rows(api: ApiStack) -> int:
    (row,) = await fetch_all(api.db_url, select(func.count()).select_from(Notification))
    return int(row[0])


async def test_accepted_notification_is_stored_with_history_and_published_once(
    api: ApiStack,
) -> None:
    alerts = await subscribe(api.bus, DISPATCHER_ALERT)
    before = datetime.now(UTC)
    response = await api.client.post(URL, notification(idempotency_key="txn-1"))

    assert response.status_code == 202
    body = response.json()
    assert body == {"id": body["id"], "status": "accepted", "duplicate": False}
    (row,) = await fetch_all(api.db_url, select(Notification).where(Notification.id == body["id"]))
    stored: Notification = row[0]
    assert stored.status == "accepted"
    # customer_no resolved to the bound follower's openid and phone; both numbers sealed.
    assert stored.openid == "oWxhubDemoCustomer0000000001"
    box = SecretBox(SECRET_KEY)
    assert stored.phone_enc is not None
    assert stored.customer_no_enc is not None
    assert box.decrypt(stored.phone_enc) == "13800000001"
    assert box.decrypt(stored.customer_no_enc) == "C00000001"
    assert stored.fallback == "sms"
    assert stored.priority == "alert"
    assert stored.data == BALANCE_DATA
    assert timedelta(seconds=29) < stored.deadline_at - before < timedelta(seconds=31)
    history = await fetch_all(
        api.db_url,
        select(NotificationEvent.status).where(NotificationEvent.notification_id == body["id"]),
    )
    assert [h[0] for h in history] == ["accepted"]

    (message,) = await alerts.wait(1)
    outbound = OutboundRequested.from_bytes(message.body)
    assert message.routing_key == "alert.wechat"
    assert message.message_id == outbound.notification_id == body["id"]
    assert outbound.account == "demo"
    assert outbound.origin == "notification"
    # A doorbell: the dispatcher delivers what the row says, the message carries no copy of it.
    assert (outbound.openid, outbound.deadline_at, outbound.custom_message) == (None, None, None)


async def test_bulk_goes_to_the_bulk_queue_and_type_defaults_apply(api: ApiStack) -> None:
    alerts = await subscribe(api.bus, DISPATCHER_ALERT)
    bulk = await subscribe(api.bus, DISPATCHER_BULK)
    explicit = await api.client.post(URL, notification(priority="bulk"))
    # nav_report defaults to bulk priority and no fallback.
    defaulted = await api.client.post(
        URL,
        notification(
            event_type="nav_report",
            to={"openid": "oSomeFollower"},
            data={"fund_name": "演示成长", "nav": "1.2345"},
        ),
    )
    assert explicit.status_code == defaulted.status_code == 202
    messages = await bulk.wait(2)
    assert {m.message_id for m in messages} == {explicit.json()["id"], defaulted.json()["id"]}
    assert alerts.messages == []
    (row,) = await fetch_all(
        api.db_url, select(Notification.fallback).where(Notification.id == defaulted.json()["id"])
    )
    assert row[0] == "none"


async def test_same_idempotency_key_returns_same_id_and_sends_once(api: ApiStack) -> None:
    alerts = await subscribe(api.bus, DISPATCHER_ALERT)
    first = await api.client.post(URL, notification(idempotency_key="txn-7"))
    again = await api.client.post(URL, notification(idempotency_key="txn-7"))
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json() == {"id": first.json()["id"], "status": "accepted", "duplicate": True}
    assert len(await alerts.wait(1)) == 1
    assert await count_rows(api) == 1
    # The key is per system: another system's identical key is a new notification.
    other = await api.client.as_system(*OTHER_SYSTEM).post(
        URL, notification(idempotency_key="txn-7")
    )
    assert other.status_code == 202
    assert other.json()["id"] != first.json()["id"]


async def test_concurrent_requests_with_one_key_store_one_row(api: ApiStack) -> None:
    alerts = await subscribe(api.bus, DISPATCHER_ALERT)
    responses = await asyncio.gather(
        *(api.client.post(URL, notification(idempotency_key="race")) for _ in range(8))
    )
    assert sorted(r.status_code for r in responses) == [200] * 7 + [202]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await count_rows(api) == 1
    assert len(await alerts.wait(1)) == 1


async def test_concurrent_single_requests_share_transactions(
    api: ApiStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = api.gateway.notifications.service
    real_accept_many = service.accept_many
    sizes: list[int] = []

    async def counting(system: Any, items: Any, **kwargs: Any) -> Any:
        sizes.append(len(items))
        return await real_accept_many(system, items, **kwargs)

    monkeypatch.setattr(service, "accept_many", counting)
    alerts = await subscribe(api.bus, DISPATCHER_ALERT)
    responses = await asyncio.gather(
        *(api.client.post(URL, notification(idempotency_key=f"g-{i}")) for i in range(40))
    )
    assert [r.status_code for r in responses] == [202] * 40
    assert len({r.json()["id"] for r in responses}) == 40
    assert sum(sizes) == 40
    assert len(sizes) < 40
    assert max(sizes) > 1
    assert await count_rows(api) == 40
    assert len(await alerts.wait(40)) == 40


async def test_database_failure_is_503(api: ApiStack, monkeypatch: pytest.MonkeyPatch) -> None:
    async def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("INSERT", {}, Exception("database is down"))

    monkeypatch.setattr(api.gateway.notifications.service, "accept_many", down)
    responses = await asyncio.gather(*(api.client.post(URL, notification()) for _ in range(3)))
    assert [r.status_code for r in responses] == [503] * 3
    assert responses[0].json()["code"] == "storage_unavailable"


async def test_key_reused_for_another_event_type_is_409(api: ApiStack) -> None:
    await api.client.post(URL, notification(idempotency_key="k"))
    conflict = await api.client.post(
        URL,
        notification(
            idempotency_key="k",
            event_type="fund_confirm",
            data={
                "fund_name": "x",
                "fund_code": "000001",
                "amount": "1",
                "shares": "1",
                "confirm_date": "2026-11-26",
            },
        ),
    )
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "idempotency_conflict"


@pytest.mark.parametrize(
    ("overrides", "code", "loc"),
    [
        ({"to": {}}, "validation_error", ["to"]),
        ({"to": {"phone": "12ab"}}, "validation_error", ["to", "phone"]),
        ({"deadline_s": 0}, "validation_error", ["deadline_s"]),
        ({"priority": "urgent"}, "validation_error", ["priority"]),
        ({"dedline_s": 5}, "validation_error", ["dedline_s"]),
        ({"account": "nope"}, "unknown_account", ["account"]),
        ({"event_type": "nope"}, "unknown_event_type", ["event_type"]),
        ({"to": {"customer_no": "C404"}}, "unknown_customer", ["to", "customer_no"]),
        ({"data": {"amount": "1"}}, "missing_data_fields", ["data", "account_tail"]),
        # openid not on file → no phone to fall back to when SMS is asked for explicitly.
        ({"to": {"openid": "oStranger"}, "fallback": "sms"}, "no_fallback_phone", ["to", "phone"]),
        ({"to": {"phone": "13900000000"}, "fallback": "none"}, "no_channel", ["to"]),
        (
            {"event_type": "nav_report", "fallback": "sms", "data": {"fund_name": "a", "nav": "1"}},
            "fallback_not_allowed",
            ["fallback"],
        ),
    ],
)
async def test_invalid_requests_are_422_with_field_errors(
    api: ApiStack, overrides: dict[str, Any], code: str, loc: list[str]
) -> None:
    alerts = await subscribe(api.bus, DISPATCHER_ALERT)
    response = await api.client.post(URL, notification(**overrides))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == code
    assert body["message"]
    assert loc in [e["loc"] for e in body["errors"]]
    assert await count_rows(api) == 0
    await asyncio.sleep(0.05)
    assert alerts.messages == []


async def test_malformed_json_is_422(api: ApiStack) -> None:
    response = await api.client.send(
        "POST", URL, content=b"{oops", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "malformed_body"


async def test_openid_without_phone_on_file_defaults_to_no_fallback(api: ApiStack) -> None:
    response = await api.client.post(URL, notification(to={"openid": "oStranger"}))
    assert response.status_code == 202
    status = (await api.client.get(f"{URL}/{response.json()['id']}")).json()
    assert status["fallback"] == "none"
    assert "SMS fallback off" in status["history"][0]["detail"]


async def test_phone_only_with_sms_fallback_is_routed_to_sms(api: ApiStack) -> None:
    alerts = await subscribe(api.bus, DISPATCHER_ALERT)
    response = await api.client.post(URL, notification(to={"phone": "+8613900000000"}))
    assert response.status_code == 202
    (message,) = await alerts.wait(1)
    assert message.routing_key == "alert.sms"
    assert OutboundRequested.from_bytes(message.body).openid is None


async def test_publish_failure_is_503_and_a_retry_republishes(
    api: ApiStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_publish = api.bus.publish

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise BusError("broker down")

    monkeypatch.setattr(api.bus, "publish", broken)
    failed = await api.client.post(URL, notification(idempotency_key="flaky"))
    assert failed.status_code == 503
    body = failed.json()
    assert body["code"] == "bus_unavailable"
    (row,) = await fetch_all(
        api.db_url,
        select(Notification.status, Notification.reason).where(Notification.id == body["id"]),
    )
    assert tuple(row) == ("accepted", "publish_failed")

    monkeypatch.setattr(api.bus, "publish", real_publish)
    alerts = await subscribe(api.bus, DISPATCHER_ALERT)
    retried = await api.client.post(URL, notification(idempotency_key="flaky"))
    assert retried.status_code == 200
    assert retried.json()["id"] == body["id"]
    assert [m.message_id for m in await alerts.wait(1)] == [body["id"]]
    (row,) = await fetch_all(
        api.db_url, select(Notification.reason).where(Notification.id == body["id"])
    )
    assert row[0] is None
    # Once queued, a further retry publishes nothing more.
    assert (await api.client.post(URL, notification(idempotency_key="flaky"))).status_code == 200
    assert len(await alerts.wait(1)) == 1


async def test_status_shows_dispatcher_progress_and_history(api: ApiStack) -> None:
    nid = (await api.client.post(URL, notification())).json()["id"]
    at = datetime.now(UTC)
    # What the dispatcher writes when WeChat gives up and SMS delivers.
    await execute(
        api.db_url,
        update(Notification)
        .where(Notification.id == nid)
        .values(status="fallback_sent", channel="sms", reason="43004 unsubscribed", attempts=1),
        insert(NotificationEvent).values(
            notification_id=nid,
            at=at + timedelta(seconds=1),
            status="sending",
            channel="wechat",
            detail="template message",
            errcode=None,
        ),
        insert(NotificationEvent).values(
            notification_id=nid,
            at=at + timedelta(seconds=2),
            status="fallback_sent",
            channel="sms",
            detail="verdict 43004",
            errcode=43004,
        ),
    )
    response = await api.client.get(f"{URL}/{nid}")
    assert response.status_code == 200
    status = response.json()
    assert (status["status"], status["channel"], status["reason"]) == (
        "fallback_sent",
        "sms",
        "43004 unsubscribed",
    )
    assert [h["status"] for h in status["history"]] == ["accepted", "sending", "fallback_sent"]
    assert status["history"][2]["errcode"] == 43004
    assert status["to"]["phone"] == "138****0001"
    assert status["to"]["customer_no"] == "C00000001"


async def test_no_number_is_stored_in_clear(api: ApiStack) -> None:
    phone = "13912345678"
    response = await api.client.post(
        URL, notification(to={"customer_no": "C00000001", "phone": phone})
    )
    assert response.status_code == 202
    nid = response.json()["id"]
    (row,) = await fetch_all(api.db_url, select(Notification).where(Notification.id == nid))
    stored = row[0]
    # Every column of the row, rendered: neither number appears in any of them.
    dump = repr({c.key: getattr(stored, c.key) for c in Notification.__table__.columns})
    assert phone not in dump
    assert "C00000001" not in dump
    assert SecretBox(SECRET_KEY).decrypt(stored.phone_enc) == phone


async def test_another_systems_notification_is_404(api: ApiStack) -> None:
    nid = (await api.client.post(URL, notification())).json()["id"]
    response = await api.client.as_system(*OTHER_SYSTEM).get(f"{URL}/{nid}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_batch_reports_each_item_and_accepts_the_valid_ones(api: ApiStack) -> None:
    alerts = await subscribe(api.bus, DISPATCHER_ALERT)
    bulk = await subscribe(api.bus, DISPATCHER_BULK)
    items = [
        notification(idempotency_key="b-0"),
        notification(to={}),
        notification(event_type="unknown"),
        notification(idempotency_key="b-3", to={"customer_no": "C00000002"}),
        notification(idempotency_key="b-3", to={"customer_no": "C00000002"}),
        notification(priority="bulk", to={"customer_no": "C00000003"}),
        "not an object",
    ]
    response = await api.client.post(BATCH, {"items": items})
    assert response.status_code == 200
    body = response.json()
    statuses = [(r["index"], r["status"]) for r in body["results"]]
    assert statuses == [
        (0, "accepted"),
        (1, "rejected"),
        (2, "rejected"),
        (3, "accepted"),
        (4, "duplicate"),
        (5, "accepted"),
        (6, "rejected"),
    ]
    results = body["results"]
    assert results[4]["id"] == results[3]["id"]
    assert results[1]["error"]["code"] == "invalid_request"
    assert results[2]["error"]["code"] == "unknown_event_type"
    assert results[1]["id"] is None
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (3, 1, 3)
    assert await count_rows(api) == 3
    assert {m.message_id for m in await alerts.wait(2)} == {results[0]["id"], results[3]["id"]}
    assert [m.message_id for m in await bulk.wait(1)] == [results[5]["id"]]

    # The same batch sent again (a new request, signed at another time): keyed items are
    # duplicates, the unkeyed one is new.
    later = int(time.time()) + 1
    again = (await api.client.post(BATCH, {"items": items}, timestamp=later)).json()
    assert [r["status"] for r in again["results"]][:6] == [
        "duplicate",
        "rejected",
        "rejected",
        "duplicate",
        "duplicate",
        "accepted",
    ]
    assert again["results"][0]["id"] == results[0]["id"]
    assert await count_rows(api) == 4


async def test_batch_of_many_is_one_call(api: ApiStack) -> None:
    alerts = await subscribe(api.bus, DISPATCHER_ALERT)
    items = [notification(idempotency_key=f"many-{i}") for i in range(1000)]
    response = await api.client.post(BATCH, {"items": items})
    assert response.json()["accepted"] == 1000
    assert len(await alerts.wait(1000)) == 1000
    too_many = await api.client.post(BATCH, {"items": [*items, notification()]})
    assert too_many.status_code == 422
    assert too_many.json()["code"] == "batch_too_large"
    empty = await api.client.post(BATCH, {"items": []})
    assert empty.status_code == 422


async def test_openapi_documents_the_api(api: ApiStack) -> None:
    spec = (await api.client.http.get("/openapi.json")).json()
    post = spec["paths"][URL]["post"]
    assert post["summary"]
    headers = {p["name"] for p in post["parameters"] if p["in"] == "header"}
    assert headers == {"X-Wxhub-System", "X-Wxhub-Timestamp", "X-Wxhub-Signature"}
    assert {"200", "202", "401", "422", "503"} <= set(post["responses"])
    schemas = spec["components"]["schemas"]
    ref = schemas["NotificationBatch"]["properties"]["items"]["items"]["$ref"]
    assert ref.rsplit("/", 1)[-1] in schemas
    assert schemas["NotificationCreate"]["examples"]
    for path in (BATCH, f"{URL}/{{notification_id}}", "/api/v1/notification-jobs"):
        assert path in spec["paths"]


async def test_data_no_encoder_can_send_is_422_and_never_stored(api: ApiStack) -> None:
    # JSON may escape a lone UTF-16 surrogate; no UTF-8 encoder can send it on.
    body = json.dumps(notification(data={**BALANCE_DATA, "amount": "\ud800"})).encode()
    response = await api.client.send(
        "POST", URL, content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["loc"] == ["data", "amount"]
    assert "surrogate" in error["message"]
    assert await count_rows(api) == 0


async def test_a_data_value_over_its_limit_is_422_naming_the_field(api: ApiStack) -> None:
    huge = notification(data={**BALANCE_DATA, "amount": "9" * 1_000_000})
    response = await api.client.post(URL, huge)
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["errors"]] == [["data", "amount"]]
    many = {f"note{i}": "x" * 900 for i in range(12)}
    response = await api.client.post(URL, notification(data={**BALANCE_DATA, **many}))
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["errors"]] == [["data"]]
    assert await count_rows(api) == 0


async def test_a_replayed_signed_request_without_a_key_is_a_duplicate(api: ApiStack) -> None:
    alerts = await subscribe(api.bus, DISPATCHER_ALERT)
    body = json.dumps(notification()).encode()
    headers = {"content-type": "application/json"}
    sent_at = int(time.time())
    first = await api.client.send("POST", URL, content=body, headers=headers, timestamp=sent_at)
    replay = await api.client.send("POST", URL, content=body, headers=headers, timestamp=sent_at)
    assert first.status_code == 202
    assert replay.status_code == 200
    assert replay.json() == {"id": first.json()["id"], "status": "accepted", "duplicate": True}
    batch = json.dumps({"items": [notification(), notification()]}).encode()
    items = await api.client.send("POST", BATCH, content=batch, headers=headers, timestamp=sent_at)
    items_replay = await api.client.send(
        "POST", BATCH, content=batch, headers=headers, timestamp=sent_at
    )
    assert [r["status"] for r in items.json()["results"]] == ["accepted", "accepted"]
    assert [r["status"] for r in items_replay.json()["results"]] == ["duplicate", "duplicate"]
    assert await count_rows(api) == 3
    assert len(await alerts.wait(3)) == 3
