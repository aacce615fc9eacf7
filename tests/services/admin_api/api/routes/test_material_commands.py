"""A command or menu action answering from the material library names a reply type and a
material of the right kind; anything else is refused with 422 and nothing is stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from libs.common.db.models import Command, MenuAction
from tests.services.admin_api.support import AdminStack

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100


async def _upload(stack: AdminStack, kind: str, name: str, data: bytes) -> dict[str, Any]:
    response = await stack.call(
        "admin",
        "POST",
        f"/api/v1/materials/upload?kind={kind}&filename={name}",
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _count(stack: AdminStack) -> int:
    async with stack.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Command)) or 0)


def _command(stack: AdminStack, **params: Any) -> dict[str, Any]:
    return {
        "account_id": stack.ids["demo_account"],
        "name": "素材回复",
        "match_kind": "exact",
        "pattern": "海报",
        "handler": "material",
        "params": params,
    }


async def test_video_materials_are_uploaded_by_content(stack: AdminStack) -> None:
    video = await _upload(stack, "video", "guide.mp4", MP4)
    assert (video["kind"], video["format"]) == ("video", "mp4")
    refused = await stack.call(
        "admin",
        "POST",
        "/api/v1/materials/upload?kind=image&filename=x.png",
        content=MP4,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert refused.status_code == 422
    listed = (await stack.call("admin", "GET", "/api/v1/materials?kind=video")).json()
    assert [m["id"] for m in listed["items"]] == [video["id"]]


async def test_a_material_reply_needs_a_material_of_its_kind(stack: AdminStack) -> None:
    image = await _upload(stack, "image", "poster.png", PNG)
    video = await _upload(stack, "video", "guide.mp4", MP4)
    before = await _count(stack)

    cases: list[tuple[dict[str, Any], list[str], str]] = [
        ({"reply_type": "image", "material_id": 987_654}, ["material_id"], "material_missing"),
        ({"reply_type": "voice", "material_id": image["id"]}, ["material_id"], "material_kind"),
        ({"reply_type": "video", "material_id": image["id"]}, ["material_id"], "material_kind"),
        ({"reply_type": "image", "material_id": video["id"]}, ["material_id"], "material_kind"),
        ({"reply_type": "sticker", "material_id": image["id"]}, ["reply_type"], "params"),
        ({"reply_type": "image"}, ["material_id"], "params"),
        ({"reply_type": "music", "material_id": image["id"]}, ["music_url"], "missing"),
        (
            {"reply_type": "music", "material_id": image["id"], "music_url": "javascript:x"},
            ["music_url"],
            "params",
        ),
        ({"reply_type": "image", "material_id": image["id"], "x": 1}, ["x"], "params"),
    ]
    for params, loc, kind in cases:
        refused = await stack.call(
            "admin", "POST", "/api/v1/commands", json=_command(stack, **params)
        )
        assert refused.status_code == 422, (params, refused.text)
        error = refused.json()["errors"][0]
        assert (error["loc"], error["type"]) == (["params", *loc], kind), (params, error)
    wrong = await stack.call(
        "admin",
        "POST",
        "/api/v1/commands",
        json=_command(stack, reply_type="voice", material_id=image["id"]),
    )
    assert wrong.json()["details"] == {"expected": "voice", "actual": "image"}
    assert await _count(stack) == before

    created = await stack.call(
        "admin",
        "POST",
        "/api/v1/commands",
        json=_command(stack, reply_type="video", material_id=video["id"], title="开户指南"),
    )
    assert created.status_code == 201, created.text
    assert created.json()["params"] == {
        "reply_type": "video",
        "material_id": video["id"],
        "title": "开户指南",
    }
    # Changing it to a material of the wrong kind is refused and leaves it as it was.
    patched = await stack.call(
        "admin",
        "PATCH",
        f"/api/v1/commands/{created.json()['id']}",
        json={"params": {"reply_type": "voice", "material_id": video["id"]}},
    )
    assert patched.status_code == 422
    async with stack.sessions() as session:
        row = await session.get(Command, created.json()["id"])
    assert row is not None
    assert row.params["reply_type"] == "video"


async def test_a_music_thumbnail_must_fit_wechats_limit(stack: AdminStack) -> None:
    big = await _upload(stack, "image", "big.png", PNG + b"\x00" * (64 * 1024))
    small = await _upload(stack, "image", "small.png", PNG)
    music = {"reply_type": "music", "music_url": "https://fund.example/a.mp3"}
    refused = await stack.call(
        "admin", "POST", "/api/v1/commands", json=_command(stack, **music, material_id=big["id"])
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["type"] == "thumb_too_large"
    ok = await stack.call(
        "admin", "POST", "/api/v1/commands", json=_command(stack, **music, material_id=small["id"])
    )
    assert ok.status_code == 201, ok.text


async def test_menu_actions_answer_from_the_library_too(stack: AdminStack) -> None:
    image = await _upload(stack, "image", "poster.png", PNG)
    async with stack.sessions() as session:
        before = await session.scalar(select(func.count()).select_from(MenuAction))
    action = {
        "account_id": stack.ids["demo_account"],
        "key": "POSTER",
        "handler": "material",
        "params": {"reply_type": "news", "material_id": image["id"]},
    }
    refused = await stack.call("admin", "POST", "/api/v1/menu-actions", json=action)
    assert refused.status_code == 422
    async with stack.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(MenuAction)) == before
    action["params"] = {"reply_type": "image", "material_id": image["id"]}
    ok = await stack.call("admin", "POST", "/api/v1/menu-actions", json=action)
    assert ok.status_code == 201, ok.text
