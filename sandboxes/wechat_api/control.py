"""The sandbox's control API: tokens, followers, accounts and recorded deliveries."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandboxes.control import bad_request, control_routes, read_json_object
from sandboxes.faults import JsonObject
from sandboxes.wechat_api.job_reports import CallbackTarget
from sandboxes.wechat_api.state import WeChatApiState

# Control lists of openids: the followers family's, then the job reports'.
_FOLLOWER_SETS = ("unknown", "unsubscribed")
_REPORT_SETS = ("blocking", "system_failing")


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
        for key in (*_FOLLOWER_SETS, *_REPORT_SETS):
            if key in body:
                value = body[key]
                if not isinstance(value, list) or not all(isinstance(o, str) for o in value):
                    return bad_request(f"{key} must be a list of openids")
                updates[key] = set(value)
        state.unknown = updates.get("unknown", state.unknown)
        state.unsubscribed = updates.get("unsubscribed", state.unsubscribed)
        reports = state.job_reports
        reports.blocking = updates.get("blocking", reports.blocking)
        reports.system_failing = updates.get("system_failing", reports.system_failing)
        return await get_users(request)

    async def get_users(request: Request) -> Response:
        return JSONResponse(
            {
                "unknown": sorted(state.unknown),
                "unsubscribed": sorted(state.unsubscribed),
                "blocking": sorted(state.job_reports.blocking),
                "system_failing": sorted(state.job_reports.system_failing),
            }
        )

    async def seed_followers(request: Request) -> Response:
        body = await read_json_object(request) or {}
        count, page_size = body.get("count"), body.get("page_size")
        if not isinstance(count, int) or not 0 <= count <= 1_000_000:
            return bad_request("count must be an integer 0..1000000")
        if page_size is not None and (not isinstance(page_size, int) or not page_size >= 1):
            return bad_request("page_size must be a positive integer")
        listed = state.followers.seed(count, page_size=page_size)
        return JSONResponse({"count": len(listed), "page_size": state.followers.page_size})

    async def set_callback(request: Request) -> Response:
        body = await read_json_object(request) or {}
        fields = {k: body.get(k) for k in ("appid", "url", "token", "original_id")}
        if not all(isinstance(v, str) and v for v in fields.values()):
            return bad_request("appid, url, token and original_id are required")
        key = body.get("encoding_aes_key")
        if key is not None and not isinstance(key, str):
            return bad_request("encoding_aes_key must be a string")
        state.job_reports.targets[str(fields["appid"])] = CallbackTarget(
            str(fields["url"]), str(fields["token"]), str(fields["original_id"]), key or None
        )
        return await list_callbacks(request)

    async def list_callbacks(request: Request) -> Response:
        targets = state.job_reports.targets
        return JSONResponse({"callbacks": {a: t.as_json() for a, t in targets.items()}})

    async def list_pushes(request: Request) -> Response:
        return JSONResponse({"pushes": list(state.job_reports.pushed)})

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
        try:
            after = int(request.query_params.get("after", "0"))
        except ValueError:
            return bad_request("after must be a msgid")
        found = [
            d.as_json()
            for d in state.deliveries
            if d.msgid > after
            and (kind is None or d.kind == kind)
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
        Route("/__sandbox__/followers", seed_followers, methods=["POST"]),
        Route("/__sandbox__/accounts", set_account, methods=["POST"]),
        Route("/__sandbox__/callbacks", set_callback, methods=["POST"]),
        Route("/__sandbox__/callbacks", list_callbacks, methods=["GET"]),
        Route("/__sandbox__/pushes", list_pushes, methods=["GET"]),
        Route("/__sandbox__/oauth/codes", issue_oauth_code, methods=["POST"]),
        Route("/__sandbox__/deliveries", list_deliveries, methods=["GET"]),
        Route("/__sandbox__/deliveries", clear_deliveries, methods=["DELETE"]),
        *control_routes(state, extra_stats),
    ]
