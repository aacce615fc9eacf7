"""customers: the customer number stored encrypted with a keyed lookup token, not in clear

Existing numbers are converted with the platform key of the environment running the migration
(``WXHUB_SECRET_KEY``, as ``wxhub migrate`` and the services read it).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 14:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from libs.common.customer_numbers import opened, sealed
from libs.common.secret_box import SecretBox
from libs.common.settings import CommonSettings

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_customers = sa.table(
    "customers",
    sa.column("id", sa.Integer()),
    sa.column("customer_no", sa.String(32)),
    sa.column("customer_no_enc", sa.Text()),
    sa.column("customer_no_token", sa.String(64)),
)


def _box() -> SecretBox:
    settings = CommonSettings()
    return SecretBox(settings.secret_key, settings.previous_secret_keys)


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_no_enc", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("customer_no_token", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_customers_customer_no_token"), ["customer_no_token"], unique=False
        )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_customers.c.id, _customers.c.customer_no).where(
            _customers.c.customer_no.is_not(None)
        )
    ).all()
    if rows:
        box = _box()
        for row_id, customer_no in rows:
            connection.execute(
                _customers.update()
                .where(_customers.c.id == row_id)
                .values(**sealed(box, customer_no or None))
            )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_customer_no")
        batch_op.drop_column("customer_no")


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_no", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_customers_customer_no", ["customer_no"], unique=False)
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_customers.c.id, _customers.c.customer_no_enc).where(
            _customers.c.customer_no_enc.is_not(None)
        )
    ).all()
    if rows:
        box = _box()
        for row_id, customer_no_enc in rows:
            connection.execute(
                _customers.update()
                .where(_customers.c.id == row_id)
                .values(customer_no=opened(box, customer_no_enc))
            )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_customer_no_token"))
        batch_op.drop_column("customer_no_token")
        batch_op.drop_column("customer_no_enc")
