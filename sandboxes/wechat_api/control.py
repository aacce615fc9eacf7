"""The sandbox's control API: tokens, followers, accounts and recorded deliveries."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandboxes.control import bad_request, control_routes, read_json_object
from sandboxes.faults import JsonObject
from sandboxes.wechat_api.state import WeChatApiState


def sandbox_routes(state: WeChatApiState) -> list[Route]:
    """The ``/__sandbox__/`` control API (see the package docstring)."""

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

    async def issue_oauth_code(request: Request) -> Response:
        body = await read_json_object(request)
        appid, openid = (body or {}).get("appid"), (body or {}).get("openid")
        if not isinstance(appid, str) or not appid or not isinstance(openid, str) or not openid:
            return bad_request("appid and openid are required")
        return JSONResponse({"code": state.oauth.issue(appid, openid)})

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
        Route("/__sandbox__/oauth/codes", issue_oauth_code, methods=["POST"]),
        Route("/__sandbox__/deliveries", list_deliveries, methods=["GET"]),
        Route("/__sandbox__/deliveries", clear_deliveries, methods=["DELETE"]),
        *control_routes(state, extra_stats),
    ]
