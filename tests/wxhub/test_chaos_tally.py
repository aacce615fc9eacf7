"""The chaos suite's count: what the sandboxes logged, attributed to the messages the load sent."""

from __future__ import annotations

from typing import Any

from wxhub.chaos.load import notification_recipient
from wxhub.chaos.tally import Observed, Row, Sent, format_row, header_lines, settled, tally


def template(touser: str, outcome: str = "0", errcode: int | None = 0) -> dict[str, Any]:
    return {"body": {"touser": touser}, "outcome": outcome, "errcode": errcode}


def sms_call(phone: str, outcome: str = "ok") -> dict[str, Any]:
    return {"body": {"phone": phone, "message_id": f"m-{phone}"}, "outcome": outcome}


def test_each_accepted_message_lands_in_exactly_one_column() -> None:
    sent = [
        Sent(0, "notification", "oWeChat", phone="13900000001", accepted=True),
        Sent(0, "notification", "oGone", phone="13900000002", accepted=True),
        Sent(0, "notification", "oNoFallback", phone="13900000003", fallback="none", accepted=True),
        Sent(0, "notification", "oTwice", phone="13900000004", accepted=True),
        Sent(0, "notification", "oLost", phone="13900000005", accepted=True),
        Sent(0, "callback", "oPassive", accepted=True, passive_reply=True),
        Sent(0, "callback", "oLate", accepted=True),
        Sent(0, "callback", "oPassiveAndLate", accepted=True, passive_reply=True),
        Sent(0, "callback", "oNever", accepted=True),
        Sent(0, "notification", "oRefused", phone="13900000006", refusal="HTTP 503"),
    ]
    seen = Observed.fold(
        deliveries=[
            {"kind": "template", "touser": "oWeChat"},
            {"kind": "template", "touser": "oTwice"},
            {"kind": "custom", "touser": "oLate"},
            {"kind": "custom", "touser": "oPassiveAndLate"},
        ],
        wechat_calls=[
            template("oWeChat"),
            # A retry with the same client_msg_id: answered, but WeChat delivers once.
            template("oWeChat"),
            template("oGone", "43004", 43004),
            template("oNoFallback", "43004", 43004),
            template("oTwice"),
        ],
        sms_messages=[{"phone": "13900000002"}, {"phone": "13900000004"}],
        sms_calls=[sms_call("13900000002"), sms_call("13900000004")],
    )
    row = tally("kill -9 dispatcher", sent, seen)
    assert row.accepted == 9
    assert row.refused == 1
    assert row.delivered == 3  # oWeChat, oPassive, oLate
    assert row.sms_fallback == 1  # oGone
    assert row.failed == {"WeChat 43004": 1}  # oNoFallback
    assert row.sent_twice == 2  # oTwice (WeChat + SMS), oPassiveAndLate (passive + custom)
    assert row.lost == 2  # oLost, oNever
    assert row.lost_examples == ["oLost", "oNever"]
    assert row.resent == 1
    assert not row.ok
    assert settled(sent[0], seen)
    assert not settled(sent[4], seen)


def test_a_message_refused_by_sms_fails_with_the_reason_and_a_clean_row_is_ok() -> None:
    sent = [Sent(1, "notification", "oBadPhone", phone="139", accepted=True)]
    seen = Observed.fold(
        [], [template("oBadPhone", "43004", 43004)], [], [sms_call("139", "invalid")]
    )
    row = tally("restart Redis", sent, seen)
    assert row.failed == {"SMS invalid": 1}
    assert row.ok

    total = Row("total")
    total.add(row)
    total.add(row)
    assert total.failed == {"SMS invalid": 2}
    line = format_row(total)
    assert line.startswith("| total ")
    assert "2 SMS invalid" in line
    header, rule = header_lines()
    assert len(header) == len(rule) == len(line)


def test_recipients_are_unique_and_every_fifth_is_refused_by_wechat() -> None:
    recipients = [notification_recipient("ab12", phase, n) for phase in (0, 1) for n in range(40)]
    assert len({openid for openid, *_ in recipients}) == 80
    assert len({phone for _, phone, *_ in recipients}) == 80
    refused = [r for r in recipients if r[3]]
    assert len(refused) == 16
    assert {fallback for _, _, fallback, _ in refused} == {"sms", "none"}
    assert all(fallback == "sms" for _, _, fallback, unfollowed in recipients if not unfollowed)
