"""Customer numbers (客户号) at rest: encrypted, and found by a keyed lookup token.

A bound customer's number is personal data: ``customers.customer_no_enc`` holds it encrypted
with the secret box, ``customers.customer_no_token`` its lookup token
(:meth:`libs.common.secret_box.SecretBox.token`), which is what every search by number
(``customer_no`` → openid for notifications, the dispatcher's recipient states, the admin
filter) compares. Nothing stores or logs the number in clear; admin views show it masked
(``libs.common.masking.mask_card_no``) unless revealed with ``customer.reveal``.
"""

from __future__ import annotations

from collections.abc import Collection

from libs.common.masking import mask_card_no
from libs.common.secret_box import SecretBox

PURPOSE = "customer-no"


def sealed(box: SecretBox, customer_no: str | None) -> dict[str, str | None]:
    """The column values storing ``customer_no`` (both ``None`` to clear it)."""
    if not customer_no:
        return {"customer_no_enc": None, "customer_no_token": None}
    return {
        "customer_no_enc": box.encrypt(customer_no),
        "customer_no_token": box.token(customer_no, PURPOSE),
    }


def opened(box: SecretBox, customer_no_enc: str | None) -> str | None:
    """The stored number in clear (``None`` when there is none)."""
    return box.decrypt(customer_no_enc) if customer_no_enc else None


def tokens_of(box: SecretBox, customer_nos: Collection[str]) -> dict[str, str]:
    """Every lookup token that may be stored for the numbers (current and previous keys),
    mapped back to its number: search ``customer_no_token IN`` the keys."""
    return {token: no for no in customer_nos for token in box.tokens(no, PURPOSE)}


def masked_customer_no(box: SecretBox, customer_no_enc: str | None) -> str | None:
    """The stored number masked for display (``************0001``), ``None`` when unbound."""
    customer_no = opened(box, customer_no_enc)
    return mask_card_no(customer_no) if customer_no else None
