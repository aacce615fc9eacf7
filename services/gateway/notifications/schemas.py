"""What a business system asks for: one notification request, as validated from JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Priority = Literal["alert", "bulk"]
Fallback = Literal["sms", "none"]
DataValue = str | int | float | bool | None

DEFAULT_DEADLINE_S = 30
MAX_DEADLINE_S = 86_400


class Recipient(BaseModel):
    """Who gets the message: an openid, a customer number, a phone — at least one."""

    model_config = ConfigDict(extra="forbid")

    openid: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    customer_no: Annotated[str | None, Field(min_length=1, max_length=32)] = None
    phone: Annotated[
        str | None,
        Field(pattern=r"^\+?[0-9]{5,19}$", description="Digits, optional leading +."),
    ] = None

    @model_validator(mode="after")
    def _at_least_one(self) -> Self:
        if not (self.openid or self.customer_no or self.phone):
            raise ValueError("give at least one of openid, customer_no, phone")
        return self


class NotificationCreate(BaseModel):
    """One notification to deliver to one customer of one account."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "account": "demo",
                    "event_type": "balance_change",
                    "to": {"customer_no": "C00000001"},
                    "data": {
                        "account_tail": "8899",
                        "time": "2026-11-26 09:30",
                        "amount": "-1,200.00",
                        "balance": "35,800.00",
                    },
                    "priority": "alert",
                    "idempotency_key": "core-txn-20261126-000123",
                    "fallback": "sms",
                    "deadline_s": 30,
                }
            ]
        },
    )

    account: Annotated[str, Field(min_length=1, max_length=64, description="Account code.")]
    event_type: Annotated[
        str, Field(min_length=1, max_length=64, description="A configured reminder type.")
    ]
    to: Recipient
    data: Annotated[
        dict[str, DataValue],
        Field(max_length=64, description="Template fields, by the reminder type's names."),
    ] = Field(default_factory=dict)
    priority: Priority | None = Field(
        default=None, description="`alert` (real-time) or `bulk`; default from the reminder type."
    )
    idempotency_key: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=128,
            description="Same key from the same system → same notification id, sent once.",
        ),
    ] = None
    fallback: Fallback | None = Field(
        default=None,
        description="`sms` or `none` when WeChat cannot deliver in time; default from the type.",
    )
    deadline_s: Annotated[
        int,
        Field(
            ge=1,
            le=MAX_DEADLINE_S,
            description="Seconds from acceptance until WeChat must have delivered (R-PERF-6).",
        ),
    ] = DEFAULT_DEADLINE_S
