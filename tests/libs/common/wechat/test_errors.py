from __future__ import annotations

import pytest

from libs.common.wechat import errors as e

EXPECTED: dict[int, e.ErrorAction] = {
    0: e.ErrorAction.SUCCESS,
    45065: e.ErrorAction.SUCCESS,
    -1: e.ErrorAction.RETRY_BACKOFF,
    40001: e.ErrorAction.REFRESH_TOKEN,
    40014: e.ErrorAction.REFRESH_TOKEN,
    42001: e.ErrorAction.REFRESH_TOKEN,
    41001: e.ErrorAction.BUG,
    40002: e.ErrorAction.BUG,
    47001: e.ErrorAction.BUG,
    40033: e.ErrorAction.BUG,
    40008: e.ErrorAction.BUG,
    45067: e.ErrorAction.BUG,
    40013: e.ErrorAction.CONFIG,
    40125: e.ErrorAction.CONFIG,
    40164: e.ErrorAction.CONFIG,
    48001: e.ErrorAction.CONFIG,
    48004: e.ErrorAction.CONFIG,
    50002: e.ErrorAction.CONFIG,
    40037: e.ErrorAction.CONFIG,
    45009: e.ErrorAction.QUOTA_EXHAUSTED,
    45028: e.ErrorAction.QUOTA_EXHAUSTED,
    48006: e.ErrorAction.QUOTA_EXHAUSTED,
    45011: e.ErrorAction.THROTTLE,
    45066: e.ErrorAction.RETRY_LATER,
    45015: e.ErrorAction.FALLBACK,
    45047: e.ErrorAction.FALLBACK,
    43004: e.ErrorAction.RECIPIENT_PERMANENT,
    43101: e.ErrorAction.RECIPIENT_PERMANENT,
    48002: e.ErrorAction.RECIPIENT_PERMANENT,
    40003: e.ErrorAction.RECIPIENT_PERMANENT,
    50001: e.ErrorAction.RECIPIENT_PERMANENT,
    50005: e.ErrorAction.RECIPIENT_PERMANENT,
    47003: e.ErrorAction.FIX_PAYLOAD,
    45002: e.ErrorAction.FIX_PAYLOAD,
    45003: e.ErrorAction.FIX_PAYLOAD,
    45004: e.ErrorAction.FIX_PAYLOAD,
    45005: e.ErrorAction.FIX_PAYLOAD,
    45006: e.ErrorAction.FIX_PAYLOAD,
    45008: e.ErrorAction.FIX_PAYLOAD,
    40007: e.ErrorAction.REUPLOAD_MEDIA,
    65320: e.ErrorAction.VALIDATION,
    46003: e.ErrorAction.VALIDATION,
    65304: e.ErrorAction.VALIDATION,
    40029: e.ErrorAction.REFUSED_CODE,
    40163: e.ErrorAction.REFUSED_CODE,
    42003: e.ErrorAction.REFUSED_CODE,
}


@pytest.mark.parametrize(("errcode", "action"), EXPECTED.items())
def test_classification_follows_the_protocol_table(errcode: int, action: e.ErrorAction) -> None:
    assert e.classify(errcode) is action
    assert e.WeChatApiError(errcode, "x").action is action


def test_every_error_code_is_classified_explicitly() -> None:
    assert {int(code) for code in e.ErrorCode} == set(EXPECTED)


@pytest.mark.parametrize("errcode", [99999, 40015, 61451, -2])
def test_unknown_codes_default_to_fallback(errcode: int) -> None:
    assert e.classify(errcode) is e.ErrorAction.FALLBACK
    assert e.WeChatApiError(errcode).code is None


def test_token_errcodes() -> None:
    assert frozenset({40001, 40014, 42001}) == e.TOKEN_ERRCODES


def test_api_error_carries_code_and_message() -> None:
    error = e.WeChatApiError(45015, "response out of time limit rid: 1-2-3")
    assert error.errcode == 45015
    assert error.code is e.ErrorCode.OUT_OF_RESPONSE_WINDOW
    assert "45015" in str(error)
    assert "rid: 1-2-3" in str(error)


@pytest.mark.parametrize(
    ("cls", "parent"),
    [
        (e.InvalidSignature, e.WeChatProtocolError),
        (e.AppIdMismatch, e.WeChatProtocolError),
        (e.DecryptionFailed, e.WeChatProtocolError),
        (e.MalformedXml, e.WeChatProtocolError),
        (e.WeChatProtocolError, e.WeChatError),
        (e.WeChatApiError, e.WeChatError),
        (e.WeChatTransportError, e.WeChatError),
        (e.InvalidReply, e.WeChatError),
        (e.InvalidReply, ValueError),
    ],
)
def test_hierarchy(cls: type[Exception], parent: type[Exception]) -> None:
    assert issubclass(cls, parent)


def test_api_and_protocol_errors_are_disjoint() -> None:
    assert not issubclass(e.WeChatApiError, e.WeChatProtocolError)
    assert not issubclass(e.WeChatTransportError, e.WeChatApiError)


def test_transport_error_keeps_the_status() -> None:
    assert e.WeChatTransportError("boom", status_code=502).status_code == 502
