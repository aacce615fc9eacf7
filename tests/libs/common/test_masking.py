"""Card and phone numbers as chat, logs and pages show them."""

from __future__ import annotations

import pytest

from libs.common.masking import mask_card_no, mask_phone


@pytest.mark.parametrize(
    ("card", "masked"),
    [
        ("6222020000003456", "************3456"),
        ("6222020000000012345", "************2345"),
        ("6222 0200 0000 0012 345", "************2345"),
        ("1234", "************"),
        ("", "************"),
    ],
)
def test_only_the_last_four_digits_show(card: str, masked: str) -> None:
    assert mask_card_no(card) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800000001", "138****0001"),
        ("+8613800000001", "+86*******0001"),
        ("12345", "***45"),
        ("12", "**"),
        ("", ""),
        (None, None),
    ],
)
def test_phone_numbers_keep_the_first_three_and_last_four(
    phone: str | None, masked: str | None
) -> None:
    assert mask_phone(phone) == masked
