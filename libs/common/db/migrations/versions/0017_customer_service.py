"""customer service: sessions, transcripts, agents, tickets, canned replies, feed

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 11:17:39.946469
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import libs.common.db.models._base


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cs_feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cs_feed'))
    )
    with op.batch_alter_table('cs_feed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cs_feed_agent_id'), ['agent_id'], unique=False)

    op.create_table('cs_configs',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('group', sa.String(length=64), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('menu_key', sa.String(length=64), nullable=False),
    sa.Column('end_keyword', sa.String(length=16), nullable=False),
    sa.Column('message_keyword', sa.String(length=16), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('hours', sa.JSON(), nullable=False),
    sa.Column('holidays', sa.JSON(), nullable=False),
    sa.Column('off_hours_text', sa.Text(), nullable=False),
    sa.Column('idle_timeout_s', sa.Integer(), nullable=False),
    sa.Column('created_at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_cs_configs_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_cs_configs'))
    )
    op.create_table('cs_tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('msg_id', sa.String(length=160), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('done_at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_cs_tickets_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cs_tickets')),
    sa.UniqueConstraint('msg_id', name=op.f('uq_cs_tickets_msg_id'))
    )
    with op.batch_alter_table('cs_tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cs_tickets_account_id'), ['account_id'], unique=False)

    op.create_table('cs_agents',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('cap', sa.Integer(), nullable=False),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('status_at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_assigned_at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('console_seen_at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['admin_users.id'], name=op.f('fk_cs_agents_user_id_admin_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_cs_agents'))
    )
    op.create_table('cs_canned_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_cs_canned_replies_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['admin_users.id'], name=op.f('fk_cs_canned_replies_owner_id_admin_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cs_canned_replies'))
    )
    with op.batch_alter_table('cs_canned_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cs_canned_replies_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cs_canned_replies_owner_id'), ['owner_id'], unique=False)

    op.create_table('cs_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('group', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('open_key', sa.String(length=96), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('requeued', sa.Boolean(), nullable=False),
    sa.Column('announced_ahead', sa.Integer(), nullable=True),
    sa.Column('queued_at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('assigned_at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('close_reason', sa.String(length=32), nullable=True),
    sa.Column('last_customer_at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('window_sends', sa.Integer(), nullable=False),
    sa.Column('last_activity_at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('rating_until', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rated_at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_cs_sessions_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['agent_id'], ['admin_users.id'], name=op.f('fk_cs_sessions_agent_id_admin_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cs_sessions')),
    sa.UniqueConstraint('open_key', name=op.f('uq_cs_sessions_open_key'))
    )
    with op.batch_alter_table('cs_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cs_sessions_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cs_sessions_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cs_sessions_openid'), ['openid'], unique=False)
        batch_op.create_index('ix_cs_sessions_queue', ['group', 'state', 'queued_at'], unique=False)

    op.create_table('cs_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=16), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('at', libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('msg_id', sa.String(length=160), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['cs_sessions.id'], name=op.f('fk_cs_messages_session_id_cs_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cs_messages')),
    sa.UniqueConstraint('msg_id', name=op.f('uq_cs_messages_msg_id'))
    )
    with op.batch_alter_table('cs_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cs_messages_session_id'), ['session_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('cs_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cs_messages_session_id'))

    op.drop_table('cs_messages')
    with op.batch_alter_table('cs_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_cs_sessions_queue')
        batch_op.drop_index(batch_op.f('ix_cs_sessions_openid'))
        batch_op.drop_index(batch_op.f('ix_cs_sessions_agent_id'))
        batch_op.drop_index(batch_op.f('ix_cs_sessions_account_id'))

    op.drop_table('cs_sessions')
    with op.batch_alter_table('cs_canned_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cs_canned_replies_owner_id'))
        batch_op.drop_index(batch_op.f('ix_cs_canned_replies_account_id'))

    op.drop_table('cs_canned_replies')
    op.drop_table('cs_agents')
    with op.batch_alter_table('cs_tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cs_tickets_account_id'))

    op.drop_table('cs_tickets')
    op.drop_table('cs_configs')
    with op.batch_alter_table('cs_feed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cs_feed_agent_id'))

    op.drop_table('cs_feed')
