"""inbox: inbound events saved before the ack (replaces seen_event), and worker heartbeats

Revision ID: 0011_inbox
Revises: 0010_profile_stats_order
"""

from alembic import op
import sqlalchemy as sa

import storage.types

revision = "0011_inbox"
down_revision = "0010_profile_stats_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.String(length=64), nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("member_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("received_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("handled_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("replies", sa.Text(), nullable=True),
        sa.Column("finished_at", storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "team_id", "event_key", name="uq_inbox_event"),
    )
    op.create_index("ix_inbox_open", "inbox", ["finished_at", "id"], unique=False)
    op.create_table(
        "worker_heartbeat",
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("beat_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("worker_id"),
    )
    # The inbox's unique event key is the de-duplication now.
    op.drop_index("ix_seen_event_seen_at", table_name="seen_event")
    op.drop_table("seen_event")


def downgrade() -> None:
    op.create_table(
        "seen_event",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("seen_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("community_id", "event_id"),
    )
    op.create_index("ix_seen_event_seen_at", "seen_event", ["seen_at"], unique=False)
    op.drop_table("worker_heartbeat")
    op.drop_index("ix_inbox_open", table_name="inbox")
    op.drop_table("inbox")
