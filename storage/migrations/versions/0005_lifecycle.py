"""lifecycle: check-in plans, check-ins, goals, notes, feedback; pairing milestones

Revision ID: 0005_lifecycle
Revises: 0004_pairings
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString in generated columns)

import storage.types  # noqa: F401  (UTCDateTime)


revision = '0005_lifecycle'
down_revision = '0004_pairings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checkin_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('pairing_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('next_checkin_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('base_interval_days', sa.Integer(), nullable=False),
    sa.Column('interval_days', sa.Integer(), nullable=False),
    sa.Column('sent_count', sa.Integer(), nullable=False),
    sa.Column('awaiting_answer', sa.Boolean(), nullable=False),
    sa.Column('ignored_in_a_row', sa.Integer(), nullable=False),
    sa.Column('not_yet_in_a_row', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['pairing_id'], ['pairing.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('pairing_id', 'member_id', name='uq_checkin_plan_member')
    )
    with op.batch_alter_table('checkin_plan', schema=None) as batch_op:
        batch_op.create_index('ix_checkin_plan_due', ['active', 'next_checkin_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkin_plan_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkin_plan_pairing_id'), ['pairing_id'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('pairing_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('worked', sa.Text(), nullable=False),
    sa.Column('improve', sa.Text(), nullable=False),
    sa.Column('quote_ok', sa.Boolean(), nullable=False),
    sa.Column('quote_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('requested_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('completed_at', storage.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['pairing_id'], ['pairing.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('pairing_id', 'member_id', name='uq_feedback_once')
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_pairing_id'), ['pairing_id'], unique=False)

    op.create_table('goal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('pairing_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('by_date', storage.types.UTCDateTime(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('created_by_member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('done_at', storage.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], ),
    sa.ForeignKeyConstraint(['created_by_member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['pairing_id'], ['pairing.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goal_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_goal_pairing_id'), ['pairing_id'], unique=False)

    op.create_table('checkin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('pairing_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('sent_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('answered_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['pairing_id'], ['pairing.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['checkin_plan.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_id', 'sequence', name='uq_checkin_sequence')
    )
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkin_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkin_pairing_id'), ['pairing_id'], unique=False)

    op.create_table('pair_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('pairing_id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], ),
    sa.ForeignKeyConstraint(['goal_id'], ['goal.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['pairing_id'], ['pairing.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pair_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pair_note_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pair_note_pairing_id'), ['pairing_id'], unique=False)

    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('midpoint_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('at_risk_reported_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_pairing_ends_on', ['status', 'ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_pairing_midpoint_at'), ['midpoint_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pairing_midpoint_at'))
        batch_op.drop_index('ix_pairing_ends_on')
        batch_op.drop_column('at_risk_reported_at')
        batch_op.drop_column('midpoint_at')

    with op.batch_alter_table('pair_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pair_note_pairing_id'))
        batch_op.drop_index(batch_op.f('ix_pair_note_community_id'))

    op.drop_table('pair_note')
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_pairing_id'))
        batch_op.drop_index(batch_op.f('ix_checkin_member_id'))
        batch_op.drop_index(batch_op.f('ix_checkin_community_id'))

    op.drop_table('checkin')
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_pairing_id'))
        batch_op.drop_index(batch_op.f('ix_goal_community_id'))

    op.drop_table('goal')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_pairing_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_member_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_community_id'))

    op.drop_table('feedback')
    with op.batch_alter_table('checkin_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_plan_pairing_id'))
        batch_op.drop_index(batch_op.f('ix_checkin_plan_member_id'))
        batch_op.drop_index('ix_checkin_plan_due')

    op.drop_table('checkin_plan')
