"""CSRF protection of the pages' forms: a signed double-submit token bound to the page link.

GET sets a random cookie (HttpOnly, SameSite=Strict, path ``/h5``) and puts
``HMAC(key, cookie | link nonce)`` into the form. A POST is accepted only with both, matching: a
forged cross-site form cannot read the cookie, and a token lifted from one link does not work with
another.
"""

from __future__ import annotations

import hmac
import secrets
from hashlib import sha256

from libs.common.secret_box import derive_key

COOKIE = "wxhub_h5_csrf"
KEY_PURPOSE = "h5-csrf"


class CsrfTokens:
    """Issues cookie values and form tokens; checks them in constant time."""

    def __init__(self, secret_key: str) -> None:
        self._key = derive_key(secret_key, KEY_PURPOSE)

    @staticmethod
    def new_cookie() -> str:
        """A fresh cookie value."""
        return secrets.token_hex(16)

    def form_token(self, cookie: str, link_nonce: str) -> str:
        """The form's token for this cookie and link."""
        return hmac.new(self._key, f"{cookie}|{link_nonce}".encode(), sha256).hexdigest()

    def valid(self, cookie: str | None, link_nonce: str, form_token: str | None) -> bool:
        """Whether the posted token belongs to this cookie and link."""
        if not cookie or not form_token or len(cookie) > 64 or len(form_token) > 128:
            return False
        return hmac.compare_digest(self.form_token(cookie, link_nonce), form_token)
