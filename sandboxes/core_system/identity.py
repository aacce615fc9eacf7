"""Identity verification: which demo customer an ID number, card and query password belong to,
without the call log ever holding them."""

from __future__ import annotations

import json

from starlette.requests import Request

from sandboxes.core_system.customers import CUSTOMERS
from sandboxes.core_system.replies import AS_OF
from sandboxes.endpoint import Reply

# (id_number, card_no, query password) → customer_no: the demo customers' test identities.
IDENTITIES: dict[tuple[str, str, str], str] = {
    ("110101199003070011", "6222020000000012345", "123456"): "C00000001",
    ("310101198506150024", "6217000000000054321", "654321"): "C00000002",
}
_IDENTITY_FIELDS = ("id_number", "card_no", "password")


async def verify_identity(request: Request) -> Reply:
    """``POST /v1/identity/verify``: which customer the ID number, card and password belong to."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    if not isinstance(body, dict) or not all(
        isinstance(body.get(name), str) for name in _IDENTITY_FIELDS
    ):
        return Reply({"error": "invalid_request"}, "400", 400, logged_body={"fields": "invalid"})
    # Personal data never reaches the call log: only that the fields were present.
    logged = {"fields": sorted(name for name in _IDENTITY_FIELDS if body.get(name))}
    key = (body["id_number"].upper(), body["card_no"], body["password"])
    customer_no = IDENTITIES.get(key)
    if customer_no is None:
        return Reply({"error": "identity_mismatch"}, "422", 422, logged_body=logged)
    reply = {"customer_no": customer_no, "name": CUSTOMERS[customer_no]["name"], "as_of": AS_OF}
    return Reply(reply, "200", logged_body=logged)
