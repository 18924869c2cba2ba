"""asked questions: the button questions a member may also answer by typing

Revision ID: 0018_asked_questions
Revises: 0017_choice
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.types import UTCDateTime

revision = "0018_asked_questions"
down_revision = "0017_choice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asked_question",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("community.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("member_id", "name", "key", name="uq_asked_question"),
    )
    op.create_index("ix_asked_question_community_id", "asked_question", ["community_id"])


def downgrade() -> None:
    op.drop_index("ix_asked_question_community_id", table_name="asked_question")
    op.drop_table("asked_question")
