"""``/api/v1/notifications``: submit one or a batch, and query a notification's status."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request
from starlette.responses import JSONResponse, Response

from services.gateway.api.auth import signed_router
from services.gateway.api.deps import ApiDep, SystemDep
from services.gateway.api.errors import ApiError, error_responses, rejection_response
from services.gateway.api.schemas import (
    BatchItemResult,
    BatchResult,
    NotificationAccepted,
    NotificationBatch,
    NotificationCreate,
    NotificationRead,
)
from services.gateway.notifications.acceptance import replay_key

router = signed_router("notifications")

NotificationId = Annotated[str, Path(min_length=1, max_length=32, description="Notification id.")]


@router.post(
    "/notifications",
    status_code=202,
    response_model=NotificationAccepted,
    summary="Send one notification",
    description=(
        "Validates the request against the account's reminder type, stores it and queues it "
        "for the dispatcher. **202** comes back only once the row is committed *and* the "
        "broker has confirmed the message. Repeating an `idempotency_key` returns **200** "
        "with the first request's id and sends nothing; without a key, a replay of the same "
        "signed request is such a repeat. `to.customer_no` is resolved to the "
        "bound follower's openid and phone. `fallback: sms` needs a phone (given, or on "
        "file) and a reminder type that allows it. Missing template fields in `data` → 422."
    ),
    responses={
        200: {"model": NotificationAccepted, "description": "Idempotent replay: same id."},
        **error_responses(401, 409, 413, 422, 503),
    },
)
async def create_notification(
    request: Request, body: NotificationCreate, system: SystemDep, api: ApiDep
) -> Response:
    """Accept one notification."""
    if body.idempotency_key is None:
        body = body.model_copy(update={"idempotency_key": replay_key(request.state.signature)})
    result = await api.service.accept_one(system, body)
    if result.outcome in ("accepted", "duplicate"):
        duplicate = result.outcome == "duplicate"
        return JSONResponse(
            {"id": result.id, "status": "accepted", "duplicate": duplicate},
            status_code=200 if duplicate else 202,
        )
    assert result.error is not None
    return rejection_response(request, result.error, result.id)


@router.post(
    "/notifications:batch",
    response_model=BatchResult,
    summary="Send up to 1,000 notifications",
    description=(
        "Each item is what `POST /api/v1/notifications` takes and is validated on its own: "
        "one bad item is reported in its result and does not stop the others. Valid items "
        "are stored in one transaction and published together; the answer (**200**) lists "
        "every item by `index` with its `id` or `error`. Items whose `status` is "
        "`publish_failed` are stored but not queued: resend them with the same keys."
    ),
    responses=error_responses(401, 413, 422),
)
async def create_notifications_batch(
    body: NotificationBatch, system: SystemDep, api: ApiDep, request: Request
) -> BatchResult:
    """Accept many notifications."""
    if len(body.items) > api.settings.batch_max:
        raise ApiError(
            422,
            "batch_too_large",
            f"The batch has {len(body.items)} items; at most {api.settings.batch_max}.",
        )
    results = await api.service.accept_many(
        system, body.items, endpoint="batch", replay_of=request.state.signature
    )
    items: list[BatchItemResult] = []
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0, "publish_failed": 0}
    for result in results:
        counts[result.outcome] += 1
        error = None
        if result.error is not None:
            error = {**result.error.to_dict(), **({"id": result.id} if result.id else {})}
        items.append(
            BatchItemResult.model_validate(
                {"index": result.index, "status": result.outcome, "id": result.id, "error": error}
            )
        )
    return BatchResult(
        accepted=counts["accepted"],
        duplicates=counts["duplicate"],
        rejected=counts["rejected"],
        publish_failed=counts["publish_failed"],
        results=items,
    )


@router.get(
    "/notifications/{notification_id}",
    response_model=NotificationRead,
    summary="Get a notification's status and history",
    description=(
        "Status (`accepted`, `sending`, `delivered`, `fallback_sent`, `suppressed`, `failed`; then "
        "`confirmed`, `blocked` or `failed_on_wechat` once WeChat reports the delivery), the "
        "channel used, the reason for a fallback, a suppression (`unsubscribed`, "
        "`binding_suspended`, `opted_out`) or a failure, and every step with its time. A system "
        "sees only the notifications it sent: any other id is **404**."
    ),
    responses=error_responses(401, 404),
)
async def get_notification(
    notification_id: NotificationId, system: SystemDep, api: ApiDep
) -> NotificationRead:
    """A notification's status."""
    found = await api.service.get_status(system, notification_id)
    if found is None:
        raise ApiError(404, "not_found", f"No notification {notification_id!r}.")
    return NotificationRead.of(found.notification, found.account, found.history, api.service.box)
