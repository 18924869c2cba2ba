"""slack: OAuth installations (encrypted bot tokens) and OAuth state

Revision ID: 0002_slack_installations
Revises: 0001_foundation
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString)

import storage.types  # noqa: F401  (UTCDateTime)


revision = "0002_slack_installations"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_installation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("enterprise_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("team_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("app_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("bot_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("bot_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("bot_scopes", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("bot_token_encrypted", sa.Text(), nullable=False),
        sa.Column("installer_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("installed_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "enterprise_id", "team_id", name="uq_slack_installation_workspace"),
    )
    with op.batch_alter_table("slack_installation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slack_installation_team_id"), ["team_id"], unique=False)

    op.create_table(
        "slack_oauth_state",
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("state"),
    )
    with op.batch_alter_table("slack_oauth_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slack_oauth_state_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("slack_oauth_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_oauth_state_expires_at"))
    op.drop_table("slack_oauth_state")
    with op.batch_alter_table("slack_installation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_installation_team_id"))
    op.drop_table("slack_installation")
