"""Media: ``/cgi-bin/media/upload`` (temporary) and ``/cgi-bin/material/add_material``
(permanent), multipart field ``media``, with WeChat's size limits per type."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from starlette.datastructures import UploadFile

from sandboxes.endpoint import Clock
from sandboxes.faults import JsonObject
from sandboxes.wechat_api.protocol import ApiCall, ApiError

MEDIA_LIMITS = {  # bytes and the errcode for too large
    "image": (10 * 1024 * 1024, 40009),
    "voice": (2 * 1024 * 1024, 40010),
    "video": (10 * 1024 * 1024, 40011),
    "thumb": (64 * 1024, 40012),
}


class MediaStore:
    """Uploaded media by media_id (type, file name, size and SHA-256; the bytes are dropped)."""

    def __init__(self, clock: Clock, next_id: Callable[[], int]) -> None:
        self._clock = clock
        self._next_id = next_id
        self.media: dict[str, JsonObject] = {}

    async def upload(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/media/upload`` (temporary media; a thumbnail's id comes back as
        ``thumb_media_id``, as WeChat answers)."""
        media_type = call.query.get("type", "")
        media_id = await self._store(call, media_type, "tmp")
        key = "thumb_media_id" if media_type == "thumb" else "media_id"
        return {"type": media_type, key: media_id, "created_at": int(self._clock())}

    async def add_material(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/material/add_material`` (permanent media)."""
        media_type = call.query.get("type", "")
        media_id = await self._store(call, media_type, "perm")
        result: JsonObject = {"media_id": media_id}
        if media_type == "image":
            result["url"] = f"http://mmbiz.qpic.cn/sandbox/{media_id}/0"
        return result

    async def _store(self, call: ApiCall, media_type: str, prefix: str) -> str:
        if media_type not in MEDIA_LIMITS:
            raise ApiError(40004)
        async with call.request.form() as form:
            media = form.get("media")
            if not isinstance(media, UploadFile):
                raise ApiError(41005)
            data = await media.read()
            if prefix == "perm" and media_type == "video" and not form.get("description"):
                raise ApiError(47001)
            filename = media.filename or ""
        limit, errcode = MEDIA_LIMITS[media_type]
        if not data:
            raise ApiError(41005)
        if len(data) > limit:
            raise ApiError(errcode)
        media_id = f"{prefix}_{media_type}_{self._next_id()}"
        self.media[media_id] = {
            "type": media_type,
            "filename": filename,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        return media_id
