"""What-if scenarios (scenario, scenariochange): a set of changes on top of the agreed figures

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 11:24:46.921254
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scenario',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('is_example', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('scenario', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenario_owner_id'), ['owner_id'], unique=False)

    op.create_table('scenariochange',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('regimen_id', sa.Integer(), nullable=True),
    sa.Column('new_regimen_id', sa.Integer(), nullable=True),
    sa.Column('new_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('share_pct', sa.Float(), nullable=True),
    sa.Column('cycle_length_days', sa.Integer(), nullable=True),
    sa.Column('from_date', sa.Date(), nullable=True),
    sa.Column('trust_id', sa.Integer(), nullable=True),
    sa.Column('chairs', sa.Float(), nullable=True),
    sa.Column('hours_per_day', sa.Float(), nullable=True),
    sa.Column('aseptic_staff_hours_per_week', sa.Float(), nullable=True),
    sa.Column('growth_pct', sa.Float(), nullable=True),
    sa.Column('appraisal_id', sa.Integer(), nullable=True),
    sa.Column('uptake_pct_by_year', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('eligible_per_year', sa.Float(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appraisal_id'], ['appraisal.id'], ),
    sa.ForeignKeyConstraint(['new_regimen_id'], ['regimen.id'], ),
    sa.ForeignKeyConstraint(['regimen_id'], ['regimen.id'], ),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], ),
    sa.ForeignKeyConstraint(['trust_id'], ['trust.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scenario_id', 'position')
    )
    with op.batch_alter_table('scenariochange', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenariochange_scenario_id'), ['scenario_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('scenariochange', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenariochange_scenario_id'))

    op.drop_table('scenariochange')
    with op.batch_alter_table('scenario', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenario_owner_id'))

    op.drop_table('scenario')
