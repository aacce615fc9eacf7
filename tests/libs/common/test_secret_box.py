"""Secrets at rest."""

from __future__ import annotations

import pytest

from libs.common.secret_box import SecretBox, SecretBoxError, last4


def test_round_trip_and_ciphertext_hides_the_secret() -> None:
    box = SecretBox("key-one")
    stored = box.encrypt("wxhub-demo-secret-not-real")
    assert "wxhub" not in stored
    assert box.decrypt(stored) == "wxhub-demo-secret-not-real"


def test_another_key_or_tampering_fails_loudly() -> None:
    stored = SecretBox("key-one").encrypt("s3cret")
    with pytest.raises(SecretBoxError):
        SecretBox("key-two").decrypt(stored)
    with pytest.raises(SecretBoxError):
        SecretBox("key-one").decrypt(stored[:-4] + "AAAA")


def test_last4() -> None:
    assert last4("abcdefgh") == "efgh"
    assert last4(None) is None
