from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from sandboxes.wechat_api import DEMO_APPID, DEMO_SECRET, WeChatApiState, build_app
from tests.sandboxes.support import FakeClock, SharedServer

pytestmark = pytest.mark.asyncio(loop_scope="module")

CUSTOM = "/cgi-bin/message/custom/send"
TEMPLATE = "/cgi-bin/message/template/send"


@pytest.fixture
def state(clock: FakeClock) -> WeChatApiState:
    return WeChatApiState(clock=clock)


@pytest_asyncio.fixture(loop_scope="module")
async def client(
    shared_server: SharedServer, state: WeChatApiState
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=shared_server.mount(build_app(state))) as http:
        yield http


async def classic_token(client: httpx.AsyncClient, secret: str = DEMO_SECRET) -> Any:
    params = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": secret}
    return (await client.get("/cgi-bin/token", params=params)).json()


async def stable_token(client: httpx.AsyncClient, *, force: bool = False) -> Any:
    body = {
        "grant_type": "client_credential",
        "appid": DEMO_APPID,
        "secret": DEMO_SECRET,
        "force_refresh": force,
    }
    return (await client.post("/cgi-bin/stable_token", json=body)).json()


async def post(client: httpx.AsyncClient, path: str, token: str, body: Any, **params: str) -> Any:
    content = json.dumps(body, ensure_ascii=False).encode()
    headers = {"content-type": "application/json"}
    response = await client.post(
        path, params={"access_token": token, **params}, content=content, headers=headers
    )
    assert response.status_code == 200
    return response.json()


def text(openid: str, content: str = "你好") -> dict[str, Any]:
    return {"touser": openid, "msgtype": "text", "text": {"content": content}}


@pytest_asyncio.fixture(loop_scope="module")
async def token(client: httpx.AsyncClient) -> str:
    return str((await stable_token(client))["access_token"])


# -- tokens ---------------------------------------------------------------------------------------


async def test_classic_token_is_issued_and_accepted(client: httpx.AsyncClient) -> None:
    answer = await classic_token(client)

    assert answer["expires_in"] == 7200
    assert (await post(client, CUSTOM, answer["access_token"], text("o1")))["errcode"] == 0


@pytest.mark.parametrize(
    ("params", "errcode"),
    [
        ({"grant_type": "client_credential", "appid": "wxnope", "secret": DEMO_SECRET}, 40013),
        ({"grant_type": "client_credential", "appid": DEMO_APPID, "secret": "wrong"}, 40125),
        ({"grant_type": "password", "appid": DEMO_APPID, "secret": DEMO_SECRET}, 40002),
        ({"grant_type": "client_credential", "secret": DEMO_SECRET}, 41002),
    ],
)
async def test_token_request_is_checked(
    client: httpx.AsyncClient, params: dict[str, str], errcode: int
) -> None:
    answer = (await client.get("/cgi-bin/token", params=params)).json()

    assert answer["errcode"] == errcode
    assert "access_token" not in answer


async def test_new_classic_token_supersedes_the_old_after_the_overlap(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    old = (await classic_token(client))["access_token"]
    new = (await classic_token(client))["access_token"]
    assert old != new
    assert (await post(client, CUSTOM, old, text("o1")))["errcode"] == 0

    clock.advance(301)

    assert (await post(client, CUSTOM, old, text("o1")))["errcode"] == 40001
    assert (await post(client, CUSTOM, new, text("o1")))["errcode"] == 0


async def test_token_expires_after_its_lifetime(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    token = (await classic_token(client))["access_token"]
    clock.advance(7200)

    assert (await post(client, CUSTOM, token, text("o1")))["errcode"] == 42001


async def test_missing_and_unknown_tokens_are_refused(client: httpx.AsyncClient) -> None:
    missing = await client.post(CUSTOM, json=text("o1"))
    unknown = await post(client, CUSTOM, "not-a-token", text("o1"))

    assert missing.json()["errcode"] == 41001
    assert unknown["errcode"] == 40001


async def test_stable_token_is_shared_until_forced(
    client: httpx.AsyncClient, clock: FakeClock, state: WeChatApiState
) -> None:
    first = await stable_token(client)
    clock.advance(100)
    second = await stable_token(client)
    assert second["access_token"] == first["access_token"]
    assert second["expires_in"] == 7100

    forced = await stable_token(client, force=True)

    assert forced["access_token"] != first["access_token"]
    assert (await post(client, CUSTOM, first["access_token"], text("o1")))["errcode"] == 40001
    assert (await post(client, CUSTOM, forced["access_token"], text("o1")))["errcode"] == 0
    assert state.tokens_issued_json() == {DEMO_APPID: {"stable": 1, "stable_forced": 1}}


async def test_stable_token_rotates_near_expiry_keeping_the_old_one_valid(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    first = (await stable_token(client))["access_token"]
    clock.advance(7200 - 200)

    rotated = (await stable_token(client))["access_token"]

    assert rotated != first
    assert (await post(client, CUSTOM, first, text("o1")))["errcode"] == 0


async def test_classic_and_stable_tokens_are_independent(client: httpx.AsyncClient) -> None:
    stable = (await stable_token(client))["access_token"]
    await classic_token(client)
    await classic_token(client)

    assert (await stable_token(client))["access_token"] == stable


async def test_stable_token_wrong_secret(client: httpx.AsyncClient) -> None:
    body = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": "nope"}
    answer = (await client.post("/cgi-bin/stable_token", json=body)).json()

    assert answer["errcode"] == 40125


async def test_expire_tokens_control(client: httpx.AsyncClient, token: str) -> None:
    response = await client.post("/__sandbox__/expire_tokens")

    assert response.json() == {"ok": True, "expired": 1}
    assert (await post(client, CUSTOM, token, text("o1")))["errcode"] == 42001
    fresh = (await stable_token(client))["access_token"]
    assert fresh != token
    assert (await post(client, CUSTOM, fresh, text("o1")))["errcode"] == 0


async def test_accounts_can_be_added(client: httpx.AsyncClient) -> None:
    await client.post("/__sandbox__/accounts", json={"appid": "wxother", "secret": "s3"})
    params = {"grant_type": "client_credential", "appid": "wxother", "secret": "s3"}

    answer = (await client.get("/cgi-bin/token", params=params)).json()

    assert "access_token" in answer


# -- body and recipient checks --------------------------------------------------------------------


async def test_unicode_escapes_are_refused(client: httpx.AsyncClient, token: str) -> None:
    escaped = json.dumps(text("o1", "你好")).encode()
    assert b"\\u" in escaped

    response = await client.post(CUSTOM, params={"access_token": token}, content=escaped)

    assert response.json()["errcode"] == 40033


async def test_a_literal_backslash_u_is_not_an_escape(
    client: httpx.AsyncClient, token: str
) -> None:
    answer = await post(client, CUSTOM, token, text("o1", r"C:\users\u1234"))

    assert answer["errcode"] == 0


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", '{"a": "\xff"}'.encode("latin-1")])
async def test_unparsable_body_is_47001(client: httpx.AsyncClient, token: str, raw: bytes) -> None:
    response = await client.post(CUSTOM, params={"access_token": token}, content=raw)

    assert response.json()["errcode"] == 47001


async def test_unknown_and_unsubscribed_openids(client: httpx.AsyncClient, token: str) -> None:
    users = await client.post(
        "/__sandbox__/users", json={"unknown": ["ghost"], "unsubscribed": ["gone"]}
    )
    assert users.json() == {"unknown": ["ghost"], "unsubscribed": ["gone"]}

    assert (await post(client, CUSTOM, token, text("ghost")))["errcode"] == 40003
    assert (await post(client, CUSTOM, token, text("gone")))["errcode"] == 43004
    assert (await post(client, CUSTOM, token, text("anyone")))["errcode"] == 0
    template = {"touser": "gone", "template_id": "T1", "data": {}}
    assert (await post(client, TEMPLATE, token, template))["errcode"] == 43004


async def test_user_info(client: httpx.AsyncClient, token: str) -> None:
    await client.post("/__sandbox__/users", json={"unknown": ["ghost"], "unsubscribed": ["gone"]})

    async def info(openid: str) -> Any:
        params = {"access_token": token, "openid": openid, "lang": "zh_CN"}
        return (await client.get("/cgi-bin/user/info", params=params)).json()

    assert (await info("o1"))["subscribe"] == 1
    assert await info("gone") == {"subscribe": 0, "openid": "gone"}
    assert (await info("ghost"))["errcode"] == 40003


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"touser": "o1", "msgtype": "telegram", "telegram": {}}, 40008),
        ({"touser": "o1", "msgtype": "text"}, 47001),
        ({"touser": "o1", "msgtype": "text", "text": {"content": ""}}, 44004),
        (
            {"touser": "o1", "msgtype": "news", "news": {"articles": [{"title": "a"}] * 2}},
            45008,
        ),
        ({"msgtype": "text", "text": {"content": "x"}}, 40003),
    ],
)
async def test_custom_send_is_validated(
    client: httpx.AsyncClient, token: str, body: dict[str, Any], errcode: int, state: WeChatApiState
) -> None:
    assert (await post(client, CUSTOM, token, body))["errcode"] == errcode
    assert state.delivered == 0


async def test_custom_send_is_a_delivery(client: httpx.AsyncClient, token: str) -> None:
    await post(client, CUSTOM, token, text("o1", "净值提醒"))

    found = (await client.get("/__sandbox__/deliveries", params={"touser": "o1"})).json()

    assert [d["body"]["text"]["content"] for d in found["deliveries"]] == ["净值提醒"]
    assert found["deliveries"][0]["kind"] == "custom"


# -- template and mass ----------------------------------------------------------------------------


async def test_template_client_msg_id_is_idempotent(
    client: httpx.AsyncClient, token: str, state: WeChatApiState, clock: FakeClock
) -> None:
    body = {"touser": "o1", "template_id": "T1", "client_msg_id": "ORDER-1", "data": {}}
    first = await post(client, TEMPLATE, token, body)
    again = await post(client, TEMPLATE, token, body)
    other_user = await post(client, TEMPLATE, token, {**body, "touser": "o2"})

    assert first["errcode"] == 0
    assert again["msgid"] == first["msgid"]
    assert other_user["msgid"] != first["msgid"]
    assert state.delivered == 2

    clock.advance(601)
    later = await post(client, TEMPLATE, token, body)

    assert later["msgid"] != first["msgid"]
    assert state.delivered == 3


async def test_template_without_client_msg_id_always_delivers(
    client: httpx.AsyncClient, token: str, state: WeChatApiState
) -> None:
    body = {"touser": "o1", "template_id": "T1", "data": {}}
    first = await post(client, TEMPLATE, token, body)
    second = await post(client, TEMPLATE, token, body)

    assert first["msgid"] != second["msgid"]
    assert state.delivered == 2


async def test_template_needs_template_id(client: httpx.AsyncClient, token: str) -> None:
    answer = await post(client, TEMPLATE, token, {"touser": "o1", "data": {}})

    assert answer["errcode"] == 40037


async def test_mass_send_by_openids(client: httpx.AsyncClient, token: str) -> None:
    message = {"msgtype": "text", "text": {"content": "公告"}, "clientmsgid": "M-1"}
    too_few = await post(client, "/cgi-bin/message/mass/send", token, {**message, "touser": ["a"]})
    too_many = await post(
        client, "/cgi-bin/message/mass/send", token, {**message, "touser": ["a"] * 10_001}
    )
    sent = await post(
        client, "/cgi-bin/message/mass/send", token, {**message, "touser": ["a", "b"]}
    )
    repeat = await post(
        client, "/cgi-bin/message/mass/send", token, {**message, "touser": ["a", "b"]}
    )
    status = await post(client, "/cgi-bin/message/mass/get", token, {"msg_id": sent["msg_id"]})

    assert too_few["errcode"] == 40130
    assert too_many["errcode"] == 40032
    assert sent["errcode"] == 0
    assert sent["errmsg"] == "send job submission success"
    assert repeat["errcode"] == 45065
    assert repeat["msg_id"] == sent["msg_id"]
    assert status == {
        "errcode": 0,
        "errmsg": "ok",
        "msg_id": sent["msg_id"],
        "msg_status": "SEND_SUCCESS",
    }


async def test_mass_sendall_needs_a_tag_unless_to_all(
    client: httpx.AsyncClient, token: str
) -> None:
    message = {"msgtype": "text", "text": {"content": "公告"}}
    no_tag = await post(
        client, "/cgi-bin/message/mass/sendall", token, {**message, "filter": {"is_to_all": False}}
    )
    to_all = await post(
        client, "/cgi-bin/message/mass/sendall", token, {**message, "filter": {"is_to_all": True}}
    )
    unknown = await post(client, "/cgi-bin/message/mass/get", token, {"msg_id": 1})

    assert no_tag["errcode"] == 40050
    assert to_all["errcode"] == 0
    assert "msg_id" in to_all
    assert unknown["errcode"] == 47003


# -- menus ----------------------------------------------------------------------------------------


def button(name: str = "菜单", **extra: Any) -> dict[str, Any]:
    return {"type": "click", "name": name, "key": "K", **extra}


def sub_menu(subs: list[dict[str, Any]], name: str = "更多") -> dict[str, Any]:
    return {"name": name, "sub_button": subs}


@pytest.mark.parametrize(
    ("buttons", "errcode"),
    [
        ([], 40016),
        ([button()] * 4, 40016),
        ([{"type": "teleport", "name": "x"}], 40017),
        ([button("一二三四五六")], 40018),  # 18 bytes
        ([button(key="k" * 129)], 40019),
        ([{"type": "view", "name": "x", "url": "https://e.com/" + "a" * 1011}], 40020),
        ([{"type": "view", "name": "x"}], 40020),
        ([sub_menu([button()] * 6)], 40023),
        ([sub_menu([{"type": "x", "name": "y"}])], 40024),
        ([sub_menu([button("汉" * 21)])], 40025),  # 63 bytes
        ([sub_menu([button(key="k" * 129)])], 40026),
        ([sub_menu([{"type": "view", "name": "x", "url": "u" * 1025}])], 40027),
        ([sub_menu([sub_menu([button()])])], 40022),
        ([{"type": "media_id", "name": "x"}], 40007),
    ],
)
async def test_menu_limits(
    client: httpx.AsyncClient, token: str, buttons: list[Any], errcode: int
) -> None:
    answer = await post(client, "/cgi-bin/menu/create", token, {"button": buttons})

    assert answer["errcode"] == errcode


async def test_menu_at_the_limits_is_accepted_and_served(
    client: httpx.AsyncClient, token: str
) -> None:
    buttons = [
        button("一二三四五x"),  # 16 bytes
        sub_menu([button("汉" * 20)] * 5),  # 60 bytes, 5 subs
        {"type": "view", "name": "官网", "url": "https://e.com/" + "a" * 1010},  # 1024 bytes
    ]

    created = await post(client, "/cgi-bin/menu/create", token, {"button": buttons})
    served = (await client.get("/cgi-bin/menu/get", params={"access_token": token})).json()

    assert created == {"errcode": 0, "errmsg": "ok"}
    assert served["menu"]["button"] == buttons


async def test_menu_delete_and_conditional_menus(client: httpx.AsyncClient, token: str) -> None:
    menu = {"button": [button()]}
    conditional = {**menu, "matchrule": {"tag_id": "2"}}
    no_default = await post(client, "/cgi-bin/menu/addconditional", token, conditional)
    await post(client, "/cgi-bin/menu/create", token, menu)
    empty_rule = await post(
        client, "/cgi-bin/menu/addconditional", token, {**menu, "matchrule": {"tag_id": ""}}
    )
    privacy = await post(
        client, "/cgi-bin/menu/addconditional", token, {**menu, "matchrule": {"sex": "1"}}
    )
    added = await post(client, "/cgi-bin/menu/addconditional", token, conditional)
    served = (await client.get("/cgi-bin/menu/get", params={"access_token": token})).json()

    assert no_default["errcode"] == 65303
    assert empty_rule["errcode"] == 65304
    assert privacy["errcode"] == 65320
    assert [m["menuid"] for m in served["conditionalmenu"]] == [added["menuid"]]

    missing = await post(client, "/cgi-bin/menu/delconditional", token, {"menuid": "nope"})
    deleted = await post(client, "/cgi-bin/menu/delconditional", token, {"menuid": added["menuid"]})
    assert (missing["errcode"], deleted["errcode"]) == (65301, 0)

    await client.get("/cgi-bin/menu/delete", params={"access_token": token})
    gone = (await client.get("/cgi-bin/menu/get", params={"access_token": token})).json()
    assert gone["errcode"] == 46003


# -- media and customer service -------------------------------------------------------------------


async def test_media_upload(client: httpx.AsyncClient, token: str, state: WeChatApiState) -> None:
    files = {"media": ("logo.jpg", b"\xff\xd8jpeg-bytes", "image/jpeg")}
    response = await client.post(
        "/cgi-bin/media/upload", params={"access_token": token, "type": "image"}, files=files
    )

    answer = response.json()
    assert answer["type"] == "image"
    assert state.media[answer["media_id"]] == {"type": "image", "filename": "logo.jpg", "size": 12}


@pytest.mark.parametrize(
    ("media_type", "files", "errcode"),
    [
        ("image", {"other": ("a.jpg", b"x", "image/jpeg")}, 41005),
        ("pdf", {"media": ("a.pdf", b"x", "application/pdf")}, 40004),
        ("thumb", {"media": ("t.jpg", b"x" * (64 * 1024 + 1), "image/jpeg")}, 40012),
    ],
)
async def test_media_upload_is_validated(
    client: httpx.AsyncClient,
    token: str,
    media_type: str,
    files: dict[str, Any],
    errcode: int,
) -> None:
    response = await client.post(
        "/cgi-bin/media/upload", params={"access_token": token, "type": media_type}, files=files
    )

    assert response.json()["errcode"] == errcode


async def test_add_material_image_has_url(client: httpx.AsyncClient, token: str) -> None:
    response = await client.post(
        "/cgi-bin/material/add_material",
        params={"access_token": token, "type": "image"},
        files={"media": ("a.png", b"png", "image/png")},
    )

    assert set(response.json()) == {"media_id", "url"}


async def test_online_kf_list(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get(
        "/cgi-bin/customservice/getonlinekflist", params={"access_token": token}
    )

    assert response.json()["kf_online_list"][0]["kf_account"].startswith("agent1@")


# -- faults and recording -------------------------------------------------------------------------


async def test_errcode_fault_fires_count_times(
    client: httpx.AsyncClient, token: str, state: WeChatApiState
) -> None:
    armed = await client.post(
        "/__sandbox__/faults", json={"path": CUSTOM, "errcode": 45015, "count": 3}
    )
    assert armed.status_code == 201

    codes = [(await post(client, CUSTOM, token, text("o1")))["errcode"] for _ in range(5)]

    assert codes == [45015, 45015, 45015, 0, 0]
    stats = (await client.get("/__sandbox__/stats")).json()
    assert stats["calls"][CUSTOM] == {"45015": 3, "0": 2}
    assert [c.errcode for c in state.calls.find(CUSTOM)] == [45015, 45015, 45015, 0, 0]
    assert (await client.get("/__sandbox__/faults")).json() == {"faults": []}


async def test_faults_only_hit_their_path(client: httpx.AsyncClient, token: str) -> None:
    await client.post("/__sandbox__/faults", json={"path": TEMPLATE, "errcode": -1})

    assert (await post(client, CUSTOM, token, text("o1")))["errcode"] == 0


async def test_seeded_percent_fault_is_deterministic(client: httpx.AsyncClient, token: str) -> None:
    fault = {"path": CUSTOM, "http_status": 503, "percent": 20, "seed": 1}

    async def run() -> list[int]:
        await client.delete("/__sandbox__/faults")
        await client.post("/__sandbox__/faults", json=fault)
        statuses = []
        for _ in range(100):
            response = await client.post(
                CUSTOM, params={"access_token": token}, json=text("o1", "hi")
            )
            statuses.append(response.status_code)
        return statuses

    first, second = await run(), await run()

    assert first == second
    assert set(first) == {200, 503}
    assert 5 <= first.count(503) <= 40


async def test_latency_fault_delays_then_answers_normally(
    client: httpx.AsyncClient, token: str
) -> None:
    await client.post("/__sandbox__/faults", json={"path": CUSTOM, "latency_ms": 300, "count": 1})

    started = time.perf_counter()
    slow = await post(client, CUSTOM, token, text("o1"))
    slow_s = time.perf_counter() - started
    started = time.perf_counter()
    await post(client, CUSTOM, token, text("o1"))
    fast_s = time.perf_counter() - started

    assert slow["errcode"] == 0
    assert slow_s >= 0.3
    assert fast_s < 0.3


async def test_wildcard_fault_and_clear(client: httpx.AsyncClient, token: str) -> None:
    await client.post("/__sandbox__/faults", json={"path": "*", "http_status": 502})
    assert (
        await client.get("/cgi-bin/menu/get", params={"access_token": token})
    ).status_code == 502

    cleared = await client.delete("/__sandbox__/faults")

    assert cleared.json() == {"ok": True, "cleared": 1}
    assert (await post(client, CUSTOM, token, text("o1")))["errcode"] == 0


@pytest.mark.parametrize(
    "spec",
    [
        {"errcode": 1},
        {"path": CUSTOM},
        {"path": CUSTOM, "errcode": "x"},
        {"path": CUSTOM, "errcode": 1, "percent": 101},
        {"path": CUSTOM, "errcode": 1, "count": 0},
        {"path": CUSTOM, "errcode": 1, "colour": "red"},
    ],
)
async def test_bad_fault_specs_are_refused(client: httpx.AsyncClient, spec: dict[str, Any]) -> None:
    response = await client.post("/__sandbox__/faults", json=spec)

    assert response.status_code == 400
    assert (await client.get("/__sandbox__/faults")).json() == {"faults": []}


async def test_calls_are_recorded_and_can_be_cleared(client: httpx.AsyncClient, token: str) -> None:
    await post(client, CUSTOM, token, text("o1", "记录"))
    await post(client, CUSTOM, token, text("", "x"))

    calls = (await client.get("/__sandbox__/calls", params={"path": CUSTOM})).json()["calls"]

    assert [c["outcome"] for c in calls] == ["0", "40003"]
    assert [c["errcode"] for c in calls] == [0, 40003]
    assert calls[0]["body"]["text"]["content"] == "记录"
    assert calls[0]["query"]["access_token"] == token
    limited = (await client.get("/__sandbox__/calls", params={"limit": "1"})).json()["calls"]
    assert [c["outcome"] for c in limited] == ["40003"]

    await client.delete("/__sandbox__/calls")

    assert (await client.get("/__sandbox__/calls")).json() == {"calls": []}
    assert (await client.get("/__sandbox__/stats")).json()["total"] == 0


async def test_stable_token_secret_is_not_recorded(client: httpx.AsyncClient) -> None:
    await stable_token(client)

    calls = (await client.get("/__sandbox__/calls")).json()["calls"]

    assert calls[0]["body"]["secret"] == "***"


async def test_call_log_is_bounded_but_counters_are_not(shared_server: SharedServer) -> None:
    state = WeChatApiState(call_log_size=3)
    async with httpx.AsyncClient(base_url=shared_server.mount(build_app(state))) as http:
        for _ in range(5):
            await http.post(CUSTOM, json=text("o1"))
        stats = (await http.get("/__sandbox__/stats")).json()

    assert len(state.calls) == 3
    assert stats["calls"][CUSTOM] == {"41001": 5}


async def test_stats_count_token_issuance(client: httpx.AsyncClient) -> None:
    await classic_token(client)
    await classic_token(client)
    await stable_token(client)
    await stable_token(client)

    stats = (await client.get("/__sandbox__/stats")).json()

    assert stats["tokens_issued"] == {DEMO_APPID: {"classic": 2, "stable": 1}}
    assert stats["calls"]["/cgi-bin/stable_token"] == {"0": 2}
