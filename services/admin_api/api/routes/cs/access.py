"""Who reaches what in the console: its routers' prefix, the two permissions, and the session in
the path as the caller may see it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from libs.common.db.models import CsSession
from services.admin_api import console
from services.admin_api.api.deps import CurrentUser, SessionDep
from services.admin_api.api.models import IdPath

AGENT = "cs.agent"
SUPERVISE = "cs.supervise"


def cs_router() -> APIRouter:
    """A router for one resource of the console, under ``/api/v1/cs``."""
    return APIRouter(prefix="/api/v1/cs", tags=["cs 客服"])


async def _scoped_session(
    session_id: IdPath, principal: CurrentUser, session: SessionDep
) -> CsSession:
    """The session in the path, if the caller may see it (else 404, before the body is read)."""
    return await console.visible_session(session, principal, session_id)


ScopedSession = Annotated[CsSession, Depends(_scoped_session)]
