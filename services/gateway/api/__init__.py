"""The business-system notification API (``/api/v1``) mounted on the gateway's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from libs.common.resources import Resources
from services.gateway.api.errors import install_error_handlers
from services.gateway.api.routes import jobs, notifications
from services.gateway.api.state import NotificationApi
from services.gateway.settings import GatewaySettings

_SIGNING = (
    "Every request is signed by the calling business system with three headers: "
    "`X-Wxhub-System` (its code), `X-Wxhub-Timestamp` (unix seconds, accepted within ±300 s) "
    'and `X-Wxhub-Signature` = lower-case hex `HMAC-SHA256(secret, "<timestamp>." + raw '
    "body)` — for a GET the body is empty. Missing, bad or stale signatures get **401**. "
    'Every error is JSON `{"code", "message", "errors"}` with a stable `code`; invalid fields '
    "are listed in `errors` as `{loc, message, type}`; `message` follows `Accept-Language` "
    "(zh-CN by default, en).\n\n"
    "```python\n"
    "ts = str(int(time.time()))\n"
    'sig = hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()\n'
    "```"
)

TAGS = [
    {"name": "notifications", "description": "Business-system notifications. " + _SIGNING},
    {
        "name": "notification-jobs",
        "description": "CSV uploads (文件发送) turned into tracked notification jobs.",
    },
]

__all__ = ["NotificationApi", "install_notification_api"]


def install_notification_api(
    app: FastAPI, settings: GatewaySettings, resources: Resources
) -> NotificationApi:
    """Mount the routers and error handlers on ``app``; returns the API's collaborators."""
    api = NotificationApi.build(settings, resources)
    app.state.notification_api = api
    install_error_handlers(app)
    app.include_router(notifications.router)
    app.include_router(jobs.router)
    app.openapi_tags = [*(app.openapi_tags or []), *TAGS]
    return api
