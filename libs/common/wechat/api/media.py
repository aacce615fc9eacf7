"""Temporary and permanent media uploads (§8.6)."""

from __future__ import annotations

from typing import Any

from libs.common.wechat.client import WeChatClient, encode_json

_MEDIA_TYPES = frozenset({"image", "voice", "video", "thumb"})


class MediaApi:
    """Upload temporary media and add permanent material."""

    def __init__(self, client: WeChatClient) -> None:
        self._client = client

    async def upload(
        self,
        media_type: str,
        filename: str,
        content: bytes,
        content_type: str = "application/octet-stream",
    ) -> dict[str, Any]:
        """Upload temporary media (kept 3 days); returns ``type``, ``media_id``, ``created_at``."""
        if media_type not in _MEDIA_TYPES:
            raise ValueError(f"unknown media type {media_type!r}")
        return await self._client.post_multipart(
            "/cgi-bin/media/upload",
            params={"type": media_type},
            files={"media": (filename, content, content_type)},
        )

    async def add_material(
        self,
        media_type: str,
        filename: str,
        content: bytes,
        content_type: str = "application/octet-stream",
        *,
        title: str | None = None,
        introduction: str | None = None,
    ) -> dict[str, Any]:
        """Add permanent material; videos need ``title`` and ``introduction``."""
        if media_type not in _MEDIA_TYPES:
            raise ValueError(f"unknown media type {media_type!r}")
        data: dict[str, str] | None = None
        if media_type == "video":
            if title is None or introduction is None:
                raise ValueError("video material needs a title and an introduction")
            description = {"title": title, "introduction": introduction}
            data = {"description": encode_json(description).decode()}
        return await self._client.post_multipart(
            "/cgi-bin/material/add_material",
            params={"type": media_type},
            files={"media": (filename, content, content_type)},
            data=data,
        )
