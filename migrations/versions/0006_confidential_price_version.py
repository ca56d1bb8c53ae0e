"""confidentialprice: a version column, and one price per pack and trust (duplicates merged)

Before this, two people saving a pack's confidential price at once could both add a row: the model then
used an arbitrary one while the edit page showed the first. This adds
- `version` (checked on every save, like every other edited row);
- `trust_scope` (the trust's id, or 0 for an alliance-wide price) and a unique index on
  (drug_pack_id, trust_scope);
and first merges existing duplicates: of each pack's prices for one trust (or alliance-wide), the newest
(latest entered, then highest id) is kept and the others deleted, each deletion written to the audit
record (who: "migration 0006"; old value: the removed price; new value: the price kept).

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-03 10:05:00
"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def _merge_duplicates(connection) -> None:
    prices = sa.table(
        'confidentialprice', sa.column('id', sa.Integer), sa.column('drug_pack_id', sa.Integer),
        sa.column('trust_id', sa.Integer), sa.column('trust_scope', sa.Integer), sa.column('price', sa.Float),
        sa.column('note', sa.String), sa.column('entered_at', sa.DateTime),
    )
    audit = sa.table(
        'auditentry', sa.column('at', sa.DateTime), sa.column('user_id', sa.Integer), sa.column('user_name', sa.String),
        sa.column('entity', sa.String), sa.column('entity_id', sa.Integer), sa.column('action', sa.String),
        sa.column('field', sa.String), sa.column('old_value', sa.String), sa.column('new_value', sa.String),
        sa.column('origin', sa.String),
    )
    connection.execute(prices.update().values(trust_scope=sa.func.coalesce(prices.c.trust_id, 0)))
    rows = connection.execute(
        sa.select(prices.c.id, prices.c.drug_pack_id, prices.c.trust_scope, prices.c.price, prices.c.note, prices.c.entered_at)
        .order_by(prices.c.drug_pack_id, prices.c.trust_scope, prices.c.entered_at.desc(), prices.c.id.desc())
    ).all()
    now = datetime.now(UTC).replace(tzinfo=None)
    kept: dict[tuple[int, int], object] = {}
    for row in rows:
        key = (row.drug_pack_id, row.trust_scope)
        if key not in kept:
            kept[key] = row  # the newest of its pack and trust
            continue
        keeper = kept[key]
        connection.execute(audit.insert().values(
            at=now, user_id=None, user_name="migration 0006", entity="confidentialprice", entity_id=row.id,
            action="delete", field="merged duplicate",
            old_value=f"{row.price:g} (entered {row.entered_at}; note: {row.note or 'none'})",
            new_value=f"kept price {keeper.id}: {keeper.price:g} (entered {keeper.entered_at})",
            origin="migration",
        ))
        connection.execute(prices.delete().where(prices.c.id == row.id))


def upgrade() -> None:
    with op.batch_alter_table('confidentialprice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trust_scope', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    _merge_duplicates(op.get_bind())
    with op.batch_alter_table('confidentialprice', schema=None) as batch_op:
        batch_op.create_index('uq_confidentialprice_pack_scope', ['drug_pack_id', 'trust_scope'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('confidentialprice', schema=None) as batch_op:
        batch_op.drop_index('uq_confidentialprice_pack_scope')
        batch_op.drop_column('version')
        batch_op.drop_column('trust_scope')
