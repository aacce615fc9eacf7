"""Materials uploaded to WeChat for replies: the media ids (and image URLs) WeChat gave back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db.models._base import Base, utcnow


class MediaUpload(Base):
    """One material uploaded for one account, as one WeChat media type.

    ``media_type`` is WeChat's (``image``, ``voice``, ``video``, ``thumb``) for temporary
    media, whose ``media_id`` expires three days after the upload (``expires_at``), or
    ``cover`` for an image added as permanent material for its URL (news covers; no expiry).
    ``sha256`` is the file's at upload time: a replaced file is uploaded again.
    """

    __tablename__ = "media_uploads"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    material_id: Mapped[int] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    media_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    media_id: Mapped[str] = mapped_column(String(256), default="")
    url: Mapped[str] = mapped_column(Text, default="")
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
