"""Customers (R-AD-10): search and filter with pagination; segmentation profile editing; the
one-click "follow head office" hand-over when a branch account cannot answer.

Customer and phone numbers are masked in every answer; ``POST /{id}/reveal`` shows them whole to
holders of ``customer.reveal``, with a stated reason, and records who saw which fields and why (the
values themselves stay out of the audit log, which more people may read)."""

from __future__ import annotations

from fastapi import APIRouter

from services.admin_api.api.routes.customers import handovers, profiles, reveal, search

# One router per resource; in this order the paths stand in the OpenAPI schema as they always have.
ROUTERS: list[APIRouter] = [
    search.router,
    profiles.router,
    reveal.router,
    handovers.router,
]
