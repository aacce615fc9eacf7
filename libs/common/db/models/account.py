"""WeChat Official Accounts and what they answer with (welcome and help texts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db.models._base import Base, Timestamped


class Account(Timestamped, Base):
    """One WeChat Official Account; secrets are stored encrypted (``libs.common.secret_box``)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    appid: Mapped[str] = mapped_column(String(64), unique=True)
    original_id: Mapped[str] = mapped_column(String(64))
    # "plain" | "compatible" | "safe" — which callback encodings the gateway accepts.
    mode: Mapped[str] = mapped_column(String(16), default="compatible")
    app_secret_enc: Mapped[str] = mapped_column(Text)
    token_enc: Mapped[str] = mapped_column(Text)
    aes_key_enc: Mapped[str | None] = mapped_column(Text, default=None)
    aes_key_previous_enc: Mapped[str | None] = mapped_column(Text, default=None)
    welcome_text: Mapped[str] = mapped_column(Text, default="")
    help_header: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    # Links in outgoing templates, news and customer-service texts become tracked short links
    # on the stats service (R-ST-3).
    track_clicks: Mapped[bool] = mapped_column(default=False)
    org_id: Mapped[int | None] = mapped_column(default=None)
    # Daily caps per customer and operation that differ from the platform's (R-EN-10;
    # libs/common/operation_limits.py), e.g. {"code_send": 5}.
    operation_limits: Mapped[dict[str, Any]] = mapped_column(default=dict)
