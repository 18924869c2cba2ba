"""introduce retry: a round whose batch keeps failing steps aside and retries on its own clock

Revision ID: 0026_introduce_retry
Revises: 0025_introduce_in_batches
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0026_introduce_retry"
down_revision = "0025_introduce_in_batches"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("match_round") as batch:
        batch.add_column(sa.Column("introduce_failures", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("introduce_retry_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("match_round") as batch:
        batch.drop_column("introduce_retry_at")
        batch.drop_column("introduce_failures")
