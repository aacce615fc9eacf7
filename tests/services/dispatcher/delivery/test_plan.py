"""The channel plan comes from settings: a plug-in channel is tried first without any edit of
the delivery core, and the WeChat template still backs it up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandboxes.server import RunningServer, serve
from services.dispatcher.accounts import AccountDirectory
from services.dispatcher.channels import ChannelContext, load_channels
from services.dispatcher.settings import DEFAULT_CHANNELS, DispatcherSettings
from tests.services.dispatcher.support import (
    OPENID,
    Harness,
    Sandboxes,
    start_harness,
    stop_harness,
)


class OttApp:
    """A loopback stand-in for the other app's API: records messages, knows some users."""

    def __init__(self) -> None:
        self.users = {OPENID}
        self.received: list[dict[str, Any]] = []

    async def send(self, request: Request) -> JSONResponse:
        body = await request.json()
        if body["user"] not in self.users:
            return JSONResponse({"ok": False}, status_code=404)
        self.received.append(body)
        return JSONResponse({"ok": True})


@pytest.fixture
async def ott() -> AsyncIterator[tuple[OttApp, RunningServer]]:
    app = OttApp()
    server = await serve(
        Starlette(routes=[Route("/send", app.send, methods=["POST"])]), "127.0.0.1", 0
    )
    yield app, server
    await server.stop()


@pytest.fixture
async def ott_harness(
    db_url: str, boxes: Sandboxes, ott: tuple[OttApp, RunningServer]
) -> AsyncIterator[Harness]:
    started = await start_harness(
        db_url,
        boxes,
        channels={
            **DEFAULT_CHANNELS,
            "ott_demo": "tests.services.dispatcher.channels.ott_channel:build",
        },
        channel_plan=["ott_demo", "wechat_template"],
        channel_options={"ott_demo": {"url": f"{ott[1].url}/send"}},
    )
    yield started
    await stop_harness(started)


async def test_plug_in_channel_first_in_the_plan_delivers(
    ott_harness: Harness, ott: tuple[OttApp, RunningServer]
) -> None:
    nid = await ott_harness.notify()
    rows = await ott_harness.wait_terminal([nid])
    assert (rows[nid].status, rows[nid].channel) == ("delivered", "ott_demo")
    assert [m["message_id"] for m in ott[0].received] == [nid]
    assert ott[0].received[0]["text"].startswith("【资金变动提醒】您尾号1234")
    assert len(ott_harness.boxes.wx.deliveries) == 0


async def test_plan_moves_on_to_the_template_when_the_plug_in_cannot_reach_the_user(
    ott_harness: Harness, ott: tuple[OttApp, RunningServer]
) -> None:
    ott[0].users.clear()
    nid = await ott_harness.notify()
    rows = await ott_harness.wait_terminal([nid])
    assert (rows[nid].status, rows[nid].channel) == ("delivered", "wechat_template")
    assert [d.kind for d in ott_harness.boxes.wx.deliveries] == ["template"]


def test_a_plan_naming_an_unconfigured_channel_is_refused() -> None:
    settings = DispatcherSettings(channel_plan=["telegram", "wechat_template"], amqp_url=None)

    def no_http() -> httpx.AsyncClient:
        raise AssertionError("no channel is built from a refused plan")

    context = ChannelContext(settings, cast(AccountDirectory, None), no_http)
    with pytest.raises(ValueError, match="not configured"):
        load_channels(context)
