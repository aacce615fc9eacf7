"""Encryption at rest for account secrets (AppSecret, token, EncodingAESKey).

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from ``WXHUB_SECRET_KEY``: a leaked database
dump alone does not reveal credentials, and a tampered value fails loudly instead of decrypting.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class SecretBoxError(ValueError):
    """A stored secret could not be decrypted (wrong key or tampered value)."""


class SecretBox:
    """Encrypts and decrypts short secrets with a key derived from the platform secret key."""

    def __init__(self, secret_key: str) -> None:
        digest = hashlib.sha256(b"wxhub-secret-box:" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def encrypt(self, plaintext: str) -> str:
        """Encrypt ``plaintext``; the result is ASCII and safe to store in a text column."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        """Decrypt a value produced by :meth:`encrypt`."""
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise SecretBoxError("stored secret cannot be decrypted with this key") from exc

    def decrypt_optional(self, ciphertext: str | None) -> str | None:
        """Like :meth:`decrypt`, passing ``None`` through."""
        return None if ciphertext is None else self.decrypt(ciphertext)


def last4(secret: str | None) -> str | None:
    """The last four characters of a secret, for display ("set, ends in …abcd")."""
    return None if not secret else secret[-4:]
