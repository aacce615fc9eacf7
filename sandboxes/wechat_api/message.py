"""Messages: customer-service, template and mass sends (``/cgi-bin/message/...``).

Every accepted message is recorded as a :class:`Delivery`; template and mass sends are then
reported to the account's callback URL (:mod:`sandboxes.wechat_api.job_reports`). Template
sends honour ``client_msg_id`` (same openid + id within ``client_msg_id_window_s`` → same msgid,
no second delivery); mass sends dedupe ``clientmsgid`` with 45065.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from sandboxes.endpoint import Clock
from sandboxes.faults import JsonObject
from sandboxes.wechat_api.job_reports import JobReports
from sandboxes.wechat_api.protocol import ApiCall, ApiError
from sandboxes.wechat_api.user import Followers

CUSTOM_TYPES = frozenset(
    {
        "text",
        "image",
        "voice",
        "video",
        "music",
        "news",
        "mpnews",
        "mpnewsarticle",
        "msgmenu",
        "wxcard",
        "miniprogrampage",
    }
)
MASS_TYPES = frozenset({"text", "mpnews", "voice", "image", "images", "mpvideo", "wxcard"})
MASS_MIN, MASS_MAX = 2, 10_000
CLIENTMSGID_MAX = 64


@dataclass(frozen=True, slots=True)
class Delivery:
    """A message the sandbox accepted for delivery."""

    kind: str
    appid: str
    touser: str | list[str] | None
    msgid: int
    body: JsonObject
    at: float

    def as_json(self) -> JsonObject:
        """The delivery as a JSON object."""
        return {
            "kind": self.kind,
            "appid": self.appid,
            "touser": self.touser,
            "msgid": self.msgid,
            "body": self.body,
            "at": self.at,
        }


class Messages:
    """The messages accepted so far, and what makes sends idempotent."""

    def __init__(
        self,
        followers: Followers,
        reports: JobReports,
        clock: Clock,
        next_id: Callable[[], int],
        *,
        client_msg_id_window_s: float,
        log_size: int,
    ) -> None:
        self._followers = followers
        self._reports = reports
        self._clock = clock
        self._next_id = next_id
        self.client_msg_id_window_s = client_msg_id_window_s
        self.deliveries: deque[Delivery] = deque(maxlen=log_size)
        self.delivered = 0
        self.mass_jobs: dict[int, JsonObject] = {}
        self._template_ids: OrderedDict[tuple[str, str, str], tuple[int, float]] = OrderedDict()
        self._mass_ids: dict[tuple[str, str], int] = {}

    def deliver(
        self, kind: str, appid: str, touser: str | list[str] | None, body: JsonObject
    ) -> int:
        """Record an accepted message and return its msgid."""
        msgid = self._next_id()
        self.deliveries.append(Delivery(kind, appid, touser, msgid, body, self._clock()))
        self.delivered += 1
        return msgid

    async def custom_send(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/message/custom/send``."""
        body = call.body
        touser = self._followers.check_openid(body.get("touser"))
        msgtype = body.get("msgtype")
        if msgtype not in CUSTOM_TYPES:
            raise ApiError(40008)
        payload = body.get(msgtype)
        if not isinstance(payload, dict):
            raise ApiError(47001)
        if msgtype == "text" and not payload.get("content"):
            raise ApiError(44004)
        if msgtype == "news":
            articles = payload.get("articles")
            if not isinstance(articles, list) or not articles:
                raise ApiError(47001)
            if len(articles) > 1:
                raise ApiError(45008)
        self.deliver("custom", call.appid, touser, body)
        return {}

    async def template_send(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/message/template/send``."""
        body = call.body
        touser = self._followers.check_openid(body.get("touser"))
        template_id = body.get("template_id")
        if not isinstance(template_id, str) or not template_id:
            raise ApiError(40037)
        if not isinstance(body.get("data", {}), dict):
            raise ApiError(47001)
        client_msg_id = body.get("client_msg_id")
        if client_msg_id is not None and not isinstance(client_msg_id, str):
            raise ApiError(47001)
        if client_msg_id:
            known = self._template_msgid(call.appid, touser, client_msg_id)
            if known is not None:
                return {"msgid": known}
        msgid = self.deliver("template", call.appid, touser, body)
        if client_msg_id:
            self._template_ids[call.appid, touser, client_msg_id] = (msgid, self._clock())
        self._reports.template_sent(call.appid, touser, msgid)
        return {"msgid": msgid}

    def _template_msgid(self, appid: str, openid: str, client_msg_id: str) -> int | None:
        """The msgid of an earlier send with the same idempotency key, if still remembered."""
        horizon = self._clock() - self.client_msg_id_window_s
        while self._template_ids:
            oldest = next(iter(self._template_ids.values()))
            if oldest[1] > horizon:
                break
            self._template_ids.popitem(last=False)
        known = self._template_ids.get((appid, openid, client_msg_id))
        return known[0] if known is not None else None

    async def mass_send(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/message/mass/send`` (by openid list)."""
        touser = call.body.get("touser")
        if not isinstance(touser, list) or not all(isinstance(o, str) for o in touser):
            raise ApiError(47001)
        if len(touser) < MASS_MIN:
            raise ApiError(40130)
        if len(touser) > MASS_MAX:
            raise ApiError(40032)
        return self._mass(call, list(touser))

    async def mass_sendall(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/message/mass/sendall`` (by tag or to all)."""
        rule = call.body.get("filter")
        if not isinstance(rule, dict):
            raise ApiError(47001)
        if not rule.get("is_to_all"):
            tag_id = rule.get("tag_id", rule.get("group_id"))
            if isinstance(tag_id, bool) or not isinstance(tag_id, int | str) or tag_id == "":
                raise ApiError(40050)
        return self._mass(call, None)

    def _mass(self, call: ApiCall, touser: list[str] | None) -> JsonObject:
        msgtype = call.body.get("msgtype")
        if msgtype not in MASS_TYPES:
            raise ApiError(40008)
        if not isinstance(call.body.get(msgtype), dict):
            raise ApiError(47001)
        clientmsgid = call.body.get("clientmsgid")
        if clientmsgid is not None:
            if not isinstance(clientmsgid, str) or len(clientmsgid) > CLIENTMSGID_MAX:
                raise ApiError(45067)
            known = self._mass_ids.get((call.appid, clientmsgid))
            if known is not None:
                raise ApiError(45065, msg_id=known)
        msg_id = self.deliver("mass", call.appid, touser, call.body)
        msg_data_id = self._next_id()
        self.mass_jobs[msg_id] = {"msg_status": "SEND_SUCCESS", "msg_data_id": msg_data_id}
        if clientmsgid is not None:
            self._mass_ids[call.appid, clientmsgid] = msg_id
        self._reports.mass_sent(call.appid, touser, msg_id)
        return {
            "errmsg": "send job submission success",
            "msg_id": msg_id,
            "msg_data_id": msg_data_id,
        }

    async def mass_get(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/message/mass/get``."""
        raw = call.body.get("msg_id")
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise ApiError(47001)
        try:
            msg_id = int(raw)
        except ValueError:
            raise ApiError(47001) from None
        job = self.mass_jobs.get(msg_id)
        if job is None:
            raise ApiError(47003, "argument invalid! msg_id invalid")
        return {"msg_id": msg_id, "msg_status": job["msg_status"]}
