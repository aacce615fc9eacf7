"""Followers: who is one (``/cgi-bin/user/info``), and the openid check every send makes.

Every openid is a follower except those in ``unknown`` (→ 40003) and ``unsubscribed`` (→ 43004
on sends, ``subscribe: 0`` on user info).
"""

from __future__ import annotations

from sandboxes.faults import JsonObject
from sandboxes.wechat_api.protocol import ApiCall, ApiError


class Followers:
    """The openids the account does not know, or that unfollowed it."""

    def __init__(self) -> None:
        self.unknown: set[str] = set()
        self.unsubscribed: set[str] = set()

    def check_openid(self, openid: object) -> str:
        """``openid`` when it is a follower of the account."""
        if not isinstance(openid, str) or not openid or openid in self.unknown:
            raise ApiError(40003)
        if openid in self.unsubscribed:
            raise ApiError(43004)
        return openid

    async def user_info(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/user/info``."""
        openid = call.query.get("openid")
        if not openid or openid in self.unknown:
            raise ApiError(40003)
        if openid in self.unsubscribed:
            return {"subscribe": 0, "openid": openid}
        return {
            "subscribe": 1,
            "openid": openid,
            "subscribe_time": 1_700_000_000,
            "remark": "",
            "groupid": 0,
            "tagid_list": [],
            "subscribe_scene": "ADD_SCENE_QR_CODE",
            "qr_scene": 0,
            "qr_scene_str": "",
        }
