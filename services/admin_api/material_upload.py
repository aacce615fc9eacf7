"""Receiving a material file (R-AD-5): streamed to shared storage, refused as soon as a limit
breaks (size and format while streaming, then a voice's duration)."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import utcnow
from libs.common.material_storage import MaterialStorage
from services.admin_api.errors import LimitExceeded
from services.admin_api.media_limits import FORMATS, MAX_BYTES, VOICE_MAX_SECONDS, duration_s, sniff


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    """A file now in shared storage, with what its content says about it."""

    storage_key: str
    format: str
    size: int
    sha256: str
    duration_s: float | None


def refuse_unless(sniffed: tuple[str, str] | None, kind: str, *, final: bool) -> tuple[str, str]:
    """The sniffed ``(kind, format)`` if it is a supported ``kind``; else 422 ``<kind>_format``
    (before ``final``, only once the first bytes already name another format)."""
    if sniffed is not None and sniffed[0] == kind:
        return sniffed
    if not final and sniffed is None:
        # Too few bytes yet to tell (a BMP needs 14); judged again with more or at the end.
        return ("", "")
    allowed = FORMATS[kind]
    raise LimitExceeded(
        f"content is not a supported {kind} ({allowed})", limit=f"{kind}_format", allowed=allowed
    )


async def receive_file(
    session: AsyncSession,
    storage: MaterialStorage,
    stream: AsyncIterable[bytes],
    *,
    kind: str,
    declared_length: str | None,
) -> ReceivedFile:
    """Stream ``stream`` to ``storage``, refusing it as soon as it passes the size limit of
    ``kind``; then check the format by content (and a voice's duration). 422 names the broken
    limit."""
    limit = MAX_BYTES[kind]
    if declared_length and declared_length.isdigit() and int(declared_length) > limit:
        raise LimitExceeded(
            f"{kind} larger than {limit} bytes", limit=f"{kind}_max_bytes", max=limit
        )
    now = utcnow()
    key = f"{now:%Y}/{now:%m}/{uuid.uuid4().hex}"
    digest, size, head = hashlib.sha256(), 0, b""
    # A voice's duration needs all of it (≤ 5 MB, the limit is enforced while streaming).
    voice = bytearray()

    async def checked() -> AsyncIterator[bytes]:
        nonlocal size, head
        async for chunk in stream:
            size += len(chunk)
            if size > limit:
                raise LimitExceeded(
                    f"{kind} larger than {limit} bytes", limit=f"{kind}_max_bytes", max=limit
                )
            if len(head) < 64:
                head = (head + chunk)[:64]
                refuse_unless(sniff(head), kind, final=len(head) >= 64)
            digest.update(chunk)
            if kind == "voice":
                voice.extend(chunk)
            yield chunk

    # The bytes go to shared storage in the caller's transaction: a refused upload (an
    # exception from here on) rolls back with everything it wrote.
    await storage.write(session, key, checked())
    sniffed = refuse_unless(sniff(head), kind, final=True)
    seconds = None
    if kind == "voice":
        seconds = await asyncio.to_thread(duration_s, bytes(voice), sniffed[1])
        if seconds is None:
            raise LimitExceeded(
                "cannot determine the voice duration",
                limit="voice_duration",
                max=VOICE_MAX_SECONDS,
            )
        if seconds > VOICE_MAX_SECONDS:
            raise LimitExceeded(
                f"voice lasts {seconds:.1f} s; at most {VOICE_MAX_SECONDS:.0f}",
                limit="voice_duration",
                max=VOICE_MAX_SECONDS,
            )
    return ReceivedFile(
        storage_key=key,
        format=sniffed[1],
        size=size,
        sha256=digest.hexdigest(),
        duration_s=seconds,
    )
