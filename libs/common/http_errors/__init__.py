"""The one error format of every wxhub HTTP endpoint, in Chinese and English.

Every refusal, from every service, is JSON::

    {"code": "validation_error", "message": "请求参数无效",
     "errors": [{"loc": ["to", "phone"], "message": "最多 20 个字符", "type": "string_too_long"}]}

``code`` is stable and machine-readable (``catalogue.py`` lists every one); ``message`` is for
people, in the request's language (``Accept-Language``: ``zh-CN`` by default, ``en``); ``errors``
lists per-field problems (empty when there are none). A service may add keys of its own (the
gateway's stored ``id``, the admin API's ``details``); when a Chinese answer replaces a more
specific English sentence from the code, that sentence is kept in ``detail`` for developers.

:func:`install_error_handlers` gives a FastAPI/Starlette app this shape for unknown routes (404),
wrong methods (405), request validation and unreadable bodies (422) and crashes (500); services
register their domain errors on top and build bodies with :func:`error_response`. The raw-ASGI
WeChat callback uses :func:`error_bytes` on its error path only.

The package: ``catalogue`` (codes and texts), ``language`` (negotiation), ``bodies`` (building
them), ``handlers`` (installed on an app), ``openapi`` (the documented schema).
"""

from __future__ import annotations

from libs.common.http_errors.bodies import error_body, error_bytes, error_response, field_errors
from libs.common.http_errors.handlers import install_error_handlers, not_found_app
from libs.common.http_errors.language import Language, negotiate, scope_language
from libs.common.http_errors.openapi import ErrorBody, FieldError, error_responses

__all__ = [
    "ErrorBody",
    "FieldError",
    "Language",
    "error_body",
    "error_bytes",
    "error_response",
    "error_responses",
    "field_errors",
    "install_error_handlers",
    "negotiate",
    "not_found_app",
    "scope_language",
]
