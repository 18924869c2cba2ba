"""dm channels: opened DM/group DM channel ids and shared rate-limit pacing slots

Revision ID: 0015_dm_channels
Revises: 0014_overview
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0015_dm_channels"
down_revision = "0014_overview"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dm_channel",
        sa.Column("platform", sa.String(length=16), primary_key=True),
        sa.Column("community_external_id", sa.String(length=64), primary_key=True),
        sa.Column("members", sa.String(length=400), primary_key=True),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "pacing_slot",
        sa.Column("bucket", sa.String(length=200), primary_key=True),
        sa.Column("next_at", sa.Float(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("pacing_slot")
    op.drop_table("dm_channel")
