"""Followers: who is one (``/cgi-bin/user/info``), the list (``user/get``,
``user/info/batchget``), and the openid check every send makes.

``user/get`` pages through ``listed`` (seeded through the control API), ``page_size`` at a time,
listing only current followers; ``batchget`` answers for up to 100 openids. Every openid is a
follower except those in ``unknown`` (→ 40003) and ``unsubscribed`` (→ 43004 on sends,
``subscribe: 0`` on user info).
"""

from __future__ import annotations

from sandboxes.faults import JsonObject
from sandboxes.wechat_api.protocol import ApiCall, ApiError


class Followers:
    """The openids the account does not know, or that unfollowed it."""

    def __init__(self) -> None:
        self.unknown: set[str] = set()
        self.unsubscribed: set[str] = set()
        # The follower list user/get pages through (seeded by tests), and its page size
        # (WeChat's is 10,000; tests make it small to see several pages).
        self.listed: list[str] = []
        self.page_size = 10_000

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
        return self._profile(openid)

    # -- the follower list (user/get, user/info/batchget) --------------------------------------

    def seed(self, count: int, *, page_size: int | None = None) -> list[str]:
        """Make ``count`` numbered followers the account's list; returns their openids."""
        self.listed = [f"oSbxFollower{i:012d}" for i in range(count)]
        if page_size is not None:
            self.page_size = page_size
        return self.listed

    async def user_get(self, call: ApiCall) -> JsonObject:
        """``GET /cgi-bin/user/get``: ``page_size`` openids after ``next_openid``."""
        listed = [o for o in self.listed if o not in self.unsubscribed]
        after = call.query.get("next_openid") or ""
        start = 0
        if after:
            if after not in listed:
                raise ApiError(40003)
            start = listed.index(after) + 1
        page = listed[start : start + self.page_size]
        answer: JsonObject = {"total": len(listed), "count": len(page)}
        if page:
            answer["data"] = {"openid": page}
        answer["next_openid"] = page[-1] if page else ""
        return answer

    async def batchget(self, call: ApiCall) -> JsonObject:
        """``POST /cgi-bin/user/info/batchget``: up to 100 profiles."""
        users = call.body.get("user_list")
        if not isinstance(users, list) or not 1 <= len(users) <= 100:
            raise ApiError(45035 if isinstance(users, list) and users else 44002)
        infos: list[object] = []
        for entry in users:
            openid = entry.get("openid") if isinstance(entry, dict) else None
            if not isinstance(openid, str) or not openid or openid in self.unknown:
                raise ApiError(40003)
            infos.append(self._profile(openid))
        return {"user_info_list": infos}

    def _profile(self, openid: str) -> JsonObject:
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
