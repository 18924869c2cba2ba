"""outbox claim token: a fencing token so a deliverer whose lease ran out never records over the new owner

Revision ID: 0006_outbox_claim_token
Revises: 0005_lifecycle
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString in generated columns)

import storage.types  # noqa: F401  (UTCDateTime)


revision = '0006_outbox_claim_token'
down_revision = '0005_lifecycle'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_token', sa.Integer(), nullable=False, server_default=sa.text('0')))



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('claim_token')

