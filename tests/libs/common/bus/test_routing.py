"""Topic wildcard matching, checked against RabbitMQ's documented semantics."""

from __future__ import annotations

import pytest

from libs.common.bus._routing import binding_matches, topic_matches


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("demo.text", "demo.text", True),
        ("demo.text", "demo.image", False),
        ("*.text", "demo.text", True),
        ("*.text", "text", False),
        ("*.text", "a.b.text", False),
        ("alert.*", "alert.wechat", True),
        ("alert.*", "alert", False),
        ("alert.*", "alert.wechat.x", False),
        ("#", "anything.at.all", True),
        ("#", "x", True),
        ("#.sms", "sms", True),
        ("#.sms", "alert.sms", True),
        ("#.sms", "alert.sms.x", False),
        ("a.#.b", "a.b", True),
        ("a.#.b", "a.x.y.b", True),
        ("a.#.b", "a.x.y.c", False),
        ("a.#", "a", True),
        ("a.#", "b.a", False),
        ("*.#", "a", True),
        ("#.*", "", True),
        ("#.#", "a.b", True),
        ("*.*", "a.b", True),
        ("*.*", "a", False),
        ("delivery.*", "delivery.delivered", True),
    ],
)
def test_topic_matches(pattern: str, key: str, expected: bool) -> None:
    assert topic_matches(pattern, key) is expected


def test_binding_matches_per_exchange_kind() -> None:
    assert binding_matches("fanout", "", "whatever.key")
    assert binding_matches("direct", "a.b", "a.b")
    assert not binding_matches("direct", "a.*", "a.b")
    assert binding_matches("topic", "a.*", "a.b")
