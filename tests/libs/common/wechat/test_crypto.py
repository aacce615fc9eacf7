from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from libs.common.wechat.crypto import MessageCrypto, decode_aes_key
from libs.common.wechat.errors import (
    AppIdMismatch,
    DecryptionFailed,
    InvalidSignature,
    WeChatProtocolError,
)
from libs.common.wechat.signature import check_msg_signature, compute_signature
from libs.common.wechat.xml import parse_xml

SAMPLE_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

V1_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGH"
    "QHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6t"
    "EDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3"
    "yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl"
    "+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
V1_XML = (
    b"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n"
    b"<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n"
    b"<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n"
    b"<Content><![CDATA[abcdteT]]></Content>\n<MsgId>6054768590064713728</MsgId>\n</xml>"
)

V2_ENCRYPT = (
    "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
)
V2_VIDEO_XML = (
    "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName>"
    "<FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime>"
    "<MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s"
    "79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title>"
    "<Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>"
).encode()
V2_VIDEO_ENCRYPT = (
    "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkup"
    "qcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvF"
    "b3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04s"
    "q7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9Oxch"
    "WVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ"
    "6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57c"
    "ExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb"
)

V3_ENCRYPT = (
    "rTNFcsut4LfGuAFKEUVVpwcaCOTJzOd9twZdIW910jb3k+iicx2uvhttIZ3Qg9Qgty3BEF2xbOrz6boTfb30dMomcgrk"
    "TqdFPwnhqbk+kIQ7rZiwny9D7NUrTgA5kpX3KsZvrXzUZyP2x9YOlxbgm572lmxKvM7HAQQhIQ/p6HBmoY30bGXFK0B"
    "tIu1pW9TjhOYrLQoU18nWYjWqDA1ynkmOytpv7QRI1P1+0NoxL0q2zO1DgeSvnE8CZGo/o5Ap/WHK5W2RAsinpzN4/Lj"
    "PnmB6U01I5XCoJoC0GK/yMZycd2Oh8Nq6+wBkC1U85oy0ktOY4nLvsQMLrourmMGdZHuTbqpeJ8Ao/5PRYJ+WBvRUwPf"
    "GKBL2+2IKZF49vAJqkcGWSHGE76ZN2erXeuNazf/o9o3lIE3q739o4c8t9QGPe31GT2Go/rOz1BsrASwvauNulCh+++y"
    "z+CQzBIuikA=="
)
V3_XML = (
    b"<xml><URL><![CDATA[http://wechat.laravel.so/server]]></URL><ToUserName><![CDATA[asdasdasd]]>"
    b"</ToUserName><FromUserName><![CDATA[asdasdasdsadasd]]></FromUserName><CreateTime>1234567898"
    b"</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content><MsgId>"
    b"12345</MsgId></xml>"
)

V4_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUp"
    "j911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue"
    "06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+"
    "3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH"
    "27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8"
    "R07+qN+E7Q=="
)

V5_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
V5_ENCRYPT = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTy"
    "eDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYy"
    "olBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWO"
    "MZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7ml"
    "sl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)
V5_REPLY = (
    b"<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n"
    b"<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n"
    b"<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n"
    b"<CreateTime>1411525903</CreateTime>\n</xml>"
)
V5_ENVELOPE = (
    b"<xml>\n<Encrypt><![CDATA[9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j"
    b"3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmsttt"
    b"yIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA"
    b"/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTY"
    b"jxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3]]></Encrypt>\n"
    b"<MsgSignature><![CDATA[407518b7649e86ef23978113f92d27afa9296533]]></MsgSignature>\n"
    b"<TimeStamp>1411525903</TimeStamp>\n<Nonce><![CDATA[461056294]]></Nonce>\n</xml>"
)

# Two unrelated keys for rotation tests.
NEW_KEY = "WFvFpOc4yr1ZCUmocbwe6Y5TvI15dQxddWNzj1psCMn"
OLD_KEY = SAMPLE_KEY
APPID = "wxe0b2aa0cdbb2de1d"
TOKEN = "wxhubdemotoken"


def raw_decrypt(encoding_aes_key: str, encrypt: str) -> bytes:
    """Decrypt without unpadding, independently of the module under test."""
    key = base64.b64decode(encoding_aes_key + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    return decryptor.update(base64.b64decode(encrypt)) + decryptor.finalize()


def raw_encrypt(encoding_aes_key: str, padded: bytes) -> str:
    key = base64.b64decode(encoding_aes_key + "=")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


def signed(encrypt: str, token: str = TOKEN) -> dict[str, str]:
    return {
        "msg_signature": compute_signature(token, "1700000000", "nonce1", encrypt),
        "timestamp": "1700000000",
        "nonce": "nonce1",
    }


def test_aes_key_decoding_matches_spec_example() -> None:
    assert decode_aes_key(SAMPLE_KEY).hex() == (
        "69b71d79f8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3d0010831051"
    )


@pytest.mark.parametrize("bad", ["short", SAMPLE_KEY + "A", SAMPLE_KEY[:-1] + "!"])
def test_bad_encoding_aes_key_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="EncodingAESKey"):
        MessageCrypto(TOKEN, [bad], APPID)


def test_keys_must_be_a_sequence_of_keys() -> None:
    with pytest.raises(TypeError):
        MessageCrypto(TOKEN, SAMPLE_KEY, APPID)
    with pytest.raises(ValueError, match="at least one"):
        MessageCrypto(TOKEN, [], APPID)


def test_v1_official_sample_decrypts() -> None:
    crypto = MessageCrypto("spamtest", [SAMPLE_KEY], "wx2c2769f8efd9abc2")
    result = crypto.decrypt(
        V1_ENCRYPT,
        msg_signature="5d197aaffba7e9b25a30732f161a50dee96bd5fa",
        timestamp="1409735669",
        nonce="1320562132",
    )
    assert result.xml == V1_XML
    assert result.key_index == 0
    padded = raw_decrypt(SAMPLE_KEY, V1_ENCRYPT)
    assert len(padded) == 320
    assert padded[-2:] == b"\x02\x02"
    assert padded[:16] == b"89465c840c5f116f"


def test_v2_wxjava_decrypts_and_encrypts_deterministically() -> None:
    crypto = MessageCrypto("pamtest", [SAMPLE_KEY], "wxb11529c136998cb6")
    plaintext = "我是中文abcd123".encode()
    result = crypto.decrypt(
        V2_ENCRYPT,
        msg_signature="82c962d39941aa48552f90ef55aa323dc620cc10",
        timestamp="1409304348",
        nonce="xxxxxx",
    )
    assert result.xml == plaintext
    assert crypto.encrypt(plaintext, random_prefix=b"aaaabbbbccccdddd") == V2_ENCRYPT


def test_v2_video_vector_counts_bytes_not_characters() -> None:
    crypto = MessageCrypto("pamtest", [SAMPLE_KEY], "wxb11529c136998cb6")
    assert crypto.encrypt(V2_VIDEO_XML, random_prefix=b"aaaabbbbccccdddd") == V2_VIDEO_ENCRYPT
    assert crypto.decrypt(V2_VIDEO_ENCRYPT, **signed(V2_VIDEO_ENCRYPT, "pamtest")).xml == (
        V2_VIDEO_XML
    )
    length = struct.unpack(">I", raw_decrypt(SAMPLE_KEY, V2_VIDEO_ENCRYPT)[16:20])[0]
    assert length == len(V2_VIDEO_XML) != len(V2_VIDEO_XML.decode())


def test_v3_easywechat_decrypts_and_rejects_bad_signature_and_appid() -> None:
    params = {
        "msg_signature": "4f3ad57b6989f09f4eb392acce4f9e93942ed890",
        "timestamp": "1458300676",
        "nonce": "260774613",
    }
    crypto = MessageCrypto("pamtest", [SAMPLE_KEY], "wxb11529c136998cb6")
    assert crypto.decrypt(V3_ENCRYPT, **params).xml == V3_XML
    assert raw_decrypt(SAMPLE_KEY, V3_ENCRYPT)[-1] == 21

    with pytest.raises(InvalidSignature):
        crypto.decrypt(V3_ENCRYPT, **{**params, "msg_signature": "0" * 40})
    with pytest.raises(AppIdMismatch):
        MessageCrypto("pamtest", [SAMPLE_KEY], "invalid appid").decrypt(V3_ENCRYPT, **params)


def test_v4_wecom_sample_decrypts() -> None:
    crypto = MessageCrypto(
        "QDG6eK", ["jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"], "wx5823bf96d3bd56c7"
    )
    result = crypto.decrypt(
        V4_ENCRYPT,
        msg_signature="477715d11cdb4164915debcba66cb864d751f3e6",
        timestamp="1409659813",
        nonce="1372623149",
    )
    fields = parse_xml(result.xml)
    assert fields["FromUserName"] == "mycreate"
    assert fields["Content"] == "hello"
    assert fields["MsgId"] == "4561255354251345929"
    assert fields["AgentID"] == "218"


def test_v5_wechatpy_decrypts_with_pad_value_one() -> None:
    crypto = MessageCrypto("123456", [V5_KEY], "wx49f0ab532d5d035a")
    result = crypto.decrypt(
        V5_ENCRYPT,
        msg_signature="74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
        timestamp="1411525903",
        nonce="461056294",
    )
    fields = parse_xml(result.xml)
    assert (fields["Content"], fields["FromUserName"]) == ("test", "messense")
    assert fields["MsgId"] == "4363689963896700987"
    assert raw_decrypt(V5_KEY, V5_ENCRYPT)[-1] == 1


def test_v5_wechatpy_reply_envelope_matches_byte_for_byte() -> None:
    crypto = MessageCrypto("123456", [V5_KEY], "wx49f0ab532d5d035a")
    envelope = crypto.encrypt_reply(
        V5_REPLY, timestamp="1411525903", nonce="461056294", random_prefix=b"1234567890123456"
    )
    assert envelope == V5_ENVELOPE


def test_reply_envelope_is_signed_and_decryptable() -> None:
    crypto = MessageCrypto(TOKEN, [NEW_KEY], APPID)
    envelope = parse_xml(crypto.encrypt_reply(b"<xml>hi</xml>", timestamp="1700000001", nonce="n"))
    assert envelope["TimeStamp"] == "1700000001"
    assert check_msg_signature(
        TOKEN, envelope["MsgSignature"], "1700000001", "n", envelope["Encrypt"]
    )
    decrypted = crypto.decrypt(
        envelope["Encrypt"],
        msg_signature=envelope["MsgSignature"],
        timestamp="1700000001",
        nonce="n",
    )
    assert decrypted.xml == b"<xml>hi</xml>"


def test_random_prefix_differs_between_encryptions() -> None:
    crypto = MessageCrypto(TOKEN, [NEW_KEY], APPID)
    assert crypto.encrypt(b"same") != crypto.encrypt(b"same")
    with pytest.raises(ValueError, match="16 bytes"):
        crypto.encrypt(b"x", random_prefix=b"short")


def test_reply_timestamp_must_be_digits() -> None:
    crypto = MessageCrypto(TOKEN, [NEW_KEY], APPID)
    with pytest.raises(ValueError, match="timestamp"):
        crypto.encrypt_reply(b"<xml/>", timestamp="1<x>", nonce="n")


@pytest.mark.parametrize(("extra", "pad"), [(0, 32), (31, 1), (15, 17), (16, 16)])
def test_padding_edges_round_trip(extra: int, pad: int) -> None:
    crypto = MessageCrypto(TOKEN, [NEW_KEY], APPID)
    # 20 header bytes + message + 18-byte AppID; choose the message so the total is 32k + extra.
    message = b"m" * (32 * 3 - 20 - len(APPID) + extra)
    encrypt = crypto.encrypt(message)
    padded = raw_decrypt(NEW_KEY, encrypt)
    assert padded[-pad:] == bytes([pad]) * pad
    assert padded[-pad - 1] != pad
    assert crypto.decrypt(encrypt, **signed(encrypt)).xml == message


def _build(message: bytes, *, length: int | None = None, appid: str = APPID) -> bytes:
    size = len(message) if length is None else length
    return b"r" * 16 + struct.pack(">I", size) + message + appid.encode()


@pytest.mark.parametrize(
    "padded",
    [
        pytest.param(_build(b"x" * 26) + b"\x00" * 32, id="pad-zero"),
        pytest.param(_build(b"x" * 26) + b"\x21" * 32, id="pad-33"),
        pytest.param(_build(b"x" * 24) + b"\x01\x02", id="pad-bytes-differ"),
        pytest.param(_build(b"x" * 23) + b"\x03\x03\x02", id="pad-bytes-differ-inner"),
        pytest.param(_build(b"x" * 25, length=10_000) + b"\x01", id="length-too-large"),
    ],
)
def test_broken_plaintext_is_rejected(padded: bytes) -> None:
    assert len(padded) % 32 == 0
    encrypt = raw_encrypt(NEW_KEY, padded)
    with pytest.raises(DecryptionFailed):
        MessageCrypto(TOKEN, [NEW_KEY], APPID).decrypt(encrypt, **signed(encrypt))


@pytest.mark.parametrize(
    "encrypt", ["not base64!!", "", "QUJD", base64.b64encode(b"x" * 17).decode()]
)
def test_undecodable_ciphertext_is_rejected(encrypt: str) -> None:
    with pytest.raises(DecryptionFailed):
        MessageCrypto(TOKEN, [NEW_KEY], APPID).decrypt(encrypt, **signed(encrypt))


def test_wrong_key_fails_as_a_protocol_error() -> None:
    encrypt = MessageCrypto(TOKEN, [OLD_KEY], APPID).encrypt(b"<xml/>")
    with pytest.raises(WeChatProtocolError):
        MessageCrypto(TOKEN, [NEW_KEY], APPID).decrypt(encrypt, **signed(encrypt))


def test_previous_key_decrypts_and_reply_uses_the_same_key() -> None:
    old_only = MessageCrypto(TOKEN, [OLD_KEY], APPID)
    new_only = MessageCrypto(TOKEN, [NEW_KEY], APPID)
    rotating = MessageCrypto(TOKEN, [NEW_KEY, OLD_KEY], APPID)

    from_old = old_only.encrypt(b"<xml>old</xml>")
    result = rotating.decrypt(from_old, **signed(from_old))
    assert result == type(result)(b"<xml>old</xml>", 1)

    from_new = new_only.encrypt(b"<xml>new</xml>")
    assert rotating.decrypt(from_new, **signed(from_new)).key_index == 0

    envelope = parse_xml(
        rotating.encrypt_reply(
            b"<xml>r</xml>", timestamp="1", nonce="n", key_index=result.key_index
        )
    )
    params = {"msg_signature": envelope["MsgSignature"], "timestamp": "1", "nonce": "n"}
    assert old_only.decrypt(envelope["Encrypt"], **params).xml == b"<xml>r</xml>"
    with pytest.raises(DecryptionFailed):
        new_only.decrypt(envelope["Encrypt"], **params)
