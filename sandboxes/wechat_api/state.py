"""Everything the WeChat API sandbox knows, one object per API family, steered by tests."""

from __future__ import annotations

import itertools
import time
from collections import Counter, deque
from collections.abc import Mapping

from sandboxes.endpoint import Clock, SandboxBase
from sandboxes.faults import FaultBook, JsonObject
from sandboxes.recording import CallLog
from sandboxes.wechat_api.customservice import Agents
from sandboxes.wechat_api.job_reports import JobReports
from sandboxes.wechat_api.media import MediaStore
from sandboxes.wechat_api.menu import Menus
from sandboxes.wechat_api.message import Delivery, Messages
from sandboxes.wechat_api.oauth import OAuthCodes
from sandboxes.wechat_api.protocol import shape_fault
from sandboxes.wechat_api.token import IssuedToken, TokenBook
from sandboxes.wechat_api.user import Followers

DEMO_APPID = "wxe0b2aa0cdbb2de1d"
DEMO_SECRET = "wxhub-demo-secret-not-real"


class WeChatApiState(SandboxBase):
    """The sandbox's state: tokens, followers, messages and their job reports, menus, media,
    agents."""

    def __init__(
        self,
        *,
        accounts: Mapping[str, str] | None = None,
        token_lifetime_s: float = 7200,
        token_overlap_s: float = 300,
        stable_rotate_s: float | None = None,
        client_msg_id_window_s: float = 600,
        report_delay_s: float = 0.2,
        call_log_size: int = 10_000,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(
            faults=FaultBook(
                extra_keys=frozenset({"errcode", "errmsg"}),
                shaper=shape_fault,
                status_body=lambda status: {"errcode": -1, "errmsg": f"HTTP {status}"},
            ),
            calls=CallLog(call_log_size),
            clock=clock,
        )
        ids = itertools.count(2_002_283_320_001)

        def now() -> float:
            return self.clock()

        def next_id() -> int:
            return next(ids)

        self.token_book = TokenBook(
            accounts or {DEMO_APPID: DEMO_SECRET},
            now,
            lifetime_s=token_lifetime_s,
            overlap_s=token_overlap_s,
            stable_rotate_s=token_lifetime_s / 24 if stable_rotate_s is None else stable_rotate_s,
        )
        self.followers = Followers()
        self.job_reports = JobReports(now, delay_s=report_delay_s)
        self.messages = Messages(
            self.followers,
            self.job_reports,
            now,
            next_id,
            client_msg_id_window_s=client_msg_id_window_s,
            log_size=call_log_size,
        )
        self.menus = Menus(next_id)
        self.media_store = MediaStore(now, next_id)
        self.agents = Agents()
        self.oauth = OAuthCodes(self.token_book, now)

    # What tests read and steer most, without knowing the family it belongs to.

    @property
    def accounts(self) -> dict[str, str]:
        """appid → secret of the accounts that may get tokens."""
        return self.token_book.accounts

    @property
    def tokens(self) -> dict[str, IssuedToken]:
        """Every token issued (and not yet forgotten)."""
        return self.token_book.tokens

    @property
    def tokens_issued(self) -> Counter[tuple[str, str]]:
        """Issuance counters by (appid, kind)."""
        return self.token_book.issued

    def tokens_issued_json(self) -> dict[str, dict[str, int]]:
        """Token issuance counters as ``{appid: {kind: n}}``."""
        return self.token_book.issued_json()

    def check_token(self, token: str | None) -> str:
        """The appid a valid ``token`` belongs to (raises the API's error otherwise)."""
        return self.token_book.check_token(token)

    def expire_tokens(self, appid: str | None = None) -> int:
        """Expire every live token (of one account); returns how many."""
        return self.token_book.expire(appid)

    @property
    def unknown(self) -> set[str]:
        """Openids the account does not know (40003)."""
        return self.followers.unknown

    @unknown.setter
    def unknown(self, openids: set[str]) -> None:
        self.followers.unknown = openids

    @property
    def unsubscribed(self) -> set[str]:
        """Openids that unfollowed the account (43004)."""
        return self.followers.unsubscribed

    @unsubscribed.setter
    def unsubscribed(self, openids: set[str]) -> None:
        self.followers.unsubscribed = openids

    @property
    def deliveries(self) -> deque[Delivery]:
        """Messages accepted for delivery, oldest first."""
        return self.messages.deliveries

    @property
    def delivered(self) -> int:
        """How many messages were accepted since the start."""
        return self.messages.delivered

    @property
    def media(self) -> dict[str, JsonObject]:
        """Uploaded media by media_id."""
        return self.media_store.media

    @property
    def menu(self) -> JsonObject | None:
        """The default menu, if created."""
        return self.menus.menu
