"""Follower sync (粉丝同步): import an account's existing WeChat followers as customers."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, BackgroundTasks
from pydantic import BaseModel, Field

from libs.common.db.models import FollowerSyncJob
from services.admin_api import follower_sync
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.routes.accounts.access import ScopedAccount
from services.admin_api.audit import record
from services.admin_api.errors import Conflict, NotFound
from services.admin_api.repositories import follower_sync as jobs
from services.admin_api.repositories import rows

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts 公众号"])


class FollowerSyncRead(BaseModel):
    """A follower sync job and its progress."""

    id: int = Field(description="任务 ID · job id")
    account_id: int = Field(description="公众号 ID · account id")
    status: str = Field(description="状态 running/succeeded/failed · status")
    phase: str = Field(
        description="阶段 importing/marking_missing/done · what a running job is doing"
    )
    started_by: str = Field(description="发起人 · started by")
    total: int = Field(description="微信报告的粉丝数 · followers WeChat reports")
    fetched: int = Field(description="已读取 · openids read")
    created: int = Field(description="新建客户 · customers created")
    updated: int = Field(description="更新关注状态 · customers whose subscription changed")
    missing: int = Field(
        description="已取关（不在粉丝列表中） · customers no longer following, marked unsubscribed"
    )
    error: str = Field(description="失败原因 · error")
    started_at: datetime = Field(description="开始时间 · started at")
    finished_at: datetime | None = Field(description="结束时间 · finished at")


def _read(job: FollowerSyncJob) -> FollowerSyncRead:
    return FollowerSyncRead.model_validate(job, from_attributes=True)


@router.post(
    "/{account_id}/follower-sync",
    response_model=FollowerSyncRead,
    status_code=202,
    dependencies=[Perm("account.manage")],
    summary="同步粉丝 · start a follower sync",
)
async def start_follower_sync(
    account: ScopedAccount,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
    background: BackgroundTasks,
) -> FollowerSyncRead:
    """Start importing the account's followers; one job per account at a time."""
    if await jobs.get_running(session, account_id=account.id) is not None:
        raise Conflict("a follower sync of this account is running")
    job = await rows.add(
        session, FollowerSyncJob(account_id=account.id, started_by=principal.username)
    )
    await record(
        session, principal, "account.follower_sync", "account", account.id, after={"job": job.id}
    )
    # Background tasks run after the request's transaction is committed: the job finds its row.
    background.add_task(follower_sync.start, state, job.id)
    return _read(job)


@router.get(
    "/{account_id}/follower-sync",
    response_model=FollowerSyncRead,
    dependencies=[Perm("account.read")],
    summary="粉丝同步进度 · latest follower sync",
)
async def get_follower_sync(account: ScopedAccount, session: SessionDep) -> FollowerSyncRead:
    """The account's latest follower sync job and its progress."""
    job = await jobs.get_latest(session, account_id=account.id)
    if job is None:
        raise NotFound("no follower sync has run for this account")
    return _read(job)
