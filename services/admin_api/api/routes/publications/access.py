"""Who reaches what among publications: the routers' prefix and the publication in the path as
the caller may see it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from libs.common.db.models import Publication
from services.admin_api.api.deps import CurrentUser, SessionDep
from services.admin_api.api.models import IdPath
from services.admin_api.scope import account_in_scope, by_org


def publications_router() -> APIRouter:
    """A router for one resource of publishing, under ``/api/v1/publications``."""
    return APIRouter(prefix="/api/v1/publications", tags=["publishing 消息发布"])


async def load_publication(
    publication_id: IdPath, principal: CurrentUser, session: SessionDep
) -> Publication:
    """The publication in the path, within the caller's scope."""
    publication = await by_org(session, principal, Publication, publication_id, "publication")
    await account_in_scope(session, principal, publication.account_id)
    return publication


ScopedPublication = Annotated[Publication, Depends(load_publication)]
