"""Helpers shared by the whole test suite (fixtures stay in conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import OUTBOUND, AmqpBus, Bus, Delivery, Message, default_topology
from libs.common.db.models import Account, Notification
from libs.common.schemas.outbound import OutboundRequested
from libs.common.secret_box import SecretBox
from tests.polling import eventually
from wxhub.demo.account import DEMO
from wxhub.demo.outbound import seed_outbound_demo


def balance_notification(
    nid: str,
    *,
    account_id: int,
    now: datetime.datetime,
    deadline_at: datetime.datetime,
    openid: str,
    phone: str,
    box: SecretBox,
    data: Mapping[str, str],
    priority: str = "alert",
    fallback: str = "sms",
) -> dict[str, Any]:
    """A ``notifications`` row for a ``balance_change`` as the gateway commits it: accepted,
    resolved, ready for the dispatcher's claim (insert it, then :func:`ring_outbound`)."""
    return {
        "id": nid,
        "account_id": account_id,
        "event_type": "balance_change",
        "priority": priority,
        "openid": openid,
        "phone_enc": box.encrypt(phone),
        "data": dict(data),
        "fallback": fallback,
        "deadline_at": deadline_at,
        "created_at": now,
        "updated_at": now,
    }


async def ring_outbound(bus: Bus, nid: str, *, priority: str) -> None:
    """Publish the doorbell the gateway publishes once notification ``nid`` (of the demo
    account) is committed."""
    request = OutboundRequested(
        message_id=nid, account=DEMO.code, priority=priority, notification_id=nid
    )
    await bus.publish(OUTBOUND, f"{priority}.wechat", request.to_bytes(), message_id=nid)


async def seed_demo_outbound(sessions: async_sessionmaker[AsyncSession], box: SecretBox) -> int:
    """Seed the demo account with its outbound templates; the account's id."""
    async with sessions.begin() as session:
        await seed_outbound_demo(session, box)
        account_id = await session.scalar(select(Account.id).where(Account.code == DEMO.code))
        assert account_id is not None
        return account_id


async def insert_notifications(
    sessions: async_sessionmaker[AsyncSession], rows: list[dict[str, Any]]
) -> None:
    """Insert ``notifications`` rows (from :func:`balance_notification`) in one transaction."""
    async with sessions.begin() as session:
        await session.execute(insert(Notification), rows)


async def declared_amqp_bus(amqp_url: str, namespace: str) -> AmqpBus:
    """A connected bus in ``namespace`` with the default topology declared."""
    bus = AmqpBus(amqp_url, namespace=namespace)
    await bus.connect()
    await bus.declare(default_topology())
    return bus


def in_ci() -> bool:
    """True when running under CI, where real servers are mandatory."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its own CA) and its key, as PEM files in ``directory``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Inbox:
    """A bus handler that records and acks every message."""

    def __init__(self, *, settle_s: float = 0.0) -> None:
        self.messages: list[Message] = []
        # After the expected count arrived, wait this long more so extra messages show up too.
        self._settle_s = settle_s

    async def __call__(self, delivery: Delivery) -> None:
        self.messages.append(delivery.message)
        await delivery.ack()

    async def wait(self, count: int, timeout: float = 20.0) -> list[Message]:
        """Wait until ``count`` messages arrived (then ``settle_s``), and return them all."""
        await eventually(
            lambda: len(self.messages) >= count, timeout=timeout, what=f"{count} messages"
        )
        if self._settle_s:
            await asyncio.sleep(self._settle_s)
        return self.messages


class RedisFront:
    """A loopback TCP server in front of the real Redis: forwards, hangs up, or stays silent."""

    def __init__(self, redis_url: str) -> None:
        host_port = redis_url.split("//", 1)[1].split("/", 1)[0]
        self._target = host_port.rsplit(":", 1)
        self._db = redis_url.rsplit("/", 1)[1]
        self.mode = "hangup"
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"redis://127.0.0.1:{port}/{self._db}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in self._writers:
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        if self.mode == "hangup":
            writer.close()
            return
        if self.mode == "silent":
            await reader.read()  # never answers; the client gives up
            writer.close()
            return
        host, port = self._target
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        self._writers.append(up_writer)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        for task in (pipe(reader, up_writer), pipe(up_reader, writer)):
            created = asyncio.create_task(task)
            self._tasks.add(created)
            created.add_done_callback(self._tasks.discard)
