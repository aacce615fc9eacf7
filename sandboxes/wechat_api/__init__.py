"""WeChat API sandbox (port 8090 in dev): the real API's paths and JSON on loopback.

Point a client's API base at it (``WXHUB_WECHAT_API_BASE=http://127.0.0.1:8090``). It checks
what the real API checks (docs/wechat-protocol.md §8, §9): ``access_token`` missing → 41001,
unknown or superseded → 40001, expired → 42001; bodies with ``\\uXXXX`` escapes → 40033,
unparsable → 47001, empty → 44002; openids in the ``unknown`` set → 40003, in the
``unsubscribed`` set → 43004 (every other openid is a follower); appid/secret against the
configured accounts (default: the demo account) → 40013 / 40125; menu shape and sizes →
40016..40027. It answers HTTP 200 with ``errcode`` like the real API.

One module per API family, like ``libs/common/wechat/api/``: ``token.py``, ``message.py``,
``menu.py``, ``media.py``, ``user.py``, ``customservice.py``, ``oauth.py``; ``protocol.py``
judges requests and names errcodes, ``state.py`` holds the families, ``app.py`` routes,
``control.py`` is the control API.

API paths served
----------------
``GET /cgi-bin/token``, ``POST /cgi-bin/stable_token``, ``POST /cgi-bin/message/custom/send``,
``POST /cgi-bin/message/template/send``, ``POST /cgi-bin/message/mass/send``,
``POST /cgi-bin/message/mass/sendall``, ``POST /cgi-bin/message/mass/get``,
``POST /cgi-bin/menu/create``, ``GET /cgi-bin/menu/get``, ``GET /cgi-bin/menu/delete``,
``POST /cgi-bin/menu/addconditional``, ``POST /cgi-bin/menu/delconditional``,
``POST /cgi-bin/media/upload``, ``POST /cgi-bin/material/add_material``,
``GET /cgi-bin/user/info``, ``GET /cgi-bin/customservice/getonlinekflist``,
``GET /sns/oauth2/access_token`` (web authorisation: code → openid; forged 40029, used 40163,
expired 42003), and WeChat's authorize page ``GET /connect/oauth2/authorize`` (redirects back at
once with a code for ``sandbox_openid``, default the bound demo customer; see ``oauth.py``).

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
    ``{"unknown": [openid…], "unsubscribed": [openid…], "blocking": [openid…],
    "system_failing": [openid…]}``; each list given replaces that set. ``blocking`` followers
    refused the account's messages: their template sends report ``failed:user block``;
    ``system_failing`` ones ``failed: system failed``.
``POST /__sandbox__/followers``
    ``{"count": N, "page_size"?: n}``: the account's follower list becomes N numbered openids
    (``oSbxFollower000000000000``…), listed by ``/cgi-bin/user/get`` ``page_size`` (default
    10,000, WeChat's) at a time; unsubscribed ones drop out of the list.
``POST /__sandbox__/callbacks`` / ``GET /__sandbox__/callbacks``
    ``{"appid", "url", "token", "original_id", "encoding_aes_key"?}``: where (and how signed)
    the delivery reports of that account are pushed: TEMPLATESENDJOBFINISH after each template
    send, MASSSENDJOBFINISH (TotalCount, FilterCount, SentCount, ErrorCount) after each mass
    send, ``report_delay_s`` (0.2 s) later. Without a callback nothing is pushed.
``GET /__sandbox__/pushes``
    The job-finish events pushed so far, with the callback's HTTP status.
``POST /__sandbox__/accounts``
    ``{"appid": …, "secret": …}`` adds or replaces an account.
``POST /__sandbox__/oauth/codes``
    ``{"appid": …, "openid": …}`` → ``{"code": …}``: a web-authorisation code for that user.
``GET /__sandbox__/calls?path=&limit=`` / ``DELETE /__sandbox__/calls``
    Recorded calls (``at``, ``method``, ``path``, ``query``, ``body``, ``status``, ``outcome`` =
    the errcode or ``http_<status>``, ``errcode``) / forget them and reset the counters.
``GET /__sandbox__/deliveries?touser=&kind=&after=`` / ``DELETE /__sandbox__/deliveries``
    Messages the sandbox accepted for delivery (kind ``custom``, ``template`` or ``mass``), each
    with its ``msgid`` (increasing) and ``at`` (Unix time it was accepted); ``after`` keeps those
    with a larger msgid, so a poller reads each delivery once.
``GET /__sandbox__/stats``
    ``{"calls": {path: {errcode: n}}, "total": n, "deliveries": n,
    "tokens_issued": {appid: {"classic"|"stable"|"stable_forced": n}}}``; a stable call that
    returns the current token is not an issuance.
"""

from __future__ import annotations

from sandboxes.wechat_api.app import build_app
from sandboxes.wechat_api.job_reports import CallbackTarget
from sandboxes.wechat_api.message import Delivery
from sandboxes.wechat_api.protocol import ApiError
from sandboxes.wechat_api.state import DEMO_APPID, DEMO_SECRET, WeChatApiState

__all__ = [
    "DEMO_APPID",
    "DEMO_SECRET",
    "ApiError",
    "CallbackTarget",
    "Delivery",
    "WeChatApiState",
    "build_app",
]
