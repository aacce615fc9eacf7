"""The simulator's callbacks are built, signed and encrypted as WeChat's servers do."""

from __future__ import annotations

from libs.common.wechat import MessageCrypto, build_xml, parse_message, parse_xml
from libs.common.wechat.signature import check_signature
from services.admin_api.simulator import Action, CallbackSigner, allowed, message_xml
from wxhub.demo.account import DEMO


def _signer() -> CallbackSigner:
    return CallbackSigner(DEMO.token, DEMO.appid, DEMO.original_id, DEMO.encoding_aes_key)


def test_each_action_parses_as_the_message_wechat_would_send() -> None:
    cases = {
        Action("text", "oSim", content="基金 000001"): ("text", {"Content": "基金 000001"}),
        Action("location", "oSim", latitude=31.23, longitude=121.47, label="外滩"): (
            "location",
            {"Location_X": "31.23", "Location_Y": "121.47", "Label": "外滩"},
        ),
        Action("image", "oSim", pic_url="http://x/p.jpg"): ("image", {"PicUrl": "http://x/p.jpg"}),
        Action("click", "oSim", key="NAV"): ("event", {"Event": "CLICK", "EventKey": "NAV"}),
        Action("view", "oSim", url="https://a.b"): ("event", {"Event": "VIEW"}),
        Action("subscribe", "oSim"): ("event", {"Event": "subscribe"}),
        Action("unsubscribe", "oSim"): ("event", {"Event": "unsubscribe"}),
    }
    for action, (msg_type, expected) in cases.items():
        fields = parse_xml(message_xml(action, DEMO.original_id, now=1_700_000_000, msg_id=7))
        assert fields["MsgType"] == msg_type
        assert fields["FromUserName"] == "oSim"
        assert fields["ToUserName"] == DEMO.original_id
        assert {k: str(fields[k]) for k in expected} == expected
        assert parse_message(fields) is not None


def test_plaintext_callback_carries_a_valid_signature() -> None:
    signed = _signer().sign(b"<xml/>", encrypt=False)
    p = signed.params
    assert check_signature(DEMO.token, p["signature"], p["timestamp"], p["nonce"])
    assert signed.body == b"<xml/>"
    assert not signed.encrypted


def test_encrypted_callback_opens_with_the_account_key() -> None:
    xml = message_xml(Action("text", "oSim", content="帮助"), DEMO.original_id, now=1, msg_id=1)
    signed = _signer().sign(xml, encrypt=True)
    envelope = parse_xml(signed.body)
    crypto = MessageCrypto(DEMO.token, [DEMO.encoding_aes_key], DEMO.appid)
    opened = crypto.decrypt(
        envelope["Encrypt"],
        msg_signature=signed.params["msg_signature"],
        timestamp=signed.params["timestamp"],
        nonce=signed.params["nonce"],
    )
    assert opened.xml == xml


def test_encrypted_reply_is_opened_and_empty_answers_mean_no_reply() -> None:
    crypto = MessageCrypto(DEMO.token, [DEMO.encoding_aes_key], DEMO.appid)
    reply = build_xml({"MsgType": "text", "Content": "您好"})
    envelope = crypto.encrypt_reply(reply, timestamp="1700000000", nonce="42")
    assert (_signer().open_reply(envelope, encrypted=True) or {}).get("Content") == "您好"
    assert (_signer().open_reply(reply, encrypted=False) or {}).get("Content") == "您好"
    assert _signer().open_reply(b"success", encrypted=True) is None
    assert _signer().open_reply(b"", encrypted=False) is None


def test_production_allows_only_the_listed_test_accounts() -> None:
    assert allowed("dev", (), "demo")
    assert allowed("test", (), "demo")
    assert not allowed("prod", (), "demo")
    assert not allowed("prod", ("sandbox",), "demo")
    assert allowed("prod", ("sandbox", "demo"), "demo")
