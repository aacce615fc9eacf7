"""Encryption at rest for secrets (AppSecret, token, EncodingAESKey, access tokens, API secrets).

Fernet (AES-128-CBC + HMAC-SHA256) with keys derived from ``WXHUB_SECRET_KEY`` by HKDF, one key per
purpose, so the same platform secret never signs admin tokens with the key that encrypts
credentials. A leaked database dump alone does not reveal credentials, and a tampered value fails
loudly instead of decrypting.

Values that must be found by equality (customer numbers) are stored encrypted *and* as a keyed
lookup token (:meth:`SecretBox.token`, HMAC-SHA256 under a key of its own): the token matches
the same plaintext every time, reveals nothing without the key, and is searched with ``=``/``IN``.

Rotation: set the new key as ``WXHUB_SECRET_KEY`` and the old ones in
``WXHUB_PREVIOUS_SECRET_KEYS``; values encrypted under any of them still decrypt, new values are
encrypted under the new key, lookups try the token under every key (:meth:`SecretBox.tokens`),
and ``wxhub rotate-secrets`` re-encrypts what is stored and recomputes its tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# A prod secret must carry at least this much entropy (estimated from its length and alphabet).
MIN_SECRET_ENTROPY_BITS = 256


class SecretBoxError(ValueError):
    """A stored secret could not be decrypted (wrong key or tampered value)."""


def derive_key(secret_key: str, purpose: str, length: int = 32) -> bytes:
    """A key for one purpose (``"secret-box"``, ``"admin-jwt"``…) derived from the platform key."""
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=length, salt=None, info=b"wxhub:" + purpose.encode()
    )
    return hkdf.derive(secret_key.encode())


def estimated_entropy_bits(secret: str) -> float:
    """A conservative estimate of a secret's entropy: length × log2(the alphabet it draws from).

    The alphabet is the smallest usual one the secret fits (hex, base64/url-safe, printable), and a
    secret made of very few distinct characters counts only as much as those allow — enough to
    refuse short and ``aaaa…`` keys, not a proof of randomness.
    """
    if not secret:
        return 0.0
    chars = set(secret)
    if chars <= set("0123456789abcdef") or chars <= set("0123456789ABCDEF"):
        alphabet = 16
    elif chars <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_"):
        alphabet = 64
    else:
        alphabet = 94
    if len(chars) < 8:
        alphabet = max(len(chars), 2)
    return len(secret) * math.log2(alphabet)


class SecretBox:
    """Encrypts with the current key; decrypts with the current or any previous key."""

    def __init__(self, secret_key: str, previous_keys: Sequence[str] = ()) -> None:
        keys = [self._fernet(secret_key)]
        for old in previous_keys:
            keys.append(self._fernet(old))
        # Values written before keys were derived by HKDF still decrypt, and rotate to the new key.
        keys.extend(self._legacy_fernet(key) for key in (secret_key, *previous_keys))
        self._current = keys[0]
        self._all = MultiFernet(keys)
        self._token_keys = [derive_key(key, "lookup-token") for key in (secret_key, *previous_keys)]

    @staticmethod
    def _fernet(secret_key: str) -> Fernet:
        return Fernet(base64.urlsafe_b64encode(derive_key(secret_key, "secret-box")))

    @staticmethod
    def _legacy_fernet(secret_key: str) -> Fernet:
        digest = hashlib.sha256(b"wxhub-secret-box:" + secret_key.encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))

    def encrypt(self, plaintext: str) -> str:
        """Encrypt ``plaintext``; the result is ASCII and safe to store in a text column."""
        return self._current.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        """Decrypt a value produced by :meth:`encrypt` under the current or a previous key."""
        try:
            return self._all.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise SecretBoxError("stored secret cannot be decrypted with this key") from exc

    def decrypt_optional(self, ciphertext: str | None) -> str | None:
        """Like :meth:`decrypt`, passing ``None`` through."""
        return None if ciphertext is None else self.decrypt(ciphertext)

    def token(self, value: str, purpose: str) -> str:
        """The lookup token of ``value`` under the current key (64 hex digits); ``purpose``
        keeps the tokens of different kinds of values apart."""
        return self._token(self._token_keys[0], value, purpose)

    def tokens(self, value: str, purpose: str) -> list[str]:
        """The tokens of ``value`` under the current and every previous key (for lookups while
        a rotation is under way), the current one first."""
        return list(dict.fromkeys(self._token(key, value, purpose) for key in self._token_keys))

    @staticmethod
    def _token(key: bytes, value: str, purpose: str) -> str:
        message = purpose.encode() + b"\x00" + value.encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt a stored value under the current key (keeping its plaintext)."""
        try:
            return self._all.rotate(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise SecretBoxError("stored secret cannot be decrypted with this key") from exc


def last4(secret: str | None) -> str | None:
    """The last four characters of a secret, for display ("set, ends in …abcd")."""
    return None if not secret else secret[-4:]
