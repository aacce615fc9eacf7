"""Errors raised by the WeChat protocol library, and what the caller should do about them.

::

    WeChatError                      root of everything raised here
    ├── WeChatProtocolError          callback side: the request from WeChat is not acceptable
    │   ├── InvalidSignature         signature / msg_signature does not match
    │   ├── AppIdMismatch            decrypted receive_id is not our AppID
    │   ├── DecryptionFailed         base64, AES, padding or length field is broken
    │   └── MalformedXml             bad XML, DTD/entities, wrong root, missing/invalid fields
    ├── WeChatApiError               API side: the response carried errcode != 0
    ├── WeChatTransportError         API side: HTTP >= 400, non-JSON body, network error, timeout
    ├── InvalidReply                 a reply we were asked to build breaks WeChat's rules
    └── InvalidMenu                  a custom menu breaks WeChat's rules (menu_rules.py)

``classify(errcode)`` maps an API errcode to an :class:`ErrorAction` following
docs/wechat-protocol.md §9. Codes not listed there map to ``ErrorAction.FALLBACK``: do not retry the
same request blindly (a retry could duplicate a message), give up on this channel for this
message and let the dispatcher try the next one.
"""

from __future__ import annotations

from enum import Enum, IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from libs.common.wechat.menu_rules import MenuViolation


class WeChatError(Exception):
    """Root of every error raised by :mod:`libs.common.wechat`."""


class WeChatProtocolError(WeChatError):
    """A callback from WeChat failed verification or could not be read."""


class InvalidSignature(WeChatProtocolError):
    """The ``signature`` or ``msg_signature`` does not match."""


class AppIdMismatch(WeChatProtocolError):
    """The decrypted message was addressed to another AppID."""


class DecryptionFailed(WeChatProtocolError):
    """The ciphertext could not be decrypted with any configured key."""


class MalformedXml(WeChatProtocolError):
    """The XML is malformed, hostile (DTD/entities) or lacks required fields."""


class InvalidReply(WeChatError, ValueError):
    """A reply breaks WeChat's rules (e.g. too many news articles)."""


class InvalidMenu(WeChatError, ValueError):
    """A custom menu (or a conditional menu's match rule) breaks WeChat's rules.

    ``violations`` lists every broken rule, in order; each carries the errcode WeChat answers.
    """

    def __init__(self, message: str, violations: list[MenuViolation]) -> None:
        super().__init__(message)
        self.violations = violations

    @property
    def errcode(self) -> int:
        """What WeChat answers: the errcode of the first violation."""
        return self.violations[0].errcode


class WeChatTransportError(WeChatError):
    """The API could not be reached or answered with something other than a JSON result."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class ErrorCode(IntEnum):
    """The API errcodes wxhub acts on (docs/wechat-protocol.md §9)."""

    SYSTEM_BUSY = -1
    OK = 0
    INVALID_CREDENTIAL = 40001
    INVALID_GRANT_TYPE = 40002
    INVALID_OPENID = 40003
    INVALID_MEDIA_ID = 40007
    INVALID_MSG_TYPE = 40008
    INVALID_APPID = 40013
    INVALID_ACCESS_TOKEN = 40014
    INVALID_OAUTH_CODE = 40029
    UNICODE_ESCAPED = 40033
    INVALID_TEMPLATE_ID = 40037
    INVALID_APPSECRET = 40125
    OAUTH_CODE_USED = 40163
    IP_NOT_WHITELISTED = 40164
    ACCESS_TOKEN_MISSING = 41001
    ACCESS_TOKEN_EXPIRED = 42001
    OAUTH_CODE_EXPIRED = 42003
    USER_NOT_FOLLOWING = 43004
    USER_REFUSED = 43101
    CONTENT_TOO_LONG = 45002
    TITLE_TOO_LONG = 45003
    DESCRIPTION_TOO_LONG = 45004
    URL_TOO_LONG = 45005
    PIC_URL_TOO_LONG = 45006
    TOO_MANY_ARTICLES = 45008
    API_DAILY_QUOTA = 45009
    API_FREQ_LIMIT = 45011
    OUT_OF_RESPONSE_WINDOW = 45015
    MASS_QUOTA_EXHAUSTED = 45028
    OUT_OF_RESPONSE_COUNT = 45047
    CLIENT_MSG_ID_DUPLICATE = 45065
    CLIENT_MSG_ID_TOO_FAST = 45066
    CLIENT_MSG_ID_TOO_LONG = 45067
    DATA_FORMAT_ERROR = 47001
    ARGUMENT_INVALID = 47003
    API_UNAUTHORIZED = 48001
    USER_BLOCKED_ACCOUNT = 48002
    API_BANNED = 48004
    CLEAR_QUOTA_LIMIT = 48006
    USER_UNAUTHORIZED = 50001
    ACCOUNT_RESTRICTED = 50002
    USER_UNSUBSCRIBED = 50005
    MENU_NOT_EXIST = 46003
    MENU_EMPTY_RULE = 65304
    MENU_PRIVACY_RULE = 65320


class ErrorAction(Enum):
    """What the caller should do after an API errcode."""

    SUCCESS = "success"  # done (45065: the same clientmsgid was already sent)
    REFRESH_TOKEN = "refresh_token"  # compare-and-invalidate the token, retry once
    RETRY_BACKOFF = "retry_backoff"  # exponential backoff, idempotent requests only
    THROTTLE = "throttle"  # per-minute limit: slow the queue down until the next minute
    QUOTA_EXHAUSTED = "quota_exhausted"  # stop this API until its quota resets; fall back
    RETRY_LATER = "retry_later"  # wait at least a minute, then retry the same request
    FALLBACK = "fallback"  # this channel cannot reach the user now: template / SMS
    RECIPIENT_PERMANENT = "recipient_permanent"  # this recipient cannot be reached: SMS
    FIX_PAYLOAD = "fix_payload"  # truncate / reformat / reduce the payload, then retry
    REUPLOAD_MEDIA = "reupload_media"  # media_id expired: upload again, then retry
    CONFIG = "config"  # account configuration or permission problem: stop and alert
    BUG = "bug"  # our request is wrong: no retry, log the payload
    VALIDATION = "validation"  # admin input rejected (conditional menu rules)
    REFUSED_CODE = "refused_code"  # a web-authorisation code forged, used or expired: start over


_ACTIONS: dict[int, ErrorAction] = {
    ErrorCode.OK: ErrorAction.SUCCESS,
    ErrorCode.CLIENT_MSG_ID_DUPLICATE: ErrorAction.SUCCESS,
    ErrorCode.SYSTEM_BUSY: ErrorAction.RETRY_BACKOFF,
    ErrorCode.INVALID_CREDENTIAL: ErrorAction.REFRESH_TOKEN,
    ErrorCode.INVALID_ACCESS_TOKEN: ErrorAction.REFRESH_TOKEN,
    ErrorCode.ACCESS_TOKEN_EXPIRED: ErrorAction.REFRESH_TOKEN,
    ErrorCode.ACCESS_TOKEN_MISSING: ErrorAction.BUG,
    ErrorCode.INVALID_GRANT_TYPE: ErrorAction.BUG,
    ErrorCode.INVALID_MSG_TYPE: ErrorAction.BUG,
    ErrorCode.UNICODE_ESCAPED: ErrorAction.BUG,
    ErrorCode.DATA_FORMAT_ERROR: ErrorAction.BUG,
    ErrorCode.CLIENT_MSG_ID_TOO_LONG: ErrorAction.BUG,
    ErrorCode.INVALID_APPID: ErrorAction.CONFIG,
    ErrorCode.INVALID_APPSECRET: ErrorAction.CONFIG,
    ErrorCode.IP_NOT_WHITELISTED: ErrorAction.CONFIG,
    ErrorCode.INVALID_TEMPLATE_ID: ErrorAction.CONFIG,
    ErrorCode.API_UNAUTHORIZED: ErrorAction.CONFIG,
    ErrorCode.API_BANNED: ErrorAction.CONFIG,
    ErrorCode.ACCOUNT_RESTRICTED: ErrorAction.CONFIG,
    ErrorCode.API_DAILY_QUOTA: ErrorAction.QUOTA_EXHAUSTED,
    ErrorCode.MASS_QUOTA_EXHAUSTED: ErrorAction.QUOTA_EXHAUSTED,
    ErrorCode.CLEAR_QUOTA_LIMIT: ErrorAction.QUOTA_EXHAUSTED,
    ErrorCode.API_FREQ_LIMIT: ErrorAction.THROTTLE,
    ErrorCode.CLIENT_MSG_ID_TOO_FAST: ErrorAction.RETRY_LATER,
    ErrorCode.OUT_OF_RESPONSE_WINDOW: ErrorAction.FALLBACK,
    ErrorCode.OUT_OF_RESPONSE_COUNT: ErrorAction.FALLBACK,
    ErrorCode.USER_NOT_FOLLOWING: ErrorAction.RECIPIENT_PERMANENT,
    ErrorCode.USER_REFUSED: ErrorAction.RECIPIENT_PERMANENT,
    ErrorCode.USER_BLOCKED_ACCOUNT: ErrorAction.RECIPIENT_PERMANENT,
    ErrorCode.INVALID_OPENID: ErrorAction.RECIPIENT_PERMANENT,
    ErrorCode.USER_UNAUTHORIZED: ErrorAction.RECIPIENT_PERMANENT,
    ErrorCode.USER_UNSUBSCRIBED: ErrorAction.RECIPIENT_PERMANENT,
    ErrorCode.ARGUMENT_INVALID: ErrorAction.FIX_PAYLOAD,
    ErrorCode.CONTENT_TOO_LONG: ErrorAction.FIX_PAYLOAD,
    ErrorCode.TITLE_TOO_LONG: ErrorAction.FIX_PAYLOAD,
    ErrorCode.DESCRIPTION_TOO_LONG: ErrorAction.FIX_PAYLOAD,
    ErrorCode.URL_TOO_LONG: ErrorAction.FIX_PAYLOAD,
    ErrorCode.PIC_URL_TOO_LONG: ErrorAction.FIX_PAYLOAD,
    ErrorCode.TOO_MANY_ARTICLES: ErrorAction.FIX_PAYLOAD,
    ErrorCode.INVALID_MEDIA_ID: ErrorAction.REUPLOAD_MEDIA,
    ErrorCode.MENU_NOT_EXIST: ErrorAction.VALIDATION,  # reading back an account without menus
    ErrorCode.MENU_EMPTY_RULE: ErrorAction.VALIDATION,
    ErrorCode.MENU_PRIVACY_RULE: ErrorAction.VALIDATION,
    ErrorCode.INVALID_OAUTH_CODE: ErrorAction.REFUSED_CODE,
    ErrorCode.OAUTH_CODE_USED: ErrorAction.REFUSED_CODE,
    ErrorCode.OAUTH_CODE_EXPIRED: ErrorAction.REFUSED_CODE,
}

TOKEN_ERRCODES: frozenset[int] = frozenset(
    code for code, action in _ACTIONS.items() if action is ErrorAction.REFRESH_TOKEN
)


def classify(errcode: int) -> ErrorAction:
    """Map an API errcode to the action §9 prescribes (unknown codes → ``FALLBACK``)."""
    return _ACTIONS.get(errcode, ErrorAction.FALLBACK)


class WeChatApiError(WeChatError):
    """The WeChat API answered with ``errcode != 0``."""

    def __init__(self, errcode: int, errmsg: str = "") -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg

    @property
    def code(self) -> ErrorCode | None:
        """The errcode as an :class:`ErrorCode`, or None when it is not one we know."""
        try:
            return ErrorCode(self.errcode)
        except ValueError:
            return None

    @property
    def action(self) -> ErrorAction:
        """What the caller should do about this error."""
        return classify(self.errcode)
