"""Admin API errors; each carries an HTTP status and a stable ``code`` for clients.

::

    AdminError
    ├── NotAuthenticated      401 not_authenticated   (no/invalid/expired/revoked token)
    │   └── InvalidCredentials 401 invalid_credentials
    ├── AccountLocked         423 account_locked
    ├── TooManyRequests       429 too_many_requests    (login throttled per client address)
    ├── PermissionDenied      403 permission_denied
    ├── NotFound              404 not_found            (also: outside the data scope)
    ├── Conflict              409 conflict             (duplicates, objects still in use)
    │   ├── InvalidState      409 invalid_state        (workflow transition not allowed)
    │   └── QuotaExceeded     409 quota_exceeded       (mass-send ledger full)
    ├── FieldErrors           422 validation_error     (per-field problems, like pydantic's)
    │   └── LimitExceeded     422 limit_exceeded       (a content limit, named in ``limit``)
    └── UpstreamError         502 wechat_error         (the WeChat API failed or refused)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass
class FieldError:
    """One problem with one input field."""

    field: str
    message: str
    type: str = "value_error"


class AdminError(Exception):
    """Root of the admin API's errors."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotAuthenticated(AdminError):
    """No valid access token."""

    status = 401
    code = "not_authenticated"


class InvalidCredentials(NotAuthenticated):
    """Wrong username or password."""

    code = "invalid_credentials"


class AccountLocked(AdminError):
    """Too many failed logins; the account is locked for a while."""

    status = 423
    code = "account_locked"


class TooManyRequests(AdminError):
    """Too many attempts from one client address; ``retry_after`` seconds until the next."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, **details: Any) -> None:
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after


class PermissionDenied(AdminError):
    """The user lacks the permission the route declares."""

    status = 403
    code = "permission_denied"


class NotFound(AdminError):
    """No such object, or not in the user's data scope (indistinguishable on purpose)."""

    status = 404
    code = "not_found"


class Conflict(AdminError):
    """The change clashes with existing data."""

    status = 409
    code = "conflict"


class InvalidState(Conflict):
    """A workflow step that the object's current state does not allow."""

    code = "invalid_state"


class QuotaExceeded(Conflict):
    """The account's mass-send quota for the period is used up."""

    code = "quota_exceeded"


class WindowExpired(Conflict):
    """WeChat's 48-hour customer-service window is closed: nothing can be sent."""

    code = "window_expired"


class WindowQuotaUsed(Conflict):
    """The sends WeChat allows since the customer's last message are used up."""

    code = "window_quota_used"


class NotAnAgent(Conflict):
    """The user has no customer-service seat."""

    code = "not_an_agent"


class FieldErrors(AdminError):
    """One or more input fields are wrong."""

    status = 422
    code = "validation_error"

    def __init__(self, message: str, errors: list[FieldError] | None = None, **details: Any):
        super().__init__(message, **details)
        self.errors = errors or []


class LimitExceeded(FieldErrors):
    """Content breaks a limit (size, length, duration, format); ``limit`` names it."""

    code = "limit_exceeded"

    def __init__(self, message: str, *, limit: str, field_name: str = "file", **details: Any):
        super().__init__(
            message, [FieldError(field_name, message, "limit")], limit=limit, **details
        )


@dataclass
class UpstreamError(AdminError):
    """The WeChat API could not be reached or refused the request."""

    message: str
    errcode: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    status: ClassVar[int] = 502
    code: ClassVar[str] = "wechat_error"

    def __post_init__(self) -> None:
        Exception.__init__(self, self.message)
        if self.errcode is not None:
            self.details["errcode"] = self.errcode
