"""notifications: the recipient's customer number and phone stored encrypted, not in clear

Existing values are converted with the platform key of the environment running the migration
(``WXHUB_SECRET_KEY``, as ``wxhub migrate`` and the services read it). Nothing searches
notifications by either number, so no lookup token is kept.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 15:40:00.000000
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from libs.common.secret_box import SecretBox
from libs.common.settings import CommonSettings

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

_notifications = sa.table(
    "notifications",
    sa.column("id", sa.String(32)),
    sa.column("customer_no", sa.String(32)),
    sa.column("phone", sa.String(20)),
    sa.column("customer_no_enc", sa.Text()),
    sa.column("phone_enc", sa.Text()),
)


def _box() -> SecretBox:
    settings = CommonSettings()
    return SecretBox(settings.secret_key, settings.previous_secret_keys)


def _sealed(box: SecretBox, value: str | None) -> str | None:
    return box.encrypt(value) if value else None


def _opened(box: SecretBox, value: str | None) -> str | None:
    return box.decrypt(value) if value else None


def _convert(
    source: tuple[str, str],
    target: tuple[str, str],
    convert: Callable[[SecretBox, str | None], str | None],
) -> None:
    """Write each notification's customer number and phone from the ``source`` columns into the
    ``target`` ones through ``convert`` (the key is read only when there is a row to convert)."""
    connection = op.get_bind()
    n = _notifications.c
    number, phone = n[source[0]], n[source[1]]
    rows = connection.execute(
        sa.select(n.id, number, phone).where(sa.or_(number.is_not(None), phone.is_not(None)))
    ).all()
    if rows:
        box = _box()
        for row_id, number_value, phone_value in rows:
            connection.execute(
                _notifications.update()
                .where(n.id == row_id)
                .values(
                    {target[0]: convert(box, number_value), target[1]: convert(box, phone_value)}
                )
            )


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_no_enc", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("phone_enc", sa.Text(), nullable=True))
    _convert(("customer_no", "phone"), ("customer_no_enc", "phone_enc"), _sealed)
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("phone")
        batch_op.drop_column("customer_no")


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_no", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
    _convert(("customer_no_enc", "phone_enc"), ("customer_no", "phone"), _opened)
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("phone_enc")
        batch_op.drop_column("customer_no_enc")
