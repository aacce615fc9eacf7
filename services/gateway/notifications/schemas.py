"""What a business system asks for: one notification request, as validated from JSON or CSV.

Text that no later step could store or send is refused here, per field: identifiers are
printable without spaces (a NUL would fail the database insert of the whole batch), ``data``
keys and values hold no lone UTF-16 surrogate (JSON may carry one; no encoder sends it) and no
control character but tab and newlines, and ``data`` has limits per value and in total.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

Priority = Literal["alert", "bulk"]
Fallback = Literal["sms", "none"]
DataValue = str | int | float | bool | None

DEFAULT_DEADLINE_S = 30
MAX_DEADLINE_S = 86_400
# ``data`` limits: a template keyword or SMS text is short; a whole SMS is at most a few hundred
# characters, so 1,000 per value and 8 KB of JSON in total leave room without letting a
# megabyte through to WeChat.
MAX_DATA_KEY_CHARS = 64
MAX_DATA_VALUE_CHARS = 1_000
MAX_DATA_BYTES = 8_192
_TEXT_CONTROLS = frozenset("\t\n\r")


def _text_problem(value: str, *, identifier: bool) -> str | None:
    """Why ``value`` cannot be stored and sent as it is, or None."""
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            return "contains a lone UTF-16 surrogate, which cannot be encoded as UTF-8"
        if category == "Cc" and (identifier or char not in _TEXT_CONTROLS):
            return f"contains the control character U+{ord(char):04X}"
        if identifier and char.isspace():
            return "contains whitespace"
    return None


def _identifier(value: str) -> str:
    problem = _text_problem(value, identifier=True)
    if problem:
        raise PydanticCustomError("invalid_characters", problem)
    return value


Identifier = Annotated[str, AfterValidator(_identifier)]


def _data_key(key: str) -> str:
    problem = _text_problem(key, identifier=False)
    if problem:
        raise PydanticCustomError("invalid_characters", problem)
    return key


def _data_value(value: DataValue) -> DataValue:
    if not isinstance(value, str):
        return value
    problem = _text_problem(value, identifier=False)
    if problem:
        raise PydanticCustomError("invalid_characters", problem)
    if len(value) > MAX_DATA_VALUE_CHARS:
        raise PydanticCustomError(
            "data_value_too_long",
            "{length} characters; at most {limit}",
            {"length": len(value), "limit": MAX_DATA_VALUE_CHARS},
        )
    return value


def _data_size(data: dict[str, DataValue]) -> dict[str, DataValue]:
    size = len(json.dumps(data, ensure_ascii=False).encode())
    if size > MAX_DATA_BYTES:
        raise PydanticCustomError(
            "data_too_large",
            "{size} bytes as JSON; at most {limit}",
            {"size": size, "limit": MAX_DATA_BYTES},
        )
    return data


DataKey = Annotated[str, Field(max_length=MAX_DATA_KEY_CHARS), AfterValidator(_data_key)]
DataField = Annotated[DataValue, AfterValidator(_data_value)]


class Recipient(BaseModel):
    """Who gets the message: an openid, a customer number, a phone — at least one."""

    model_config = ConfigDict(extra="forbid")

    openid: Annotated[Identifier | None, Field(min_length=1, max_length=64)] = None
    customer_no: Annotated[Identifier | None, Field(min_length=1, max_length=32)] = None
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

    account: Annotated[Identifier, Field(min_length=1, max_length=64, description="Account code.")]
    event_type: Annotated[
        Identifier, Field(min_length=1, max_length=64, description="A configured reminder type.")
    ]
    to: Recipient
    data: Annotated[
        dict[DataKey, DataField],
        AfterValidator(_data_size),
        Field(
            max_length=64,
            description=(
                "Template fields, by the reminder type's names: each string at most "
                f"{MAX_DATA_VALUE_CHARS} characters, {MAX_DATA_BYTES} bytes of JSON in all."
            ),
        ),
    ] = Field(default_factory=dict)
    priority: Priority | None = Field(
        default=None, description="`alert` (real-time) or `bulk`; default from the reminder type."
    )
    idempotency_key: Annotated[
        Identifier | None,
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
