"""Masking personal numbers wherever they are shown: chat, logs, events, pages."""

from __future__ import annotations

# A card number shows only its last four digits, behind twelve stars whatever its length
# (``************3456``), so the masked form does not even reveal how long the number is.
CARD_MASK = "*" * 12


def mask_card_no(card_no: str) -> str:
    """``6222020000000012345`` → ``************2345``."""
    digits = "".join(ch for ch in card_no if ch.isalnum())
    return CARD_MASK + digits[-4:] if len(digits) > 4 else CARD_MASK


def mask_phone(phone: str | None) -> str | None:
    """``13800000001`` → ``138****0001``; a number too short for that keeps only its last 2."""
    if not phone:
        return phone
    if len(phone) < 8:
        return "*" * (len(phone) - 2) + phone[-2:] if len(phone) > 2 else "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"
