"""notifications: the recipient's customer number and phone stored encrypted, not in clear

Existing values are converted with the platform key of the environment running the migration
(``WXHUB_SECRET_KEY``, as ``wxhub migrate`` and the services read it). Nothing searches
notifications by either number, so no lookup token is kept.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 15:40:00.000000
"""

from __future__ import annotations

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


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_no_enc", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("phone_enc", sa.Text(), nullable=True))
    connection = op.get_bind()
    n = _notifications.c
    rows = connection.execute(
        sa.select(n.id, n.customer_no, n.phone).where(
            sa.or_(n.customer_no.is_not(None), n.phone.is_not(None))
        )
    ).all()
    if rows:
        box = _box()
        for row_id, customer_no, phone in rows:
            connection.execute(
                _notifications.update()
                .where(n.id == row_id)
                .values(customer_no_enc=_sealed(box, customer_no), phone_enc=_sealed(box, phone))
            )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("phone")
        batch_op.drop_column("customer_no")


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_no", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
    connection = op.get_bind()
    n = _notifications.c
    rows = connection.execute(
        sa.select(n.id, n.customer_no_enc, n.phone_enc).where(
            sa.or_(n.customer_no_enc.is_not(None), n.phone_enc.is_not(None))
        )
    ).all()
    if rows:
        box = _box()
        for row_id, customer_no_enc, phone_enc in rows:
            connection.execute(
                _notifications.update()
                .where(n.id == row_id)
                .values(customer_no=_opened(box, customer_no_enc), phone=_opened(box, phone_enc))
            )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("phone_enc")
        batch_op.drop_column("customer_no_enc")
