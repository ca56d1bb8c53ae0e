"""NICE page families: appraisal.nice_status (NICE's own status wording), nicecandidate.reason,
nicesavedpage (pages uploaded when NICE refuses the tool) and nicelistskip (what discovery did not offer)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:40:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('appraisal', schema=None) as batch_op:
        # NICE's wording as last read ("Impacted by COVID-19", "Proposed"); "" for rows never read.
        batch_op.add_column(sa.Column('nice_status', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('nicecandidate', schema=None) as batch_op:
        # Why the title was picked, in words ("title names 'myeloma' (myeloma)").
        batch_op.add_column(sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default=''))


    op.create_table(
        'nicesavedpage',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('url', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('appraisal_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['appraisal_id'], ['appraisal.id']),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'nicelistskip',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('url', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('listed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('nicelistskip')
    op.drop_table('nicesavedpage')
    with op.batch_alter_table('nicecandidate', schema=None) as batch_op:
        batch_op.drop_column('reason')
    with op.batch_alter_table('appraisal', schema=None) as batch_op:
        batch_op.drop_column('nice_status')
