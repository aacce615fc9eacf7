"""CSV jobs: parsing files and rows."""

from __future__ import annotations

from typing import Any

import pytest

from services.gateway.notifications.jobs import JobOptions, parse_csv, row_item
from services.gateway.notifications.validation import Rejection


def test_parse_csv_reads_bom_and_skips_blank_lines() -> None:
    table = parse_csv("\ufeffOpenID, amount \n\no1,5\n,,\n".encode(), max_rows=10)
    assert table.header == ["OpenID", "amount"]
    assert table.rows == [(1, ["o1", "5"])]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"\xff\xfe\x00bad", "bad_encoding"),
        (b"openid\n" + b"o\n" * 11, "too_many_rows"),
    ],
)
def test_parse_csv_refusals(content: bytes, code: str) -> None:
    with pytest.raises(Rejection) as caught:
        parse_csv(content, max_rows=10)
    assert caught.value.code == code


def test_row_item_splits_recipient_and_data_columns() -> None:
    options = JobOptions("demo", "balance_change", priority="bulk", fallback="none")
    item: dict[str, Any] = row_item(
        ["Customer_No", "phone", "amount", ""], [" C1 ", "", "5", "ignored"], options, "job:j:1"
    )
    assert item["to"] == {"customer_no": "C1"}
    assert item["data"] == {"amount": "5"}
    assert (item["priority"], item["fallback"], item["idempotency_key"]) == (
        "bulk",
        "none",
        "job:j:1",
    )
    with pytest.raises(Rejection, match="2 columns"):
        row_item(["openid", "amount", "x"], ["o", "1"], options, "k")
