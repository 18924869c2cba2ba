"""intake: the saved state of each member's sign-up conversation, with its reminder due time

Revision ID: 0003_intake
Revises: 0002_profiles
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString in generated columns)

import storage.types  # noqa: F401  (UTCDateTime)


revision = '0003_intake'
down_revision = '0002_profiles'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('intake',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('editing', sa.Boolean(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('started_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('remind_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id')
    )
    with op.batch_alter_table('intake', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intake_remind_at'), ['remind_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('intake', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_remind_at'))
        batch_op.drop_index(batch_op.f('ix_intake_community_id'))

    op.drop_table('intake')
