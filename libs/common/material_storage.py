"""Where material files live: shared by every replica, never on a replica's own disk.

:class:`MaterialStorage` is the seam; :class:`DatabaseMaterialStorage` keeps a file as rows of
``material_chunks`` (at most :data:`CHUNK_BYTES` each) in the caller's session, so an upload
is committed, or rolled back, together with its material row and audit entry. Neither side
holds a whole file in one piece: a write buffers at most one chunk, a read fetches one chunk
per query. Another store (an S3 bucket) implements the same four methods.

:func:`get_file_by_digest` finds a stored file by its content hash (the presentation routes
serve material media by it) and :data:`MEDIA_TYPES` says what each stored format is.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Material, MaterialChunk

CHUNK_BYTES = 256 * 1024
# The content type of each format a material file is stored as (see the upload's sniffing).
MEDIA_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "amr": "audio/amr",
    "wma": "audio/x-ms-wma",
    "mp4": "video/mp4",
}


# Where the presentation routes (stats service) serve material files: ``/m/<sha256>.<format>``.
MEDIA_PREFIX = "/m/"


def media_url(base_url: str, sha256: str, fmt: str = "") -> str:
    """The URL a material file is served at under ``base_url`` (the stats service's)."""
    return f"{base_url.rstrip('/')}{MEDIA_PREFIX}{sha256}" + (f".{fmt}" if fmt else "")


def media_type(fmt: str) -> str:
    """The content type of a stored material format."""
    return MEDIA_TYPES.get(fmt, "application/octet-stream")


@dataclass(frozen=True, slots=True)
class StoredFile:
    """Where a material's file is and what it is."""

    storage_key: str
    format: str
    size: int
    sha256: str


async def get_file_by_digest(session: AsyncSession, *, sha256: str) -> StoredFile | None:
    """A material file whose content hashes to ``sha256`` (any of the materials sharing it)."""
    row = (
        await session.execute(
            select(Material.storage_key, Material.format, Material.size)
            .where(Material.sha256 == sha256, Material.storage_key.is_not(None))
            .order_by(Material.id)
            .limit(1)
        )
    ).first()
    if row is None or row.storage_key is None:
        return None
    return StoredFile(str(row.storage_key), row.format, row.size, sha256)


class MaterialStorage(ABC):
    """Material files by storage key, written and read as streams of bytes."""

    @abstractmethod
    async def write(self, session: AsyncSession, key: str, data: AsyncIterable[bytes]) -> int:
        """Store ``data`` under ``key`` (a new key); returns the bytes written.

        An exception raised by ``data`` propagates; the caller rolls the session back, and
        nothing of the file remains.
        """

    @abstractmethod
    def read(self, session: AsyncSession, key: str) -> AsyncIterator[bytes]:
        """The file's bytes in order, chunk by chunk (nothing for an unknown key)."""

    @abstractmethod
    async def exists(self, session: AsyncSession, key: str) -> bool:
        """Whether a file is stored under ``key``."""

    @abstractmethod
    async def delete(self, session: AsyncSession, key: str) -> None:
        """Forget the file under ``key`` (nothing happens for an unknown key)."""

    async def read_all(self, session: AsyncSession, key: str) -> bytes:
        """The whole file; only for bounded files that must be one value (a WeChat upload)."""
        return b"".join([chunk async for chunk in self.read(session, key)])


class DatabaseMaterialStorage(MaterialStorage):
    """Files as ``material_chunks`` rows in the application database."""

    def __init__(self, chunk_bytes: int = CHUNK_BYTES) -> None:
        self._chunk_bytes = chunk_bytes

    async def write(self, session: AsyncSession, key: str, data: AsyncIterable[bytes]) -> int:
        # Core inserts, not ORM objects: the session's identity map would keep every chunk
        # alive until commit.
        buffer, seq, size = bytearray(), 0, 0
        async for piece in data:
            buffer += piece
            size += len(piece)
            while len(buffer) >= self._chunk_bytes:
                await self._insert(session, key, seq, bytes(buffer[: self._chunk_bytes]))
                del buffer[: self._chunk_bytes]
                seq += 1
        if buffer or seq == 0:
            await self._insert(session, key, seq, bytes(buffer))
        return size

    async def _insert(self, session: AsyncSession, key: str, seq: int, chunk: bytes) -> None:
        await session.execute(insert(MaterialChunk).values(storage_key=key, seq=seq, data=chunk))

    async def read(self, session: AsyncSession, key: str) -> AsyncIterator[bytes]:
        seq = 0
        while True:
            chunk = await session.scalar(
                select(MaterialChunk.data).where(
                    MaterialChunk.storage_key == key, MaterialChunk.seq == seq
                )
            )
            if chunk is None:
                return
            yield chunk
            seq += 1

    async def exists(self, session: AsyncSession, key: str) -> bool:
        count = await session.scalar(
            select(func.count()).where(MaterialChunk.storage_key == key, MaterialChunk.seq == 0)
        )
        return bool(count)

    async def delete(self, session: AsyncSession, key: str) -> None:
        await session.execute(delete(MaterialChunk).where(MaterialChunk.storage_key == key))
