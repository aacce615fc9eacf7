"""CSV uploads: POST /api/v1/notification-jobs and GET /api/v1/notification-jobs/{id}."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from libs.common.bus import DISPATCHER_ALERT
from libs.common.db.models import Notification
from tests.services.gateway.api.support import (
    OTHER_SYSTEM,
    ApiStack,
    MakeApi,
    fetch_all,
    subscribe,
)

JOBS = "/api/v1/notification-jobs"
HEADER = "customer_no,openid,phone,account_tail,time,amount,balance\n"
CSV = (
    HEADER
    + "C00000001,,,8899,2026-11-26 09:30,-100.00,900.00\n"  # row 1: by customer number
    + ",oStranger,13900000001,1234,2026-11-26 09:31,50.00,950.00\n"  # row 2: openid + phone
    + "C404,,,1,2,3,4\n"  # row 3: unknown customer
    + "C00000002,,,5566,2026-11-26 09:32\n"  # row 4: ragged
    + ",,,1,2,3,4\n"  # row 5: no recipient
    + "C00000003,,,7788,2026-11-26 09:33,10.00,1010.00\n"  # row 6
)


async def upload(api: ApiStack, content: bytes, **form: Any) -> Any:
    data = {"account": "demo", "event_type": "balance_change", **form}
    return await api.client.send(
        "POST", JOBS, files={"file": ("rows.csv", content, "text/csv")}, data=data
    )


async def test_csv_job_accepts_good_rows_and_reports_bad_ones(api: ApiStack) -> None:
    alerts = await subscribe(api.bus, DISPATCHER_ALERT)
    response = await upload(api, CSV.encode())
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] == "running"
    assert job["total_rows"] == 6
    assert response.headers["location"] == f"{JOBS}/{job['id']}"

    await api.gateway.notifications.jobs.wait_idle()
    done = (await api.client.get(f"{JOBS}/{job['id']}")).json()
    assert done["status"] == "done"
    assert (done["processed_rows"], done["accepted_rows"], done["failed_rows"]) == (6, 3, 3)
    assert [(e["row"], e["code"]) for e in done["errors"]] == [
        (3, "unknown_customer"),
        (4, "wrong_column_count"),
        (5, "invalid_request"),
    ]
    assert done["errors_truncated"] is False
    rows = await fetch_all(
        api.db_url,
        select(Notification.openid, Notification.idempotency_key, Notification.data).where(
            Notification.job_id == job["id"]
        ),
    )
    assert sorted(r[1] for r in rows) == [f"job:{job['id']}:{n}" for n in (1, 2, 6)]
    assert {r[0] for r in rows} == {
        "oWxhubDemoCustomer0000000001",
        "oStranger",
        "oWxhubDemoCustomer0000000003",
    }
    assert {
        "account_tail": "8899",
        "time": "2026-11-26 09:30",
        "amount": "-100.00",
        "balance": "900.00",
    } in [r[2] for r in rows]
    assert len(await alerts.wait(3)) == 3


async def test_progress_is_visible_while_the_job_runs(
    api: ApiStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two rows per chunk; the second chunk's publishes wait, so the job is seen half-way.
    api.gateway.notifications.jobs._chunk_rows = 2
    release = asyncio.Event()
    real_publish = api.bus.publish
    published = 0

    async def gated(*args: Any, **kwargs: Any) -> None:
        nonlocal published
        published += 1
        if published > 2:
            await release.wait()
        await real_publish(*args, **kwargs)

    monkeypatch.setattr(api.bus, "publish", gated)
    rows = "".join(f"C0000000{i},,,{i},t,{i},{i}\n" for i in (1, 2, 3, 4, 5))
    job = (await upload(api, (HEADER + rows).encode())).json()

    async def processed() -> int:
        return int((await api.client.get(f"{JOBS}/{job['id']}")).json()["processed_rows"])

    for _ in range(200):
        if await processed() == 2:
            break
        await asyncio.sleep(0.01)
    running = (await api.client.get(f"{JOBS}/{job['id']}")).json()
    assert (running["status"], running["processed_rows"], running["total_rows"]) == (
        "running",
        2,
        5,
    )
    release.set()
    await api.gateway.notifications.jobs.wait_idle()
    done = (await api.client.get(f"{JOBS}/{job['id']}")).json()
    assert (done["status"], done["accepted_rows"]) == ("done", 5)


async def test_publish_failures_in_a_job_are_retried(
    api: ApiStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("services.gateway.notifications.jobs._PUBLISH_RETRY_DELAY_S", 0.0)
    real_publish = api.bus.publish
    calls = 0

    async def flaky(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("broker hiccup")
        await real_publish(*args, **kwargs)

    monkeypatch.setattr(api.bus, "publish", flaky)
    alerts = await subscribe(api.bus, DISPATCHER_ALERT)
    rows = "C00000001,,,1,t,1,1\nC00000002,,,2,t,2,2\n"
    job = (await upload(api, (HEADER + rows).encode())).json()
    await api.gateway.notifications.jobs.wait_idle()
    done = (await api.client.get(f"{JOBS}/{job['id']}")).json()
    assert (done["status"], done["accepted_rows"], done["failed_rows"]) == ("done", 2, 0)
    assert len(await alerts.wait(2)) == 2


async def test_gb18030_file_from_excel_is_read(api: ApiStack) -> None:
    content = (
        "customer_no,account_tail,time,amount,balance\nC00000001,尾号8899,上午,1,2\n"
    ).encode("gb18030")
    job = (await upload(api, content)).json()
    await api.gateway.notifications.jobs.wait_idle()
    (row,) = await fetch_all(
        api.db_url, select(Notification.data).where(Notification.job_id == job["id"])
    )
    assert row[0]["account_tail"] == "尾号8899"


@pytest.mark.parametrize(
    ("content", "form", "code"),
    [
        (b"name,amount\nx,1\n", {}, "missing_recipient_columns"),
        (b"", {}, "empty_file"),
        (HEADER.encode(), {}, "empty_file"),
        (b"openid,openid\na,b\n", {}, "duplicate_columns"),
        (CSV.encode(), {"account": "nope"}, "unknown_account"),
        (CSV.encode(), {"event_type": "nope"}, "unknown_event_type"),
        (CSV.encode(), {"priority": "urgent"}, "validation_error"),
    ],
)
async def test_bad_uploads_are_refused_at_once(
    api: ApiStack, content: bytes, form: dict[str, str], code: str
) -> None:
    response = await upload(api, content, **form)
    assert response.status_code == 422
    assert response.json()["code"] == code


async def test_oversize_file_is_413(make_api: MakeApi) -> None:
    api = await make_api(csv_max_bytes=len(CSV) - 1)
    response = await upload(api, CSV.encode())
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"


async def test_jobs_are_private_to_their_system(api: ApiStack) -> None:
    job = (await upload(api, CSV.encode())).json()
    await api.gateway.notifications.jobs.wait_idle()
    response = await api.client.as_system(*OTHER_SYSTEM).get(f"{JOBS}/{job['id']}")
    assert response.status_code == 404
    assert (await api.client.get(f"{JOBS}/{job['id']}")).status_code == 200
