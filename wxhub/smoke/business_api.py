"""Signed requests to the business API as the demo business system (the smoke run, the chaos
suite's load and end-to-end tests send them)."""

from __future__ import annotations

import json

from services.gateway.api.auth import signed_headers
from wxhub.demo.account import DEMO
from wxhub.demo.outbound import CUSTOMERS, DEMO_SYSTEM


def demo_signed(body: bytes) -> dict[str, str]:
    """The business API's HMAC headers of the demo business system for ``body``."""
    return signed_headers(DEMO_SYSTEM.code, DEMO_SYSTEM.secret, body)


def demo_notification(idempotency_key: str, customer: int = 0) -> tuple[bytes, dict[str, str]]:
    """A signed ``fund_confirm`` notification to a demo customer (the first unless told):
    body and headers."""
    _openid, customer_no, _ = CUSTOMERS[customer]
    body = json.dumps(
        {
            "account": DEMO.code,
            "event_type": "fund_confirm",
            "to": {"customer_no": customer_no},
            "data": {
                "fund_name": "wxhub 稳健货币A",
                "fund_code": "000001",
                "amount": "10,000.00",
                "shares": "9,876.54",
                "confirm_date": "2025-06-30",
            },
            "idempotency_key": idempotency_key,
        },
        ensure_ascii=False,
    ).encode()
    return body, {"Content-Type": "application/json", **demo_signed(body)}
