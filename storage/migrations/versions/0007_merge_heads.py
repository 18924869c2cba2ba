"""one line of history again: intake, Slack installations and the lifecycle branches meet

Revision ID: 0007_merge_heads
Revises: 0002_slack_installations, 0003_intake, 0006_outbox_claim_token
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString in generated columns)

import storage.types  # noqa: F401  (UTCDateTime)


revision = '0007_merge_heads'
down_revision = ('0002_slack_installations', '0003_intake', '0006_outbox_claim_token')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
