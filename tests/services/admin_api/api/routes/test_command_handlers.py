"""A command or menu action naming an answer the engine does not have is refused with 422."""

from __future__ import annotations

from sqlalchemy import func, select

from libs.common.answer_names import BUILTIN_ANSWERS
from libs.common.db.models import Command, MenuAction
from tests.services.admin_api.support import AdminStack


async def _count(stack: AdminStack, model: type[Command] | type[MenuAction]) -> int:
    async with stack.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_unknown_handler_is_refused_on_create_and_update(stack: AdminStack) -> None:
    acc = stack.ids["demo_account"]
    before = await _count(stack, Command)
    command = {
        "account_id": acc,
        "name": "typo",
        "match_kind": "exact",
        "pattern": "净值",
        "handler": "fund_navv",
    }
    refused = await stack.call("admin", "POST", "/api/v1/commands", json=command)
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["errors"] == [
        {"loc": ["handler"], "message": "unknown handler: fund_navv", "type": "unknown_handler"}
    ]
    assert set(body["details"]["known"]) == BUILTIN_ANSWERS
    assert await _count(stack, Command) == before

    created = await stack.call(
        "admin", "POST", "/api/v1/commands", json={**command, "handler": "fund_nav"}
    )
    assert created.status_code == 201, created.text
    command_id = created.json()["id"]
    patched = await stack.call(
        "admin", "PATCH", f"/api/v1/commands/{command_id}", json={"handler": "no_such"}
    )
    assert patched.status_code == 422
    async with stack.sessions() as session:
        row = await session.get(Command, command_id)
    assert row is not None
    assert row.handler == "fund_nav"


async def test_menu_action_with_unknown_handler_is_refused(stack: AdminStack) -> None:
    before = await _count(stack, MenuAction)
    action = {"account_id": stack.ids["demo_account"], "key": "K_TYPO", "handler": "balanse"}
    refused = await stack.call("admin", "POST", "/api/v1/menu-actions", json=action)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["handler"]
    assert await _count(stack, MenuAction) == before
    ok = await stack.call(
        "admin", "POST", "/api/v1/menu-actions", json={**action, "handler": "balance"}
    )
    assert ok.status_code == 201, ok.text


async def test_the_known_handlers_are_listed(stack: AdminStack) -> None:
    listed = await stack.call("admin", "GET", "/api/v1/answers")
    assert listed.status_code == 200
    assert listed.json()["names"] == sorted(BUILTIN_ANSWERS)
