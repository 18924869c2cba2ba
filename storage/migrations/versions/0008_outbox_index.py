"""drop the outbox community index: the unique (community, dedupe key) index covers it and sweeps insert faster

Revision ID: 0008_outbox_index
Revises: 0007_merge_heads
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString in generated columns)

import storage.types  # noqa: F401  (UTCDateTime)


revision = '0008_outbox_index'
down_revision = '0007_merge_heads'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_community_id'))



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_community_id'), ['community_id'], unique=False)

