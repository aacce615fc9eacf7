"""WeChat accounts (多微信公众账号管理, R-AD-2): secrets encrypted at rest, never returned."""

from __future__ import annotations

from fastapi import APIRouter

from services.admin_api.api.routes.accounts import grants, registry

# One router per resource; in this order the paths stand in the OpenAPI schema as they always have.
ROUTERS: list[APIRouter] = [
    registry.router,
    grants.router,
]
