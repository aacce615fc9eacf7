"""``wxhub rotate-secrets``: re-encrypt every stored secret under the current ``WXHUB_SECRET_KEY``
(and recompute the customer numbers' lookup tokens under it).

The rotation procedure: move the old key into ``WXHUB_PREVIOUS_SECRET_KEYS`` and set the new one
(every service still reads old values meanwhile), run this command once, then drop the old key.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from libs.common.customer_numbers import PURPOSE, opened
from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.models import (
    AccessToken,
    Account,
    BusinessSystem,
    Customer,
    Notification,
    PhoneCode,
)
from libs.common.db.models._base import Base
from libs.common.secret_box import SecretBox

# Every column that holds a SecretBox ciphertext.
ENCRYPTED_COLUMNS: tuple[tuple[type[Base], tuple[str, ...]], ...] = (
    (Account, ("app_secret_enc", "token_enc", "aes_key_enc", "aes_key_previous_enc")),
    (BusinessSystem, ("secret_enc",)),
    (AccessToken, ("token",)),
    (Customer, ("phone_enc", "customer_no_enc")),
    (Notification, ("phone_enc", "customer_no_enc")),
    (PhoneCode, ("phone_enc",)),
)


async def rotate_secrets(database_url: str, box: SecretBox) -> int:
    """Re-encrypt every stored secret in one transaction; returns how many values were rewritten.

    A value no key can decrypt aborts the whole rotation (nothing is half-rotated).
    """
    engine = make_engine(database_url)
    rewritten = 0
    try:
        async with make_sessionmaker(engine).begin() as session:
            for model, columns in ENCRYPTED_COLUMNS:
                # Only rows holding a ciphertext (most notifications name an openid alone).
                holding = or_(*(getattr(model, column).is_not(None) for column in columns))
                for row in (await session.scalars(select(model).where(holding))).all():
                    for column in columns:
                        value = getattr(row, column)
                        if value:
                            setattr(row, column, box.rotate(value))
                            rewritten += 1
            # Lookup tokens follow the key too: recomputed from the numbers they stand for.
            sealed_numbers = select(Customer).where(Customer.customer_no_enc.is_not(None))
            for customer in (await session.scalars(sealed_numbers)).all():
                number = opened(box, customer.customer_no_enc) or ""
                customer.customer_no_token = box.token(number, PURPOSE)
    finally:
        await engine.dispose()
    return rewritten
