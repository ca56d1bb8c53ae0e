"""appraisalregimen: counts_patients (False for a regimen given alongside another)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 14:55:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('appraisalregimen', schema=None) as batch_op:
        # existing links count their patients, as before
        batch_op.add_column(sa.Column('counts_patients', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('appraisalregimen', schema=None) as batch_op:
        batch_op.drop_column('counts_patients')
