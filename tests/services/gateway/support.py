"""What the ``/h5/`` page tests share: the gateway's base URL, a follower's browser, the page a
chat command links to, and the code the SMS sandbox delivered."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from sandboxes import sms as sms_sandbox
from tests.services.support import InboundStack

BASE = "http://gateway"


def h5_browser(stack: InboundStack) -> httpx.AsyncClient:
    """A follower's browser on the stack's gateway (it keeps the pages' cookies)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=stack.gateway.app), base_url=BASE)


@dataclass(frozen=True, slots=True)
class LinkedPage:
    """A page opened through the link a chat command replied with."""

    path: str
    response: httpx.Response
    # The form's hidden fields: the signed link ``t`` and the ``csrf`` token.
    hidden: dict[str, str]


async def open_linked_page(
    stack: InboundStack, browser: httpx.AsyncClient, openid: str, command: str, *, msg_id: int
) -> LinkedPage:
    """``openid`` sends ``command`` in chat and opens the page its news reply links to."""
    chat = await stack.post(stack.pusher.text(openid, command, msg_id=msg_id))
    fields = stack.reply_fields(chat)
    assert fields["MsgType"] == "news", fields
    url = urlsplit(fields["Articles"]["item"][0]["Url"])
    page = await browser.get(f"{url.path}?{url.query}")
    hidden = dict(re.findall(r'name="(t|csrf)" value="([^"]*)"', page.text))
    return LinkedPage(url.path, page, hidden)


def code_sent(state: sms_sandbox.SmsState, phone: str) -> str:
    """The verification code in the last text the SMS sandbox delivered to ``phone``."""
    texts = [m.text for m in state.messages.values() if m.phone == phone]
    found = re.search(r"验证码 (\d{6})", texts[-1])
    assert found is not None, texts
    return found.group(1)
