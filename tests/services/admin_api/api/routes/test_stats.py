"""Statistics reports: answered from the rollups the stats service writes, within data scope."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from libs.common.schemas.events import InboundHandled, InboundHandledBatch, WeChatJobFinished
from services.stats.store import EventStore
from services.stats.unpack import unpack
from tests.services.admin_api.support import AdminStack
from tests.services.stats.events import T0, delivered_batch, fallback_batch, inbound_batch

DAY = "since=2026-12-07T00:00:00Z&until=2026-12-08T00:00:00Z"


async def _seed(stack: AdminStack) -> None:
    engine = stack.sessions.kw["bind"]
    store = EventStore(engine, stack.sessions)
    messages = [
        ("delivery.delivered", delivered_batch(6, account="demo", latency_s=0.3)),
        ("delivery.delivered", delivered_batch(1, account="demo", latency_s=45)),
        ("delivery.fallback_sent", fallback_batch(2, account="demo")),
        ("delivery.delivered", delivered_batch(4, account="bj")),
        ("inbound.handled", inbound_batch(["text", "text", "event.subscribe"], account="demo")),
        ("inbound.handled", inbound_batch(["text"], account="bj")),
        # Outside the asked day: must not count.
        ("delivery.delivered", delivered_batch(9, account="demo", at=T0 + timedelta(days=1))),
    ]
    for key, batch in messages:
        await store.store(unpack(key, batch.to_bytes()).events)


async def test_outbound_by_account_channel_priority_and_outcome(stack: AdminStack) -> None:
    await _seed(stack)
    response = await stack.call("admin", "GET", f"/api/v1/stats/outbound?{DAY}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["grain"] == "day"
    rows = {
        (r["account"], r["channel"], r["priority"], r["outcome"]): r["count"] for r in body["rows"]
    }
    assert rows == {
        ("bj", "wechat_template", "alert", "delivered"): 4,
        ("demo", "sms", "marketing", "fallback_sent"): 2,
        ("demo", "wechat_template", "alert", "delivered"): 7,
    }


async def test_inbound_fallbacks_and_latency(stack: AdminStack) -> None:
    await _seed(stack)
    inbound = (await stack.call("admin", "GET", f"/api/v1/stats/inbound?{DAY}&account=demo")).json()
    assert {(r["kind"], r["count"]) for r in inbound["rows"]} == {
        ("text", 2),
        ("event.subscribe", 1),
    }
    fallbacks = (await stack.call("admin", "GET", f"/api/v1/stats/fallbacks?{DAY}")).json()
    assert [(r["reason"], r["errcode"], r["count"]) for r in fallbacks["rows"]] == [
        ("not_following", "43004", 2)
    ]
    latency = (await stack.call("admin", "GET", f"/api/v1/stats/latency?{DAY}&account=demo")).json()
    delivered = next(r for r in latency["rows"] if r["outcome"] == "delivered")
    # Six at 0.3 s, one at 45 s: the median is in the ≤ 500 ms bucket, p99 in the ≤ 60 s one.
    assert (delivered["count"], delivered["p50_ms"], delivered["p99_ms"]) == (7, 500, 60_000)


async def test_a_series_splits_by_hour_when_the_range_is_in_hours(stack: AdminStack) -> None:
    await _seed(stack)
    url = "/api/v1/stats/outbound?since=2026-12-07T08:00:00Z&until=2026-12-07T10:00:00Z&series=true"
    body = (await stack.call("admin", "GET", url)).json()
    assert body["grain"] == "hour"
    assert {r["bucket"] for r in body["rows"]} == {"2026-12-07T08:00:00Z"}


async def test_a_branch_user_sees_only_its_accounts(stack: AdminStack) -> None:
    await _seed(stack)
    body = (await stack.call("sh_super", "GET", f"/api/v1/stats/outbound?{DAY}")).json()
    assert {r["account"] for r in body["rows"]} == {"demo"}
    other = await stack.call("sh_super", "GET", f"/api/v1/stats/inbound?{DAY}&account=bj")
    assert other.status_code == 404


async def test_csv_export_of_a_report(stack: AdminStack) -> None:
    await _seed(stack)
    response = await stack.call("admin", "GET", f"/api/v1/stats/inbound?{DAY}&format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0] == ["account", "kind", "outcome", "count"]
    assert ["demo", "text", "answered", "2"] in rows


async def test_bad_ranges_are_refused(stack: AdminStack) -> None:
    backwards = "since=2026-12-08T00:00:00Z&until=2026-12-07T00:00:00Z"
    assert (
        await stack.call("admin", "GET", f"/api/v1/stats/inbound?{backwards}")
    ).status_code == 422
    minutes = "since=2026-11-01T00:01:00Z&until=2026-12-07T00:00:00Z"
    assert (await stack.call("admin", "GET", f"/api/v1/stats/inbound?{minutes}")).status_code == 422


async def test_the_organisation_filter_keeps_its_subtrees_accounts(stack: AdminStack) -> None:
    await _seed(stack)
    # "bj" is owned by the Beijing branch; "demo" (head office) is granted to both branches.
    url = f"/api/v1/stats/outbound?{DAY}&org_id="
    beijing = (await stack.call("admin", "GET", url + str(stack.ids["org_bj"]))).json()
    assert {r["account"] for r in beijing["rows"]} == {"bj", "demo"}
    shanghai = (await stack.call("admin", "GET", url + str(stack.ids["org_sh"]))).json()
    assert {r["account"] for r in shanghai["rows"]} == {"demo"}
    outside = await stack.call("sh_super", "GET", url + str(stack.ids["org_bj"]))
    assert outside.status_code == 404


async def test_advanced_reports_within_scope_and_as_csv(stack: AdminStack) -> None:
    engine = stack.sessions.kw["bind"]
    store = EventStore(engine, stack.sessions)
    follows = InboundHandledBatch(
        items=[
            InboundHandled(
                account=account,
                kind="event.subscribe",
                openid=f"o{i}",
                answer="welcome",
                outcome="answered",
                handle_ms=1.0,
                scene="branch_sh",
                occurred_at=T0,
            )
            for i, account in enumerate(["demo", "demo", "bj"])
        ]
    )
    [text] = inbound_batch(["text"], account="bj").items
    commands = InboundHandledBatch(items=[text.model_copy(update={"command": "fund_nav"})])
    mass = WeChatJobFinished(
        account="bj",
        openid="gh",
        kind="mass",
        msgid="1",
        status="send success",
        total_count=9,
        filter_count=8,
        sent_count=7,
        error_count=1,
        occurred_at=T0,
    )
    for key, message in [
        ("inbound.handled", follows),
        ("inbound.handled", commands),
        ("wechat.job_finished", mass),
    ]:
        await store.store(unpack(key, message.to_bytes()).events)

    growth = (await stack.call("sh_super", "GET", f"/api/v1/stats/follower_growth?{DAY}")).json()
    assert [(r["account"], r["scene"], r["subscribed"]) for r in growth["rows"]] == [
        ("demo", "branch_sh", 2)
    ]
    # The Beijing account's commands and mass sends are outside the Shanghai branch's scope.
    hidden = await stack.call("sh_super", "GET", f"/api/v1/stats/commands?{DAY}&account=bj")
    assert hidden.status_code == 404
    popular = (await stack.call("admin", "GET", f"/api/v1/stats/commands?{DAY}")).json()
    assert [(r["account"], r["command"], r["count"]) for r in popular["rows"]] == [
        ("bj", "fund_nav", 1)
    ]
    response = await stack.call("admin", "GET", f"/api/v1/stats/mass_reach?{DAY}&format=csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows == [
        ["day", "account", "jobs", "total", "filtered", "sent", "errors"],
        ["2026-12-07", "bj", "1", "9", "8", "7", "1"],
    ]
