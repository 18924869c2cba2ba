"""choice rounds: a round's mode and deadline, shortlist offers and each mentee's choice

Revision ID: 0017_choice
Revises: 0016_recruit
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0017_choice"
down_revision = "0016_recruit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("match_round") as batch:
        batch.add_column(sa.Column("mode", sa.String(length=8), nullable=False, server_default="assign"))
        batch.add_column(sa.Column("closes_at", UTCDateTime(), nullable=True))
        batch.create_index("ix_match_round_closes_at", ["closes_at"])
    op.create_table(
        "choice_offer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("match_round.id"), nullable=False),
        sa.Column("mentee_member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("mentor_member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("optimal", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.UniqueConstraint("round_id", "mentee_member_id", "rank"),
    )
    op.create_index("ix_choice_offer_round_id", "choice_offer", ["round_id"])
    op.create_table(
        "mentee_choice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("community.id"), nullable=False),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("match_round.id"), nullable=False),
        sa.Column("mentee_member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("mentor_member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("optimal_pick", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("picked_at", UTCDateTime(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("silent", sa.Boolean(), nullable=False),
        sa.Column("declined_by", sa.JSON(), nullable=False),
        sa.UniqueConstraint("round_id", "mentee_member_id"),
    )
    op.create_index("ix_mentee_choice_community_id", "mentee_choice", ["community_id"])
    op.create_index("ix_mentee_choice_round_id", "mentee_choice", ["round_id"])


def downgrade() -> None:
    op.drop_table("mentee_choice")
    op.drop_table("choice_offer")
    with op.batch_alter_table("match_round") as batch:
        batch.drop_index("ix_match_round_closes_at")
        batch.drop_column("closes_at")
        batch.drop_column("mode")
