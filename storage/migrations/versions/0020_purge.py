"""purge: when a removed workspace's or server's data is deleted (the database is the schedule)

Revision ID: 0020_purge
Revises: 0019_meetings
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0020_purge"
down_revision = "0019_meetings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("community") as batch:
        batch.add_column(sa.Column("purge_due_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("community") as batch:
        batch.drop_column("purge_due_at")
