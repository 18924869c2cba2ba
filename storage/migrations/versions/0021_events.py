"""events: community events with RSVPs, calendar invites and reminders

Revision ID: 0021_events
Revises: 0020_purge
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0021_events"
down_revision = "0020_purge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "community_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("community.id"), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("remind_at", UTCDateTime(), nullable=True),
        sa.Column("created_by_member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("post_outbox_id", sa.Integer(), sa.ForeignKey("outbox.id"), nullable=True),
    )
    op.create_index("ix_community_event_community_id", "community_event", ["community_id"])
    op.create_index("ix_community_event_remind_at", "community_event", ["remind_at"])
    op.create_table(
        "event_rsvp",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("community.id"), nullable=False),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("community_event.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("going", sa.Boolean(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("event_id", "member_id", name="uq_rsvp_once"),
    )
    op.create_index("ix_event_rsvp_community_id", "event_rsvp", ["community_id"])
    op.create_index("ix_event_rsvp_event_id", "event_rsvp", ["event_id"])
    op.create_index("ix_event_rsvp_member_id", "event_rsvp", ["member_id"])


def downgrade() -> None:
    op.drop_table("event_rsvp")
    op.drop_table("community_event")
