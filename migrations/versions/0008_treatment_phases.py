"""Treatment phases (regimenphase), branched funnels (funnelstep.path) and growth from the data year
(appraisal.eligible_data_year)

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-03 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('regimenphase',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('regimen_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('phase_regimen_id', sa.Integer(), nullable=False),
    sa.Column('share_going_on_pct', sa.Float(), nullable=False),
    sa.Column('gap_days', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['phase_regimen_id'], ['regimen.id'], ),
    sa.ForeignKeyConstraint(['regimen_id'], ['regimen.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('regimen_id', 'position')
    )
    with op.batch_alter_table('regimenphase', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regimenphase_regimen_id'), ['regimen_id'], unique=False)
    with op.batch_alter_table('funnelstep', schema=None) as batch_op:
        # existing steps belong to no path: a funnel without branches, as before
        batch_op.add_column(sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('appraisal', schema=None) as batch_op:
        # blank for existing appraisals: their eligible figure is year 1's, as before
        batch_op.add_column(sa.Column('eligible_data_year', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('appraisal', schema=None) as batch_op:
        batch_op.drop_column('eligible_data_year')
    with op.batch_alter_table('funnelstep', schema=None) as batch_op:
        batch_op.drop_column('path')
    with op.batch_alter_table('regimenphase', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regimenphase_regimen_id'))
    op.drop_table('regimenphase')
