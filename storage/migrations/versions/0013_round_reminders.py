"""rounds: a proposed round reminds the moderators while it waits for approval

Revision ID: 0013_round_reminders
Revises: 0012_edges
"""

from alembic import op
import sqlalchemy as sa

import storage.types  # noqa: F401  (UTCDateTime)

revision = "0013_round_reminders"
down_revision = "0012_edges"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("match_round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("remind_at", storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("reminders_sent", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index("ix_match_round_remind_at", ["remind_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("match_round", schema=None) as batch_op:
        batch_op.drop_index("ix_match_round_remind_at")
        batch_op.drop_column("reminders_sent")
        batch_op.drop_column("remind_at")
