"""Commands, menu actions, reminder types and locations: the tables the engine/dispatcher read."""

from __future__ import annotations

from sqlalchemy import select

from libs.common.db.models import Command, Location
from tests.services.admin_api.support import AdminStack


async def test_command_written_through_api_is_the_row_the_engine_reads(stack: AdminStack) -> None:
    acc = stack.ids["demo_account"]
    created = await stack.call(
        "admin",
        "POST",
        "/api/v1/commands",
        json={
            "account_id": acc,
            "name": "nav2",
            "match_kind": "prefix",
            "pattern": "净值|NAV",
            "handler": "fund_nav",
            "priority": 60,
        },
    )
    assert created.status_code == 201, created.text
    async with stack.sessions() as session:
        row = await session.get(Command, created.json()["id"])
    assert row is not None
    assert (row.pattern, row.handler, row.priority) == ("净值|NAV", "fund_nav", 60)
    patched = await stack.call(
        "admin", "PATCH", f"/api/v1/commands/{row.id}", json={"enabled": False}
    )
    assert patched.json()["enabled"] is False
    disabled = await stack.call("admin", "GET", f"/api/v1/commands?account_id={acc}&enabled=false")
    assert [c["name"] for c in disabled.json()["items"]] == ["nav2"]


async def test_invalid_regex_is_422(stack: AdminStack) -> None:
    response = await stack.call(
        "admin",
        "POST",
        "/api/v1/commands",
        json={
            "account_id": stack.ids["demo_account"],
            "name": "bad",
            "match_kind": "regex",
            "pattern": "(unclosed",
            "handler": "help",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["pattern"]
    assert (await stack.call("admin", "GET", "/api/v1/commands?q=bad")).json()["total"] == 0


async def test_branch_cannot_create_for_account_outside_scope(stack: AdminStack) -> None:
    response = await stack.call(
        "sh_super",
        "POST",
        "/api/v1/reminder-types",
        json={"account_id": stack.ids["bj_account"], "event_type": "balance", "name": "余额"},
    )
    assert response.status_code == 404
    on_bj = await stack.call(
        "admin", "GET", f"/api/v1/reminder-types?account_id={stack.ids['bj_account']}"
    )
    assert on_bj.json()["total"] == 0


async def test_locations_csv_import_reports_errors_per_row(stack: AdminStack) -> None:
    acc = stack.ids["demo_account"]
    csv_text = (
        "kind,name,address,latitude,longitude,phone,opening_hours,tags\n"
        "branch,浦东新区支行,上海市浦东,31.22,121.54,021-1,9:00-17:00,理财;外汇\n"
        "atm,坏坐标,x,95.0,121.5,,,\n"
        "shop,未知类型,x,31.0,121.0,,,\n"
    )
    dry = await stack.call(
        "admin",
        "POST",
        "/api/v1/locations/import",
        data={"account_id": str(acc), "dry_run": "true"},
        files={"file": ("loc.csv", csv_text.encode(), "text/csv")},
    )
    assert dry.status_code == 200, dry.text
    assert dry.json()["imported"] == 0
    result = await stack.call(
        "admin",
        "POST",
        "/api/v1/locations/import",
        data={"account_id": str(acc)},
        files={"file": ("loc.csv", csv_text.encode(), "text/csv")},
    )
    body = result.json()
    assert body["imported"] == 1
    assert body["failed"] == 2
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "latitude"), (4, "kind")]
    async with stack.sessions() as session:
        row = await session.scalar(select(Location).where(Location.name == "浦东新区支行"))
    assert row is not None
    assert row.tags == ["理财", "外汇"]
    assert row.latitude == 31.22
