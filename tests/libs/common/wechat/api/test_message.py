from __future__ import annotations

import httpx
import pytest

from libs.common.wechat.api.message import MessageApi
from libs.common.wechat.client import WeChatClient
from libs.common.wechat.errors import WeChatApiError, WeChatTransportError
from libs.common.wechat.replies import TextReply
from tests.libs.common.wechat.support import CountingTokens, FakeWeChatApi


@pytest.fixture
def api(wechat_api: FakeWeChatApi, http: httpx.AsyncClient) -> MessageApi:
    return MessageApi(WeChatClient(http, base_url=wechat_api.base_url, tokens=CountingTokens("t")))


async def test_send_custom_posts_the_reply_payload(
    api: MessageApi, wechat_api: FakeWeChatApi
) -> None:
    await api.send_custom("oUser1", TextReply("您的基金已到账").to_custom_message("ignored"))
    [request] = wechat_api.requests
    assert request.path == "/cgi-bin/message/custom/send"
    assert request.json() == {
        "touser": "oUser1",
        "msgtype": "text",
        "text": {"content": "您的基金已到账"},
    }


async def test_send_template_returns_msgid_and_omits_unset_fields(
    api: MessageApi, wechat_api: FakeWeChatApi
) -> None:
    wechat_api.script(
        "/cgi-bin/message/template/send", (200, {"errcode": 0, "errmsg": "ok", "msgid": 200228332})
    )
    data = {"amount2": {"value": "¥100.00"}}
    msgid = await api.send_template("oUser1", "TPL", data, client_msg_id="EVT-1")
    assert msgid == 200228332
    assert wechat_api.requests[0].json() == {
        "touser": "oUser1",
        "template_id": "TPL",
        "data": data,
        "client_msg_id": "EVT-1",
    }


async def test_send_template_with_url(api: MessageApi, wechat_api: FakeWeChatApi) -> None:
    wechat_api.script("/cgi-bin/message/template/send", (200, {"errcode": 0, "msgid": 1}))
    await api.send_template("o", "TPL", {}, url="https://x")
    assert wechat_api.requests[0].json()["url"] == "https://x"


async def test_send_template_without_msgid_is_an_error(
    api: MessageApi, wechat_api: FakeWeChatApi
) -> None:
    with pytest.raises(WeChatTransportError):
        await api.send_template("o", "TPL", {})


async def test_send_template_refused_by_user(api: MessageApi, wechat_api: FakeWeChatApi) -> None:
    wechat_api.script(
        "/cgi-bin/message/template/send", (200, {"errcode": 43101, "errmsg": "user refuse"})
    )
    with pytest.raises(WeChatApiError) as caught:
        await api.send_template("o", "TPL", {})
    assert caught.value.errcode == 43101


async def test_mass_send_by_openids(api: MessageApi, wechat_api: FakeWeChatApi) -> None:
    wechat_api.script(
        "/cgi-bin/message/mass/send", (200, {"errcode": 0, "msg_id": 34182, "msg_data_id": 206})
    )
    answer = await api.mass_send(["o1", "o2"], "text", {"content": "hi"}, "CAMPAIGN-1")
    assert answer["msg_id"] == 34182
    assert wechat_api.requests[0].json() == {
        "touser": ["o1", "o2"],
        "msgtype": "text",
        "text": {"content": "hi"},
        "send_ignore_reprint": 0,
        "clientmsgid": "CAMPAIGN-1",
    }


async def test_mass_send_needs_two_to_ten_thousand_recipients(api: MessageApi) -> None:
    with pytest.raises(ValueError, match="2 to 10,000"):
        await api.mass_send(["o1"], "text", {"content": "hi"}, "C")


async def test_mass_sendall_by_tag_and_to_all(api: MessageApi, wechat_api: FakeWeChatApi) -> None:
    await api.mass_sendall(2, "mpnews", {"media_id": "m"}, "C1", send_ignore_reprint=1)
    await api.mass_sendall(None, "text", {"content": "x"}, "C2")
    by_tag, to_all = (r.json() for r in wechat_api.requests)
    assert by_tag == {
        "filter": {"is_to_all": False, "tag_id": 2},
        "msgtype": "mpnews",
        "mpnews": {"media_id": "m"},
        "send_ignore_reprint": 1,
        "clientmsgid": "C1",
    }
    assert to_all["filter"] == {"is_to_all": True}
    assert wechat_api.requests[0].path == "/cgi-bin/message/mass/sendall"
