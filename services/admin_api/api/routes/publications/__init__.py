"""Publishing (消息发布) and mass sends (消息群发) with review (R-AD-6, R-AD-7).

The HTTP edge only: every step is a call into :mod:`services.admin_api.publishing.workflow`,
which owns the states, the quota and the audit entries.
"""

from __future__ import annotations

from fastapi import APIRouter

from services.admin_api.api.routes.publications import delivery, drafts, listing, quota, review

# One router per resource; in this order the paths stand in the OpenAPI schema as they always have
# (and /quota is matched before /{publication_id}).
ROUTERS: list[APIRouter] = [
    listing.router,
    quota.router,
    drafts.router,
    review.router,
    delivery.router,
]
