"""WeChat API families, one small class per family over a :class:`WeChatClient`."""

from __future__ import annotations

from libs.common.wechat.api.media import MediaApi
from libs.common.wechat.api.menu import MenuApi
from libs.common.wechat.api.message import MessageApi
from libs.common.wechat.api.oauth import OAuthIdentity, authorize_url, exchange_code
from libs.common.wechat.api.token import fetch_stable_token, fetch_token
from libs.common.wechat.api.user import FollowerPage, UserApi

__all__ = [
    "FollowerPage",
    "MediaApi",
    "MenuApi",
    "MessageApi",
    "OAuthIdentity",
    "UserApi",
    "authorize_url",
    "exchange_code",
    "fetch_stable_token",
    "fetch_token",
]
