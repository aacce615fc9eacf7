from __future__ import annotations

import pytest

from libs.common.wechat.errors import MalformedXml, WeChatProtocolError
from libs.common.wechat.xml import build_xml, cdata, parse_xml

TEXT = (
    b"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n"
    b"<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n"
    b"<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n"
    b"<Content><![CDATA[\xe4\xbd\xa0\xe5\xa5\xbd <b>&amp;</b>]]></Content>\n"
    b"<MsgId>6054768590064713728</MsgId>\n</xml>"
)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<xml><Content>&lol3;</Content></xml>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><Content>&xxe;</Content></xml>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<xml><Content>x</Content></xml>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd">
<xml><Content>x</Content></xml>"""


def test_flat_message_parses_to_text_fields() -> None:
    fields = parse_xml(TEXT)
    assert fields == {
        "ToUserName": "gh_10f6c3c3ac5a",
        "FromUserName": "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
        "CreateTime": "1409735668",
        "MsgType": "text",
        "Content": "你好 <b>&amp;</b>",
        "MsgId": "6054768590064713728",
    }


def test_nested_and_repeated_elements() -> None:
    body = (
        b"<xml><SendPicsInfo><Count>2</Count><PicList>"
        b"<item><PicMd5Sum><![CDATA[aaa]]></PicMd5Sum></item>"
        b"<item><PicMd5Sum><![CDATA[bbb]]></PicMd5Sum></item>"
        b"</PicList></SendPicsInfo><Tag>1</Tag><Tag>2</Tag><Empty/></xml>"
    )
    assert parse_xml(body) == {
        "SendPicsInfo": {
            "Count": "2",
            "PicList": {"item": [{"PicMd5Sum": "aaa"}, {"PicMd5Sum": "bbb"}]},
        },
        "Tag": ["1", "2"],
        "Empty": "",
    }


def test_single_item_is_still_a_list() -> None:
    body = b"<xml><PicList><item><PicMd5Sum>a</PicMd5Sum></item></PicList></xml>"
    assert parse_xml(body) == {"PicList": {"item": [{"PicMd5Sum": "a"}]}}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(BILLION_LAUGHS, id="billion-laughs"),
        pytest.param(EXTERNAL_ENTITY, id="external-entity"),
        pytest.param(PARAMETER_ENTITY, id="parameter-entity"),
        pytest.param(EXTERNAL_DTD, id="external-dtd"),
        pytest.param(b"<!DOCTYPE xml><xml><a>1</a></xml>", id="bare-doctype"),
        pytest.param(b"<xml><a>1</a>", id="unclosed"),
        pytest.param(b"", id="empty"),
        pytest.param(b"success", id="not-xml"),
        pytest.param(b"<root><a>1</a></root>", id="wrong-root"),
        pytest.param(b"<xml><a>&undefined;</a></xml>", id="undefined-entity"),
    ],
)
def test_hostile_or_broken_xml_is_rejected(body: bytes) -> None:
    with pytest.raises(MalformedXml):
        parse_xml(body)


def test_malformed_xml_is_a_protocol_error() -> None:
    assert issubclass(MalformedXml, WeChatProtocolError)


def test_oversize_body_is_rejected_before_parsing() -> None:
    body = b"<xml><Content>" + b"a" * 100 + b"</Content></xml>"
    assert parse_xml(body, max_bytes=len(body))["Content"] == "a" * 100
    with pytest.raises(MalformedXml, match="larger"):
        parse_xml(body, max_bytes=len(body) - 1)


def test_build_renders_cdata_ints_nesting_and_lists() -> None:
    body = build_xml(
        {
            "ToUserName": "user",
            "CreateTime": 1700000000,
            "Skipped": None,
            "Articles": {"item": [{"Title": "a"}, {"Title": "b"}]},
        }
    )
    assert body == (
        b"<xml><ToUserName><![CDATA[user]]></ToUserName><CreateTime>1700000000</CreateTime>"
        b"<Articles><item><Title><![CDATA[a]]></Title></item>"
        b"<item><Title><![CDATA[b]]></Title></item></Articles></xml>"
    )


@pytest.mark.parametrize("text", ["]]>", "a]]>b]]>c", "<script>&amp;</script>", "中文 ]]]]>", ""])
def test_build_then_parse_round_trips_awkward_text(text: str) -> None:
    assert parse_xml(build_xml({"Content": text})) == {"Content": text}


def test_cdata_split_cannot_close_early() -> None:
    assert cdata("x]]>y") == "<![CDATA[x]]]]><![CDATA[>y]]>"


@pytest.mark.parametrize("bad", [{"bad tag": "x"}, {"<x>": "x"}, {"": "x"}])
def test_build_refuses_invalid_tag_names(bad: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="tag"):
        build_xml(bad)


@pytest.mark.parametrize("value", [True, object(), b"bytes"])
def test_build_refuses_unrenderable_values(value: object) -> None:
    with pytest.raises(TypeError):
        build_xml({"Field": value})


@pytest.mark.parametrize("label", ["GBK", "gb2312", "GB18030"])
def test_documents_declared_in_a_chinese_encoding_are_transcoded(label: str) -> None:
    body = f'<?xml version="1.0" encoding="{label}"?><xml><Content>基金净值</Content></xml>'
    assert parse_xml(body.encode("gb18030"))["Content"] == "基金净值"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'<?xml version="1.0" encoding="no-such"?><xml/>', id="unknown-encoding"),
        pytest.param(
            b'<?xml version="1.0" encoding="GBK"?><xml><a>\x81</a></xml>', id="invalid-gbk"
        ),
        pytest.param(
            b'<?xml version="1.0" encoding="utf-16"?><xml><a>x</a></xml>',
            id="declared-utf16-sent-utf8",
        ),
    ],
)
def test_undecodable_declared_encodings_are_malformed_xml(body: bytes) -> None:
    with pytest.raises(MalformedXml):
        parse_xml(body)
