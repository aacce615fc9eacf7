from __future__ import annotations

import json

import pytest

from libs.common.wechat import replies as r
from libs.common.wechat.errors import InvalidReply
from libs.common.wechat.messages import message_from_xml
from libs.common.wechat.xml import parse_xml

ARTICLE = r.Article(
    title="基金净值", description="今日 <更新>", pic_url="http://p/1.jpg", url="http://u/1"
)
SECOND = r.Article(title="T2", url="http://u/2")

REPLIES: list[tuple[r.Reply, dict[str, object]]] = [
    (r.TextReply("您好 ]]> <b>"), {"MsgType": "text", "Content": "您好 ]]> <b>"}),
    (r.ImageReply("img-1"), {"MsgType": "image", "Image": {"MediaId": "img-1"}}),
    (r.VoiceReply("voice-1"), {"MsgType": "voice", "Voice": {"MediaId": "voice-1"}}),
    (
        r.VideoReply("vid-1", title="T", description="D"),
        {"MsgType": "video", "Video": {"MediaId": "vid-1", "Title": "T", "Description": "D"}},
    ),
    (r.VideoReply("vid-2"), {"MsgType": "video", "Video": {"MediaId": "vid-2"}}),
    (
        r.MusicReply(
            "thumb", title="T", description="D", music_url="http://m", hq_music_url="http://h"
        ),
        {
            "MsgType": "music",
            "Music": {
                "Title": "T",
                "Description": "D",
                "MusicUrl": "http://m",
                "HQMusicUrl": "http://h",
                "ThumbMediaId": "thumb",
            },
        },
    ),
    (
        r.NewsReply((ARTICLE, SECOND)),
        {
            "MsgType": "news",
            "ArticleCount": "2",
            "Articles": {
                "item": [
                    {
                        "Title": "基金净值",
                        "Description": "今日 <更新>",
                        "PicUrl": "http://p/1.jpg",
                        "Url": "http://u/1",
                    },
                    {"Title": "T2", "Description": "", "PicUrl": "", "Url": "http://u/2"},
                ]
            },
        },
    ),
    (r.TransferCustomerServiceReply(), {"MsgType": "transfer_customer_service"}),
    (
        r.TransferCustomerServiceReply("kf1@demo"),
        {"MsgType": "transfer_customer_service", "TransInfo": {"KfAccount": "kf1@demo"}},
    ),
]


@pytest.mark.parametrize(("reply", "expected"), REPLIES)
def test_every_reply_renders_xml_that_parses_back(
    reply: r.Reply, expected: dict[str, object]
) -> None:
    fields = parse_xml(reply.render("oUser1", "gh_wxhubdemo0001", 1700000000))
    assert fields == {
        "ToUserName": "oUser1",
        "FromUserName": "gh_wxhubdemo0001",
        "CreateTime": "1700000000",
        **expected,
    }


@pytest.mark.parametrize(("reply", "expected"), REPLIES)
def test_every_reply_round_trips_through_json(reply: r.Reply, expected: dict[str, object]) -> None:
    wire = json.loads(json.dumps(reply.to_dict(), ensure_ascii=False))
    assert wire["type"] == expected["MsgType"]
    assert r.reply_from_dict(wire) == reply


def test_news_limit_is_enforced() -> None:
    assert len(r.NewsReply((ARTICLE,) * 8).articles) == 8
    with pytest.raises(InvalidReply):
        r.NewsReply((ARTICLE,) * 9)
    with pytest.raises(InvalidReply):
        r.NewsReply((ARTICLE, SECOND), max_articles=1)
    with pytest.raises(InvalidReply):
        r.NewsReply(())
    with pytest.raises(InvalidReply):
        r.NewsReply((ARTICLE,), max_articles=10)
    assert r.NewsReply((ARTICLE,), max_articles=1).articles == (ARTICLE,)


def test_news_limit_survives_the_bus() -> None:
    wire = r.NewsReply((ARTICLE,), max_articles=1).to_dict()
    wire["articles"] = [*wire["articles"], wire["articles"][0]]
    with pytest.raises(InvalidReply):
        r.reply_from_dict(wire)


def test_news_limit_depends_on_the_trigger() -> None:
    head = "<ToUserName>gh</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime>"
    text = message_from_xml(
        f"<xml>{head}<MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>".encode()
    )
    click = message_from_xml(
        f"<xml>{head}<MsgType>event</MsgType><Event>CLICK</Event><EventKey>k</EventKey></xml>".encode()
    )
    assert r.max_news_articles(text) == 1
    assert r.max_news_articles(click) == 8


@pytest.mark.parametrize(
    ("reply", "payload"),
    [
        (r.TextReply("你好"), {"msgtype": "text", "text": {"content": "你好"}}),
        (r.ImageReply("i"), {"msgtype": "image", "image": {"media_id": "i"}}),
        (r.VoiceReply("v"), {"msgtype": "voice", "voice": {"media_id": "v"}}),
        (
            r.VideoReply("v", title="T", thumb_media_id="th"),
            {
                "msgtype": "video",
                "video": {"media_id": "v", "thumb_media_id": "th", "title": "T", "description": ""},
            },
        ),
        (
            r.MusicReply("th", title="T", description="D", music_url="m", hq_music_url="h"),
            {
                "msgtype": "music",
                "music": {
                    "title": "T",
                    "description": "D",
                    "musicurl": "m",
                    "hqmusicurl": "h",
                    "thumb_media_id": "th",
                },
            },
        ),
        (
            r.NewsReply((ARTICLE, SECOND)),
            {
                "msgtype": "news",
                "news": {
                    "articles": [
                        {
                            "title": "基金净值",
                            "description": "今日 <更新>",
                            "url": "http://u/1",
                            "picurl": "http://p/1.jpg",
                        }
                    ]
                },
            },
        ),
    ],
)
def test_custom_message_conversion(reply: r.Reply, payload: dict[str, object]) -> None:
    assert reply.to_custom_message("oUser1") == {"touser": "oUser1", **payload}


def test_transfer_cannot_become_a_custom_message() -> None:
    with pytest.raises(InvalidReply):
        r.TransferCustomerServiceReply().to_custom_message("oUser1")


@pytest.mark.parametrize(
    "data",
    [
        {"type": "hologram"},
        {},
        {"type": "text"},
        {"type": "news", "articles": "nope"},
        {"type": "news", "articles": [{"headline": "x"}]},
    ],
)
def test_bad_reply_dicts_are_rejected(data: dict[str, object]) -> None:
    with pytest.raises(InvalidReply):
        r.reply_from_dict(data)
