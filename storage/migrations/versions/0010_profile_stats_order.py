"""dashboard: profile stats index in GROUP BY order, and one for sign-ups per week

Revision ID: 0010_profile_stats_order
Revises: 0009_stats
"""

from alembic import op

revision = "0010_profile_stats_order"
down_revision = "0009_stats"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.drop_index("ix_profile_stats")
        batch_op.create_index("ix_profile_stats", ["community_id", "role", "status", "source", "signed_up_at"], unique=False)
        batch_op.create_index("ix_profile_signed_up", ["community_id", "signed_up_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.drop_index("ix_profile_signed_up")
        batch_op.drop_index("ix_profile_stats")
        batch_op.create_index("ix_profile_stats", ["community_id", "role", "status", "signed_up_at", "source"], unique=False)
