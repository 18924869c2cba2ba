"""overview: App Home views to keep fresh and the dashboard's headline snapshot

Revision ID: 0014_overview
Revises: 0013_round_reminders
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0014_overview"
down_revision = "0013_round_reminders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "home_view",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("community.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("stale", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("page", sa.Integer(), nullable=False, server_default="1"),
        sa.UniqueConstraint("community_id", "member_id", name="uq_home_view_member"),
    )
    op.create_index("ix_home_view_member_id", "home_view", ["member_id"])
    op.create_index("ix_home_view_stale", "home_view", ["stale", "published_at"])
    op.create_table(
        "stats_snapshot",
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("community.id"), primary_key=True),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
    )
    op.create_index("ix_stats_snapshot_computed_at", "stats_snapshot", ["computed_at"])


def downgrade() -> None:
    op.drop_index("ix_stats_snapshot_computed_at", table_name="stats_snapshot")
    op.drop_table("stats_snapshot")
    op.drop_index("ix_home_view_stale", table_name="home_view")
    op.drop_index("ix_home_view_member_id", table_name="home_view")
    op.drop_table("home_view")
