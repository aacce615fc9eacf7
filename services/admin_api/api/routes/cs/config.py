"""An account's customer-service settings (supervisors): words, menu key, group, service hours,
holidays, off-hours text and idle timeout, with the hours checked."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field

from libs.common.db.models import CsConfig
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep
from services.admin_api.api.models import IdPath
from services.admin_api.api.routes.cs.access import SUPERVISE, cs_router
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import FieldError, FieldErrors
from services.admin_api.repositories import cs as repo
from services.admin_api.repositories import rows
from services.admin_api.scope import account_in_scope

router = cs_router()


class ConfigBody(BaseModel):
    """An account's customer-service settings."""

    model_config = ConfigDict(from_attributes=True)

    enabled: bool = True
    group: str = Field(default="default", min_length=1, max_length=64)
    keywords: list[Annotated[str, Field(min_length=1, max_length=16)]] = Field(
        default_factory=lambda: ["人工", "转人工", "客服"], max_length=20
    )
    menu_key: str = Field(default="CS", max_length=64)
    end_keyword: str = Field(default="结束", min_length=1, max_length=16)
    message_keyword: str = Field(default="留言", max_length=16)
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    hours: dict[str, list[str]] = Field(
        default_factory=dict, description='ISO 星期 → ["09:00","18:00"]；空为全天'
    )
    holidays: list[str] = Field(default_factory=list, max_length=366)
    off_hours_text: str = Field(default="", max_length=600)
    idle_timeout_s: int = Field(default=600, ge=30, le=86_400)


@router.get(
    "/config/{account_id}",
    response_model=ConfigBody,
    dependencies=[Perm(SUPERVISE)],
    summary="客服配置 · account settings",
)
async def get_config(account_id: IdPath, principal: CurrentUser, session: SessionDep) -> ConfigBody:
    """The account's customer-service settings (defaults, disabled, when never set)."""
    await account_in_scope(session, principal, account_id)
    row = await repo.get_config(session, account_id=account_id)
    if row is None:
        return ConfigBody(enabled=False)
    return ConfigBody.model_validate(row)


@router.put(
    "/config/{account_id}",
    response_model=ConfigBody,
    dependencies=[Perm(SUPERVISE)],
    summary="设置客服配置 · set account settings",
)
async def put_config(
    account_id: IdPath, body: ConfigBody, principal: CurrentUser, session: SessionDep
) -> ConfigBody:
    """Words, menu key, group, service hours, holidays, off-hours text and idle timeout."""
    await account_in_scope(session, principal, account_id)
    _check_hours(body)
    row = await repo.get_config(session, account_id=account_id)
    before = snapshot(row)
    if row is None:
        row = await rows.add(session, CsConfig(account_id=account_id))
    for name, value in body.model_dump().items():
        setattr(row, name, value)
    await record(
        session, principal, "cs.config", "account", account_id, before=before, after=snapshot(row)
    )
    return ConfigBody.model_validate(row)


def _is_time(value: str) -> bool:
    if value == "24:00":
        return True
    try:
        time.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 5


def _check_hours(body: ConfigBody) -> None:
    errors: list[FieldError] = []
    try:
        ZoneInfo(body.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(FieldError("body.timezone", "unknown time zone", "invalid"))
    for day, span in body.hours.items():
        if (
            day not in {str(d) for d in range(1, 8)}
            or len(span) != 2
            or not all(_is_time(v) for v in span)
        ):
            errors.append(FieldError(f"body.hours.{day}", 'expected ["HH:MM", "HH:MM"]', "invalid"))
    for index, day in enumerate(body.holidays):
        try:
            date.fromisoformat(day)
        except ValueError:
            errors.append(FieldError(f"body.holidays[{index}]", "expected YYYY-MM-DD", "invalid"))
    if errors:
        raise FieldErrors("invalid service hours", errors)
