"""WeChat's menu rules: every violation listed with its place, kind and WeChat's errcode."""

from __future__ import annotations

import pytest

from libs.common.wechat.errors import InvalidMenu, WeChatError
from libs.common.wechat.menu_rules import (
    button_violations,
    check_buttons,
    check_matchrule,
    clean_buttons,
    matchrule_violations,
)


def test_a_valid_menu_passes_at_the_limits() -> None:
    subs = [{"name": "汉" * 20, "type": "click", "key": "k" * 128}] * 5
    check_buttons(
        [{"name": "六字", "sub_button": subs}, {"name": "x", "type": "view", "url": "https://e"}]
    )


def test_every_violation_is_listed_in_order_with_its_errcode() -> None:
    found = button_violations(
        [
            {"name": "a", "type": "click"},
            {"name": "b", "type": "view", "url": "ftp://x"},
            {"name": "c", "sub_button": [{"name": "d", "type": "teleport"}]},
        ]
    )
    assert [(v.path, v.kind, v.errcode) for v in found] == [
        ("[0].key", "limit", 40019),
        ("[1].url", "url", 40020),
        ("[2].sub_button[0].type", "menu_type", 40024),
    ]


def test_invalid_menu_is_a_library_error_answering_the_first_errcode() -> None:
    with pytest.raises(InvalidMenu) as caught:
        check_buttons([{"name": "一二三四五六", "type": "click"}])
    assert isinstance(caught.value, WeChatError)
    assert caught.value.errcode == 40018
    assert [v.path for v in caught.value.violations] == ["[0].name", "[0].key"]


@pytest.mark.parametrize(
    ("rule", "errcode"),
    [
        ({}, 65304),
        ({"tag_id": ""}, 65304),
        ({"sex": "1"}, 65320),
        ({"client_platform_type": "9"}, 47001),
    ],
)
def test_match_rules(rule: dict[str, str], errcode: int) -> None:
    with pytest.raises(InvalidMenu) as caught:
        check_matchrule(rule)
    assert caught.value.errcode == errcode


def test_supported_match_rules_pass_and_clean_buttons_drops_empty_fields() -> None:
    assert matchrule_violations({"tag_id": "2", "client_platform_type": "1"}) == []
    cleaned = clean_buttons(
        [{"name": "a", "type": "click", "key": "K", "url": None, "sub_button": []}]
    )
    assert cleaned == [{"name": "a", "type": "click", "key": "K"}]
