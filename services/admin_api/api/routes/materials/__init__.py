"""Material library (素材库, R-AD-5): text, news, and image/voice/video files streamed to shared
storage (``libs/common/material_storage.py``, readable by every replica) with limits checked on
content (size and format while streaming, then a voice's duration)."""

from __future__ import annotations

from fastapi import APIRouter

from services.admin_api.api.routes.materials import authoring, files, items, listing, upload

# One router per resource; in this order the paths stand in the OpenAPI schema as they always have.
ROUTERS: list[APIRouter] = [
    listing.router,
    authoring.router,
    upload.router,
    items.router,
    files.router,
]
