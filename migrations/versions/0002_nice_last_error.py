"""appraisal: the last failed read from NICE (nice_last_error, nice_last_error_at)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 14:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('appraisal', schema=None) as batch_op:
        # server_default so that rows already in the table get "" (the model's default).
        batch_op.add_column(sa.Column('nice_last_error', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('nice_last_error_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('appraisal', schema=None) as batch_op:
        batch_op.drop_column('nice_last_error_at')
        batch_op.drop_column('nice_last_error')
