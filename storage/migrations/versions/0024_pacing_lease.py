"""pacing lease: a bucket's request in flight, so no worker sends before its answer is applied

Revision ID: 0024_pacing_lease
Revises: 0023_circles
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_pacing_lease"
down_revision = "0023_circles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pacing_slot") as batch:
        batch.add_column(sa.Column("lease_until", sa.Float(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("pacing_slot") as batch:
        batch.drop_column("lease_owner")
        batch.drop_column("lease_until")
