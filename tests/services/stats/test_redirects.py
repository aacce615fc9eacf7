"""Short links on the stats service: a signed, registered code redirects and is counted as a
click (stored, rolled up, reported); anything else is a 404 page and never a redirect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from libs.common.bus import EVENTS, Delivery, MemoryBus, Queue, Topology, default_topology
from libs.common.callback_ledger import MemoryCallbackLedger
from libs.common.db.models import Account
from libs.common.resources import open_resources
from libs.common.schemas.events import LinkClicked
from libs.common.secret_box import SecretBox
from libs.common.short_links import LinkTracker, ShortLinkSigner
from libs.common.stats_reports import ReportQuery, clicks
from services.stats.app import StatsService
from services.stats.settings import StatsSettings
from tests.polling import eventually
from tests.services.support import SECRET_KEY
from wxhub.demo.account import DEMO, seed_demo

BASE = "http://stats.test"
TARGET = "https://fund.example.com/report?id=7&lang=zh"


@dataclass
class Presentation:
    service: StatsService
    http: httpx.AsyncClient
    tracker: LinkTracker
    account_id: int
    clicks: list[LinkClicked]


@pytest.fixture
async def presentation(store_db: str) -> AsyncIterator[Presentation]:
    bus = MemoryBus()
    await bus.connect()
    await bus.declare(default_topology())
    await bus.declare(Topology(queues=[Queue("test.clicks", [(EVENTS, "click")])]))
    settings = StatsSettings(
        database_url=store_db,
        secret_key=SECRET_KEY,
        heartbeat_interval_s=3600,
        stats_public_url=BASE,
    )
    resources = await open_resources(settings, bus=bus, ledger=MemoryCallbackLedger())
    async with resources.sessions.begin() as session:
        await seed_demo(session, SecretBox(SECRET_KEY))
        account = await session.scalar(select(Account).where(Account.code == DEMO.code))
        assert account is not None
        account_id = account.id
    seen: list[LinkClicked] = []

    async def capture(delivery: Delivery) -> None:
        seen.append(LinkClicked.from_bytes(delivery.message.body))
        await delivery.ack()

    await bus.consume("test.clicks", capture)
    service = StatsService(settings, resources)
    await service.start()
    signer = ShortLinkSigner(SECRET_KEY)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service.app), base_url=BASE
    ) as http:
        yield Presentation(service, http, LinkTracker(signer, BASE), account_id, seen)
    await service.stop()
    await resources.close()
    await bus.close()


async def _short(p: Presentation, url: str = TARGET) -> str:
    async with p.service.resources.sessions.begin() as session:
        return await p.tracker.shorten(
            session, url, account_id=p.account_id, notification_id="n" * 32, openid="oClicker"
        )


async def test_a_short_link_redirects_to_its_target_and_counts_a_click(
    presentation: Presentation,
) -> None:
    short = await _short(presentation)
    assert short.startswith(f"{BASE}/r/")
    # An extra query parameter cannot steer the redirect anywhere else.
    answer = await presentation.http.get(short + "?url=https://evil.example")
    assert answer.status_code == 302
    assert answer.headers["location"] == TARGET
    assert answer.headers["cache-control"] == "no-store"
    [click] = await eventually(lambda: presentation.clicks, what="click event")
    assert (click.account, click.url, click.source) == (DEMO.code, TARGET, "short_link")
    assert (click.openid, click.notification_id) == ("oClicker", "n" * 32)

    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    query = ReportQuery(today, today + timedelta(days=1), accounts=None)

    async def reported() -> list[dict[str, object]]:
        async with presentation.service.resources.sessions() as session:
            return (await clicks(session, query)).rows

    rows = await eventually(reported, what="click in the report")
    assert rows == [
        {
            "account": DEMO.code,
            "source": "short_link",
            "target": f"notification:{'n' * 32}",
            "count": 1,
        }
    ]


async def test_the_same_link_in_the_same_message_is_registered_once(
    presentation: Presentation,
) -> None:
    assert await _short(presentation) == await _short(presentation)
    assert await _short(presentation, TARGET + "&x=1") != await _short(presentation)


@pytest.mark.parametrize("mangle", ["forged", "altered", "unknown", "short", "long", "nested"])
async def test_anything_but_a_genuine_registered_code_is_a_404_page(
    presentation: Presentation, mangle: str
) -> None:
    code = (await _short(presentation)).rsplit("/", 1)[1]
    signer = ShortLinkSigner(SECRET_KEY)
    bad = {
        "forged": ShortLinkSigner("another-secret").code(1),
        "altered": code[:-1] + ("A" if code[-1] != "A" else "B"),
        "unknown": signer.code(987_654),
        "short": "abc",
        "long": code * 4,
        "nested": f"{code}/more",
    }[mangle]
    answer = await presentation.http.get(f"/r/{bad}")
    assert answer.status_code == 404
    assert "location" not in answer.headers
    assert answer.headers["content-type"].startswith("text/html")
    assert "链接无效" in answer.text
    assert presentation.clicks == []


async def test_a_menu_buttons_short_link_counts_as_a_menu_click(
    presentation: Presentation,
) -> None:
    async with presentation.service.resources.sessions.begin() as session:
        [button] = await presentation.tracker.rewrite_menu(
            session,
            [{"name": "官网", "type": "view", "url": TARGET}],
            account_id=presentation.account_id,
        )
    answer = await presentation.http.get(button["url"])
    assert (answer.status_code, answer.headers["location"]) == (302, TARGET)
    [click] = await eventually(lambda: presentation.clicks, what="click event")
    assert (click.source, click.url, click.channel) == ("menu", TARGET, "menu")
