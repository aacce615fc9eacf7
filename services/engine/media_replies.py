"""Replies from the material library (素材库, R-EN-12): text, image, voice, video, music, news.

A command or menu action answering with the ``material`` handler names a reply type and a
material (``params = {"reply_type": "image", "material_id": 12}``; video takes ``title`` and
``description``, music ``music_url``, ``hq_music_url``, ``title`` and ``description`` with an
image material as its thumbnail). Image, voice, video and the music thumbnail travel as WeChat
media ids: the material is uploaded as temporary media (``/cgi-bin/media/upload``) the first
time an account needs it, and its ``media_id`` is kept in ``media_uploads`` with its expiry
(three days after the upload) and in memory, so every engine replica reuses it until
``refresh_margin_s`` before it expires, then uploads again. News covers become permanent image
material (``/cgi-bin/material/add_material``) for their URL, which does not expire. A replaced
file (another SHA-256) is uploaded again. WeChat refusing an upload leaves the follower without
an answer (``success``) and logs why; the next message tries again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db.models import Account, Material, MediaUpload
from libs.common.material_replies import MATERIAL_KINDS
from libs.common.material_storage import MaterialStorage
from libs.common.material_storage import media_type as mime_type
from libs.common.observability.logging import get_logger
from libs.common.secret_box import SecretBox
from libs.common.wechat import (
    Article,
    ImageReply,
    MusicReply,
    NewsReply,
    Reply,
    TextReply,
    VideoReply,
    VoiceReply,
    WeChatClient,
)
from libs.common.wechat.api.media import MediaApi
from libs.common.wechat.errors import WeChatError
from libs.common.wechat.stored_token import StoredTokenSource

log = get_logger(__name__)

# WeChat keeps temporary media for three days after the upload.
TEMP_MEDIA_TTL = timedelta(days=3)

# Reply type → WeChat's temporary media type of its file.
_MEDIA_TYPES = {"image": "image", "voice": "voice", "video": "video", "music": "thumb"}
COVER = "cover"


@dataclass(frozen=True, slots=True)
class _Uploaded:
    value: str  # the media_id, or a cover's URL
    sha256: str
    expires_at: datetime | None


class MediaReplies:
    """Builds material replies, uploading files to WeChat when no valid media id is known."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        storage: MaterialStorage,
        http: httpx.AsyncClient,
        box: SecretBox,
        api_base: str,
        refresh_margin_s: float = 3600.0,
    ) -> None:
        self._sessions = sessions
        self._storage = storage
        self._http = http
        self._box = box
        self._api_base = api_base
        self._margin = timedelta(seconds=refresh_margin_s)
        self._known: dict[tuple[int, int, str], _Uploaded] = {}

    def forget(self) -> None:
        """Drop the in-memory media ids (the stored ones stay)."""
        self._known.clear()

    async def reply(
        self, account_id: int, params: dict[str, Any], *, max_articles: int
    ) -> Reply | None:
        """The reply ``params`` describe, or ``None`` when it cannot be made now."""
        reply_type = str(params.get("reply_type", ""))
        material_id = params.get("material_id")
        if reply_type not in MATERIAL_KINDS or not isinstance(material_id, int):
            log.warning("material_reply_misconfigured", reply_type=reply_type)
            return None
        async with self._sessions() as session:
            material = await session.get(Material, material_id)
        if material is None or material.kind != MATERIAL_KINDS[reply_type]:
            log.warning("material_reply_unusable", material_id=material_id, reply_type=reply_type)
            return None
        try:
            return await self._build(account_id, reply_type, material, params, max_articles)
        except (WeChatError, httpx.HTTPError) as exc:
            log.warning(
                "material_upload_failed",
                material_id=material_id,
                reply_type=reply_type,
                error=f"{type(exc).__name__}: {exc}",
            )
            return None

    async def _build(
        self,
        account_id: int,
        reply_type: str,
        material: Material,
        params: dict[str, Any],
        max_articles: int,
    ) -> Reply | None:
        title = str(params.get("title") or material.title)
        description = str(params.get("description") or "")
        if reply_type == "text":
            return TextReply(content=material.text) if material.text else None
        if reply_type == "news":
            return await self._news(account_id, material, max_articles)
        media_id = await self._upload(account_id, material, _MEDIA_TYPES[reply_type])
        if reply_type == "image":
            return ImageReply(media_id=media_id)
        if reply_type == "voice":
            return VoiceReply(media_id=media_id)
        if reply_type == "video":
            return VideoReply(media_id=media_id, title=title, description=description)
        return MusicReply(
            thumb_media_id=media_id,
            title=title,
            description=description,
            music_url=str(params.get("music_url") or ""),
            hq_music_url=str(params.get("hq_music_url") or params.get("music_url") or ""),
        )

    async def _news(self, account_id: int, material: Material, max_articles: int) -> NewsReply:
        articles = []
        for item in list(material.articles)[:max_articles]:
            cover_url = ""
            cover_id = item.get("cover_material_id")
            if isinstance(cover_id, int):
                async with self._sessions() as session:
                    cover = await session.get(Material, cover_id)
                if cover is not None and cover.kind == "image":
                    cover_url = await self._upload(account_id, cover, COVER)
            articles.append(
                Article(
                    title=str(item.get("title", "")),
                    description=str(item.get("digest", "")),
                    pic_url=cover_url,
                    url=str(item.get("content_source_url", "")),
                )
            )
        return NewsReply(articles=tuple(articles), max_articles=max_articles)

    def _usable(self, found: _Uploaded | None, material: Material) -> bool:
        if found is None or found.sha256 != material.sha256:
            return False
        return found.expires_at is None or found.expires_at - self._margin > datetime.now(UTC)

    async def _upload(self, account_id: int, material: Material, media_type: str) -> str:
        """A valid media id (or cover URL) of ``material`` for the account, uploading if needed."""
        key = (account_id, material.id, media_type)
        known = self._known.get(key)
        if self._usable(known, material):
            assert known is not None
            return known.value
        async with self._sessions() as session:
            row = await session.get(MediaUpload, key)
            stored = (
                _Uploaded(
                    row.url if media_type == COVER else row.media_id, row.sha256, row.expires_at
                )
                if row is not None
                else None
            )
            if self._usable(stored, material):
                assert stored is not None
                self._known[key] = stored
                return stored.value
            account = await session.get(Account, account_id)
            if account is None or not material.storage_key:
                raise WeChatError(f"nothing to upload for material {material.id}")
            data = await self._storage.read_all(session, material.storage_key)
        uploaded = await self._send(account, material, media_type, data)
        await self._store(key, uploaded)
        self._known[key] = uploaded
        return uploaded.value

    async def _send(
        self, account: Account, material: Material, media_type: str, data: bytes
    ) -> _Uploaded:
        client = WeChatClient(
            self._http,
            base_url=self._api_base,
            tokens=StoredTokenSource(
                sessions=self._sessions,
                http=self._http,
                box=self._box,
                api_base=self._api_base,
                account_id=account.id,
                appid=account.appid,
                secret_enc=account.app_secret_enc,
            ),
        )
        media = MediaApi(client)
        filename = material.filename or f"material-{material.id}.{material.format}"
        mime = mime_type(material.format)
        if media_type == COVER:
            result = await media.add_material("image", filename, data, mime)
            return _Uploaded(str(result.get("url", "")), material.sha256, None)
        result = await media.upload(media_type, filename, data, mime)
        created = result.get("created_at")
        at = datetime.fromtimestamp(created, UTC) if isinstance(created, int) else datetime.now(UTC)
        media_id = result.get("media_id") or result.get("thumb_media_id")
        return _Uploaded(str(media_id or ""), material.sha256, at + TEMP_MEDIA_TTL)

    async def _store(self, key: tuple[int, int, str], uploaded: _Uploaded) -> None:
        account_id, material_id, media_type = key
        try:
            async with self._sessions.begin() as session:
                await session.merge(
                    MediaUpload(
                        account_id=account_id,
                        material_id=material_id,
                        media_type=media_type,
                        sha256=uploaded.sha256,
                        media_id="" if media_type == COVER else uploaded.value,
                        url=uploaded.value if media_type == COVER else "",
                        uploaded_at=datetime.now(UTC),
                        expires_at=uploaded.expires_at,
                    )
                )
        except IntegrityError:
            # Another replica stored its upload at the same moment; either media id is valid.
            log.info("media_upload_stored_elsewhere", material_id=material_id)
