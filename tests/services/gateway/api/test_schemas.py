"""API schemas: masked phone numbers."""

from __future__ import annotations

from services.gateway.api.schemas import mask_phone


def test_mask_phone() -> None:
    assert mask_phone("13800000001") == "138****0001"
    assert mask_phone("+8613800000001") == "+86*******0001"
    assert mask_phone("12345") == "12345"
    assert mask_phone(None) is None
