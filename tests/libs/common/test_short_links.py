"""Short-link codes: only ours verify (across a key rotation); links found in texts end where
a Chinese sentence goes on."""

from __future__ import annotations

import pytest

from libs.common.short_links import URL_PATTERN, ShortLinkSigner


def test_a_code_carries_its_link_id_and_verifies() -> None:
    signer = ShortLinkSigner("current-key")
    for link_id in (1, 62, 4_000_000_000):
        assert signer.link_id(signer.code(link_id)) == link_id


def test_codes_of_a_previous_key_still_verify_after_rotation() -> None:
    old = ShortLinkSigner("old-key").code(42)
    assert ShortLinkSigner("new-key", ["old-key"]).link_id(old) == 42
    assert ShortLinkSigner("new-key").link_id(old) is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c[:-1] + ("x" if c[-1] != "x" else "y"),  # signature altered
        lambda c: "1" + c,  # id altered
        lambda c: "0" + c,  # same id, another spelling
        lambda c: c[-11:],  # no id
        lambda c: c + "A" * 40,  # too long
        lambda c: "€" + c,  # not base62
    ],
)
def test_altered_codes_do_not_verify(mangle: object) -> None:
    signer = ShortLinkSigner("current-key")
    code = signer.code(12345)
    assert callable(mangle)
    assert signer.link_id(mangle(code)) is None


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("详情 https://a.example/x?y=1。谢谢", ["https://a.example/x?y=1"]),
        (
            "见（http://a.example/p）与 https://b.example",
            ["http://a.example/p", "https://b.example"],
        ),
        ('<a href="https://a.example/q">', ["https://a.example/q"]),
        ("ftp://a.example 与 weixin://dl 不改", []),
    ],
)
def test_links_in_texts_end_at_chinese_punctuation_and_quotes(text: str, urls: list[str]) -> None:
    assert URL_PATTERN.findall(text) == urls
