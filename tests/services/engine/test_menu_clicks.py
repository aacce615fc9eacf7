"""VIEW menu buttons: the URL WeChat reports becomes one ``click`` event per tap."""

from __future__ import annotations

import time

from libs.common.bus import EVENTS, Delivery, Queue, Topology
from libs.common.schemas.events import LinkClicked
from libs.common.short_links import ROUTE_PREFIX
from tests.polling import eventually
from tests.services.support import InboundStack
from wxhub.demo.account import DEMO

URL = "https://fund.example.com/menu/nav"


async def test_a_view_tap_is_published_once_as_a_click(stack: InboundStack) -> None:
    clicks: list[LinkClicked] = []

    async def capture(delivery: Delivery) -> None:
        clicks.append(LinkClicked.from_bytes(delivery.message.body))
        await delivery.ack()

    await stack.bus.declare(Topology(queues=[Queue("test.clicks", [(EVENTS, "click")])]))
    await stack.bus.consume("test.clicks", capture)
    xml = stack.pusher.event(
        "oMenuUser", "VIEW", create_time=int(time.time()), EventKey=URL, MenuId="401"
    )
    assert (await stack.post(xml)).text == "success"
    # WeChat's retry of the same tap (another nonce) is not a second click.
    assert (await stack.post(xml, nonce="424242")).text == "success"
    [click] = await eventually(lambda: clicks, what="the click")
    assert (click.account, click.url, click.source) == (DEMO.code, URL, "menu")
    assert (click.openid, click.menu_id) == ("oMenuUser", "401")
    assert click.link_id is None


async def test_a_view_button_that_is_our_short_link_is_left_to_its_redirect(
    stack: InboundStack,
) -> None:
    clicks: list[LinkClicked] = []

    async def capture(delivery: Delivery) -> None:
        clicks.append(LinkClicked.from_bytes(delivery.message.body))
        await delivery.ack()

    await stack.bus.declare(Topology(queues=[Queue("test.clicks", [(EVENTS, "click")])]))
    await stack.bus.consume("test.clicks", capture)
    # The account tracks clicks: its VIEW button is a short link, counted when it redirects.
    short = stack.engine.settings.short_link_base + ROUTE_PREFIX + "AbCdEf"
    tracked = stack.pusher.event(
        "oMenuUser", "VIEW", create_time=int(time.time()), EventKey=short, MenuId="402"
    )
    plain = stack.pusher.event(
        "oMenuUser", "VIEW", create_time=int(time.time()) + 1, EventKey=URL, MenuId="402"
    )
    for xml in (tracked, plain):
        assert (await stack.post(xml)).text == "success"
    await eventually(lambda: clicks, what="the plain button's click")
    assert [click.url for click in clicks] == [URL]
