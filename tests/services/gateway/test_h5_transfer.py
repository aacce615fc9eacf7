"""Transfers (转账汇款, R-EN-9): chat answers with a signed link to /h5/transfer, which leads
into mobile banking (a setting); nothing is ever transferred from chat."""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import urlsplit

from libs.common.h5_links import H5LinkSigner
from tests.services.support import SECRET_KEY, InboundStack

_ids = itertools.count(7_700_000_000_000_000_000)
BASE = "https://wx.example.com"
BANKING = "https://m.bank.example.com/app/transfer?from=wechat"


async def _stack(make_stack: Any) -> InboundStack:
    stack: InboundStack = await make_stack(h5_base_url=BASE, mobile_banking_transfer_url=BANKING)
    return stack


async def test_transfer_words_link_into_mobile_banking(make_stack: Any) -> None:
    stack = await _stack(make_stack)
    for text in ("转账", "转账 1000 给张三", "汇款"):
        reply = await stack.post(stack.pusher.text("oTransfer", text, msg_id=next(_ids)))
        fields = stack.reply_fields(reply)
        assert fields["MsgType"] == "news", text
        article = fields["Articles"]["item"][0]
        assert "不办理转账" in article["Description"]
        url = urlsplit(article["Url"])
        assert f"{url.scheme}://{url.netloc}" == BASE
        assert url.path == "/h5/transfer"

    page = await stack.client.get(f"{url.path}?{url.query}")
    assert page.status_code == 200
    assert 'href="https://m.bank.example.com/app/transfer?from=wechat"' in page.text
    assert "公众号内不办理转账汇款" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"  # the link's token stays here
    assert "<script" not in page.text
    english = await stack.client.get(f"{url.path}?{url.query}&lang=en")
    assert "Open mobile banking" in english.text
    # There is nothing to submit.
    assert (await stack.client.post("/h5/transfer", data={"t": "x"})).status_code == 405


async def test_menu_key_answers_with_the_link(make_stack: Any) -> None:
    stack = await _stack(make_stack)
    xml = stack.pusher.event("oTransferMenu", "CLICK", EventKey="TRANSFER")
    fields = stack.reply_fields(await stack.post(xml))
    assert "/h5/transfer?t=" in fields["Articles"]["item"][0]["Url"]


async def test_forged_expired_or_foreign_links_are_refused(make_stack: Any) -> None:
    stack = await _stack(make_stack)
    forged = H5LinkSigner("not-our-key").issue("demo", "oTransfer", "transfer")
    page = await stack.client.get("/h5/transfer", params={"t": forged})
    assert page.status_code == 400
    assert "转账" in page.text
    assert BANKING not in page.text
    expired = H5LinkSigner(SECRET_KEY, ttl_s=-1).issue("demo", "oTransfer", "transfer")
    assert (await stack.client.get("/h5/transfer", params={"t": expired})).status_code == 410
    # A link to another page does not open this one.
    bind = H5LinkSigner(SECRET_KEY).issue("demo", "oTransfer", "bind")
    assert (await stack.client.get("/h5/transfer", params={"t": bind})).status_code == 400
    unknown = H5LinkSigner(SECRET_KEY).issue("nosuchaccount", "oTransfer", "transfer")
    assert (await stack.client.get("/h5/transfer", params={"t": unknown})).status_code == 400
