"""introduce in batches: an approved round's progress, so a large round never holds one long transaction

Revision ID: 0025_introduce_in_batches
Revises: 0024_pacing_lease
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_introduce_in_batches"
down_revision = "0024_pacing_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("match_round") as batch:
        batch.add_column(sa.Column("introduce_from", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("introduced", sa.Integer(), nullable=False, server_default="0"))
        batch.create_index("ix_match_round_introduce_from", ["introduce_from"])


def downgrade() -> None:
    with op.batch_alter_table("match_round") as batch:
        batch.drop_index("ix_match_round_introduce_from")
        batch.drop_column("introduced")
        batch.drop_column("introduce_from")
