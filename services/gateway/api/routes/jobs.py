"""``/api/v1/notification-jobs``: CSV uploads (文件发送) tracked as jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Path, UploadFile
from starlette.responses import JSONResponse, Response

from services.gateway.api.auth import signed_router
from services.gateway.api.deps import ApiDep, SystemDep
from services.gateway.api.errors import ApiError, error_responses
from services.gateway.api.schemas import JobRead
from services.gateway.notifications.jobs import JobOptions, parse_csv
from services.gateway.notifications.schemas import (
    DEFAULT_DEADLINE_S,
    MAX_DEADLINE_S,
    Fallback,
    Priority,
)

router = signed_router("notification-jobs")

JobId = Annotated[str, Path(min_length=1, max_length=32, description="Job id.")]


@router.post(
    "/notification-jobs",
    status_code=202,
    response_model=JobRead,
    summary="Upload a CSV of recipients",
    description=(
        "Multipart form: `file` (CSV, UTF-8 or GB18030, header row first), `account`, "
        "`event_type`, optional `priority`, `fallback`, `deadline_s`. Columns `openid`, "
        "`customer_no`, `phone` name the recipient (at least one per row); every other column "
        "is a `data` field. The file is checked at once (encoding, header, size: 422/413); "
        "rows are then accepted in the background — poll the job (`Location` header) for "
        "progress and per-row errors. A row's idempotency key is `job:<job id>:<row>`."
    ),
    responses=error_responses(401, 413, 422),
)
async def create_job(
    system: SystemDep,
    api: ApiDep,
    file: Annotated[UploadFile, File(description="The CSV file.")],
    account: Annotated[str, Form(min_length=1, max_length=64, examples=["demo"])],
    event_type: Annotated[str, Form(min_length=1, max_length=64, examples=["balance_change"])],
    priority: Annotated[Priority | None, Form()] = None,
    fallback: Annotated[Fallback | None, Form()] = None,
    deadline_s: Annotated[int, Form(ge=1, le=MAX_DEADLINE_S)] = DEFAULT_DEADLINE_S,
) -> Response:
    """Start a CSV job."""
    content = await file.read(api.settings.csv_max_bytes + 1)
    if len(content) > api.settings.csv_max_bytes:
        raise ApiError(
            413, "file_too_large", f"The file exceeds {api.settings.csv_max_bytes} bytes."
        )
    table = parse_csv(content, max_rows=api.settings.csv_max_rows)
    options = JobOptions(account, event_type, priority, fallback, deadline_s)
    job = await api.jobs.submit(system, options, table)
    body = JobRead.of(job, account).model_dump(mode="json")
    return JSONResponse(
        body, status_code=202, headers={"Location": f"/api/v1/notification-jobs/{job.id}"}
    )


@router.get(
    "/notification-jobs/{job_id}",
    response_model=JobRead,
    summary="Get a CSV job's progress",
    description=(
        "`running` → `done` (or `failed` / `interrupted`), with row counts and the first "
        "1,000 row errors. Only the uploading system sees a job: any other id is **404**."
    ),
    responses=error_responses(401, 404),
)
async def get_job(job_id: JobId, system: SystemDep, api: ApiDep) -> JobRead:
    """A job's progress."""
    job = await api.jobs.get(system, job_id)
    if job is None:
        raise ApiError(404, "not_found", f"No job {job_id!r}.")
    snapshot = await api.config.get()
    return JobRead.of(job, snapshot.account_code(job.account_id))
