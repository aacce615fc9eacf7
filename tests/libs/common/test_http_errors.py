"""The common error format: language negotiation and message choice."""

from __future__ import annotations

from typing import Any

import pytest

from libs.common.http_errors import error_body, field_errors, negotiate


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("zh-TW,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("fr-FR,en;q=0.5,zh;q=0.7", "zh-CN"),
        ("fr-FR,en;q=0.8,zh;q=0.7", "en"),
        ("zh;q=0,en;q=0.1", "en"),
        ("de", "zh-CN"),
        ("en;q=abc", "zh-CN"),
    ],
)
def test_language_follows_accept_language_with_chinese_by_default(
    header: str | None, language: str
) -> None:
    assert negotiate(header) == language


def test_english_keeps_the_specific_message_chinese_keeps_it_as_detail() -> None:
    specific = "No notification 'x'."
    assert error_body("not_found", "en", specific) == {
        "code": "not_found",
        "message": specific,
        "errors": [],
    }
    assert error_body("not_found", "zh-CN", specific) == {
        "code": "not_found",
        "message": "资源不存在",
        "errors": [],
        "detail": specific,
    }


def test_an_uncatalogued_code_keeps_its_own_message() -> None:
    assert error_body("team_specific", "zh-CN", "Something odd.")["message"] == "Something odd."


def test_field_errors_drop_the_body_prefix_and_speak_chinese() -> None:
    raw: list[dict[str, Any]] = [
        {"loc": ("body", "to", "phone"), "msg": "String too long", "type": "string_too_long",
         "ctx": {"max_length": 20}},
        {"loc": ("query", "page"), "msg": "Input should be a valid integer", "type": "int_parsing"},
        {"loc": ("body", "x"), "msg": "Some new check", "type": "brand_new_type"},
    ]  # fmt: skip
    assert field_errors(raw, "zh-CN") == [
        {"loc": ["to", "phone"], "message": "最多 20 个字符", "type": "string_too_long"},
        {"loc": ["query", "page"], "message": "应为整数", "type": "int_parsing"},
        {"loc": ["x"], "message": "Some new check", "type": "brand_new_type"},
    ]
    assert field_errors(raw, "en")[0]["message"] == "String too long"
