"""Customers' phone numbers: the format accepted, and reading the stored number back.

A number bound on the phone page (绑定手机) is stored encrypted (``customers.phone_enc``, the
secret box); rows written before that, or by the demo seed of older databases, may still carry
the plain ``customers.phone``. Every reader goes through :func:`contact_phone`, so both kinds
reach the SMS gateway and neither is shown unmasked (``libs.common.masking.mask_phone``).
"""

from __future__ import annotations

import re

from libs.common.secret_box import SecretBox

# A mainland China mobile number.
MOBILE = re.compile(r"^1[3-9]\d{9}$")


def contact_phone(box: SecretBox, phone_enc: str | None, phone: str | None) -> str | None:
    """The customer's number: the encrypted one when bound on the page, else the plain one."""
    if phone_enc:
        return box.decrypt(phone_enc)
    return phone or None
