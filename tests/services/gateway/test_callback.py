"""The WeChat callback endpoint end to end (in-process): verification, answers, AES, bad input."""

from __future__ import annotations

import asyncio
import itertools
import time

import httpx
import pytest
from sqlalchemy import select

from libs.common.bus import (
    DISPATCHER_ALERT,
    ENGINE_INBOUND,
    INBOUND,
    Delivery,
    Queue,
    Topology,
    typed_handler,
)
from libs.common.db.models import Customer
from libs.common.schemas.inbound import InboundReceived
from libs.common.schemas.outbound import OutboundRequested
from libs.common.wechat import MessageCrypto, build_xml
from libs.common.wechat.signature import compute_signature
from sandboxes.server import RunningServer
from tests.polling import eventually
from tests.services.support import InboundStack
from wxhub.demo.account import DEMO

_ids = itertools.count(6_000_000_000_000_000_000)


def msg_id() -> int:
    return next(_ids)


async def test_url_verification_echoes_only_with_right_signature(stack: InboundStack) -> None:
    ts, nonce = str(int(time.time())), "12345"
    good = compute_signature(DEMO.token, ts, nonce)
    params = {"signature": good, "timestamp": ts, "nonce": nonce, "echostr": "4375120948345356249"}
    ok = await stack.client.get("/wechat/demo", params=params)
    assert ok.status_code == 200
    assert ok.text == "4375120948345356249"

    bad = await stack.client.get("/wechat/demo", params={**params, "signature": "0" * 40})
    assert bad.status_code == 403
    assert "4375120948345356249" not in bad.text


@pytest.mark.parametrize("encrypt", [False, True], ids=["plaintext", "aes"])
async def test_fund_nav_command_answers_with_nav_and_date(
    stack: InboundStack, encrypt: bool
) -> None:
    response = await stack.post(
        stack.pusher.text("oUser1", "基金 000001", msg_id=msg_id()), encrypt=encrypt
    )
    fields = stack.reply_fields(response, encrypted=encrypt)
    assert fields["MsgType"] == "text"
    assert fields["ToUserName"] == "oUser1"
    assert fields["FromUserName"] == DEMO.original_id
    assert "000001" in fields["Content"]
    assert "单位净值" in fields["Content"]
    assert "净值日期" in fields["Content"]


async def test_aes_request_gets_aes_reply(stack: InboundStack) -> None:
    response = await stack.post(stack.pusher.text("oUser1", "汇率", msg_id=msg_id()), encrypt=True)
    assert b"<Encrypt>" in response.content
    assert b"MsgSignature" in response.content
    assert "外汇牌价" in stack.reply_fields(response, encrypted=True)["Content"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("JZ 000001", "单位净值"),
        ("jz000001", "单位净值"),
        ("000001", "单位净值"),
        ("汇率", "外汇牌价"),
        ("黄金", "黄金行情"),
        ("利率", "七日年化"),
        ("收益", "存款利率参考"),
        ("优惠", "最新优惠"),
        ("基金 999999", "未找到"),
        ("基金", "例如"),
    ],
)
async def test_configured_commands(stack: InboundStack, text: str, expected: str) -> None:
    response = await stack.post(stack.pusher.text("oUser2", text, msg_id=msg_id()))
    assert expected in stack.reply_fields(response)["Content"]


@pytest.mark.parametrize("text", ["帮助", "help", "随便说点什么"])
async def test_help_and_unknown_text_list_the_commands(stack: InboundStack, text: str) -> None:
    response = await stack.post(stack.pusher.text("oUser3", text, msg_id=msg_id()))
    content = stack.reply_fields(response)["Content"]
    for example in ("基金 000001", "汇率", "黄金", "收益", "优惠"):
        assert example in content


async def test_menu_click_runs_the_same_handler_as_the_command(stack: InboundStack) -> None:
    click = stack.pusher.event("oUser4", "CLICK", EventKey="MARKET_GOLD")
    assert "黄金行情" in stack.reply_fields(await stack.post(click))["Content"]
    unknown = stack.pusher.event("oUser4", "CLICK", EventKey="NO_SUCH_KEY", create_time=1)
    response = await stack.post(unknown)
    assert response.text == "success"


async def test_location_message_lists_nearest_branches_in_one_article(stack: InboundStack) -> None:
    xml = stack.pusher.location("oUser5", 31.2390, 121.4990, msg_id=msg_id())
    fields = stack.reply_fields(await stack.post(xml))
    assert fields["MsgType"] == "news"
    assert fields["ArticleCount"] == "1"
    article = fields["Articles"]["item"]
    article = article[0] if isinstance(article, list) else article
    assert "陆家嘴" in article["Title"]
    lines = article["Description"].splitlines()
    assert len(lines) >= 3
    # Nearest first: the distances printed are non-decreasing.
    assert "米" in lines[0]


async def test_location_event_lists_several_articles_nearest_first(stack: InboundStack) -> None:
    xml = stack.pusher.event(
        "oUser6", "LOCATION", Latitude=31.2390, Longitude=121.4990, Precision=50
    )
    fields = stack.reply_fields(await stack.post(xml))
    assert fields["MsgType"] == "news"
    items = fields["Articles"]["item"]
    assert int(fields["ArticleCount"]) == len(items) > 1
    assert "北京" not in " ".join(i["Title"] for i in items)


async def test_location_with_nothing_near_gets_a_clear_text(stack: InboundStack) -> None:
    xml = stack.pusher.location("oUser7", 22.54, 114.06, msg_id=msg_id())
    assert "暂无" in stack.reply_fields(await stack.post(xml))["Content"]


async def test_subscribe_welcomes_and_unsubscribe_is_recorded(stack: InboundStack) -> None:
    subscribe = stack.pusher.event(
        "oFollower", "subscribe", EventKey="qrscene_branch42", Ticket="T"
    )
    fields = stack.reply_fields(await stack.post(subscribe))
    assert "欢迎关注" in fields["Content"]
    async with stack.resources.sessions() as session:
        customer = await session.scalar(select(Customer).where(Customer.openid == "oFollower"))
    assert customer is not None
    assert customer.subscribed
    assert customer.subscribe_scene == "branch42"

    unsubscribe = stack.pusher.event("oFollower", "unsubscribe", create_time=int(time.time()) + 1)
    assert (await stack.post(unsubscribe)).text == "success"
    async with stack.resources.sessions() as session:
        customer = await session.scalar(select(Customer).where(Customer.openid == "oFollower"))
    assert customer is not None
    assert not customer.subscribed
    assert customer.unsubscribed_at is not None


@pytest.mark.parametrize(
    "xml_fields",
    [
        {"MsgType": "image", "PicUrl": "http://x/y.jpg", "MediaId": "m1", "MsgId": 11},
        {"MsgType": "event", "Event": "VIEW", "EventKey": "https://example.com"},
        {
            "MsgType": "event",
            "Event": "TEMPLATESENDJOBFINISH",
            "MsgID": 200228332,
            "Status": "success",
        },
        {"MsgType": "shiny_new_type", "MsgId": 12},
    ],
    ids=["image", "view", "template-finish", "unknown"],
)
async def test_types_without_an_answer_get_success(
    stack: InboundStack, xml_fields: dict[str, object]
) -> None:
    xml = build_xml(
        {
            "ToUserName": DEMO.original_id,
            "FromUserName": "oUser8",
            "CreateTime": int(time.time()),
            **xml_fields,
        }
    )
    response = await stack.post(xml)
    assert response.status_code == 200
    assert response.text == "success"


async def test_retry_gets_the_first_reply_and_is_handled_once(stack: InboundStack) -> None:
    xml = stack.pusher.text("oUser9", "黄金", msg_id=msg_id())
    first = await stack.post(xml)
    retry = await stack.post(xml, nonce="999")
    assert stack.reply_fields(first)["Content"] == stack.reply_fields(retry)["Content"]
    from services.engine.metrics import MESSAGES

    handled = MESSAGES.labels(DEMO.code, "text", "gold_price")._value.get()
    third = await stack.post(xml, nonce="1000")
    assert stack.reply_fields(third)["Content"] == stack.reply_fields(first)["Content"]
    assert MESSAGES.labels(DEMO.code, "text", "gold_price")._value.get() == handled


async def slow_rates_and_collect_alerts(
    stack: InboundStack, core_sandbox: RunningServer, *, latency_ms: int
) -> list[OutboundRequested]:
    """Delay the core's next FX-rate answer by ``latency_ms``; the list fills with what reaches
    the dispatcher's alert queue (a late reply, say)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{core_sandbox.port}") as core:
        fault = {"path": "/v1/fx/rates", "latency_ms": latency_ms, "count": 1}
        assert (await core.post("/__sandbox__/faults", json=fault)).status_code < 300
    received: list[OutboundRequested] = []

    async def collect(delivery: Delivery) -> None:
        received.append(OutboundRequested.from_bytes(delivery.message.body))
        await delivery.ack()

    await stack.bus.consume(DISPATCHER_ALERT, collect)
    return received


async def test_late_answer_goes_out_once_as_customer_service_message(
    make_stack, core_sandbox
) -> None:
    stack = await make_stack(reply_deadline_s=0.3, core_timeout_s=5.0)
    received = await slow_rates_and_collect_alerts(stack, core_sandbox, latency_ms=800)
    xml = stack.pusher.text("oLate", "汇率", msg_id=msg_id())
    response = await stack.post(xml)
    assert response.text == "success"
    retry = await stack.post(xml, nonce="2")
    assert retry.text == "success"
    await eventually(lambda: received, what="the late reply")
    await asyncio.sleep(0.2)  # time for a wrong second one to show
    assert len(received) == 1
    late = received[0]
    assert late.origin == "late_reply"
    assert late.openid == "oLate"
    assert late.custom_message is not None
    assert "外汇牌价" in late.custom_message["text"]["content"]


async def test_answer_after_the_ledger_forgot_the_callback_still_goes_out(
    make_stack, core_sandbox
) -> None:
    # The engine answers after the ledger entry's TTL: the callback got ``success`` long ago.
    stack = await make_stack(reply_deadline_s=0.2, core_timeout_s=5.0, ledger_ttl_s=0.5)
    received = await slow_rates_and_collect_alerts(stack, core_sandbox, latency_ms=1500)
    response = await stack.post(stack.pusher.text("oAway", "汇率", msg_id=msg_id()))
    assert response.text == "success"
    await eventually(lambda: received, timeout=5.0, what="the late reply")
    (late,) = received
    assert (late.origin, late.openid) == ("late_reply", "oAway")
    assert late.custom_message is not None
    assert "外汇牌价" in late.custom_message["text"]["content"]


async def test_bad_input_is_rejected_and_never_published(stack: InboundStack) -> None:
    # A probe queue sees everything published on wx.inbound: rejected input must never get there.
    await stack.bus.declare(Topology(queues=[Queue("test.inbound_probe", [(INBOUND, "#")])]))
    published: list[bytes] = []

    async def probe(delivery) -> None:
        published.append(delivery.message.body)
        await delivery.ack()

    await stack.bus.consume("test.inbound_probe", probe)
    xml = stack.pusher.text("oBad", "帮助", msg_id=msg_id())
    params, body = stack.pusher.sign(xml)

    async def post(path: str = "/wechat/demo", **kwargs):
        return await stack.client.post(
            path, params=kwargs.pop("params", params), content=kwargs.pop("content", body)
        )

    assert (await post(params={**params, "signature": "f" * 40})).status_code == 403
    assert (
        await post(params={k: v for k, v in params.items() if k != "signature"})
    ).status_code == 403
    assert (await post(path="/wechat/nobody")).status_code == 404
    stale = stack.pusher.sign(xml, timestamp=int(time.time()) - 3600)
    assert (await post(params=stale[0], content=stale[1])).status_code == 403
    big = stack.pusher.sign(b"<xml>" + b"a" * 1_100_000 + b"</xml>")
    assert (await post(params=big[0], content=big[1])).status_code == 413
    broken = stack.pusher.sign(b"<xml><ToUserName>")
    assert (await post(params=broken[0], content=broken[1])).status_code == 400
    dtd = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>'
    hostile = stack.pusher.sign(dtd)
    response = await post(params=hostile[0], content=hostile[1])
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_xml"
    undecodable = stack.pusher.sign(b'<?xml version="1.0" encoding="GBK"?><xml><a>\x81</a></xml>')
    response = await post(params=undecodable[0], content=undecodable[1])
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_xml"
    good = await post()  # the same request, correctly signed, does reach the bus
    assert good.status_code == 200
    await asyncio.sleep(0.05)
    assert len(published) == 1


async def test_appid_mismatch_after_decryption_is_forbidden(stack: InboundStack) -> None:
    other = MessageCrypto(DEMO.token, [DEMO.encoding_aes_key], "wx0000000000000000")
    xml = stack.pusher.text("oUserX", "帮助", msg_id=msg_id())
    ts, nonce = str(int(time.time())), "42"
    encrypt = other.encrypt(xml)
    params = {
        "signature": compute_signature(DEMO.token, ts, nonce),
        "timestamp": ts,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": compute_signature(DEMO.token, ts, nonce, encrypt),
    }
    body = build_xml({"ToUserName": DEMO.original_id, "Encrypt": encrypt})
    response = await stack.client.post("/wechat/demo", params=params, content=body)
    assert response.status_code == 403
    assert response.json()["code"] == "appid_mismatch"


async def test_callback_taken_while_the_bus_is_down_is_answered_once_it_is_back(
    stack: InboundStack,
) -> None:
    # RabbitMQ restarting: the callback is answered ``success`` (WeChat will not send it again),
    # kept, and published once the bus is back; the engine then answers it as a late reply.
    await stack.bus.close()
    xml = stack.pusher.text("oBusDown", "帮助", msg_id=msg_id())
    response = await stack.post(xml)
    assert response.status_code == 200
    assert response.text == "success"
    assert len(stack.gateway.callbacks.backlog) == 1
    # WeChat's own retry of the same message (had it come) adds nothing.
    assert (await stack.post(xml, nonce="7")).text == "success"
    assert len(stack.gateway.callbacks.backlog) == 1

    await stack.bus.connect()
    received: list[OutboundRequested] = []

    async def collect(delivery) -> None:
        received.append(OutboundRequested.from_bytes(delivery.message.body))
        await delivery.ack()

    await stack.bus.consume(DISPATCHER_ALERT, collect)
    # The engine's consumer went with the closed connection; it consumes again, as on reconnect.
    await stack.bus.consume(ENGINE_INBOUND, typed_handler(InboundReceived, stack.engine.handler))
    await eventually(lambda: received, timeout=5.0, what="the late reply")
    await asyncio.sleep(0.2)  # time for a wrong second one to show
    (late,) = received
    assert (late.origin, late.openid) == ("late_reply", "oBusDown")
    assert len(stack.gateway.callbacks.backlog) == 0


async def test_callback_declared_in_gbk_is_answered(stack: InboundStack) -> None:
    xml = stack.pusher.text("oGbk", "帮助", msg_id=msg_id()).decode()
    gbk = ('<?xml version="1.0" encoding="GBK"?>' + xml).encode("gbk")
    params, body = stack.pusher.sign(gbk)
    response = await stack.client.post("/wechat/demo", params=params, content=body)
    assert response.status_code == 200
    assert "基金" in response.text
