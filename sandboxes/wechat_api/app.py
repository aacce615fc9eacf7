"""The sandbox's routes: every API path authenticated, judged and recorded, then the control API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from sandboxes.endpoint import Reply, recorded
from sandboxes.faults import JsonObject
from sandboxes.wechat_api.control import sandbox_routes
from sandboxes.wechat_api.protocol import ApiCall, ApiError, Operation, fault_outcome, parse_body
from sandboxes.wechat_api.state import WeChatApiState

Handler = Callable[[Request], Awaitable[Reply]]


def _api(
    state: WeChatApiState, operation: Operation, *, body: str = "json", envelope: bool = True
) -> Handler:
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


def build_app(state: WeChatApiState | None = None) -> Starlette:
    """The WeChat API sandbox app; its state is ``app.state.sandbox``."""
    wx = state or WeChatApiState()
    messages, menus, media = wx.messages, wx.menus, wx.media_store
    api: list[tuple[str, str, Handler]] = [
        ("GET", "/cgi-bin/token", wx.token_book.classic_endpoint),
        ("POST", "/cgi-bin/stable_token", wx.token_book.stable_endpoint),
        ("GET", "/sns/oauth2/access_token", wx.oauth.access_token_endpoint),
        ("POST", "/cgi-bin/message/custom/send", _api(wx, messages.custom_send)),
        ("POST", "/cgi-bin/message/template/send", _api(wx, messages.template_send)),
        ("POST", "/cgi-bin/message/mass/send", _api(wx, messages.mass_send)),
        ("POST", "/cgi-bin/message/mass/sendall", _api(wx, messages.mass_sendall)),
        ("POST", "/cgi-bin/message/mass/get", _api(wx, messages.mass_get)),
        ("POST", "/cgi-bin/menu/create", _api(wx, menus.create)),
        ("GET", "/cgi-bin/menu/get", _api(wx, menus.get, body="none", envelope=False)),
        ("GET", "/cgi-bin/menu/delete", _api(wx, menus.delete, body="none")),
        ("POST", "/cgi-bin/menu/addconditional", _api(wx, menus.add_conditional)),
        ("POST", "/cgi-bin/menu/delconditional", _api(wx, menus.del_conditional)),
        ("POST", "/cgi-bin/media/upload", _api(wx, media.upload, body="form", envelope=False)),
        (
            "POST",
            "/cgi-bin/material/add_material",
            _api(wx, media.add_material, body="form", envelope=False),
        ),
        (
            "GET",
            "/cgi-bin/user/info",
            _api(wx, wx.followers.user_info, body="none", envelope=False),
        ),
        ("GET", "/cgi-bin/user/get", _api(wx, wx.followers.user_get, body="none", envelope=False)),
        ("POST", "/cgi-bin/user/info/batchget", _api(wx, wx.followers.batchget, envelope=False)),
        (
            "GET",
            "/cgi-bin/customservice/getonlinekflist",
            _api(wx, wx.agents.online_list, body="none", envelope=False),
        ),
    ]
    routes = [
        Route(path, recorded(wx, handler, fault_outcome), methods=[method])
        for method, path, handler in api
    ]
    # WeChat's authorize page (open.weixin.qq.com): a browser redirect, not an API call.
    authorize = Route("/connect/oauth2/authorize", wx.oauth.authorize_endpoint, methods=["GET"])
    app = Starlette(routes=[*routes, authorize, *sandbox_routes(wx)])
    app.state.sandbox = wx
    return app
