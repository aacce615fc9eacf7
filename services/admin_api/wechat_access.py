"""WeChat API clients for admin-side calls (menus, mass sends, follower sync, console images),
on the access token shared through ``access_tokens`` (``libs/common/wechat/stored_token.py``)."""

from __future__ import annotations

from libs.common.db.models import Account
from libs.common.wechat import WeChatClient
from libs.common.wechat.stored_token import StoredTokenSource
from services.admin_api.state import AdminState


def client_for(state: AdminState, account: Account) -> WeChatClient:
    """A WeChat API client acting for ``account``."""
    return WeChatClient(
        state.http,
        base_url=state.settings.wechat_api_base,
        tokens=StoredTokenSource(
            sessions=state.sessions,
            http=state.http,
            box=state.secret_box,
            api_base=state.settings.wechat_api_base,
            account_id=account.id,
            appid=account.appid,
            secret_enc=account.app_secret_enc,
        ),
    )
