"""Access tokens: ``GET /cgi-bin/token`` and ``POST /cgi-bin/stable_token``.

A classic token supersedes the previous one, which keeps working for ``token_overlap_s`` and then
answers 40001. ``stable_token`` returns the same token while it is valid (a new one within the
last ``stable_rotate_s``, the old one staying valid); ``force_refresh`` invalidates it at once.
The two kinds are independent. Every API call checks its token here: missing → 41001, unknown
or superseded → 40001, expired → 42001.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from sandboxes.endpoint import Clock, Reply
from sandboxes.wechat_api.protocol import ApiError, parse_body


@dataclass(slots=True)
class IssuedToken:
    """An access_token the sandbox handed out."""

    token: str
    appid: str
    kind: str
    expires_at: float
    superseded: bool = False


class TokenBook:
    """The accounts' credentials and the tokens issued to them."""

    def __init__(
        self,
        accounts: Mapping[str, str],
        clock: Clock,
        *,
        lifetime_s: float,
        overlap_s: float,
        stable_rotate_s: float,
    ) -> None:
        self.accounts: dict[str, str] = dict(accounts)
        self._clock = clock
        self.lifetime_s = lifetime_s
        self.overlap_s = overlap_s
        self.stable_rotate_s = stable_rotate_s
        self.tokens: dict[str, IssuedToken] = {}
        self.issued: Counter[tuple[str, str]] = Counter()
        self._current: dict[tuple[str, str], IssuedToken] = {}

    def check_credentials(self, appid: object, secret: object) -> str:
        """The appid when ``appid``/``secret`` name a configured account."""
        if not isinstance(appid, str) or not appid:
            raise ApiError(41002)
        if not isinstance(secret, str) or not secret:
            raise ApiError(41004)
        if appid not in self.accounts:
            raise ApiError(40013)
        if not secrets.compare_digest(self.accounts[appid], secret):
            raise ApiError(40125)
        return appid

    def issue_classic(self, appid: str) -> IssuedToken:
        """A new classic token; the previous one survives only the overlap."""
        now = self._clock()
        previous = self._current.get((appid, "classic"))
        if previous is not None and previous.expires_at > now:
            previous.expires_at = min(previous.expires_at, now + self.overlap_s)
            previous.superseded = True
        return self._mint(appid, "classic", "classic")

    def stable(self, appid: str, *, force: bool) -> IssuedToken:
        """The current stable token, a rotated one near expiry, or a forced new one."""
        now = self._clock()
        current = self._current.get((appid, "stable"))
        if force:
            if current is not None:
                current.expires_at = min(current.expires_at, now)
                current.superseded = True
            return self._mint(appid, "stable", "stable_forced")
        if current is not None and current.expires_at - now > self.stable_rotate_s:
            return current
        return self._mint(appid, "stable", "stable")

    def check_token(self, token: str | None) -> str:
        """The appid a valid ``token`` belongs to."""
        if not token:
            raise ApiError(41001)
        issued = self.tokens.get(token)
        if issued is None:
            raise ApiError(40001)
        if issued.expires_at <= self._clock():
            raise ApiError(40001 if issued.superseded else 42001)
        return issued.appid

    def expire(self, appid: str | None = None) -> int:
        """Expire every live token (of one account); returns how many."""
        now = self._clock()
        expired = 0
        for issued in self.tokens.values():
            if (appid is None or issued.appid == appid) and issued.expires_at > now:
                issued.expires_at = now
                expired += 1
        return expired

    def issued_json(self) -> dict[str, dict[str, int]]:
        """Token issuance counters as ``{appid: {kind: n}}``."""
        result: dict[str, dict[str, int]] = {}
        for (appid, kind), n in self.issued.items():
            result.setdefault(appid, {})[kind] = n
        return result

    def _mint(self, appid: str, kind: str, counted_as: str) -> IssuedToken:
        now = self._clock()
        if len(self.tokens) > 1000:
            horizon = now - self.lifetime_s
            self.tokens = {t: i for t, i in self.tokens.items() if i.expires_at > horizon}
        token = f"sbx_{kind}_{secrets.token_urlsafe(48)}"
        issued = IssuedToken(token, appid, kind, now + self.lifetime_s)
        self.tokens[token] = issued
        self._current[appid, kind] = issued
        self.issued[appid, counted_as] += 1
        return issued

    # -- endpoints -----------------------------------------------------------------------------

    async def classic_endpoint(self, request: Request) -> Reply:
        """``GET /cgi-bin/token``."""
        query = request.query_params
        try:
            if query.get("grant_type") != "client_credential":
                raise ApiError(40002)
            appid = self.check_credentials(query.get("appid"), query.get("secret"))
            issued = self.issue_classic(appid)
        except ApiError as exc:
            answer = {"errcode": exc.errcode, "errmsg": exc.errmsg}
            return Reply(answer, str(exc.errcode), errcode=exc.errcode)
        expires_in = round(issued.expires_at - self._clock())
        return Reply({"access_token": issued.token, "expires_in": expires_in}, "0", errcode=0)

    async def stable_endpoint(self, request: Request) -> Reply:
        """``POST /cgi-bin/stable_token`` (the secret is masked in the call log)."""
        logged: Any = None
        try:
            body = parse_body(await request.body())
            logged = {k: ("***" if k == "secret" else v) for k, v in body.items()}
            if body.get("grant_type") != "client_credential":
                raise ApiError(40002)
            appid = self.check_credentials(body.get("appid"), body.get("secret"))
            issued = self.stable(appid, force=body.get("force_refresh") is True)
        except ApiError as exc:
            answer = {"errcode": exc.errcode, "errmsg": exc.errmsg}
            return Reply(answer, str(exc.errcode), 200, logged, exc.errcode)
        expires_in = round(issued.expires_at - self._clock())
        answer = {"access_token": issued.token, "expires_in": expires_in}
        return Reply(answer, "0", 200, logged, 0)
