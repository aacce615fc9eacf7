"""Locations (地理位置管理): branches, ATMs, promotions; CSV import with per-row errors (R-AD-8)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, Field, ValidationError

from libs.common.db.models import Location
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID, ReadModel, WriteModel
from services.admin_api.api.route_factory import AccountResource, mount
from services.admin_api.audit import record
from services.admin_api.errors import LimitExceeded
from services.admin_api.repositories import rows
from services.admin_api.scope import account_in_scope

router = APIRouter(prefix="/api/v1")

Kind = Literal["branch", "atm", "promotion"]


class LocationCreate(WriteModel):
    """A new location."""

    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    kind: Kind = Field(description="类型 branch/atm/promotion · kind")
    name: str = Field(min_length=1, max_length=128, description="名称 · name")
    address: str = Field("", max_length=256, description="地址 · address")
    latitude: float = Field(ge=-90, le=90, description="纬度 · latitude")
    longitude: float = Field(ge=-180, le=180, description="经度 · longitude")
    phone: str = Field("", max_length=32, description="电话 · phone")
    opening_hours: str = Field("", max_length=128, description="营业时间 · opening hours")
    tags: list[str] = Field(
        default_factory=list, max_length=20, description="服务标签 · service tags"
    )
    url: str = Field("", max_length=1024, description="链接 · link")
    pic_url: str = Field("", max_length=1024, description="图片链接 · picture URL")
    description: str = Field("", max_length=2000, description="说明 · description")
    enabled: bool = Field(True, description="是否启用 · enabled")


class LocationUpdate(WriteModel):
    """Changes to a location."""

    kind: Kind | None = Field(None, description="类型 · kind")
    name: str | None = Field(None, min_length=1, max_length=128, description="名称 · name")
    address: str | None = Field(None, max_length=256, description="地址 · address")
    latitude: float | None = Field(None, ge=-90, le=90, description="纬度 · latitude")
    longitude: float | None = Field(None, ge=-180, le=180, description="经度 · longitude")
    phone: str | None = Field(None, max_length=32, description="电话 · phone")
    opening_hours: str | None = Field(None, max_length=128, description="营业时间 · opening hours")
    tags: list[str] | None = Field(None, max_length=20, description="服务标签 · service tags")
    url: str | None = Field(None, max_length=1024, description="链接 · link")
    pic_url: str | None = Field(None, max_length=1024, description="图片链接 · picture URL")
    description: str | None = Field(None, max_length=2000, description="说明 · description")
    enabled: bool | None = Field(None, description="是否启用 · enabled")


class LocationRead(ReadModel):
    """A location."""

    id: int = Field(description="ID · id")
    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    kind: str = Field(description="类型 · kind")
    name: str = Field(description="名称 · name")
    address: str = Field(description="地址 · address")
    latitude: float = Field(description="纬度 · latitude")
    longitude: float = Field(description="经度 · longitude")
    phone: str = Field(description="电话 · phone")
    opening_hours: str = Field(description="营业时间 · opening hours")
    tags: list[str] = Field(description="服务标签 · service tags")
    url: str = Field(description="链接 · link")
    pic_url: str = Field(description="图片链接 · picture URL")
    description: str = Field(description="说明 · description")
    enabled: bool = Field(description="是否启用 · enabled")


class RowError(BaseModel):
    """A problem in one CSV row (row 2 is the first data row, after the header)."""

    row: int = Field(description="行号 · row number")
    field: str = Field(description="字段 · field")
    message: str = Field(description="错误 · error")


class ImportResult(BaseModel):
    """Outcome of a CSV import."""

    imported: int = Field(description="导入行数 · rows imported")
    failed: int = Field(description="失败行数 · rows refused")
    errors: list[RowError] = Field(description="逐行错误 · per-row errors")
    dry_run: bool = Field(description="仅校验 · validation only")


CSV_COLUMNS = [
    "kind",
    "name",
    "address",
    "latitude",
    "longitude",
    "phone",
    "opening_hours",
    "tags",
    "url",
    "description",
]


def parse_locations_csv(text: str, account_id: int) -> tuple[list[LocationCreate], list[RowError]]:
    """Validate every row; tags are ``;``-separated."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [
        c for c in ("kind", "name", "latitude", "longitude") if c not in (reader.fieldnames or [])
    ]
    if missing:
        return [], [RowError(row=1, field=",".join(missing), message="missing required columns")]
    good: list[LocationCreate] = []
    errors: list[RowError] = []
    for number, row in enumerate(reader, start=2):
        data: dict[str, Any] = {k: (v or "").strip() for k, v in row.items() if k in CSV_COLUMNS}
        data["tags"] = [t.strip() for t in data.get("tags", "").split(";") if t.strip()]
        try:
            good.append(LocationCreate(account_id=account_id, **data))
        except ValidationError as exc:
            for e in exc.errors():
                field = ".".join(str(p) for p in e["loc"])
                errors.append(RowError(row=number, field=field, message=e["msg"]))
    return good, errors


@router.post(
    "/locations/import",
    response_model=ImportResult,
    dependencies=[Perm("location.edit")],
    tags=["locations 地理位置"],
    summary="CSV 导入网点 · import locations from CSV",
)
async def import_locations(
    file: Annotated[UploadFile, File(description="CSV 文件（UTF-8） · CSV file (UTF-8)")],
    account_id: Annotated[int, Form(ge=1, le=MAX_ID, description="公众号 ID · account id")],
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
    dry_run: Annotated[bool, Form(description="仅校验不导入 · validate only")] = False,
) -> ImportResult:
    """Import valid rows and report the others row by row (columns: kind,name,address,latitude,
    longitude,phone,opening_hours,tags,url,description)."""
    await account_in_scope(session, principal, account_id)
    raw = await file.read(state.settings.max_csv_bytes + 1)
    if len(raw) > state.settings.max_csv_bytes:
        raise LimitExceeded(
            f"CSV larger than {state.settings.max_csv_bytes} bytes", limit="max_csv_bytes"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")  # spreadsheets saved on Chinese Windows
    good, errors = parse_locations_csv(text, account_id)
    if not dry_run and good:
        await rows.add_all(session, (Location(**g.model_dump()) for g in good))
        await record(
            session,
            principal,
            "location.import",
            "account",
            account_id,
            after={"imported": len(good), "failed_rows": sorted({e.row for e in errors})},
        )
    return ImportResult(
        imported=0 if dry_run else len(good),
        failed=len({e.row for e in errors}),
        errors=errors,
        dry_run=dry_run,
    )


mount(
    router,
    AccountResource(
        path="/locations",
        entity="location",
        label="locations 地理位置",
        model=Location,
        create=LocationCreate,
        update=LocationUpdate,
        read=LocationRead,
        read_perm="location.read",
        edit_perm="location.edit",
        sortable={"id": Location.id, "name": Location.name, "kind": Location.kind},
        search=[Location.name, Location.address],
        filters={
            "kind": (str, Location.kind, "类型 · kind"),
            "enabled": (bool, Location.enabled, "是否启用 · enabled"),
        },
    ),
)
