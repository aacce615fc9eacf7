"""Followers (用户管理): the openid list (``user/get``) and their profiles (``user/info/batchget``).

``user/get`` pages with ``next_openid``: each page holds up to 10,000 openids, and the last page
answers ``count: 0`` (or an empty ``next_openid``). ``batchget`` takes up to 100 openids; a user
who unfollowed comes back with ``subscribe: 0`` and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from libs.common.wechat.errors import WeChatTransportError

if TYPE_CHECKING:
    from libs.common.wechat.client import WeChatClient

MAX_BATCHGET = 100


@dataclass(frozen=True, slots=True)
class FollowerPage:
    """One page of ``user/get``: its openids, the cursor of the next page ("" at the end)."""

    total: int
    openids: list[str]
    next_openid: str


class UserApi:
    """The follower list and batched user info."""

    def __init__(self, client: WeChatClient) -> None:
        self._client = client

    async def list_followers(self, next_openid: str = "") -> FollowerPage:
        """One page of followers after ``next_openid`` ("" for the first page)."""
        params = {"next_openid": next_openid} if next_openid else None
        answer = await self._client.get_json("/cgi-bin/user/get", params=params)
        data = answer.get("data") or {}
        openids = data.get("openid", []) if isinstance(data, dict) else []
        total, cursor = answer.get("total", 0), answer.get("next_openid", "")
        if (
            not isinstance(openids, list)
            or not all(isinstance(o, str) for o in openids)
            or not isinstance(total, int)
            or not isinstance(cursor, str)
        ):
            raise WeChatTransportError("user/get response is malformed")
        return FollowerPage(total=total, openids=openids, next_openid=cursor if openids else "")

    async def batch_info(self, openids: Sequence[str]) -> list[dict[str, Any]]:
        """Profiles of up to 100 openids, in WeChat's order."""
        if not 1 <= len(openids) <= MAX_BATCHGET:
            raise ValueError("batchget takes 1 to 100 openids")
        body = {"user_list": [{"openid": o, "lang": "zh_CN"} for o in openids]}
        answer = await self._client.post_json("/cgi-bin/user/info/batchget", body)
        users = answer.get("user_info_list")
        if not isinstance(users, list) or not all(isinstance(u, dict) for u in users):
            raise WeChatTransportError("batchget response lacks user_info_list")
        return users
