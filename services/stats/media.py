"""The presentation routes' media (R-ST-3): material library files at ``GET /m/<sha256>`` (an
extension may follow: ``/m/<sha256>.png``), for pages and articles to embed.

A file is addressed by its content's SHA-256, so what a URL names never changes: it is served
with ``Cache-Control: public, max-age=31536000, immutable`` and the hash as its ``ETag``, and a
request whose ``If-None-Match`` holds that tag gets ``304 Not Modified`` without the body. The
hash is also what keeps the library's other files out of reach: only a caller who was given a
file's URL (or has the file) can name it. Unknown or malformed names get a 404, never cached. The
route only reads the database (the material row, then the file chunk by chunk in a session of
its own while the body streams).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from libs.common.material_storage import (
    MEDIA_PREFIX,
    MaterialStorage,
    get_file_by_digest,
    media_type,
)

IMMUTABLE = "public, max-age=31536000, immutable"
_NAME = re.compile(r"(?P<digest>[0-9a-f]{64})(?:\.(?P<ext>[a-z0-9]{1,8}))?")
_EXTENSIONS = {"jpg": "jpeg"}


def matches(if_none_match: str, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak or strong, or ``*``)."""
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def media_routes(
    sessions: async_sessionmaker[AsyncSession], storage: MaterialStorage
) -> list[Route]:
    """The ``/m/<sha256>`` route."""

    async def serve(request: Request) -> Response:
        name = _NAME.fullmatch(request.path_params["name"])
        if name is None:
            return _not_found()
        digest, ext = name["digest"], name["ext"]
        async with sessions() as session:
            found = await get_file_by_digest(session, sha256=digest)
        if found is None or (ext and _EXTENSIONS.get(ext, ext) != found.format):
            return _not_found()
        etag = f'"{digest}"'
        headers = {"etag": etag, "cache-control": IMMUTABLE}
        if matches(request.headers.get("if-none-match", ""), etag):
            return Response(status_code=304, headers=headers)
        headers["content-length"] = str(found.size)
        content_type = media_type(found.format)
        if request.method == "HEAD":
            return Response(headers=headers, media_type=content_type)

        async def body() -> AsyncIterator[bytes]:
            # A session of its own: it lives as long as the body streams.
            async with sessions() as reading:
                async for chunk in storage.read(reading, found.storage_key):
                    yield chunk

        return StreamingResponse(body(), headers=headers, media_type=content_type)

    return [Route(MEDIA_PREFIX + "{name:path}", serve, methods=["GET", "HEAD"])]


def _not_found() -> Response:
    return PlainTextResponse("not found", 404, headers={"cache-control": "no-store"})
