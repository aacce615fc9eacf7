"""Callback signatures: URL verification, plaintext ``signature`` and AES-mode ``msg_signature``."""

from __future__ import annotations

import hashlib
import hmac


def compute_signature(*parts: str) -> str:
    """Sort the parts, concatenate them and return the lowercase SHA-1 hex digest."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def check_signature(token: str, signature: str, timestamp: str, nonce: str) -> bool:
    """Whether ``signature`` signs (token, timestamp, nonce); constant-time."""
    return _matches(compute_signature(token, timestamp, nonce), signature)


def check_msg_signature(
    token: str, msg_signature: str, timestamp: str, nonce: str, encrypt: str
) -> bool:
    """Whether ``msg_signature`` signs (token, timestamp, nonce, Encrypt); constant-time."""
    return _matches(compute_signature(token, timestamp, nonce, encrypt), msg_signature)
