"""``python -m bench.confirms``: publisher-confirm throughput of one quorum queue on this broker.

Publishes ``--count`` persistent messages of ``--size`` bytes (about a doorbell's size on the
wire) to a quorum queue of its own with publisher confirms, ``--window`` unconfirmed at most,
then consumes and acks them all (prefetch ``--window``). Prints messages/s both ways and, with
``--broker-pid``, the broker's CPU ms per message (utime+stime from /proc). The queue is deleted
afterwards. The rate depends on the machine's load and disk; CPU per message less so.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from pathlib import Path

import aio_pika


def cpu_s(pid: int | None) -> float:
    """utime+stime seconds of ``pid`` (0 without one)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def main() -> None:
    """Publish with confirms, consume with acks, print the rates."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=550)
    parser.add_argument("--window", type=int, default=500)
    parser.add_argument("--broker-pid", type=int)
    parser.add_argument(
        "--amqp-url",
        default=os.environ.get("WXHUB_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
    )
    args = parser.parse_args()
    connection = await aio_pika.connect(args.amqp_url)
    name = f"bench.confirms.{uuid.uuid4().hex[:8]}"
    try:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=args.window)
        queue = await channel.declare_queue(
            name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        body = b"x" * args.size
        window = asyncio.Semaphore(args.window)

        async def publish() -> None:
            async with window:
                message = aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
                await channel.default_exchange.publish(message, routing_key=name)

        cpu, started = cpu_s(args.broker_pid), time.perf_counter()
        await asyncio.gather(*(publish() for _ in range(args.count)))
        publish_s, publish_cpu = time.perf_counter() - started, cpu_s(args.broker_pid) - cpu

        done = asyncio.Event()
        consumed = 0

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal consumed
            await message.ack()
            consumed += 1
            if consumed == args.count:
                done.set()

        cpu, started = cpu_s(args.broker_pid), time.perf_counter()
        tag = await queue.consume(on_message)
        await done.wait()
        consume_s, consume_cpu = time.perf_counter() - started, cpu_s(args.broker_pid) - cpu
        print(
            f"{args.count} messages of {args.size} B, window {args.window}, quorum queue:\n"
            f"  publish with confirms: {args.count / publish_s:,.0f}/s"
            f"  broker CPU {publish_cpu * 1000 / args.count:.3f} ms per message\n"
            f"  consume with acks:     {args.count / consume_s:,.0f}/s"
            f"  broker CPU {consume_cpu * 1000 / args.count:.3f} ms per message"
        )
        await queue.cancel(tag)
        await queue.delete(if_unused=False, if_empty=False)
    finally:
        await connection.close()


if __name__ == "__main__":
    asyncio.run(main())
