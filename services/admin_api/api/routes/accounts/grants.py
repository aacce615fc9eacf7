"""Publishing grants: the organisations (branches) allowed to publish to an account."""

from __future__ import annotations

from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.routes.accounts.access import (
    ScopedAccount,
    accounts_router,
    head_office_only,
    to_read,
)
from services.admin_api.api.schemas.accounts import AccountRead, GrantsUpdate
from services.admin_api.audit import record
from services.admin_api.repositories import accounts
from services.admin_api.scope import org_in_scope

router = accounts_router()


@router.put(
    "/{account_id}/grants",
    response_model=AccountRead,
    dependencies=[Perm("account.manage")],
    summary="授权机构发布 · set publishing grants",
)
async def set_grants(
    account: ScopedAccount,
    body: GrantsUpdate,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
) -> AccountRead:
    """Replace the set of organisations allowed to publish to the account."""
    head_office_only(principal)
    for org_id in set(body.org_ids):
        await org_in_scope(session, principal, org_id)
    before = (await to_read(session, state.secret_box, account)).granted_org_ids
    await accounts.replace_grants(session, account_id=account.id, org_ids=sorted(set(body.org_ids)))
    await record(
        session,
        principal,
        "account.grants",
        "account",
        account.id,
        before={"org_ids": before},
        after={"org_ids": sorted(set(body.org_ids))},
    )
    return await to_read(session, state.secret_box, account)
