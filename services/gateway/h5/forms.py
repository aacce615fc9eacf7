"""Reading and checking what the binding form posts (sizes, formats) before anything else runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.requests import Request

from libs.common.phones import MOBILE

_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
_CARD_NO = re.compile(r"^\d{12,19}$")
_PASSWORD = re.compile(r"^\d{6}$")
_CODE = re.compile(r"^\d{6}$")
# A person's name: Chinese characters or Latin letters, inner spaces and middle dots allowed
# (``欧阳·娜娜``, ``Li Lei``); nothing that could be markup.
_NAME = re.compile(
    r"^[\u4e00-\u9fffA-Za-z](?:[\u4e00-\u9fffA-Za-z ·.]{0,30}[\u4e00-\u9fffA-Za-z])$"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
MAX_FIELDS = 8


class FormTooLarge(ValueError):
    """The body is larger than any honest form."""


class FormUnreadable(ValueError):
    """Not a URL-encoded form, or a field given twice."""


async def read_form(
    request: Request, max_bytes: int, max_fields: int = MAX_FIELDS
) -> dict[str, str]:
    """The URL-encoded form's fields, refusing oversized or malformed bodies."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise FormUnreadable("not a form")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise FormTooLarge(f"form larger than {max_bytes} bytes")
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=max_fields)
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormUnreadable("undecodable form") from exc
    if any(len(values) != 1 for values in parsed.values()):
        raise FormUnreadable("repeated field")
    return {name: values[0] for name, values in parsed.items()}


def id_number_valid(value: str) -> bool:
    """An 18-character resident ID number with a correct check character (GB 11643)."""
    if not _ID_NUMBER.match(value):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(value, _ID_WEIGHTS, strict=False))
    return _ID_CHECK[total % 11] == value[-1]


@dataclass(frozen=True, slots=True)
class Identity:
    """The three values the core system checks; held in memory for one request only."""

    id_number: str
    card_no: str
    password: str

    def __repr__(self) -> str:
        # Never printed by a log line, a traceback's locals or a debugger by accident.
        return "Identity(<redacted>)"


def parse_identity(form: dict[str, str]) -> Identity | str:
    """The identity, or the text key of the first problem (values are never echoed)."""
    id_number = form.get("id_number", "").strip().upper()
    card_no = "".join(form.get("card_no", "").split())
    password = form.get("password", "")
    if not id_number_valid(id_number):
        return "error.id_number"
    if not _CARD_NO.match(card_no):
        return "error.card_no"
    if not _PASSWORD.match(password):
        return "error.password"
    return Identity(id_number=id_number, card_no=card_no, password=password)


def parse_phone(form: dict[str, str]) -> str | None:
    """The mobile number posted: ``""`` when left empty, ``None`` when malformed."""
    phone = "".join(form.get("phone", "").split())
    return phone if not phone or MOBILE.match(phone) else None


def parse_code(form: dict[str, str]) -> str | None:
    """The 6-digit verification code, ``None`` when malformed."""
    code = form.get("code", "").strip()
    return code if _CODE.match(code) else None


@dataclass(frozen=True, slots=True)
class ApplicationForm:
    """What an application carries besides the verified phone number."""

    name: str
    product: str
    product_name: str


def parse_name(form: dict[str, str]) -> str | None:
    """The applicant's name (2–32 letters), ``None`` when malformed."""
    name = " ".join(form.get("name", "").split())
    return name if _NAME.match(name) else None


def parse_product(form: dict[str, str], products: dict[str, str]) -> str | None:
    """The product code chosen, ``None`` unless it is one of ``products``."""
    product = form.get("product", "")
    return product if product in products else None


def parse_application(form: dict[str, str], products: dict[str, str]) -> ApplicationForm | str:
    """The application's fields, or the text key of the first problem."""
    name = parse_name(form)
    if name is None:
        return "error.name"
    product = parse_product(form, products)
    if product is None:
        return "error.product"
    return ApplicationForm(name=name, product=product, product_name=products[product])
