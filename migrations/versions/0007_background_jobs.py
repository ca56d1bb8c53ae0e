"""background jobs: the background_job table, and on PostgreSQL procrastinate's queue schema

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-03 09:45:00

On PostgreSQL the queue itself is procrastinate's (its tables, functions and triggers, from the SQL
file of the pinned procrastinate release). A later procrastinate release that changes its schema
ships migration files in ``procrastinate/sql/migrations/``: apply them in a new Alembic migration
(see docs/deploy.md, "Upgrading").
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'backgroundjob',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('params', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('requested_by_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('progress_done', sa.Integer(), nullable=False),
        sa.Column('progress_total', sa.Integer(), nullable=False),
        sa.Column('message', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('result', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('file_content', sa.LargeBinary(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['requested_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('backgroundjob', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_backgroundjob_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_backgroundjob_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_backgroundjob_created_at'), ['created_at'], unique=False)

    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        from appraisal_impact.jobs.queue import apply_queue_schema

        apply_queue_schema(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        from appraisal_impact.jobs.queue import drop_queue_schema

        drop_queue_schema(bind)
    with op.batch_alter_table('backgroundjob', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_backgroundjob_created_at'))
        batch_op.drop_index(batch_op.f('ix_backgroundjob_state'))
        batch_op.drop_index(batch_op.f('ix_backgroundjob_kind'))
    op.drop_table('backgroundjob')
