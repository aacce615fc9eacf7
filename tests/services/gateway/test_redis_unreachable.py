"""Redis unreachable, whatever its URL form: the gateway stays ready and keeps answering
callbacks, deduplicating retries in process, with the degradation on /metrics."""

from __future__ import annotations

import itertools
import socket
from typing import Any

import pytest

from libs.common.observability.metrics import LEDGER_DEGRADED
from services.engine.metrics import MESSAGES
from tests.services.support import InboundStack
from wxhub.demo.account import DEMO

_ids = itertools.count(7_100_000_000_000_000_000)


def refused_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    "url_form",
    [
        "redis://127.0.0.1:{port}/0",
        "rediss://127.0.0.1:{port}/0",
        "redis+sentinel://127.0.0.1:{port},127.0.0.1:{other}/wxhub/0",
    ],
    ids=["redis", "rediss", "sentinel"],
)
async def test_gateway_answers_callbacks_with_redis_unreachable(
    make_stack: Any, url_form: str
) -> None:
    url = url_form.format(port=refused_port(), other=refused_port())
    stack: InboundStack = await make_stack(redis_url=url)
    ready = await stack.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["ledger"] is True

    callback = stack.pusher.text("oRedisDown", "黄金", msg_id=next(_ids))
    first = await stack.post(callback)
    assert "黄金行情" in stack.reply_fields(first)["Content"]
    assert LEDGER_DEGRADED._value.get() == 1
    # WeChat's retry of the same callback gets the first answer from the in-process ledger,
    # and the engine does not handle it again.
    handled = MESSAGES.labels(DEMO.code, "text", "gold_price")._value.get()
    retry = await stack.post(callback, nonce="retry")
    assert stack.reply_fields(retry)["Content"] == stack.reply_fields(first)["Content"]
    assert MESSAGES.labels(DEMO.code, "text", "gold_price")._value.get() == handled
    metrics = (await stack.client.get("/metrics")).text
    assert "wxhub_callback_ledger_degraded 1.0" in metrics
    assert 'wxhub_callback_ledger_fallbacks_total{operation="claim"}' in metrics
