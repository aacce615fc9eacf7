from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from libs.common.wechat import messages as m
from libs.common.wechat.errors import MalformedXml
from libs.common.wechat.xml import parse_xml

HEAD = (
    "<ToUserName><![CDATA[gh_wxhubdemo0001]]></ToUserName>"
    "<FromUserName><![CDATA[oUser1]]></FromUserName><CreateTime>1700000000</CreateTime>"
)


def xml(body: str) -> bytes:
    return f"<xml>{HEAD}{body}</xml>".encode()


def event(name: str, body: str = "") -> bytes:
    return xml(f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{name}]]></Event>{body}")


def parse(body: bytes) -> m.InboundMessage:
    return m.message_from_xml(body)


CASES: list[tuple[bytes, type[m.InboundMessage], str, dict[str, Any]]] = [
    (
        xml("<MsgType>text</MsgType><Content><![CDATA[基金 净值]]></Content><MsgId>1001</MsgId>"),
        m.TextMessage,
        "text",
        {"content": "基金 净值", "msg_id": "1001"},
    ),
    (
        xml(
            "<MsgType>image</MsgType><PicUrl>http://p/1</PicUrl><MediaId>m1</MediaId><MsgId>2</MsgId>"
        ),
        m.ImageMessage,
        "image",
        {"pic_url": "http://p/1", "media_id": "m1"},
    ),
    (
        xml(
            "<MsgType>voice</MsgType><MediaId>m2</MediaId><Format>amr</Format>"
            "<Recognition><![CDATA[查询余额]]></Recognition><MsgId>3</MsgId>"
        ),
        m.VoiceMessage,
        "voice",
        {"media_id": "m2", "format": "amr", "recognition": "查询余额"},
    ),
    (
        xml(
            "<MsgType>voice</MsgType><MediaId>m2</MediaId><Format>amr</Format><Recognition/><MsgId>4</MsgId>"
        ),
        m.VoiceMessage,
        "voice",
        {"recognition": None},
    ),
    (
        xml(
            "<MsgType>video</MsgType><MediaId>v</MediaId><ThumbMediaId>t</ThumbMediaId><MsgId>5</MsgId>"
        ),
        m.VideoMessage,
        "video",
        {"media_id": "v", "thumb_media_id": "t"},
    ),
    (
        xml(
            "<MsgType>shortvideo</MsgType><MediaId>v</MediaId><ThumbMediaId>t</ThumbMediaId><MsgId>6</MsgId>"
        ),
        m.ShortVideoMessage,
        "shortvideo",
        {"media_id": "v", "thumb_media_id": "t"},
    ),
    (
        xml(
            "<MsgType>location</MsgType><Location_X>23.134521</Location_X>"
            "<Location_Y>113.358803</Location_Y><Scale>20</Scale>"
            "<Label><![CDATA[广州市天河区]]></Label><MsgId>7</MsgId>"
        ),
        m.LocationMessage,
        "location",
        {"latitude": 23.134521, "longitude": 113.358803, "scale": 20, "label": "广州市天河区"},
    ),
    (
        xml(
            "<MsgType>link</MsgType><Title>T</Title><Description>D</Description>"
            "<Url>http://u</Url><MsgId>8</MsgId>"
        ),
        m.LinkMessage,
        "link",
        {"title": "T", "description": "D", "url": "http://u"},
    ),
    (
        xml(
            "<MsgType>miniprogrampage</MsgType><AppId>wxapp</AppId><Title>T</Title>"
            "<PagePath>p/i</PagePath><ThumbUrl>http://t</ThumbUrl><ThumbMediaId>tm</ThumbMediaId>"
            "<MsgId>9</MsgId>"
        ),
        m.MiniProgramPageMessage,
        "miniprogrampage",
        {"app_id": "wxapp", "page_path": "p/i", "thumb_media_id": "tm"},
    ),
    (event("subscribe"), m.SubscribeEvent, "event.subscribe", {"scene": None, "ticket": None}),
    (
        event("subscribe", "<EventKey>qrscene_fund-42</EventKey><Ticket>TK</Ticket>"),
        m.SubscribeEvent,
        "event.subscribe",
        {"scene": "fund-42", "ticket": "TK", "event_key": "qrscene_fund-42", "is_qr": True},
    ),
    (event("unsubscribe"), m.UnsubscribeEvent, "event.unsubscribe", {"event": "unsubscribe"}),
    (
        event("SCAN", "<EventKey>123</EventKey><Ticket>TK</Ticket>"),
        m.ScanEvent,
        "event.scan",
        {"scene": "123", "ticket": "TK", "event": "scan"},
    ),
    (
        event(
            "LOCATION",
            "<Latitude>23.137</Latitude><Longitude>113.352</Longitude><Precision>119.385</Precision>",
        ),
        m.LocationEvent,
        "event.location",
        {"latitude": 23.137, "longitude": 113.352, "precision": 119.385},
    ),
    (
        event("CLICK", "<EventKey>NAV_FUND</EventKey>"),
        m.ClickEvent,
        "event.click",
        {"key": "NAV_FUND"},
    ),
    (
        event("VIEW", "<EventKey>https://x/y</EventKey><MenuId>77</MenuId>"),
        m.ViewEvent,
        "event.view",
        {"url": "https://x/y", "menu_id": "77"},
    ),
    (
        event("view_miniprogram", "<EventKey>pages/i</EventKey><MenuId>1</MenuId>"),
        m.ViewMiniProgramEvent,
        "event.view_miniprogram",
        {"page_path": "pages/i"},
    ),
    (
        event(
            "scancode_push",
            "<EventKey>s1</EventKey><ScanCodeInfo><ScanType>qrcode</ScanType>"
            "<ScanResult>1</ScanResult></ScanCodeInfo>",
        ),
        m.ScanCodePushEvent,
        "event.scancode_push",
        {"key": "s1", "scan_type": "qrcode", "scan_result": "1"},
    ),
    (
        event(
            "scancode_waitmsg",
            "<EventKey>s2</EventKey><ScanCodeInfo><ScanType>barcode</ScanType>"
            "<ScanResult>EAN,123</ScanResult></ScanCodeInfo>",
        ),
        m.ScanCodeWaitMsgEvent,
        "event.scancode_waitmsg",
        {"key": "s2", "scan_type": "barcode", "scan_result": "EAN,123"},
    ),
    (
        event(
            "pic_sysphoto",
            "<EventKey>p</EventKey><SendPicsInfo><Count>1</Count><PicList><item>"
            "<PicMd5Sum>aa</PicMd5Sum></item></PicList></SendPicsInfo>",
        ),
        m.PicSysPhotoEvent,
        "event.pic_sysphoto",
        {"count": 1, "md5s": ("aa",)},
    ),
    (
        event(
            "pic_photo_or_album",
            "<EventKey>p</EventKey><SendPicsInfo><Count>2</Count><PicList>"
            "<item><PicMd5Sum>aa</PicMd5Sum></item><item><PicMd5Sum>bb</PicMd5Sum></item>"
            "</PicList></SendPicsInfo>",
        ),
        m.PicPhotoOrAlbumEvent,
        "event.pic_photo_or_album",
        {"count": 2, "md5s": ("aa", "bb")},
    ),
    (
        event(
            "pic_weixin",
            "<EventKey>p</EventKey><SendPicsInfo><Count>0</Count><PicList/></SendPicsInfo>",
        ),
        m.PicWeixinEvent,
        "event.pic_weixin",
        {"count": 0, "md5s": ()},
    ),
    (
        event(
            "location_select",
            "<EventKey>loc</EventKey><SendLocationInfo><Location_X>23</Location_X>"
            "<Location_Y>113</Location_Y><Scale>15</Scale><Label>L</Label><Poiname>P</Poiname>"
            "</SendLocationInfo>",
        ),
        m.LocationSelectEvent,
        "event.location_select",
        {"latitude": 23.0, "longitude": 113.0, "scale": 15, "label": "L", "poiname": "P"},
    ),
    (
        event(
            "TEMPLATESENDJOBFINISH",
            "<MsgID>200163836</MsgID><Status><![CDATA[failed:user block]]></Status>",
        ),
        m.TemplateSendJobFinishEvent,
        "event.templatesendjobfinish",
        {"msg_id": "200163836", "status": "failed:user block"},
    ),
    (
        event(
            "MASSSENDJOBFINISH",
            "<MsgID>1988</MsgID><Status>send success</Status><TotalCount>100</TotalCount>"
            "<FilterCount>80</FilterCount><SentCount>75</SentCount><ErrorCount>5</ErrorCount>"
            "<CopyrightCheckResult><Count>0</Count><ResultList/><CheckState>1</CheckState>"
            "</CopyrightCheckResult>",
        ),
        m.MassSendJobFinishEvent,
        "event.masssendjobfinish",
        {
            "msg_id": "1988",
            "status": "send success",
            "total_count": 100,
            "filter_count": 80,
            "sent_count": 75,
            "error_count": 5,
        },
    ),
    (
        event("kf_create_session", "<KfAccount>a@demo</KfAccount>"),
        m.KfCreateSessionEvent,
        "event.kf_create_session",
        {"kf_account": "a@demo"},
    ),
    (
        event("kf_close_session", "<KfAccount>a@demo</KfAccount>"),
        m.KfCloseSessionEvent,
        "event.kf_close_session",
        {"kf_account": "a@demo"},
    ),
    (
        event(
            "kf_switch_session", "<FromKfAccount>a@d</FromKfAccount><ToKfAccount>b@d</ToKfAccount>"
        ),
        m.KfSwitchSessionEvent,
        "event.kf_switch_session",
        {"from_kf_account": "a@d", "to_kf_account": "b@d"},
    ),
    (
        xml("<MsgType>hologram</MsgType><MsgId>10</MsgId>"),
        m.UnknownMessage,
        "hologram",
        {"msg_type": "hologram"},
    ),
    (
        event("user_pay_from_pay_cell", "<EventKey>k</EventKey>"),
        m.UnknownEvent,
        "event.user_pay_from_pay_cell",
        {"event": "user_pay_from_pay_cell", "event_key": "k"},
    ),
]


@pytest.mark.parametrize(
    ("body", "cls", "kind", "expected"), CASES, ids=[c[2] + str(i) for i, c in enumerate(CASES)]
)
def test_every_inbound_type_parses(
    body: bytes, cls: type[m.InboundMessage], kind: str, expected: dict[str, Any]
) -> None:
    message = parse(body)
    assert type(message) is cls
    assert message.kind == kind
    assert (message.to_user, message.from_user, message.create_time) == (
        "gh_wxhubdemo0001",
        "oUser1",
        1700000000,
    )
    for name, value in expected.items():
        assert getattr(message, name) == value, name
    assert message.is_event == kind.startswith("event.")


@pytest.mark.parametrize("body", [c[0] for c in CASES])
def test_raw_fields_survive_json_and_reparse_to_the_same_message(body: bytes) -> None:
    message = parse(body)
    wire = json.loads(json.dumps(message.raw, ensure_ascii=False))
    again = m.parse_message(wire)
    assert again == message
    assert again.dedup_key == message.dedup_key


def test_event_names_are_case_insensitive() -> None:
    assert type(parse(event("click", "<EventKey>k</EventKey>"))) is m.ClickEvent
    assert type(parse(event("Location", "<Latitude>1</Latitude><Longitude>2</Longitude>"))) is (
        m.LocationEvent
    )


def test_message_dedup_key_includes_sender_and_time() -> None:
    message = parse(
        xml("<MsgType>text</MsgType><Content>x</Content><MsgId>6054768590064713728</MsgId>")
    )
    assert message.dedup_key == "msg:6054768590064713728:oUser1:1700000000"
    other_user = parse(
        xml(
            "<MsgType>text</MsgType><Content>x</Content><MsgId>6054768590064713728</MsgId>"
        ).replace(b"oUser1", b"oUser2")
    )
    assert other_user.dedup_key != message.dedup_key


def test_event_dedup_keys() -> None:
    assert (
        parse(event("CLICK", "<EventKey>K1</EventKey>")).dedup_key
        == "evt:oUser1:1700000000:click:K1"
    )
    assert parse(event("unsubscribe")).dedup_key == "evt:oUser1:1700000000:unsubscribe:"


def test_location_events_in_the_same_second_get_distinct_keys() -> None:
    first = parse(event("LOCATION", "<Latitude>23.1</Latitude><Longitude>113.2</Longitude>"))
    second = parse(event("LOCATION", "<Latitude>23.1</Latitude><Longitude>113.3</Longitude>"))
    assert first.dedup_key == "evt:oUser1:1700000000:location::23.1:113.2"
    assert first.dedup_key != second.dedup_key


def test_job_finish_events_dedup_on_msg_id_only() -> None:
    one = parse(event("TEMPLATESENDJOBFINISH", "<MsgID>111</MsgID><Status>success</Status>"))
    two = parse(event("TEMPLATESENDJOBFINISH", "<MsgID>222</MsgID><Status>success</Status>"))
    mass = parse(event("MASSSENDJOBFINISH", "<MsgID>333</MsgID><Status>send fail</Status>"))
    assert (one.dedup_key, two.dedup_key, mass.dedup_key) == ("job:111", "job:222", "job:333")


def test_unknown_message_without_id_still_has_a_dedup_key() -> None:
    message = parse(xml("<MsgType>hologram</MsgType>"))
    assert message.msg_id is None
    assert message.dedup_key == "msg:oUser1:1700000000:hologram"


def test_unknown_names_become_safe_routing_key_parts() -> None:
    assert parse(xml("<MsgType>a.b#*</MsgType>")).kind == "a_b__"
    assert parse(event("x.y")).kind == "event.x_y"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<xml><MsgType>text</MsgType></xml>", id="no-addresses"),
        pytest.param(xml("<MsgType>text</MsgType>").replace(b"1700000000", b"soon"), id="bad-time"),
        pytest.param(xml("<MsgType>text</MsgType>").replace(b"1700000000", b""), id="no-time"),
        pytest.param(xml("<Content>x</Content>"), id="no-msgtype"),
        pytest.param(
            xml("<MsgType>location</MsgType><Location_X>north</Location_X>"), id="bad-lat"
        ),
        pytest.param(xml("<MsgType>text</MsgType><Content><b>x</b></Content>"), id="nested-text"),
        pytest.param(event("LOCATION", "<Longitude>1</Longitude>"), id="no-latitude"),
    ],
)
def test_missing_or_invalid_fields_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedXml):
        parse(body)


def test_register_decorator_adds_new_types() -> None:
    @m.register_message("wxhub_test_sticker")
    @dataclass(frozen=True, slots=True, kw_only=True)
    class StickerMessage(m.InboundMessage):
        _SPEC = (*m.InboundMessage._SPEC, ("sticker", lambda f: f.get("Sticker", "")))
        sticker: str

    @m.register_event("WXHUB_TEST_PING")
    @dataclass(frozen=True, slots=True, kw_only=True)
    class PingEvent(m.Event):
        pass

    sticker = parse(
        xml("<MsgType>wxhub_test_sticker</MsgType><Sticker>s</Sticker><MsgId>1</MsgId>")
    )
    assert isinstance(sticker, StickerMessage)
    assert (sticker.sticker, sticker.kind) == ("s", "wxhub_test_sticker")
    ping = parse(event("wxhub_test_ping"))
    assert isinstance(ping, PingEvent)
    assert ping.kind == "event.wxhub_test_ping"


def test_parse_message_accepts_parse_xml_output() -> None:
    fields = parse_xml(event("CLICK", "<EventKey>K</EventKey>"))
    message = m.parse_message(fields)
    assert message.raw is fields
