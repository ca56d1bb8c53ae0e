"""accounts and sessions: server-side sign-in sessions, sign-in events, invite/reset links, throttling
counters; user.password_changed_at and user.version; apitoken.expires_at

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-03 09:45:00
"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Tokens made before expiry dates existed get this long from when they were made.
EXISTING_API_TOKEN_DAYS = 365


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
    connection = op.get_bind()
    tokens = sa.table('apitoken', sa.column('id', sa.Integer()), sa.column('created_at', sa.DateTime()),
                      sa.column('expires_at', sa.DateTime()))
    for token_id, created_at in connection.execute(sa.select(tokens.c.id, tokens.c.created_at)).all():
        connection.execute(tokens.update().where(tokens.c.id == token_id)
                           .values(expires_at=created_at + timedelta(days=EXISTING_API_TOKEN_DAYS)))

    op.create_table(
        'signinsession',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('ended_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_signinsession_token_hash'), 'signinsession', ['token_hash'], unique=True)
    op.create_index(op.f('ix_signinsession_user_id'), 'signinsession', ['user_id'], unique=False)

    op.create_table(
        'signinevent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_signinevent_at'), 'signinevent', ['at'], unique=False)
    op.create_index(op.f('ix_signinevent_email'), 'signinevent', ['email'], unique=False)
    op.create_index(op.f('ix_signinevent_user_id'), 'signinevent', ['user_id'], unique=False)

    op.create_table(
        'accountlink',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id']),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_accountlink_token_hash'), 'accountlink', ['token_hash'], unique=True)
    op.create_index(op.f('ix_accountlink_user_id'), 'accountlink', ['user_id'], unique=False)

    op.create_table(
        'ratelimitcounter',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade() -> None:
    op.drop_table('ratelimitcounter')
    op.drop_index(op.f('ix_accountlink_user_id'), table_name='accountlink')
    op.drop_index(op.f('ix_accountlink_token_hash'), table_name='accountlink')
    op.drop_table('accountlink')
    op.drop_index(op.f('ix_signinevent_user_id'), table_name='signinevent')
    op.drop_index(op.f('ix_signinevent_email'), table_name='signinevent')
    op.drop_index(op.f('ix_signinevent_at'), table_name='signinevent')
    op.drop_table('signinevent')
    op.drop_index(op.f('ix_signinsession_user_id'), table_name='signinsession')
    op.drop_index(op.f('ix_signinsession_token_hash'), table_name='signinsession')
    op.drop_table('signinsession')
    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('password_changed_at')
