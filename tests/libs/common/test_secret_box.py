"""Secrets at rest."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import pytest
from cryptography.fernet import Fernet

from libs.common.secret_box import (
    MIN_SECRET_ENTROPY_BITS,
    SecretBox,
    SecretBoxError,
    derive_key,
    estimated_entropy_bits,
    last4,
)


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


def test_previous_keys_decrypt_and_rotate_moves_values_to_the_current_key() -> None:
    old = SecretBox("key-one").encrypt("s3cret")
    rotated_box = SecretBox("key-two", previous_keys=["key-one"])
    assert rotated_box.decrypt(old) == "s3cret"
    fresh = rotated_box.rotate(old)
    assert SecretBox("key-two").decrypt(fresh) == "s3cret"  # no longer needs the old key
    with pytest.raises(SecretBoxError):
        SecretBox("key-one").decrypt(fresh)
    with pytest.raises(SecretBoxError):
        SecretBox("key-three").rotate(old)


def test_values_stored_before_hkdf_still_decrypt() -> None:
    # How values were encrypted before keys were derived by HKDF: a SHA-256 of a fixed label.
    legacy = Fernet(
        base64.urlsafe_b64encode(hashlib.sha256(b"wxhub-secret-box:key-one").digest())
    ).encrypt(b"s3cret")
    box = SecretBox("key-one")
    assert box.decrypt(legacy.decode()) == "s3cret"
    assert (
        Fernet(base64.urlsafe_b64encode(derive_key("key-one", "secret-box"))).decrypt(
            box.rotate(legacy.decode()).encode()
        )
        == b"s3cret"
    )


def test_each_purpose_gets_its_own_key() -> None:
    assert derive_key("key-one", "secret-box") != derive_key("key-one", "admin-jwt")
    assert derive_key("key-one", "admin-jwt") != derive_key("key-two", "admin-jwt")
    assert len(derive_key("key-one", "admin-jwt")) == 32


@pytest.mark.parametrize(
    ("secret", "strong"),
    [
        (secrets.token_hex(32), True),
        (secrets.token_urlsafe(32), True),
        (secrets.token_hex(16), False),
        ("a" * 200, False),
        ("correct horse battery staple", False),
        ("", False),
    ],
    # Stable ids: parallel workers must collect the same names for these random values.
    ids=["hex-32", "urlsafe-32", "hex-16", "repeated", "passphrase", "empty"],
)
def test_entropy_estimate_separates_random_keys_from_weak_ones(secret: str, strong: bool) -> None:
    assert (estimated_entropy_bits(secret) >= MIN_SECRET_ENTROPY_BITS) is strong


def test_lookup_tokens_match_equal_values_only_and_follow_the_key() -> None:
    box = SecretBox("key-one")
    token = box.token("C00000001", "customer-no")
    # A known-answer vector: HMAC-SHA256 under the HKDF key of purpose "lookup-token".
    expected = hmac.new(
        derive_key("key-one", "lookup-token"), b"customer-no\x00C00000001", hashlib.sha256
    ).hexdigest()
    assert token == expected
    assert len(token) == 64
    assert box.token("C00000001", "customer-no") == token  # deterministic: searchable
    assert box.token("C00000002", "customer-no") != token
    assert box.token("C00000001", "phone") != token  # purposes stay apart
    assert SecretBox("key-two").token("C00000001", "customer-no") != token
    # While a rotation is under way, lookups try the old key's token too.
    rotating = SecretBox("key-two", previous_keys=["key-one"])
    assert rotating.tokens("C00000001", "customer-no") == [
        SecretBox("key-two").token("C00000001", "customer-no"),
        token,
    ]
