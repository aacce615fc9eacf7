"""The business-API peer: ``POST /api/v1/notifications`` in plain FastAPI + asyncpg + aio-pika.

    python -m bench.peers.notifications_api PORT

What a competent engineer writes in an afternoon with the same stack: verify the HMAC headers
wxhub's business API takes, validate the JSON body with a pydantic model, insert the row (the
idempotency key settled by ``ON CONFLICT``) and publish the doorbell on ``wx.outbound`` with
publisher confirms, answering 202 once both are done. No template-field validation, recipient
resolution or history rows (wxhub does those). Configured from the environment:
``PEER_DATABASE_URL`` (asyncpg DSN), ``PEER_AMQP_URL``, ``PEER_EXCHANGE`` (the namespaced
``wx.outbound``), ``PEER_SYSTEM``, ``PEER_SECRET`` and ``WXHUB_SECRET_KEY`` (phones are stored
sealed with it, as the schema requires). Served under the gateway's uvicorn settings.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import aio_pika
import asyncpg
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from libs.common.secret_box import SecretBox
from libs.common.serving import make_server, run

INSERT = """
INSERT INTO notifications (id, account_id, system_id, event_type, priority, openid, phone_enc, data,
    idempotency_key, fallback, deadline_at, status, attempts, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'accepted', 0, $12, $12)
ON CONFLICT (system_id, idempotency_key) DO NOTHING
RETURNING id
"""


class Recipient(BaseModel):
    """Who receives the notification."""

    openid: str | None = None
    phone: str | None = None


class NotificationIn(BaseModel):
    """The request body (the fields wxhub's API takes that the peer stores)."""

    account: str
    event_type: str
    to: Recipient
    data: dict[str, str]
    priority: Literal["alert", "bulk"] = "alert"
    idempotency_key: str | None = None
    fallback: Literal["sms", "none"] = "sms"
    deadline_s: int = 30


class State:
    """Connections opened at start-up."""

    pool: asyncpg.Pool
    exchange: aio_pika.abc.AbstractExchange
    accounts: dict[str, int]
    system_id: int
    system: str
    secret: bytes
    box: SecretBox


state = State()
app = FastAPI()


@app.post("/api/v1/notifications", status_code=202)
async def create_notification(
    request: Request,
    x_wxhub_system: Annotated[str, Header()],
    x_wxhub_timestamp: Annotated[str, Header()],
    x_wxhub_signature: Annotated[str, Header()],
) -> Any:
    """Verify, store and publish one notification."""
    body = await request.body()
    expected = hmac.new(
        state.secret, x_wxhub_timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    if x_wxhub_system != state.system or not hmac.compare_digest(expected, x_wxhub_signature):
        raise HTTPException(401, "invalid signature")
    if not x_wxhub_timestamp.isdigit() or abs(time.time() - int(x_wxhub_timestamp)) > 300:
        raise HTTPException(401, "stale timestamp")
    try:
        item = NotificationIn.model_validate_json(body)
    except ValidationError as exc:
        raise HTTPException(422, exc.errors(include_url=False)) from None
    account_id = state.accounts.get(item.account)
    if account_id is None:
        raise HTTPException(422, "unknown account")
    notification_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    stored = await state.pool.fetchval(
        INSERT,
        notification_id,
        account_id,
        state.system_id,
        item.event_type,
        item.priority,
        item.to.openid,
        # Numbers are stored sealed under the platform's key, as the schema requires.
        state.box.encrypt(item.to.phone) if item.to.phone else None,
        json.dumps(item.data, ensure_ascii=False),
        item.idempotency_key,
        item.fallback,
        now + timedelta(seconds=item.deadline_s),
        now,
    )
    if stored is None:
        existing = await state.pool.fetchval(
            "SELECT id FROM notifications WHERE system_id = $1 AND idempotency_key = $2",
            state.system_id,
            item.idempotency_key,
        )
        return JSONResponse({"id": existing, "status": "accepted", "duplicate": True})
    doorbell = {
        "schema": 1,
        "message_id": notification_id,
        "occurred_at": now.isoformat(),
        "account": item.account,
        "priority": item.priority,
        "origin": "notification",
        "notification_id": notification_id,
    }
    await state.exchange.publish(
        aio_pika.Message(
            json.dumps(doorbell).encode(),
            message_id=notification_id,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        ),
        routing_key=f"{item.priority}.{'wechat' if item.to.openid else 'sms'}",
    )
    return {"id": notification_id, "status": "accepted", "duplicate": False}


async def main(port: int) -> None:
    """Connect, then serve until killed."""
    state.pool = await asyncpg.create_pool(
        os.environ["PEER_DATABASE_URL"], min_size=10, max_size=10
    )
    connection = await aio_pika.connect_robust(os.environ["PEER_AMQP_URL"])
    channel = await connection.channel(publisher_confirms=True)
    state.exchange = await channel.get_exchange(os.environ["PEER_EXCHANGE"], ensure=False)
    state.system = os.environ["PEER_SYSTEM"]
    state.secret = os.environ["PEER_SECRET"].encode()
    state.box = SecretBox(os.environ["WXHUB_SECRET_KEY"])
    state.accounts = {
        r["code"]: r["id"] for r in await state.pool.fetch("SELECT id, code FROM accounts")
    }
    state.system_id = await state.pool.fetchval(
        "SELECT id FROM business_systems WHERE code = $1", state.system
    )
    await make_server(app, "127.0.0.1", port).serve()


if __name__ == "__main__":
    run(main(int(sys.argv[1])))
