"""Statistics reports: answered from the rollups the stats service writes, within data scope."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from libs.common.callback_ledger import MemoryCallbackLedger
from libs.common.cs import effects, workflow
from libs.common.db.models import AdminUser, CsSession, utcnow
from libs.common.resources import open_resources
from libs.common.schemas.events import (
    InboundHandled,
    InboundHandledBatch,
    LinkClicked,
    PublicationSent,
    WeChatJobFinished,
)
from libs.common.spreadsheet import XLSX_MEDIA_TYPE
from services.stats.app import StatsService
from services.stats.settings import StatsSettings
from services.stats.store import EventStore
from services.stats.unpack import unpack
from tests.libs.common.test_spreadsheet import read_xlsx
from tests.polling import eventually
from tests.services.admin_api.support import SECRET_KEY, AdminStack, follower_asks
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


@asynccontextmanager
async def _stats_service(stack: AdminStack) -> AsyncIterator[StatsService]:
    """The stats service on the stack's database and bus, as it runs beside the admin API."""
    settings = StatsSettings(
        database_url=stack.state.settings.database_url,
        secret_key=SECRET_KEY,
        heartbeat_interval_s=3600,
    )
    resources = await open_resources(settings, bus=stack.state.bus, ledger=MemoryCallbackLedger())
    service = StatsService(settings, resources)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()
        await resources.close()


async def test_customer_service_supervision_from_the_workflows_events(stack: AdminStack) -> None:
    async with stack.sessions.begin() as session:
        # A display name that a spreadsheet would take for a formula.
        await session.execute(
            update(AdminUser)
            .where(AdminUser.id == stack.ids["user_agent1"])
            .values(display_name="=客服小王")
        )
    async with _stats_service(stack):
        online = await stack.call(
            "agent1", "PUT", "/api/v1/cs/me/status", json={"status": "online"}
        )
        assert online.status_code == 200, online.text
        served = await follower_asks(stack, "oServed")
        reply = await stack.call(
            "agent1", "POST", f"/api/v1/cs/sessions/{served}/messages", json={"text": "您好"}
        )
        assert reply.status_code == 201, reply.text
        closed = await stack.call("agent1", "POST", f"/api/v1/cs/sessions/{served}/close")
        assert closed.status_code == 200, closed.text
        async with stack.sessions.begin() as session:
            row = await session.get(CsSession, served)
            assert row is not None
            rating = await workflow.rate(session, row, rating=4, now=utcnow())
        await effects.publish(stack.state.bus, rating)
        # The Beijing account's follower, served by the same agent.
        await follower_asks(stack, "oBeijing", account_id=stack.ids["bj_account"])

        # Yesterday and today (UTC): the events are of today, even if midnight just passed.
        today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        since, until = today - timedelta(days=1), today + timedelta(days=1)
        days = f"since={since:%Y-%m-%dT%H:%M:%SZ}&until={until:%Y-%m-%dT%H:%M:%SZ}"

        async def agents_report() -> dict[str, Any]:
            response = await stack.call("admin", "GET", f"/api/v1/stats/cs_agents?{days}")
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            done = sum(r["assigned"] for r in body["rows"]) == 2 and any(
                r["rated"] for r in body["rows"]
            )
            return body if done else {}

        body = await eventually(agents_report, what="the workflow's cs events in the report")
    agent = str(stack.ids["user_agent1"])
    rows = {(r["account"], r["agent"]): r for r in body["rows"]}
    assert set(rows) == {("demo", agent), ("demo", ""), ("bj", agent), ("bj", "")}
    mine = rows["demo", agent]
    assert (mine["agent_name"], mine["group"]) == ("=客服小王", "default")
    assert (mine["assigned"], mine["closed"], mine["abandoned"]) == (1, 1, 0)
    # Served at once and answered within seconds: the first buckets (≤ 5 s).
    assert (mine["wait_p50_s"], mine["first_response_p50_s"], mine["session_p90_s"]) == (5, 5, 5)
    assert (mine["rated"], mine["csat_avg"], mine["rating_4"]) == (1, 4.0, 1)
    assert mine["close_reasons"] == "agent=1"
    assert rows["demo", ""]["queued"] == 1
    # A Shanghai branch user sees only the accounts of its scope.
    branch = (await stack.call("sh_super", "GET", f"/api/v1/stats/cs_accounts?{days}")).json()
    assert [(r["account"], r["assigned"]) for r in branch["rows"]] == [("demo", 1)]
    hidden = await stack.call("sh_super", "GET", f"/api/v1/stats/cs_groups?{days}&account=bj")
    assert hidden.status_code == 404
    # CSV: the same rows, the formula-looking name neutralised.
    export = await stack.call("cs_lead", "GET", f"/api/v1/stats/cs_agents?{days}&format=csv")
    assert export.status_code == 200, export.text
    table = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    served_row = next(r for r in table if r["account"] == "demo" and r["agent"] == agent)
    assert served_row["agent_name"] == "'=客服小王"
    assert (served_row["csat_avg"], served_row["wait_p50_s"]) == ("4.0", "5")
    # Excel: the name as text (an inline string is never a formula), figures as numbers.
    workbook = await stack.call("cs_lead", "GET", f"/api/v1/stats/cs_agents?{days}&format=xlsx")
    assert workbook.headers["content-type"] == XLSX_MEDIA_TYPE
    assert workbook.headers["content-disposition"].endswith('.xlsx"')
    header, *cells = read_xlsx(workbook.content)
    names = [text for _, _, text in header]
    sheet = [dict(zip(names, row, strict=True)) for row in cells]
    mine_xlsx = next(r for r in sheet if r["account"][2] == "demo" and r["agent"][2] == agent)
    assert mine_xlsx["agent_name"] == (mine_xlsx["agent_name"][0], "inlineStr", "=客服小王")
    assert mine_xlsx["csat_avg"][1:] == (None, "4.0")


async def test_click_through_names_the_publication_and_exports(stack: AdminStack) -> None:
    created = await stack.call(
        "sh_editor",
        "POST",
        "/api/v1/publications",
        json={
            "account_id": stack.ids["demo_account"],
            "kind": "list",
            "title": "=本周净值",
            "text": "通知",
        },
    )
    assert created.status_code == 201, created.text
    pid = int(created.json()["id"])
    store = EventStore(stack.sessions.kw["bind"], stack.sessions)
    sent = PublicationSent(
        account="demo",
        publication_id=pid,
        notification_id="pub1m1",
        channel="wechat_mass",
        status="delivered",
        recipients=40,
        occurred_at=T0,
    )
    clicks = [
        LinkClicked(
            account="demo", url="https://x.example/", source="short_link", publication_id=pid
        ).model_copy(update={"occurred_at": T0})
        for _ in range(2)
    ]
    await store.store(unpack("publication.sent", sent.to_bytes()).events)
    for click in clicks:
        await store.store(unpack("click", click.to_bytes()).events)
    body = (await stack.call("admin", "GET", f"/api/v1/stats/click_through?{DAY}")).json()
    assert [(r["target"], r["title"], r["sent"], r["clicks"], r["ctr"]) for r in body["rows"]] == [
        (f"publication:{pid}", "=本周净值", 40, 2, 0.05)
    ]
    # The Beijing account's publications are not the Shanghai branch's to see.
    other = await stack.call("sh_super", "GET", f"/api/v1/stats/click_through?{DAY}&account=bj")
    assert other.status_code == 404
    export = await stack.call("admin", "GET", f"/api/v1/stats/click_through?{DAY}&format=csv")
    [row] = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert (row["title"], row["sent"], row["ctr"]) == ("'=本周净值", "40", "0.05")
