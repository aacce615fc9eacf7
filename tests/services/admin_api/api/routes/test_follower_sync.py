"""Follower sync: an account's followers imported from the WeChat API sandbox over several
``user/get`` pages and ``batchget`` chunks, idempotently, as a tracked job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from libs.common.customer_numbers import opened, sealed
from libs.common.db.models import AuditEntry, Customer, FollowerSyncJob
from services.admin_api.follower_sync import INTERRUPTED, fail_interrupted
from tests.polling import eventually
from tests.services.admin_api.support import AdminStack

FOLLOWERS = 250


async def _finished(stack: AdminStack, account_id: int) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        response = await stack.call("admin", "GET", f"/api/v1/accounts/{account_id}/follower-sync")
        body: dict[str, Any] = response.json()
        return body if body.get("status") in ("succeeded", "failed") else None

    job: dict[str, Any] | None = await eventually(probe, what="follower sync finished")
    assert job is not None
    return job


async def _customers(stack: AdminStack, account_id: int) -> dict[str, Customer]:
    async with stack.sessions() as session:
        rows = await session.scalars(select(Customer).where(Customer.account_id == account_id))
        return {c.openid: c for c in rows}


async def test_sync_pages_through_followers_and_runs_twice_without_duplicates(
    stack: AdminStack,
) -> None:
    acc = stack.ids["demo_account"]
    openids = stack.sandbox.followers.seed(FOLLOWERS, page_size=100)
    stack.state.settings.follower_sync_batch_size = 40
    # A bound customer who unfollowed earlier and is among the followers again.
    async with stack.sessions.begin() as session:
        session.add(
            Customer(
                account_id=acc,
                openid=openids[7],
                subscribed=False,
                binding_state="suspended",
                **sealed(stack.state.secret_box, "C0000007"),
                phone="13800000007",
            )
        )
    before = await _customers(stack, acc)

    started = await stack.call("admin", "POST", f"/api/v1/accounts/{acc}/follower-sync")
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "running"
    first = await _finished(stack, acc)
    assert first["status"] == "succeeded", first
    assert (first["total"], first["fetched"]) == (FOLLOWERS, FOLLOWERS)
    assert (first["created"], first["updated"]) == (FOLLOWERS - 1, 1)

    calls = [c.path for c in stack.sandbox.calls]
    assert calls.count("/cgi-bin/user/get") == 4  # 3 full pages, then the empty last one
    # 40 + 40 + 20 for each page of 100, then 40 + 10 for the last page of 50.
    assert calls.count("/cgi-bin/user/info/batchget") == 8

    customers = await _customers(stack, acc)
    assert set(openids) <= set(customers)
    assert len(customers) == len(before) + FOLLOWERS - 1
    imported = customers[openids[0]]
    assert imported.subscribed
    assert imported.subscribed_at is not None
    assert imported.subscribe_scene == "ADD_SCENE_QR_CODE"
    bound = customers[openids[7]]
    assert bound.subscribed
    assert bound.binding_state == "suspended"
    assert opened(stack.state.secret_box, bound.customer_no_enc) == "C0000007"
    assert bound.phone == "13800000007"

    again = await stack.call("admin", "POST", f"/api/v1/accounts/{acc}/follower-sync")
    assert again.status_code == 202
    second = await _finished(stack, acc)
    assert second["id"] != first["id"]
    assert second["status"] == "succeeded"
    assert (second["created"], second["updated"]) == (0, 0)
    async with stack.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Customer).where(Customer.account_id == acc)
        )
        audited = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "account.follower_sync")
        )
    assert count == len(customers)
    assert audited == 2


async def test_a_wechat_error_fails_the_job_with_its_reason(stack: AdminStack) -> None:
    acc = stack.ids["demo_account"]
    stack.sandbox.followers.seed(3)
    stack.sandbox.followers.unknown = {"oSbxFollower000000000001"}
    await stack.call("admin", "POST", f"/api/v1/accounts/{acc}/follower-sync")
    job = await _finished(stack, acc)
    assert job["status"] == "failed"
    assert "40003" in job["error"]
    # A failed job does not block the next one.
    stack.sandbox.followers.unknown = set()
    again = await stack.call("admin", "POST", f"/api/v1/accounts/{acc}/follower-sync")
    assert again.status_code == 202
    assert (await _finished(stack, acc))["status"] == "succeeded"


async def test_one_running_job_per_account_and_restart_fails_it(stack: AdminStack) -> None:
    acc = stack.ids["demo_account"]
    async with stack.sessions.begin() as session:
        session.add(FollowerSyncJob(account_id=acc, started_by="admin"))
    refused = await stack.call("admin", "POST", f"/api/v1/accounts/{acc}/follower-sync")
    assert refused.status_code == 409

    assert await fail_interrupted(stack.state) == 1
    job = (await stack.call("admin", "GET", f"/api/v1/accounts/{acc}/follower-sync")).json()
    assert (job["status"], job["error"]) == ("failed", INTERRUPTED)
    assert job["finished_at"] is not None
    assert await fail_interrupted(stack.state) == 0


async def test_permissions(stack: AdminStack) -> None:
    acc = stack.ids["demo_account"]
    url = f"/api/v1/accounts/{acc}/follower-sync"
    assert (await stack.call("noperm", "POST", url)).status_code == 403
    assert (await stack.call("admin", "GET", url)).status_code == 404


async def test_customers_absent_from_the_list_are_marked_unsubscribed(stack: AdminStack) -> None:
    acc = stack.ids["demo_account"]
    openids = stack.sandbox.followers.seed(5)
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    async with stack.sessions.begin() as session:
        for openid, state in (("oGoneBound", "bound"), ("oGoneUnbound", "unbound")):
            session.add(
                Customer(
                    account_id=acc,
                    openid=openid,
                    subscribed=True,
                    subscribed_at=long_ago,
                    binding_state=state,
                )
            )
        # Already known to have left: not counted again.
        session.add(Customer(account_id=acc, openid="oLeftBefore", subscribed=False))
        # Followed after the job began (their page may have been read already): spared.
        session.add(
            Customer(
                account_id=acc,
                openid="oJustFollowed",
                subscribed=True,
                subscribed_at=datetime.now(UTC) + timedelta(minutes=1),
            )
        )
        session.add(Customer(account_id=acc, openid=openids[0], subscribed=True))
    before = {
        openid
        for openid, c in (await _customers(stack, acc)).items()
        if c.subscribed and openid not in openids and openid != "oJustFollowed"
    }
    assert {"oGoneBound", "oGoneUnbound"} <= before

    await stack.call("admin", "POST", f"/api/v1/accounts/{acc}/follower-sync")
    job = await _finished(stack, acc)
    assert job["status"] == "succeeded", job
    assert (job["phase"], job["missing"]) == ("done", len(before))

    customers = await _customers(stack, acc)
    for openid in before:
        assert not customers[openid].subscribed, openid
        assert customers[openid].unsubscribed_at is not None
    assert customers["oGoneBound"].binding_state == "suspended"
    assert customers["oGoneUnbound"].binding_state == "unbound"
    assert customers["oJustFollowed"].subscribed
    assert all(customers[openid].subscribed for openid in openids)

    # Nothing left to mark the second time.
    await stack.call("admin", "POST", f"/api/v1/accounts/{acc}/follower-sync")
    assert (await _finished(stack, acc))["missing"] == 0


async def test_a_failed_job_marks_nobody_missing(stack: AdminStack) -> None:
    acc = stack.ids["demo_account"]
    stack.sandbox.followers.seed(3)
    stack.sandbox.followers.unknown = {"oSbxFollower000000000001"}
    async with stack.sessions.begin() as session:
        session.add(Customer(account_id=acc, openid="oNotInList", subscribed=True))
    await stack.call("admin", "POST", f"/api/v1/accounts/{acc}/follower-sync")
    job = await _finished(stack, acc)
    assert (job["status"], job["phase"], job["missing"]) == ("failed", "importing", 0)
    assert (await _customers(stack, acc))["oNotInList"].subscribed
