"""matching rounds, proposed pairs, pairings, round schedules

Revision ID: 0004_pairings
Revises: 0002_profiles
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString in generated columns)

import storage.types  # noqa: F401  (UTCDateTime)


revision = '0004_pairings'
down_revision = '0002_profiles'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('match_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('allow_rematch', sa.Boolean(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('created_by_member_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('approved_by_member_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], ),
    sa.ForeignKeyConstraint(['created_by_member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('match_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_round_community_id'), ['community_id'], unique=False)

    op.create_table('round_schedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('every_days', sa.Integer(), nullable=False),
    sa.Column('next_run_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('created_by_member_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], ),
    sa.ForeignKeyConstraint(['created_by_member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('community_id')
    )
    with op.batch_alter_table('round_schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_schedule_next_run_at'), ['next_run_at'], unique=False)

    op.create_table('pairing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('mentee_member_id', sa.Integer(), nullable=False),
    sa.Column('mentor_member_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('cadence', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('communication', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('program_length', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('ends_on', storage.types.UTCDateTime(), nullable=False),
    sa.Column('policy_confirmed_by', sa.JSON(), nullable=False),
    sa.Column('started_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('kickoff_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('kickoff_due_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('kickoff_reminders_sent', sa.Integer(), nullable=False),
    sa.Column('ended_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('end_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], ),
    sa.ForeignKeyConstraint(['mentee_member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['mentor_member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['match_round.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_id', 'mentee_member_id', 'mentor_member_id', name='uq_pairing_once_per_round')
    )
    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pairing_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_pairing_kickoff_due', ['status', 'kickoff_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pairing_mentee_member_id'), ['mentee_member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pairing_mentor_member_id'), ['mentor_member_id'], unique=False)

    op.create_table('proposed_pair',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('mentee_member_id', sa.Integer(), nullable=False),
    sa.Column('mentor_member_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('dropped', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['mentee_member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['mentor_member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['match_round.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_id', 'position', name='uq_proposed_pair_position')
    )
    with op.batch_alter_table('proposed_pair', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposed_pair_round_id'), ['round_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('proposed_pair', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposed_pair_round_id'))

    op.drop_table('proposed_pair')
    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pairing_mentor_member_id'))
        batch_op.drop_index(batch_op.f('ix_pairing_mentee_member_id'))
        batch_op.drop_index('ix_pairing_kickoff_due')
        batch_op.drop_index(batch_op.f('ix_pairing_community_id'))

    op.drop_table('pairing')
    with op.batch_alter_table('round_schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_schedule_next_run_at'))

    op.drop_table('round_schedule')
    with op.batch_alter_table('match_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_round_community_id'))

    op.drop_table('match_round')
