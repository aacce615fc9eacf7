"""What a publication sends: the customer-service message body built from its material or text."""

from __future__ import annotations

from typing import Any

from libs.common.db.models import Account, Material, Publication
from libs.common.short_links import LinkTracker, ShortLinkSigner
from libs.common.wechat.api.media import MediaApi
from services.admin_api.state import AdminState
from services.admin_api.wechat_access import client_for


def custom_message(
    publication: Publication, material: Material | None, media_id: str | None = None
) -> dict[str, Any]:
    """The customer-service message body (without ``touser``) that carries the content."""
    if material is None:
        return {"msgtype": "text", "text": {"content": publication.text}}
    if material.kind == "text":
        return {"msgtype": "text", "text": {"content": material.text}}
    if material.kind == "news":
        articles = [
            {
                "title": a.get("title", ""),
                "description": a.get("digest", ""),
                "url": a.get("content_source_url", ""),
                "picurl": "",
            }
            for a in material.articles[:1]
        ]
        return {"msgtype": "news", "news": {"articles": articles}}
    # Image/voice: uploaded to WeChat as temporary media just before sending (valid 3 days).
    return {"msgtype": material.kind, material.kind: {"media_id": media_id}}


async def upload_media(state: AdminState, account: Account, material: Material) -> str:
    """Upload an image/voice material's file as temporary media; returns the media_id."""
    key = str(material.storage_key)
    # One multipart value: bounded by the upload limits (image 2 MB, voice 5 MB).
    async with state.sessions() as session:
        content = await state.materials.read_all(session, key)
    filename = material.filename or f"{material.id}.{material.format}"
    answer = await MediaApi(client_for(state, account)).upload(material.kind, filename, content)
    return str(answer["media_id"])


async def track_links(
    state: AdminState, account: Account, publication_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    """``body`` with its links (text, news article urls) made tracked short links, registered
    for the publication; a resumed send registers nothing new and gets the same links."""
    settings = state.settings
    tracker = LinkTracker(
        ShortLinkSigner(settings.secret_key, settings.previous_secret_keys),
        settings.short_link_base,
    )
    async with state.sessions.begin() as session:
        return await tracker.rewrite_custom(
            session, body, account_id=account.id, publication_id=publication_id
        )
