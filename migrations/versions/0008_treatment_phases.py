"""appraisal: eligible_data_year (growth from the year the eligible figure describes)

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-03 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('appraisal', schema=None) as batch_op:
        # blank for existing appraisals: their eligible figure is year 1's, as before
        batch_op.add_column(sa.Column('eligible_data_year', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('appraisal', schema=None) as batch_op:
        batch_op.drop_column('eligible_data_year')
