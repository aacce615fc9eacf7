"""Passwords (argon2), access tokens (JWT, HS256) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from libs.common.db.models import utcnow
from libs.common.secret_box import derive_key
from services.admin_api.errors import NotAuthenticated

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a miss costs as long as a wrong password
# and response times don't reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("wxhub-dummy-password-for-timing")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (constant work when the hash is missing)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class AccessClaims:
    """What an access token says: the user and the login session it belongs to."""

    user_id: int
    session_id: str
    expires_at: datetime


class TokenCodec:
    """Issues and checks access tokens with a key derived from the platform secret key."""

    algorithm = "HS256"

    def __init__(self, secret_key: str, ttl_s: int) -> None:
        self._key = derive_key(secret_key, "admin-jwt")
        self.ttl_s = ttl_s

    def issue(self, user_id: int, session_id: str) -> tuple[str, int]:
        """A signed access token and its lifetime in seconds."""
        now = utcnow()
        claims = {
            "sub": str(user_id),
            "sid": session_id,
            "iat": now,
            "exp": now + timedelta(seconds=self.ttl_s),
            "typ": "access",
        }
        return jwt.encode(claims, self._key, algorithm=self.algorithm), self.ttl_s

    def decode(self, token: str) -> AccessClaims:
        """Verify signature, expiry and type; raises :class:`NotAuthenticated`."""
        try:
            claims = jwt.decode(
                token, self._key, algorithms=[self.algorithm], options={"require": ["exp", "sub"]}
            )
            if claims.get("typ") != "access":
                raise NotAuthenticated("not an access token")
            return AccessClaims(
                int(claims["sub"]),
                str(claims["sid"]),
                datetime.fromtimestamp(claims["exp"]).astimezone(),
            )
        except jwt.ExpiredSignatureError as exc:
            raise NotAuthenticated("access token expired") from exc
        except (jwt.PyJWTError, KeyError, ValueError) as exc:
            raise NotAuthenticated("invalid access token") from exc


def new_refresh_token(session_id: str) -> tuple[str, str]:
    """A refresh token ``<session>.<secret>`` and the hash of its secret to store."""
    secret = secrets.token_urlsafe(32)
    return f"{session_id}.{secret}", hash_refresh_secret(secret)


def hash_refresh_secret(secret: str) -> str:
    """SHA-256 of a refresh secret (high-entropy, so a fast hash is enough)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def split_refresh_token(token: str) -> tuple[str, str]:
    """``(session_id, secret)`` of a refresh token; raises :class:`NotAuthenticated`."""
    session_id, sep, secret = token.partition(".")
    if not sep or not session_id or not secret:
        raise NotAuthenticated("malformed refresh token")
    return session_id, secret
