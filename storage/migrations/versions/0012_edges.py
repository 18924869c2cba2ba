"""the edges of a pair's six months: policy changes, reassess choices, the next-round
question, voter names shown only on request, cancelled polls, blocked pairs

Revision ID: 0012_edges
Revises: 0011_inbox
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString in generated columns)

import storage.types  # noqa: F401  (UTCDateTime)


revision = "0012_edges"
down_revision = "0011_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pairing", schema=None) as batch_op:
        batch_op.add_column(sa.Column("policy_change", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("reassess_choices", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_round", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default=""))
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.add_column(sa.Column("show_voters", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Polls stored before: they showed names unless anonymous, and keep doing so.
    op.execute(sa.text("UPDATE poll SET show_voters = NOT anonymous"))
    op.create_table(
        "pair_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("first_member_id", sa.Integer(), nullable=False),
        sa.Column("second_member_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("created_by_member_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.ForeignKeyConstraint(["created_by_member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["first_member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["second_member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "first_member_id", "second_member_id", name="uq_pair_block"),
    )
    with op.batch_alter_table("pair_block", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pair_block_community_id"), ["community_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pair_block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pair_block_community_id"))
    op.drop_table("pair_block")
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_column("show_voters")
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.drop_column("next_round")
    with op.batch_alter_table("pairing", schema=None) as batch_op:
        batch_op.drop_column("reassess_choices")
        batch_op.drop_column("policy_change")
