"""WeChat API sandbox (port 8090 in dev): the real API's paths and JSON on loopback.

Point a client's API base at it (``WXHUB_WECHAT_API_BASE=http://127.0.0.1:8090``). It checks
what the real API checks (docs/wechat-protocol.md §8, §9): ``access_token`` missing → 41001,
unknown or superseded → 40001, expired → 42001; bodies with ``\\uXXXX`` escapes → 40033,
unparsable → 47001, empty → 44002; openids in the ``unknown`` set → 40003, in the
``unsubscribed`` set → 43004 (every other openid is a follower); appid/secret against the
configured accounts (default: the demo account) → 40013 / 40125; menu shape and sizes →
40016..40027. It answers HTTP 200 with ``errcode`` like the real API.

API paths served
----------------
``GET /cgi-bin/token``, ``POST /cgi-bin/stable_token``, ``POST /cgi-bin/message/custom/send``,
``POST /cgi-bin/message/template/send``, ``POST /cgi-bin/message/mass/send``,
``POST /cgi-bin/message/mass/sendall``, ``POST /cgi-bin/message/mass/get``,
``POST /cgi-bin/menu/create``, ``GET /cgi-bin/menu/get``, ``GET /cgi-bin/menu/delete``,
``POST /cgi-bin/menu/addconditional``, ``POST /cgi-bin/menu/delconditional``,
``POST /cgi-bin/media/upload``, ``POST /cgi-bin/material/add_material``,
``GET /cgi-bin/user/info``, ``GET /cgi-bin/customservice/getonlinekflist``.

Tokens: a classic token supersedes the previous one, which keeps working for
``token_overlap_s`` (default 300 s) and then answers 40001. ``stable_token`` returns the same
token while it is valid (a new one within the last ``stable_rotate_s``, the old one staying
valid), ``force_refresh`` invalidates it at once (its daily/30 s limits are not enforced). The
two kinds are independent. Template sends honour ``client_msg_id`` (same openid + id within
``client_msg_id_window_s`` → same msgid, no second delivery); mass sends dedupe ``clientmsgid``
with 45065.

Control API (``/__sandbox__/``)
-------------------------------
``POST /__sandbox__/faults``
    Arm a fault, see :mod:`sandboxes.faults`; besides ``latency_ms``, ``http_status`` and
    ``body`` it accepts ``errcode`` (+ optional ``errmsg``), all with ``count`` / ``percent`` /
    ``seed``. Examples: ``{"path": "/cgi-bin/message/custom/send", "errcode": 45015, "count": 3}``,
    ``{"path": "…", "http_status": 503, "percent": 20, "seed": 1}``,
    ``{"path": "…", "latency_ms": 800}``.
``GET /__sandbox__/faults`` / ``DELETE /__sandbox__/faults``
    List / disarm the faults.
``POST /__sandbox__/expire_tokens``
    Expire every issued token (body ``{"appid": …}`` to limit it to one account) → 42001.
``POST /__sandbox__/users`` / ``GET /__sandbox__/users``
    ``{"unknown": [openid…], "unsubscribed": [openid…]}``; each list given replaces that set.
``POST /__sandbox__/accounts``
    ``{"appid": …, "secret": …}`` adds or replaces an account.
``GET /__sandbox__/calls?path=&limit=`` / ``DELETE /__sandbox__/calls``
    Recorded calls (``at``, ``method``, ``path``, ``query``, ``body``, ``status``, ``outcome`` =
    the errcode or ``http_<status>``, ``errcode``) / forget them and reset the counters.
``GET /__sandbox__/deliveries?touser=&kind=`` / ``DELETE /__sandbox__/deliveries``
    Messages the sandbox accepted for delivery (kind ``custom``, ``template`` or ``mass``).
``GET /__sandbox__/stats``
    ``{"calls": {path: {errcode: n}}, "total": n, "deliveries": n,
    "tokens_issued": {appid: {"classic"|"stable"|"stable_forced": n}}}``; a stable call that
    returns the current token is not an issuance.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandboxes.control import bad_request, control_routes, read_json_object
from sandboxes.endpoint import Clock, Reply, SandboxBase, recorded
from sandboxes.faults import Answer, FaultBook, FaultSpecError, JsonObject
from sandboxes.recording import CallLog

DEMO_APPID = "wxe0b2aa0cdbb2de1d"
DEMO_SECRET = "wxhub-demo-secret-not-real"

ERRMSG: dict[int, str] = {
    -1: "system error",
    0: "ok",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40007: "invalid media_id",
    40008: "invalid message type",
    40009: "invalid image size",
    40010: "invalid voice size",
    40011: "invalid video size",
    40012: "invalid thumb size",
    40013: "invalid appid",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40020: "invalid button url size",
    40022: "invalid sub button level",
    40023: "invalid sub button size",
    40024: "invalid sub button type",
    40025: "invalid sub button name size",
    40026: "invalid sub button key size",
    40027: "invalid sub button url size",
    40032: "invalid openid list size",
    40033: "invalid charset. please check your request, if include \\uxxxx will create fail!",
    40037: "invalid template_id",
    40050: "invalid tag id",
    40125: "invalid appsecret",
    40130: "invalid openid list size, at least two openid",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41005: "media data missing",
    42001: "access_token expired",
    43004: "require subscribe",
    44002: "empty post data",
    44004: "empty content",
    45008: "article size out of limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    45065: "clientmsgid exist",
    45067: "clientmsgid size out of limit",
    46003: "menu no exist",
    47001: "data format error",
    47003: "argument invalid!",
    65301: "menuid not exist",
    65303: "there is no selfmenu, please create selfmenu first",
    65304: "match rule empty",
    65320: "gender, country, province, city, language are no longer supported",
}

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
CLICK_LIKE = frozenset(
    {
        "click",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
    }
)
MENU_TYPES = CLICK_LIKE | {
    "view",
    "media_id",
    "view_limited",
    "article_id",
    "article_view_limited",
    "miniprogram",
}
PRIVACY_RULES = frozenset({"sex", "country", "province", "city", "language"})
MEDIA_LIMITS = {  # bytes and the errcode for too large
    "image": (10 * 1024 * 1024, 40009),
    "voice": (2 * 1024 * 1024, 40010),
    "video": (10 * 1024 * 1024, 40011),
    "thumb": (64 * 1024, 40012),
}
MASS_MIN, MASS_MAX = 2, 10_000
CLIENTMSGID_MAX = 64

# An unescaped ``\uXXXX`` (an even run of backslashes before it means the backslash is literal).
_UNICODE_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u[0-9a-fA-F]{4}")


class ApiError(Exception):
    """A WeChat business error: answered with HTTP 200 and this errcode."""

    def __init__(self, errcode: int, errmsg: str | None = None, **extra: Any) -> None:
        super().__init__(errcode)
        self.errcode = errcode
        self.errmsg = errmsg or ERRMSG.get(errcode, "error")
        self.extra = extra


@dataclass(slots=True)
class IssuedToken:
    """An access_token the sandbox handed out."""

    token: str
    appid: str
    kind: str
    expires_at: float
    superseded: bool = False


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


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One authenticated API request as the operations see it."""

    appid: str
    query: Mapping[str, str]
    body: JsonObject
    request: Request


Operation = Callable[[ApiCall], Awaitable[JsonObject]]


def _shape_fault(spec: Mapping[str, Any]) -> Answer | None:
    errcode = spec.get("errcode")
    if errcode is None:
        if "errmsg" in spec:
            raise FaultSpecError('"errmsg" goes with "errcode"')
        return None
    if not isinstance(errcode, int) or isinstance(errcode, bool):
        raise FaultSpecError("errcode must be an integer")
    errmsg = spec.get("errmsg", ERRMSG.get(errcode, "injected error"))
    if not isinstance(errmsg, str):
        raise FaultSpecError("errmsg must be a string")
    return Answer(200, {"errcode": errcode, "errmsg": errmsg})


def _byte_len(value: object) -> int:
    return len(value.encode()) if isinstance(value, str) else -1


class WeChatApiState(SandboxBase):
    """Everything the WeChat API sandbox knows; tests read and steer it in-process."""

    def __init__(
        self,
        *,
        accounts: Mapping[str, str] | None = None,
        token_lifetime_s: float = 7200,
        token_overlap_s: float = 300,
        stable_rotate_s: float | None = None,
        client_msg_id_window_s: float = 600,
        call_log_size: int = 10_000,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(
            faults=FaultBook(
                extra_keys=frozenset({"errcode", "errmsg"}),
                shaper=_shape_fault,
                status_body=lambda status: {"errcode": -1, "errmsg": f"HTTP {status}"},
            ),
            calls=CallLog(call_log_size),
            clock=clock,
        )
        self.accounts: dict[str, str] = dict(accounts or {DEMO_APPID: DEMO_SECRET})
        self.token_lifetime_s = token_lifetime_s
        self.token_overlap_s = token_overlap_s
        self.stable_rotate_s = token_lifetime_s / 24 if stable_rotate_s is None else stable_rotate_s
        self.client_msg_id_window_s = client_msg_id_window_s
        self.unknown: set[str] = set()
        self.unsubscribed: set[str] = set()
        self.online_kf: list[JsonObject] = [
            {
                "kf_account": "agent1@gh_wxhubdemo0001",
                "status": 1,
                "kf_id": "1001",
                "accepted_case": 0,
            }
        ]
        self.tokens: dict[str, IssuedToken] = {}
        self.tokens_issued: Counter[tuple[str, str]] = Counter()
        self.deliveries: deque[Delivery] = deque(maxlen=call_log_size)
        self.delivered = 0
        self.menu: JsonObject | None = None
        self.conditional_menus: dict[str, JsonObject] = {}
        self.media: dict[str, JsonObject] = {}
        self.mass_jobs: dict[int, JsonObject] = {}
        self._current: dict[tuple[str, str], IssuedToken] = {}
        self._template_ids: OrderedDict[tuple[str, str, str], tuple[int, float]] = OrderedDict()
        self._mass_ids: dict[tuple[str, str], int] = {}
        self._ids = itertools.count(2_002_283_320_001)

    # -- tokens --------------------------------------------------------------------------------

    def check_credentials(self, appid: object, secret: object) -> str:
        """The appid when ``appid``/``secret`` name a configured account."""
        if not isinstance(appid, str) or not appid:
            raise ApiError(41002)
        if not isinstance(secret, str) or not secret:
            raise ApiError(41004)
        if appid not in self.accounts:
            raise ApiError(40013)
        if not secrets.compare_digest(self.accounts[appid], secret):
            raise ApiError(40125)
        return appid

    def issue_classic(self, appid: str) -> IssuedToken:
        """A new classic token; the previous one survives only the overlap."""
        now = self.clock()
        previous = self._current.get((appid, "classic"))
        if previous is not None and previous.expires_at > now:
            previous.expires_at = min(previous.expires_at, now + self.token_overlap_s)
            previous.superseded = True
        return self._mint(appid, "classic", "classic")

    def stable(self, appid: str, *, force: bool) -> IssuedToken:
        """The current stable token, a rotated one near expiry, or a forced new one."""
        now = self.clock()
        current = self._current.get((appid, "stable"))
        if force:
            if current is not None:
                current.expires_at = min(current.expires_at, now)
                current.superseded = True
            return self._mint(appid, "stable", "stable_forced")
        if current is not None and current.expires_at - now > self.stable_rotate_s:
            return current
        return self._mint(appid, "stable", "stable")

    def check_token(self, token: str | None) -> str:
        """The appid a valid ``token`` belongs to."""
        if not token:
            raise ApiError(41001)
        issued = self.tokens.get(token)
        if issued is None:
            raise ApiError(40001)
        if issued.expires_at <= self.clock():
            raise ApiError(40001 if issued.superseded else 42001)
        return issued.appid

    def expire_tokens(self, appid: str | None = None) -> int:
        """Expire every live token (of one account); returns how many."""
        now = self.clock()
        expired = 0
        for issued in self.tokens.values():
            if (appid is None or issued.appid == appid) and issued.expires_at > now:
                issued.expires_at = now
                expired += 1
        return expired

    def _mint(self, appid: str, kind: str, counted_as: str) -> IssuedToken:
        now = self.clock()
        if len(self.tokens) > 1000:
            horizon = now - self.token_lifetime_s
            self.tokens = {t: i for t, i in self.tokens.items() if i.expires_at > horizon}
        token = f"sbx_{kind}_{secrets.token_urlsafe(48)}"
        issued = IssuedToken(token, appid, kind, now + self.token_lifetime_s)
        self.tokens[token] = issued
        self._current[appid, kind] = issued
        self.tokens_issued[appid, counted_as] += 1
        return issued

    def tokens_issued_json(self) -> dict[str, dict[str, int]]:
        """Token issuance counters as ``{appid: {kind: n}}``."""
        result: dict[str, dict[str, int]] = {}
        for (appid, kind), n in self.tokens_issued.items():
            result.setdefault(appid, {})[kind] = n
        return result

    # -- recipients and deliveries ---------------------------------------------------------------

    def check_openid(self, openid: object) -> str:
        """``openid`` when it is a follower of the account."""
        if not isinstance(openid, str) or not openid or openid in self.unknown:
            raise ApiError(40003)
        if openid in self.unsubscribed:
            raise ApiError(43004)
        return openid

    def deliver(
        self, kind: str, appid: str, touser: str | list[str] | None, body: JsonObject
    ) -> int:
        """Record an accepted message and return its msgid."""
        msgid = next(self._ids)
        self.deliveries.append(Delivery(kind, appid, touser, msgid, body, self.clock()))
        self.delivered += 1
        return msgid

    def template_msgid(self, appid: str, openid: str, client_msg_id: str) -> int | None:
        """The msgid of an earlier send with the same idempotency key, if still remembered."""
        horizon = self.clock() - self.client_msg_id_window_s
        while self._template_ids:
            oldest = next(iter(self._template_ids.values()))
            if oldest[1] > horizon:
                break
            self._template_ids.popitem(last=False)
        known = self._template_ids.get((appid, openid, client_msg_id))
        return known[0] if known is not None else None

    def remember_template(self, appid: str, openid: str, client_msg_id: str, msgid: int) -> None:
        """Remember a template send's idempotency key."""
        self._template_ids[appid, openid, client_msg_id] = (msgid, self.clock())

    def next_id(self) -> int:
        """A fresh numeric id (msgid, msg_id, menuid)."""
        return next(self._ids)

    # -- operations ----------------------------------------------------------------------------

    async def custom_send(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/message/custom/send``."""
        body = call.body
        touser = self.check_openid(body.get("touser"))
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
        touser = self.check_openid(body.get("touser"))
        template_id = body.get("template_id")
        if not isinstance(template_id, str) or not template_id:
            raise ApiError(40037)
        if not isinstance(body.get("data", {}), dict):
            raise ApiError(47001)
        client_msg_id = body.get("client_msg_id")
        if client_msg_id is not None and not isinstance(client_msg_id, str):
            raise ApiError(47001)
        if client_msg_id:
            known = self.template_msgid(call.appid, touser, client_msg_id)
            if known is not None:
                return {"msgid": known}
        msgid = self.deliver("template", call.appid, touser, body)
        if client_msg_id:
            self.remember_template(call.appid, touser, client_msg_id, msgid)
        return {"msgid": msgid}

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
        msg_data_id = self.next_id()
        self.mass_jobs[msg_id] = {"msg_status": "SEND_SUCCESS", "msg_data_id": msg_data_id}
        if clientmsgid is not None:
            self._mass_ids[call.appid, clientmsgid] = msg_id
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

    async def menu_create(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/menu/create``."""
        buttons = call.body.get("button")
        check_menu(buttons)
        self.menu = {"button": buttons, "menuid": self.next_id()}
        return {}

    async def menu_get(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/menu/get``."""
        if self.menu is None:
            raise ApiError(46003)
        result: JsonObject = {"menu": self.menu}
        if self.conditional_menus:
            result["conditionalmenu"] = list(self.conditional_menus.values())
        return result

    async def menu_delete(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/menu/delete`` (default and conditional menus)."""
        self.menu = None
        self.conditional_menus.clear()
        return {}

    async def menu_addconditional(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/menu/addconditional``."""
        if self.menu is None:
            raise ApiError(65303)
        buttons = call.body.get("button")
        check_menu(buttons)
        rule = call.body.get("matchrule")
        if not isinstance(rule, dict) or not any(v not in (None, "") for v in rule.values()):
            raise ApiError(65304)
        if any(rule.get(key) not in (None, "") for key in PRIVACY_RULES):
            raise ApiError(65320)
        menuid = str(self.next_id())
        self.conditional_menus[menuid] = {"button": buttons, "matchrule": rule, "menuid": menuid}
        return {"menuid": menuid}

    async def menu_delconditional(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/menu/delconditional``."""
        if self.conditional_menus.pop(str(call.body.get("menuid")), None) is None:
            raise ApiError(65301)
        return {}

    async def media_upload(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/media/upload`` (temporary media, multipart field ``media``)."""
        media_type = call.query.get("type", "")
        media_id = await self._store_media(call, media_type, "tmp")
        return {"type": media_type, "media_id": media_id, "created_at": int(self.clock())}

    async def add_material(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/material/add_material`` (permanent media, multipart field ``media``)."""
        media_type = call.query.get("type", "")
        media_id = await self._store_media(call, media_type, "perm")
        result: JsonObject = {"media_id": media_id}
        if media_type == "image":
            result["url"] = f"http://mmbiz.qpic.cn/sandbox/{media_id}/0"
        return result

    async def _store_media(self, call: ApiCall, media_type: str, prefix: str) -> str:
        if media_type not in MEDIA_LIMITS:
            raise ApiError(40004)
        async with call.request.form() as form:
            media = form.get("media")
            if not isinstance(media, UploadFile):
                raise ApiError(41005)
            data = await media.read()
            if prefix == "perm" and media_type == "video" and not form.get("description"):
                raise ApiError(47001)
            filename = media.filename or ""
        limit, errcode = MEDIA_LIMITS[media_type]
        if not data:
            raise ApiError(41005)
        if len(data) > limit:
            raise ApiError(errcode)
        media_id = f"{prefix}_{media_type}_{self.next_id()}"
        self.media[media_id] = {"type": media_type, "filename": filename, "size": len(data)}
        return media_id

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

    async def online_kf_list(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/customservice/getonlinekflist``."""
        return {"kf_online_list": self.online_kf}


def check_menu(buttons: object) -> None:
    """Raise the real API's errcode when ``buttons`` breaks the menu rules."""
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise ApiError(40016)
    for button in buttons:
        if not isinstance(button, dict):
            raise ApiError(47001)
        subs = button.get("sub_button")
        if _byte_len(button.get("name")) not in range(1, 17):
            raise ApiError(40018)
        if not subs:
            _check_action(button, type_code=40017, key_code=40019, url_code=40020)
            continue
        if not isinstance(subs, list) or len(subs) > 5:
            raise ApiError(40023)
        for sub in subs:
            if not isinstance(sub, dict):
                raise ApiError(47001)
            if sub.get("sub_button"):
                raise ApiError(40022)
            if _byte_len(sub.get("name")) not in range(1, 61):
                raise ApiError(40025)
            _check_action(sub, type_code=40024, key_code=40026, url_code=40027)


def _check_action(button: JsonObject, *, type_code: int, key_code: int, url_code: int) -> None:
    kind = button.get("type")
    if kind not in MENU_TYPES:
        raise ApiError(type_code)
    key, url = button.get("key"), button.get("url")
    if (kind in CLICK_LIKE or key is not None) and _byte_len(key) not in range(1, 129):
        raise ApiError(key_code)
    if (kind in {"view", "miniprogram"} or url is not None) and _byte_len(url) not in range(
        1, 1025
    ):
        raise ApiError(url_code)
    if kind == "miniprogram" and not (button.get("appid") and button.get("pagepath")):
        raise ApiError(47001)
    if kind in {"media_id", "view_limited"} and not button.get("media_id"):
        raise ApiError(40007)
    if kind in {"article_id", "article_view_limited"} and not button.get("article_id"):
        raise ApiError(40007)


def parse_body(raw: bytes) -> JsonObject:
    """The JSON object of a request body, judged like the real API."""
    if not raw.strip():
        raise ApiError(44002)
    if b"\\u" in raw and _UNICODE_ESCAPE.search(raw):
        raise ApiError(40033)
    try:
        value: Any = json.loads(raw)
    except ValueError:
        raise ApiError(47001) from None
    if not isinstance(value, dict):
        raise ApiError(47001)
    return value


def _api(
    state: WeChatApiState, operation: Operation, *, body: str = "json", envelope: bool = True
) -> Callable[[Request], Awaitable[Reply]]:
    """A handler that authenticates, parses the body and runs ``operation``."""

    async def handle(request: Request) -> Reply:
        logged: Any = None
        try:
            appid = state.check_token(request.query_params.get("access_token"))
            parsed: JsonObject = {}
            if body == "json":
                raw = await request.body()
                logged = raw.decode(errors="replace")[:2000]
                parsed = parse_body(raw)
                logged = parsed
            result = await operation(ApiCall(appid, request.query_params, parsed, request))
        except ApiError as exc:
            answer = {"errcode": exc.errcode, "errmsg": exc.errmsg, **exc.extra}
            return Reply(answer, str(exc.errcode), 200, logged, exc.errcode)
        if envelope:
            result = {"errcode": 0, "errmsg": "ok", **result}
        return Reply(result, "0", 200, logged, 0)

    return handle


def _token_handlers(
    state: WeChatApiState,
) -> tuple[Callable[[Request], Awaitable[Reply]], Callable[[Request], Awaitable[Reply]]]:
    async def classic(request: Request) -> Reply:
        query = request.query_params
        try:
            if query.get("grant_type") != "client_credential":
                raise ApiError(40002)
            appid = state.check_credentials(query.get("appid"), query.get("secret"))
            issued = state.issue_classic(appid)
        except ApiError as exc:
            answer = {"errcode": exc.errcode, "errmsg": exc.errmsg}
            return Reply(answer, str(exc.errcode), errcode=exc.errcode)
        expires_in = round(issued.expires_at - state.clock())
        return Reply({"access_token": issued.token, "expires_in": expires_in}, "0", errcode=0)

    async def stable(request: Request) -> Reply:
        logged: Any = None
        try:
            body = parse_body(await request.body())
            logged = {k: ("***" if k == "secret" else v) for k, v in body.items()}
            if body.get("grant_type") != "client_credential":
                raise ApiError(40002)
            appid = state.check_credentials(body.get("appid"), body.get("secret"))
            issued = state.stable(appid, force=body.get("force_refresh") is True)
        except ApiError as exc:
            answer = {"errcode": exc.errcode, "errmsg": exc.errmsg}
            return Reply(answer, str(exc.errcode), 200, logged, exc.errcode)
        expires_in = round(issued.expires_at - state.clock())
        body = {"access_token": issued.token, "expires_in": expires_in}
        return Reply(body, "0", 200, logged, 0)

    return classic, stable


def _control_routes(state: WeChatApiState) -> list[Route]:
    async def expire_tokens(request: Request) -> Response:
        body = await read_json_object(request)
        if body is None:
            return bad_request("body must be a JSON object")
        appid = body.get("appid")
        if appid is not None and not isinstance(appid, str):
            return bad_request("appid must be a string")
        return JSONResponse({"ok": True, "expired": state.expire_tokens(appid)})

    async def set_users(request: Request) -> Response:
        body = await read_json_object(request)
        if body is None:
            return bad_request("body must be a JSON object")
        updates: dict[str, set[str]] = {}
        for key in ("unknown", "unsubscribed"):
            if key in body:
                value = body[key]
                if not isinstance(value, list) or not all(isinstance(o, str) for o in value):
                    return bad_request(f"{key} must be a list of openids")
                updates[key] = set(value)
        state.unknown = updates.get("unknown", state.unknown)
        state.unsubscribed = updates.get("unsubscribed", state.unsubscribed)
        return await get_users(request)

    async def get_users(request: Request) -> Response:
        return JSONResponse(
            {"unknown": sorted(state.unknown), "unsubscribed": sorted(state.unsubscribed)}
        )

    async def set_account(request: Request) -> Response:
        body = await read_json_object(request)
        appid, secret = (body or {}).get("appid"), (body or {}).get("secret")
        if not isinstance(appid, str) or not appid or not isinstance(secret, str) or not secret:
            return bad_request("appid and secret are required")
        state.accounts[appid] = secret
        return JSONResponse({"ok": True})

    async def list_deliveries(request: Request) -> Response:
        touser, kind = request.query_params.get("touser"), request.query_params.get("kind")
        found = [
            d.as_json()
            for d in state.deliveries
            if (kind is None or d.kind == kind)
            and (
                touser is None
                or d.touser == touser
                or (isinstance(d.touser, list) and touser in d.touser)
            )
        ]
        return JSONResponse({"deliveries": found})

    async def clear_deliveries(request: Request) -> Response:
        state.deliveries.clear()
        return JSONResponse({"ok": True})

    def extra_stats() -> JsonObject:
        return {"deliveries": state.delivered, "tokens_issued": state.tokens_issued_json()}

    return [
        Route("/__sandbox__/expire_tokens", expire_tokens, methods=["POST"]),
        Route("/__sandbox__/users", set_users, methods=["POST"]),
        Route("/__sandbox__/users", get_users, methods=["GET"]),
        Route("/__sandbox__/accounts", set_account, methods=["POST"]),
        Route("/__sandbox__/deliveries", list_deliveries, methods=["GET"]),
        Route("/__sandbox__/deliveries", clear_deliveries, methods=["DELETE"]),
        *control_routes(state, extra_stats),
    ]


def _fault_outcome(body: JsonObject) -> str:
    return str(body.get("errcode", 0))


def build_app(state: WeChatApiState | None = None) -> Starlette:
    """The WeChat API sandbox app; its state is ``app.state.sandbox``."""
    wx = state or WeChatApiState()
    classic, stable = _token_handlers(wx)
    api: list[tuple[str, str, Callable[[Request], Awaitable[Reply]]]] = [
        ("GET", "/cgi-bin/token", classic),
        ("POST", "/cgi-bin/stable_token", stable),
        ("POST", "/cgi-bin/message/custom/send", _api(wx, wx.custom_send)),
        ("POST", "/cgi-bin/message/template/send", _api(wx, wx.template_send)),
        ("POST", "/cgi-bin/message/mass/send", _api(wx, wx.mass_send)),
        ("POST", "/cgi-bin/message/mass/sendall", _api(wx, wx.mass_sendall)),
        ("POST", "/cgi-bin/message/mass/get", _api(wx, wx.mass_get)),
        ("POST", "/cgi-bin/menu/create", _api(wx, wx.menu_create)),
        ("GET", "/cgi-bin/menu/get", _api(wx, wx.menu_get, body="none", envelope=False)),
        ("GET", "/cgi-bin/menu/delete", _api(wx, wx.menu_delete, body="none")),
        ("POST", "/cgi-bin/menu/addconditional", _api(wx, wx.menu_addconditional)),
        ("POST", "/cgi-bin/menu/delconditional", _api(wx, wx.menu_delconditional)),
        ("POST", "/cgi-bin/media/upload", _api(wx, wx.media_upload, body="form", envelope=False)),
        (
            "POST",
            "/cgi-bin/material/add_material",
            _api(wx, wx.add_material, body="form", envelope=False),
        ),
        ("GET", "/cgi-bin/user/info", _api(wx, wx.user_info, body="none", envelope=False)),
        (
            "GET",
            "/cgi-bin/customservice/getonlinekflist",
            _api(wx, wx.online_kf_list, body="none", envelope=False),
        ),
    ]
    routes = [
        Route(path, recorded(wx, handler, _fault_outcome), methods=[method])
        for method, path, handler in api
    ]
    app = Starlette(routes=[*routes, *_control_routes(wx)])
    app.state.sandbox = wx
    return app
