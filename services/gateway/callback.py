"""The WeChat callback endpoint ``/wechat/{account}`` — the gateway's hot path.

Plain ASGI rather than a FastAPI route: this path runs for every message every follower sends, and
routing/validation layers cost more than the crypto. The flow (R-IN-1..7):

    verify signature → [decrypt] → parse → claim in the callback ledger
      first attempt → request/reply over wx.inbound with a deadline → passive reply or "success"
                      (bus unreachable: "success", and the message is published later —
                      ``inbound_backlog.py``)
      WeChat retry  → the first attempt's reply (REPLIED), wait (PENDING), or "success"

This module checks, opens and answers the request; from the ledger claim on, the round trip to the
engine is ``engine_round_trip.py``'s. Bad input is answered with a status code and the common JSON
error (``libs.common.http_errors``, built on the error path only) and never reaches the bus.
Anything that fails after the input was accepted is logged with the message id and answered
``success``: WeChat shows users an error notice for anything else.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

from libs.common.bus import Bus
from libs.common.callback_ledger import CallbackLedger
from libs.common.http_errors import error_bytes, scope_language
from libs.common.observability.logging import get_logger
from libs.common.wechat import (
    AppIdMismatch,
    InvalidSignature,
    MalformedXml,
    WeChatProtocolError,
    check_signature,
    parse_message,
    parse_xml,
    reply_from_dict,
)
from services.gateway.accounts import CallbackAccount, CallbackAccounts
from services.gateway.engine_round_trip import EngineRoundTrip
from services.gateway.inbound_backlog import InboundBacklog
from services.gateway.metrics import CALLBACK_LATENCY, CALLBACKS
from services.gateway.settings import GatewaySettings

log = get_logger(__name__)

PATH_PREFIX = "/wechat/"
_SUCCESS = b"success"
_TEXT_HEADERS = [(b"content-type", b"text/plain; charset=utf-8")]
_XML_HEADERS = [(b"content-type", b"application/xml; charset=utf-8")]
_JSON_HEADERS = [(b"content-type", b"application/json; charset=utf-8")]


class Rejected(Exception):
    """Bad input: answered with ``status`` and a JSON error, never published."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class CallbackEndpoint:
    """ASGI app serving ``GET`` (URL verification) and ``POST`` (messages) for every account."""

    def __init__(
        self,
        settings: GatewaySettings,
        accounts: CallbackAccounts,
        bus: Bus,
        ledger: CallbackLedger,
        backlog: InboundBacklog | None = None,
    ) -> None:
        self._settings = settings
        self._accounts = accounts
        self.backlog = backlog or InboundBacklog(bus)
        self._round_trip = EngineRoundTrip(settings, bus, ledger, self.backlog)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        code = scope["path"][len(PATH_PREFIX) :].strip("/")
        account = self._accounts.get(code)
        try:
            if account is None:
                raise Rejected(404, "unknown_account", f"no account {code!r}")
            query = dict(parse_qsl(scope["query_string"].decode("latin-1")))
            method = scope["method"]
            if method == "GET":
                await self._verify_url(account, query, send)
                return
            if method != "POST":
                raise Rejected(405, "method_not_allowed", "use GET or POST")
            body = await self._read_body(scope, receive)
            status, payload, headers = await self._handle_post(account, query, body)
        except Rejected as exc:
            CALLBACKS.labels(code if account else "-", f"rejected_{exc.code}").inc()
            log.info("callback_rejected", account=code, status=exc.status, reason=exc.code)
            error = error_bytes(exc.code, scope_language(scope), str(exc))
            await _respond(send, exc.status, error, _JSON_HEADERS)
            return
        await _respond(send, status, payload, headers)
        CALLBACK_LATENCY.observe(time.perf_counter() - started)

    async def _verify_url(
        self, account: CallbackAccount, query: dict[str, str], send: Send
    ) -> None:
        self._check_signature(account, query)
        echostr = query.get("echostr")
        if echostr is None:
            raise Rejected(400, "missing_echostr", "echostr is required")
        CALLBACKS.labels(account.code, "verified").inc()
        await _respond(send, 200, echostr.encode(), _TEXT_HEADERS)

    def _check_signature(self, account: CallbackAccount, query: dict[str, str]) -> None:
        signature, timestamp, nonce = (query.get(k) for k in ("signature", "timestamp", "nonce"))
        if not signature or not timestamp or not nonce:
            raise Rejected(403, "missing_signature", "signature, timestamp and nonce are required")
        if not check_signature(account.token, signature, timestamp, nonce):
            raise Rejected(403, "bad_signature", "signature does not match")
        tolerance = self._settings.timestamp_tolerance_s
        if tolerance:
            try:
                skew = abs(time.time() - int(timestamp))
            except ValueError:
                raise Rejected(403, "bad_timestamp", "timestamp is not a number") from None
            if skew > tolerance:
                raise Rejected(403, "stale_timestamp", f"timestamp is {int(skew)} s off")

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        limit = self._settings.max_body_bytes
        for name, value in scope["headers"]:
            if name == b"content-length" and int(value or 0) > limit:
                raise Rejected(413, "body_too_large", f"body exceeds {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            event = await receive()
            chunk = event.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise Rejected(413, "body_too_large", f"body exceeds {limit} bytes")
            chunks.append(chunk)
            more = event.get("more_body", False)
        return b"".join(chunks)

    async def _handle_post(
        self, account: CallbackAccount, query: dict[str, str], body: bytes
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        self._check_signature(account, query)
        fields, key_index = self._open(account, query, body)
        encrypted = key_index is not None
        try:
            message = parse_message(fields)
        except (WeChatProtocolError, ValueError, KeyError) as exc:
            raise Rejected(400, "malformed_message", str(exc) or "missing fields") from exc

        key = f"{account.code}:{message.dedup_key}"
        reply, outcome = await self._round_trip.answer(account, message, key, encrypted)
        CALLBACKS.labels(account.code, outcome).inc()
        if reply is None:
            return 200, _SUCCESS, _TEXT_HEADERS
        try:
            xml = reply_from_dict(reply).render(
                to_user=message.from_user, from_user=message.to_user, create_time=int(time.time())
            )
            if encrypted and account.crypto is not None:
                xml = account.crypto.encrypt_reply(
                    xml,
                    timestamp=str(int(time.time())),
                    nonce=query.get("nonce", ""),
                    key_index=key_index or 0,
                )
        except Exception:
            log.exception("reply_render_failed", account=account.code, dedup_key=key)
            return 200, _SUCCESS, _TEXT_HEADERS
        return 200, xml, _XML_HEADERS

    def _open(
        self, account: CallbackAccount, query: dict[str, str], body: bytes
    ) -> tuple[dict[str, Any], int | None]:
        """Parse (and decrypt when encrypted) the body; returns fields and the key index used."""
        try:
            outer = parse_xml(body, max_bytes=self._settings.max_body_bytes)
        except MalformedXml as exc:
            raise Rejected(400, "malformed_xml", str(exc) or "malformed XML") from exc
        encrypt = outer.get("Encrypt")
        if query.get("encrypt_type", "raw") != "aes" and encrypt is None:
            if not account.accepts_plaintext:
                raise Rejected(403, "encryption_required", "account is in safe mode")
            return outer, None
        if account.crypto is None:
            raise Rejected(403, "encryption_not_configured", "account has no EncodingAESKey")
        if not isinstance(encrypt, str) or not query.get("msg_signature"):
            raise Rejected(400, "missing_encrypt", "Encrypt and msg_signature are required")
        try:
            decrypted = account.crypto.decrypt(
                encrypt,
                msg_signature=query["msg_signature"],
                timestamp=query.get("timestamp", ""),
                nonce=query.get("nonce", ""),
            )
        except InvalidSignature as exc:
            raise Rejected(403, "bad_msg_signature", "msg_signature does not match") from exc
        except AppIdMismatch as exc:
            raise Rejected(403, "appid_mismatch", "decrypted AppID is not this account's") from exc
        except WeChatProtocolError as exc:
            raise Rejected(400, "decryption_failed", str(exc) or "cannot decrypt") from exc
        try:
            return parse_xml(decrypted.xml), decrypted.key_index
        except MalformedXml as exc:
            raise Rejected(400, "malformed_xml", str(exc) or "malformed inner XML") from exc


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
