"""dashboard: when members joined, covering indexes for the stats counts

Revision ID: 0009_stats
Revises: 0008_outbox_index
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString in generated columns)

import storage.types  # noqa: F401  (UTCDateTime)


revision = '0009_stats'
down_revision = '0008_outbox_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.create_index('ix_checkin_stats', ['community_id', 'answer', 'sent_at'], unique=False)

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('joined_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_member_joined', ['community_id', 'joined_at'], unique=False)

    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.create_index('ix_pairing_stats', ['community_id', 'status', 'started_at', 'ended_at', 'kickoff_at', 'at_risk_reported_at', 'mentor_member_id'], unique=False)

    with op.batch_alter_table('profile', schema=None) as batch_op:
        batch_op.create_index('ix_profile_stats', ['community_id', 'role', 'status', 'signed_up_at', 'source'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('profile', schema=None) as batch_op:
        batch_op.drop_index('ix_profile_stats')

    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.drop_index('ix_pairing_stats')

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_index('ix_member_joined')
        batch_op.drop_column('joined_at')

    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.drop_index('ix_checkin_stats')

