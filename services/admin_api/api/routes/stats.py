"""Statistics reports (R-ST-1..3): read from the stats rollups, within the caller's data scope.

``GET /api/v1/stats/<report>`` answers JSON; ``?format=csv`` the same rows as CSV,
``?format=xlsx`` as an Excel workbook. The range is
``[since, until)`` in UTC (default: the last 7 whole days); ``series=true`` splits every row by
time bucket (the grain the range allows, see :mod:`libs.common.stats_reports`); ``org_id``
keeps the accounts of that organisation's subtree. An account or organisation outside the
caller's scope answers 404, like one that does not exist.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from libs.common import stats_reports
from libs.common.spreadsheet import XLSX_MEDIA_TYPE, SafeCsvRows, xlsx_bytes
from libs.common.stats_reports import Report, ReportQuery
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep
from services.admin_api.api.models import MAX_ID
from services.admin_api.errors import FieldError, FieldErrors, NotFound
from services.admin_api.scope import org_in_scope

router = APIRouter(prefix="/api/v1/stats", tags=["stats 统计"])

# Minute rollups are kept for days only; longer ranges must be whole hours or days.
MAX_MINUTE_RANGE = timedelta(days=3)
MAX_RANGE = timedelta(days=3660)


class ReportRead(BaseModel):
    """One report: its rows and how it was computed."""

    report: str = Field(description="报表 · report name")
    grain: str = Field(description="读取粒度 · rollup grain read (minute/hour/day)")
    since: datetime = Field(description="起始（含） · from (inclusive, UTC)")
    until: datetime = Field(description="结束（不含） · until (exclusive, UTC)")
    columns: list[str] = Field(description="列 · columns of each row")
    rows: list[dict[str, Any]] = Field(description="行 · rows")


async def report_query(
    principal: CurrentUser,
    session: SessionDep,
    since: Annotated[datetime | None, Query(description="起始时间（含） · from")] = None,
    until: Annotated[datetime | None, Query(description="结束时间（不含） · until")] = None,
    account: Annotated[
        str | None, Query(max_length=64, description="公众号代码 · account code")
    ] = None,
    org_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="机构（含下级） · organisation subtree")
    ] = None,
    series: Annotated[bool, Query(description="按时间分桶 · split by time bucket")] = False,
) -> ReportQuery:
    """The range, account and scope of a report request (400-class errors for bad ranges)."""
    until = _utc(until) if until else _today() + timedelta(days=1)
    since = _utc(since) if since else until - timedelta(days=7)
    problems = []
    if since >= until:
        problems.append(FieldError("since", "must be before until"))
    elif until - since > MAX_RANGE:
        problems.append(FieldError("since", "range longer than 10 years"))
    elif stats_reports.grain_for(since, until) == "minute" and until - since > MAX_MINUTE_RANGE:
        problems.append(FieldError("since", "ranges over 3 days must be whole hours or days"))
    if problems:
        raise FieldErrors("invalid report range", problems)
    ids = await principal.account_ids(session)
    scope = await stats_reports.account_codes(session, ids)
    if account is not None and scope is not None and account not in scope:
        raise NotFound(f"account {account!r} not found")
    if org_id is not None:
        org = await org_in_scope(session, principal, org_id)
        in_org = await stats_reports.org_account_codes(session, org.path)
        scope = in_org if scope is None else scope & in_org
    return ReportQuery(since=since, until=until, accounts=scope, account=account, series=series)


QueryDep = Annotated[ReportQuery, Depends(report_query)]
_SUMMARIES = {
    "inbound": "上行量 · inbound volume by account and message type",
    "outbound": "下行结果 · outbound by account, channel, priority and outcome",
    "fallbacks": "降级短信 · fallbacks by channel, reason and errcode",
    "errors": "错误码 · failures and fallbacks by errcode and reason",
    "latency": "送达时延 · acceptance→outcome latency p50/p99",
    "clicks": "点击 · clicks by source and target (publication, notification, menu URL)",
    "funnel": (
        "投递漏斗 · accepted → sent → confirmed → clicked, fallbacks with reasons, per account, "
        "event type, channel and errcode"
    ),
    "follower_growth": "粉丝增长 · follows and unfollows per day, by QR scene",
    "commands": "指令热度 · how often each configured command answered, per day",
    "mass_reach": "群发触达 · mass sends' reach (MASSSENDJOBFINISH counts) per day",
    "click_through": (
        "点击率 · click-through per message type and per publication: tracked-link clicks over "
        "messages sent or followers reached"
    ),
    "cs_accounts": (
        "客服监管（按公众号） · customer service per account: sessions, wait, first response, "
        "session length p50/p90, satisfaction"
    ),
    "cs_groups": "客服监管（按技能组） · customer service per account and group",
    "cs_agents": "客服监管（按坐席） · customer service per agent: sessions and their times",
}


def _route(name: str, compute: Callable[[Any, ReportQuery], Awaitable[Report]]) -> None:
    async def read_report(
        session: SessionDep,
        query: QueryDep,
        format: Annotated[
            Literal["json", "csv", "xlsx"], Query(description="格式 · json, csv or xlsx (Excel)")
        ] = "json",
    ) -> Any:
        report = await compute(session, query)
        if format == "csv":
            return _csv(report, query)
        if format == "xlsx":
            return _xlsx(report, query)
        return ReportRead(
            report=report.name,
            grain=report.grain,
            since=query.since,
            until=query.until,
            columns=list(report.columns),
            rows=report.rows,
        )

    read_report.__name__ = f"stats_{name}"
    router.add_api_route(
        f"/{name}",
        read_report,
        methods=["GET"],
        response_model=ReportRead,
        dependencies=[Perm("stats.read")],
        responses={200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}}}},
        summary=_SUMMARIES[name],
    )


def _csv(report: Report, query: ReportQuery) -> StreamingResponse:
    async def lines() -> AsyncIterator[str]:
        rows = SafeCsvRows()
        yield "\ufeff" + rows.render(report.columns)
        for row in report.rows:
            yield rows.render(_cell(row[c]) for c in report.columns)

    filename = f"stats-{report.name}-{query.since:%Y%m%d}-{query.until:%Y%m%d}.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _xlsx(report: Report, query: ReportQuery) -> Response:
    rows = [report.columns, *([_cell(row[c]) for c in report.columns] for row in report.rows)]
    filename = f"stats-{report.name}-{query.since:%Y%m%d}-{query.until:%Y%m%d}.xlsx"
    return Response(
        xlsx_bytes(report.name, rows),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _cell(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _today() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


for _name, _compute in stats_reports.REPORTS.items():
    _route(_name, _compute)
