"""Validation of notification requests against reminder types, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.gateway.notifications.config import ConfigSnapshot, EnabledAccount, ReminderRules
from services.gateway.notifications.validation import (
    Rejection,
    check_channels,
    parse,
    prepare,
)

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
SNAPSHOT = ConfigSnapshot(
    systems={},
    accounts={"demo": EnabledAccount(1, "demo")},
    reminders={
        (1, "balance_change"): ReminderRules(
            1, "balance_change", True, "sms", "alert", frozenset({"amount"}), frozenset({"tail"})
        ),
        (1, "nav_report"): ReminderRules(
            1, "nav_report", False, "none", "bulk", frozenset({"nav"}), frozenset()
        ),
    },
    loaded_at=0.0,
)


def request(**fields: Any) -> dict[str, Any]:
    return {
        "account": "demo",
        "event_type": "balance_change",
        "to": {"openid": "oUser"},
        "data": {"amount": "5", "tail": "1234"},
        **fields,
    }


def test_reminder_type_defaults_apply_and_the_deadline_is_absolute() -> None:
    bulk = prepare(0, parse(request(event_type="nav_report", data={"nav": "1.1"})), SNAPSHOT, NOW)
    assert (bulk.priority, bulk.fallback, bulk.fallback_explicit) == ("bulk", "none", False)
    alert = prepare(1, parse(request(deadline_s=10)), SNAPSHOT, NOW)
    assert (alert.priority, alert.fallback) == ("alert", "sms")
    assert alert.deadline_at == NOW + timedelta(seconds=10)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"account": "nope"}, "unknown_account"),
        ({"event_type": "nope"}, "unknown_event_type"),
        ({"event_type": "nav_report", "fallback": "sms"}, "fallback_not_allowed"),
        ({"to": {}}, "invalid_request"),
    ],
)
def test_refusals_carry_a_stable_code(fields: dict[str, Any], code: str) -> None:
    with pytest.raises(Rejection) as caught:
        prepare(0, parse(request(**fields)), SNAPSHOT, NOW)
    assert caught.value.code == code
    assert caught.value.status == 422


def test_a_default_sms_fallback_without_phone_is_turned_off_and_noted() -> None:
    item = prepare(0, parse(request()), SNAPSHOT, NOW)
    check_channels(item)
    assert item.fallback == "none"
    assert item.notes == ["no phone known: SMS fallback off"]


def test_an_explicit_sms_fallback_needs_a_phone() -> None:
    item = prepare(0, parse(request(fallback="sms")), SNAPSHOT, NOW)
    with pytest.raises(Rejection) as caught:
        check_channels(item)
    assert caught.value.code == "no_fallback_phone"


def test_data_must_fill_the_texts_of_every_channel_that_may_carry_it() -> None:
    item = prepare(
        0, parse(request(to={"openid": "o", "phone": "13800000001"}, data={})), SNAPSHOT, NOW
    )
    with pytest.raises(Rejection) as caught:
        check_channels(item)
    assert caught.value.code == "missing_data_fields"
    assert [e["loc"] for e in caught.value.errors or []] == [["data", "amount"], ["data", "tail"]]
