"""The HttpOnly cookies the ``/h5/`` pages set: the CSRF cookie and the OAuth state cookie."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.responses import Response


@dataclass(frozen=True, slots=True)
class PageCookie:
    """A cookie scripts cannot read, sent back only below ``path`` (over HTTPS when ``secure``)."""

    name: str
    path: str
    samesite: Literal["lax", "strict"]
    max_age_s: int
    secure: bool

    def set(self, response: Response, value: str) -> None:
        """Set the cookie to ``value`` on ``response``."""
        response.set_cookie(
            self.name,
            value,
            max_age=self.max_age_s,
            path=self.path,
            secure=self.secure,
            httponly=True,
            samesite=self.samesite,
        )

    def delete(self, response: Response) -> None:
        """Clear the cookie on ``response``."""
        response.delete_cookie(self.name, path=self.path)
