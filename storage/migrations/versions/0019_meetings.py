"""meetings: the session log, weekly availability, kick-off scheduling, certificates, pulses and public thanks

Revision ID: 0019_meetings
Revises: 0018_asked_questions
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0019_meetings"
down_revision = "0018_asked_questions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("community.id"), nullable=False),
        sa.Column("pairing_id", sa.Integer(), sa.ForeignKey("pairing.id"), nullable=False),
        sa.Column("logged_by_member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("met_on", UTCDateTime(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), sa.ForeignKey("checkin.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("checkin_id", name="uq_meeting_log_checkin"),
    )
    op.create_index("ix_meeting_log_pairing_id", "meeting_log", ["pairing_id"])
    op.create_index("ix_meeting_log_logged_by_member_id", "meeting_log", ["logged_by_member_id"])
    op.create_index("ix_meeting_log_stats", "meeting_log", ["community_id", "met_on"])
    op.create_table(
        "availability",
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), primary_key=True),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("community.id"), nullable=False),
        sa.Column("windows", sa.JSON(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("asked_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_availability_community_id", "availability", ["community_id"])
    op.create_table(
        "meeting_plan",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("community.id"), nullable=False),
        sa.Column("pairing_id", sa.Integer(), sa.ForeignKey("pairing.id"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("picks", sa.JSON(), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("invites_sent", sa.Integer(), nullable=False),
        sa.Column("remind_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_meeting_plan_community_id", "meeting_plan", ["community_id"])
    op.create_index("ix_meeting_plan_pairing_id", "meeting_plan", ["pairing_id"])
    op.create_index("ix_meeting_plan_remind", "meeting_plan", ["remind_at"])
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("community.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("started_on", UTCDateTime(), nullable=False),
        sa.Column("ended_on", UTCDateTime(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("mentees", sa.Integer(), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("code", name="uq_certificate_code"),
    )
    op.create_index("ix_certificate_community_id", "certificate", ["community_id"])
    op.create_index("ix_certificate_member_id", "certificate", ["member_id"])
    op.create_table(
        "pulse",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("community.id"), nullable=False),
        sa.Column("pairing_id", sa.Integer(), sa.ForeignKey("pairing.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("pairing_id", "member_id", name="uq_pulse_member"),
    )
    op.create_index("ix_pulse_community_id", "pulse", ["community_id"])
    op.create_index("ix_pulse_pairing_id", "pulse", ["pairing_id"])
    op.create_table(
        "public_thanks",
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), primary_key=True),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("community.id"), nullable=False),
        sa.Column("agreed_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_public_thanks_community_id", "public_thanks", ["community_id"])
    op.create_table(
        "thanks_post",
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("community.id"), primary_key=True),
        sa.Column("next_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_thanks_post_next_at", "thanks_post", ["next_at"])


def downgrade() -> None:
    for table in ("thanks_post", "public_thanks", "pulse", "certificate", "meeting_plan", "availability", "meeting_log"):
        op.drop_table(table)
