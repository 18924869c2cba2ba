"""profiles: what intake collects and matching reads

Revision ID: 0002_profiles
Revises: 0001_foundation
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString in generated columns)

import storage.types  # noqa: F401  (UTCDateTime)


revision = '0002_profiles'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('topics_offered', sa.JSON(), nullable=False),
    sa.Column('topics_wanted', sa.JSON(), nullable=False),
    sa.Column('topics_other', sa.Text(), nullable=False),
    sa.Column('goals', sa.Text(), nullable=False),
    sa.Column('can_help_with', sa.Text(), nullable=False),
    sa.Column('career_stage', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('years_experience', sa.Integer(), nullable=True),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hours_per_month', sa.Integer(), nullable=True),
    sa.Column('program_length', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('cadence', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('communication', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('accepts_async', sa.Boolean(), nullable=False),
    sa.Column('do_not_match', sa.JSON(), nullable=False),
    sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('signed_up_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('waiting_since', storage.types.UTCDateTime(), nullable=True),
    sa.Column('paused_until', storage.types.UTCDateTime(), nullable=True),
    sa.Column('left_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('times_unmatched', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id')
    )
    with op.batch_alter_table('profile', schema=None) as batch_op:
        batch_op.create_index('ix_profile_community_status', ['community_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_profile_paused_until'), ['paused_until'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('profile', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_profile_paused_until'))
        batch_op.drop_index('ix_profile_community_status')

    op.drop_table('profile')
