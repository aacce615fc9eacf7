"""Who reaches what among accounts: the routers' prefix, the account in the path as the caller
may see it, the head-office rule for credentials, and the view that never shows a secret."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from libs.common.db.models import Account
from libs.common.secret_box import SecretBox, last4
from services.admin_api.api.deps import CurrentUser, SessionDep
from services.admin_api.api.models import IdPath
from services.admin_api.api.schemas.accounts import AccountRead, SecretStatus
from services.admin_api.errors import PermissionDenied
from services.admin_api.repositories import accounts
from services.admin_api.scope import Principal, account_in_scope


def accounts_router() -> APIRouter:
    """A router for one resource of accounts, under ``/api/v1/accounts``."""
    return APIRouter(prefix="/api/v1/accounts", tags=["accounts 公众号"])


async def load_account(account_id: IdPath, principal: CurrentUser, session: SessionDep) -> Account:
    """The account in the path, within the caller's scope."""
    return await account_in_scope(session, principal, account_id)


ScopedAccount = Annotated[Account, Depends(load_account)]


def head_office_only(principal: Principal) -> None:
    """Account credentials and grants are the head office's to manage."""
    if not principal.is_head_office:
        raise PermissionDenied("only the head office manages account credentials")


def _status(box: SecretBox, ciphertext: str | None) -> SecretStatus:
    if not ciphertext:
        return SecretStatus(set=False, last4=None)
    return SecretStatus(set=True, last4=last4(box.decrypt(ciphertext)))


async def to_read(session: SessionDep, box: SecretBox, account: Account) -> AccountRead:
    """The API view of an account."""
    grants = await accounts.list_granted_org_ids(session, account_id=account.id)
    return AccountRead(
        id=account.id,
        code=account.code,
        name=account.name,
        appid=account.appid,
        original_id=account.original_id,
        mode=account.mode,
        app_secret=_status(box, account.app_secret_enc),
        token=_status(box, account.token_enc),
        encoding_aes_key=_status(box, account.aes_key_enc),
        encoding_aes_key_previous=_status(box, account.aes_key_previous_enc),
        welcome_text=account.welcome_text,
        help_header=account.help_header,
        enabled=account.enabled,
        track_clicks=account.track_clicks,
        operation_limits=dict(account.operation_limits or {}),
        org_id=account.org_id,
        granted_org_ids=grants,
    )
