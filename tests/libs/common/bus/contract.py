"""The bus contract: abstract suites every Bus implementation must pass.

Subclasses provide a ``bus`` fixture: a connected bus, isolated in its own namespace, with
``default_topology()`` declared.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from libs.common.bus import (
    DEAD,
    DISPATCHER_ALERT,
    DISPATCHER_BULK,
    DLX,
    ENGINE_INBOUND,
    EVENTS,
    INBOUND,
    OUTBOUND,
    STATS_EVENTS,
    Bus,
    BusError,
    Delivery,
    Message,
    Reject,
    RequestTimeout,
    Retry,
    Unroutable,
    typed_handler,
)
from libs.common.schemas.events import HeartbeatSent
from tests.polling import eventually
from tests.support import Inbox


class Blocker:
    """A handler that records each delivery and holds it until released."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.release = asyncio.Event()

    async def __call__(self, delivery: Delivery) -> None:
        self.deliveries.append(delivery)
        await self.release.wait()


def heartbeat(service: str = "engine") -> HeartbeatSent:
    return HeartbeatSent(service=service, instance_id="i-1", uptime_s=1.5)


class BusContract:
    """Routing, acknowledgement, dead-lettering, prefetch and request/reply."""

    @pytest.fixture
    async def bus(self) -> AsyncIterator[Bus]:
        raise NotImplementedError
        yield  # noqa: PT022 - abstract: subclasses yield a connected bus

    async def test_topic_routing_follows_wildcards(self, bus: Bus) -> None:
        inboxes = {name: Inbox() for name in (ENGINE_INBOUND, DISPATCHER_ALERT, DISPATCHER_BULK)}
        for name, inbox in inboxes.items():
            await bus.consume(name, inbox)

        await bus.publish(INBOUND, "demo.text", b"in")
        await bus.publish(OUTBOUND, "alert.wechat", b"alert")
        await bus.publish(OUTBOUND, "bulk.sms", b"bulk")

        assert [m.body for m in await inboxes[ENGINE_INBOUND].wait(1)] == [b"in"]
        alert = (await inboxes[DISPATCHER_ALERT].wait(1))[0]
        assert (alert.body, alert.exchange, alert.routing_key) == (
            b"alert",
            OUTBOUND,
            "alert.wechat",
        )
        assert [m.body for m in await inboxes[DISPATCHER_BULK].wait(1)] == [b"bulk"]
        # `*` is exactly one word: three words reach no queue.
        with pytest.raises(Unroutable):
            await bus.publish(OUTBOUND, "alert.wechat.extra", b"x")

    async def test_fanout_ignores_the_routing_key(self, bus: Bus) -> None:
        inbox = Inbox()
        await bus.consume(DEAD, inbox)
        await bus.publish(DLX, "anything.at.all", b"dead")
        assert [m.body for m in await inbox.wait(1)] == [b"dead"]

    async def test_properties_travel_with_the_message(self, bus: Bus) -> None:
        inbox = Inbox()
        await bus.consume(STATS_EVENTS, inbox)
        await bus.publish(
            EVENTS,
            "reply.sent",
            "回复".encode(),
            message_id="m-1",
            correlation_id="c-1",
            headers={"x-account": "demo", "attempt": 2},
        )
        (message,) = await inbox.wait(1)
        assert message.body == "回复".encode()
        assert (message.message_id, message.correlation_id) == ("m-1", "c-1")
        assert message.headers["x-account"] == "demo"
        assert message.headers["attempt"] == 2
        assert message.redelivered is False

    async def test_consuming_an_unknown_queue_raises(self, bus: Bus) -> None:
        with pytest.raises(BusError):
            await bus.consume("no.such.queue", Inbox())
        assert await bus.ping()

    async def test_unroutable_publish_raises(self, bus: Bus) -> None:
        with pytest.raises(Unroutable):
            await bus.publish(OUTBOUND, "nobody.listens", b"x")

    async def test_messages_published_before_a_consumer_are_kept(self, bus: Bus) -> None:
        for body in (b"1", b"2", b"3"):
            await bus.publish(INBOUND, "demo.text", body)
        inbox = Inbox()
        await bus.consume(ENGINE_INBOUND, inbox)
        assert [m.body for m in await inbox.wait(3)] == [b"1", b"2", b"3"]

    async def test_acked_message_is_not_delivered_again(self, bus: Bus) -> None:
        first = Inbox()
        subscription = await bus.consume(ENGINE_INBOUND, first)
        await bus.publish(INBOUND, "demo.text", b"acked")
        await first.wait(1)
        await subscription.cancel()

        await bus.publish(INBOUND, "demo.text", b"marker")
        second = Inbox()
        await bus.consume(ENGINE_INBOUND, second)
        assert (await second.wait(1))[0].body == b"marker"

    async def test_handler_returning_without_settling_acks(self, bus: Bus) -> None:
        seen: list[bytes] = []

        async def handler(delivery: Delivery) -> None:
            seen.append(delivery.message.body)

        subscription = await bus.consume(ENGINE_INBOUND, handler)
        await bus.publish(INBOUND, "demo.text", b"auto")
        await eventually(lambda: seen == [b"auto"])
        await subscription.cancel()

        await bus.publish(INBOUND, "demo.text", b"marker")
        inbox = Inbox()
        await bus.consume(ENGINE_INBOUND, inbox)
        assert (await inbox.wait(1))[0].body == b"marker"

    async def test_nack_requeues_and_marks_redelivered(self, bus: Bus) -> None:
        attempts: list[tuple[bytes, bool]] = []

        async def handler(delivery: Delivery) -> None:
            attempts.append((delivery.message.body, delivery.message.redelivered))
            if delivery.message.redelivered:
                await delivery.ack()
            else:
                await delivery.nack(requeue=True)

        await bus.consume(ENGINE_INBOUND, handler)
        await bus.publish(INBOUND, "demo.text", b"again")
        await eventually(lambda: len(attempts) == 2)
        assert attempts == [(b"again", False), (b"again", True)]

    async def test_reject_dead_letters_with_death_info(self, bus: Bus) -> None:
        async def refuse(delivery: Delivery) -> None:
            await delivery.reject()

        dead = Inbox()
        await bus.consume(ENGINE_INBOUND, refuse)
        await bus.consume(DEAD, dead)
        await bus.publish(INBOUND, "demo.event", b"poison", message_id="m-dead")

        (message,) = await dead.wait(1)
        assert (message.body, message.message_id) == (b"poison", "m-dead")
        assert (message.exchange, message.routing_key) == (DLX, "demo.event")
        death = message.headers["x-death"][0]
        assert death["reason"] == "rejected"
        assert death["queue"] == bus.qualify(ENGINE_INBOUND)
        assert death["exchange"] == bus.qualify(INBOUND)
        assert list(death["routing-keys"]) == ["demo.event"]
        assert message.headers["x-first-death-reason"] == "rejected"

    async def test_nack_without_requeue_dead_letters(self, bus: Bus) -> None:
        async def refuse(delivery: Delivery) -> None:
            await delivery.nack(requeue=False)

        dead = Inbox()
        await bus.consume(DISPATCHER_BULK, refuse)
        await bus.consume(DEAD, dead)
        await bus.publish(OUTBOUND, "bulk.wechat", b"gone")
        assert [m.body for m in await dead.wait(1)] == [b"gone"]

    async def test_failing_handler_is_retried_once_then_dead_lettered(self, bus: Bus) -> None:
        attempts: list[bool] = []

        async def broken(delivery: Delivery) -> None:
            attempts.append(delivery.message.redelivered)
            raise RuntimeError("boom")

        dead = Inbox()
        await bus.consume(ENGINE_INBOUND, broken)
        await bus.consume(DEAD, dead)
        await bus.publish(INBOUND, "demo.text", b"fails")

        assert [m.body for m in await dead.wait(1)] == [b"fails"]
        assert attempts == [False, True]

    async def test_prefetch_limits_unsettled_deliveries(self, bus: Bus) -> None:
        for n in range(5):
            await bus.publish(INBOUND, "demo.text", str(n).encode())
        blocker = Blocker()
        await bus.consume(ENGINE_INBOUND, blocker, prefetch=2)

        await eventually(lambda: len(blocker.deliveries) == 2)
        await asyncio.sleep(0.2)
        assert len(blocker.deliveries) == 2
        blocker.release.set()
        await eventually(lambda: len(blocker.deliveries) == 5)
        assert sorted(d.message.body for d in blocker.deliveries) == [b"0", b"1", b"2", b"3", b"4"]

    async def test_unsettled_messages_survive_a_cancelled_consumer(self, bus: Bus) -> None:
        blocker = Blocker()
        subscription = await bus.consume(ENGINE_INBOUND, blocker)
        await bus.publish(INBOUND, "demo.text", b"held", message_id="m-held")
        await eventually(lambda: len(blocker.deliveries) == 1)
        await subscription.cancel()

        inbox = Inbox()
        await bus.consume(ENGINE_INBOUND, inbox)
        (message,) = await inbox.wait(1)
        assert (message.body, message.message_id, message.redelivered) == (b"held", "m-held", True)

    async def test_settlements_in_any_order_all_take_effect(self, bus: Bus) -> None:
        # Handlers finish in reverse order of delivery, and some dead-letter in between: every
        # ack and reject must land, whatever order and batching the bus uses to send them.
        count = 40
        for n in range(count):
            await bus.publish(INBOUND, "demo.text", str(n).encode())
        settled: list[int] = []
        arrived: list[int] = []

        async def handler(delivery: Delivery) -> None:
            n = int(delivery.message.body)
            arrived.append(n)
            # Hold every delivery until all are in, then settle the last one first: the reverse
            # order comes from the test, not from timings a busy machine would not keep.
            await eventually(lambda: len(arrived) == count)
            await eventually(lambda: len(settled) == count - 1 - n)
            if n % 7 == 3:
                await delivery.reject()
            else:
                await delivery.ack()
            settled.append(n)

        dead = Inbox()
        await bus.consume(DEAD, dead)
        subscription = await bus.consume(ENGINE_INBOUND, handler, prefetch=count)
        await eventually(lambda: len(settled) == count)
        assert settled == list(reversed(range(count)))
        await subscription.cancel()

        rejected = sorted(int(m.body) for m in await dead.wait(count // 7))
        assert rejected == [n for n in range(count) if n % 7 == 3]
        await bus.publish(INBOUND, "demo.text", b"marker")
        inbox = Inbox()
        await bus.consume(ENGINE_INBOUND, inbox)
        await inbox.wait(1)
        await asyncio.sleep(0.2)
        # Nothing acked or rejected came back: the marker is all that was left on the queue.
        assert [m.body for m in inbox.messages] == [b"marker"]

    async def test_request_reply_round_trip(self, bus: Bus) -> None:
        async def engine(delivery: Delivery) -> None:
            request = delivery.message
            await bus.reply(request, request.body.upper(), headers={"handled-by": "engine"})
            await delivery.ack()

        await bus.consume(ENGINE_INBOUND, engine)
        reply = await bus.request(INBOUND, "demo.text", b"hello", timeout=5.0, message_id="m-rq")
        assert reply.body == b"HELLO"
        assert reply.headers["handled-by"] == "engine"
        assert reply.correlation_id

    async def test_concurrent_requests_each_get_their_own_reply(self, bus: Bus) -> None:
        async def engine(delivery: Delivery) -> None:
            await bus.reply(delivery.message, b"re:" + delivery.message.body)
            await delivery.ack()

        await bus.consume(ENGINE_INBOUND, engine)
        bodies = [str(n).encode() for n in range(50)]
        replies = await asyncio.gather(
            *(bus.request(INBOUND, "demo.text", body, timeout=5.0) for body in bodies)
        )
        assert [r.body for r in replies] == [b"re:" + body for body in bodies]

    async def test_request_times_out_without_reply(self, bus: Bus) -> None:
        await bus.consume(ENGINE_INBOUND, Inbox())
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(RequestTimeout):
            await bus.request(INBOUND, "demo.text", b"silence", timeout=0.2)
        assert 0.15 <= loop.time() - started < 2.0

    async def test_late_reply_is_dropped_and_counted(self, bus: Bus) -> None:
        held: list[Message] = []

        async def slow_engine(delivery: Delivery) -> None:
            if delivery.message.body == b"slow":
                held.append(delivery.message)
            else:
                await bus.reply(delivery.message, b"fast")
            await delivery.ack()

        await bus.consume(ENGINE_INBOUND, slow_engine)
        with pytest.raises(RequestTimeout):
            await bus.request(INBOUND, "demo.text", b"slow", timeout=0.2)
        await bus.reply(held[0], b"too late")
        await eventually(lambda: bus.late_replies == 1)

        reply = await bus.request(INBOUND, "demo.text", b"next", timeout=5.0)
        assert reply.body == b"fast"
        assert bus.late_replies == 1

    async def test_request_nobody_consumes_is_unroutable(self, bus: Bus) -> None:
        with pytest.raises(Unroutable):
            await bus.request(OUTBOUND, "nobody.listens", b"x", timeout=1.0)

    async def test_reply_without_reply_to_sends_nothing(self, bus: Bus) -> None:
        inbox = Inbox()
        await bus.consume(STATS_EVENTS, inbox)
        await bus.reply(Message(body=b"q", exchange=EVENTS, routing_key="click"), b"ignored")
        await bus.publish(EVENTS, "click", b"marker")
        assert [m.body for m in await inbox.wait(1)] == [b"marker"]

    async def test_reply_to_a_vanished_requester_does_not_raise(self, bus: Bus) -> None:
        orphan = Message(
            body=b"q", exchange=INBOUND, routing_key="demo.text", reply_to="no-such-reply-queue"
        )
        await bus.reply(orphan, b"nobody reads this")
        assert await bus.ping()

    async def test_typed_handler_validates_and_settles(self, bus: Bus) -> None:
        handled: list[tuple[str, bool]] = []

        async def handle(event: HeartbeatSent, message: Message) -> None:
            handled.append((event.service, message.redelivered))
            if event.service == "retry" and not message.redelivered:
                raise Retry("not yet")
            if event.service == "reject":
                raise Reject("never")

        dead = Inbox()
        await bus.consume(STATS_EVENTS, typed_handler(HeartbeatSent, handle))
        await bus.consume(DEAD, dead)
        await bus.publish(EVENTS, "heartbeat.x", b'{"not": "a heartbeat"}', message_id="bad")
        await bus.publish(EVENTS, "heartbeat.x", heartbeat("retry").to_bytes())
        await bus.publish(EVENTS, "heartbeat.x", heartbeat("reject").to_bytes(), message_id="rej")
        await bus.publish(EVENTS, "heartbeat.x", heartbeat("ok").to_bytes())

        await dead.wait(2)
        await eventually(lambda: len(handled) == 4)
        assert sorted(m.message_id or "" for m in dead.messages) == ["bad", "rej"]
        assert sorted(handled) == [
            ("ok", False),
            ("reject", False),
            ("retry", False),
            ("retry", True),
        ]


class PriorityContract:
    """Higher-priority messages overtake waiting ones on the dispatcher queues."""

    @pytest.fixture
    async def bus(self) -> AsyncIterator[Bus]:
        raise NotImplementedError
        yield  # noqa: PT022 - abstract: subclasses yield a connected bus

    async def test_higher_priority_is_delivered_first(self, bus: Bus) -> None:
        for priority in (1, 5, 9, 0):
            await bus.publish(OUTBOUND, "alert.sms", str(priority).encode(), priority=priority)
        inbox = Inbox()
        await bus.consume(DISPATCHER_ALERT, inbox, prefetch=1)
        assert [m.body for m in await inbox.wait(4)] == [b"9", b"5", b"1", b"0"]
