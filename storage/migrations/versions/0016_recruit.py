"""recruit: shortage alerts, targeted asks and their answers, first-time mentors' training

Revision ID: 0016_recruit
Revises: 0015_dm_channels
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0016_recruit"
down_revision = "0015_dm_channels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recruit_check",
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("community.id"), primary_key=True),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_recruit_check_checked_at", "recruit_check", ["checked_at"])
    op.create_table(
        "recruit_alert",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("community.id"), nullable=False),
        sa.Column("topic", sa.String(length=80), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("waiting", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("free_places", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("mentors_offering", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("text", sa.String(length=1500), nullable=False, server_default=""),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False, server_default="open"),
        sa.Column("decided_by", sa.Integer(), sa.ForeignKey("member.id"), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("asked", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index("ix_recruit_alert_topic", "recruit_alert", ["community_id", "topic", "created_at"])
    op.create_table(
        "recruit_ask",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("community.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("topic", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("recruit_alert.id"), nullable=True),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.Column("answer", sa.String(length=12), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_recruit_ask_member", "recruit_ask", ["community_id", "member_id", "asked_at"])
    op.create_table(
        "mentor_training",
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), primary_key=True),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("community.id"), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("next_step", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_due_at", UTCDateTime(), nullable=True),
        sa.Column("done", sa.JSON(), nullable=False),
    )
    op.create_index("ix_mentor_training_community_id", "mentor_training", ["community_id"])
    op.create_index("ix_mentor_training_next_due_at", "mentor_training", ["next_due_at"])


def downgrade() -> None:
    op.drop_table("mentor_training")
    op.drop_table("recruit_ask")
    op.drop_table("recruit_alert")
    op.drop_table("recruit_check")
