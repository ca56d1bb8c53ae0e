"""Readiness, beside /health (liveness): may this instance take traffic? The database answers and its
schema is at the migrations' head (an upgrade not yet migrated is not ready)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..db import engine
from ..web import public

bp = Blueprint("readiness", __name__)


def migration_heads() -> set[str]:
    """The head revision(s) of the migrations shipped with this code (read once per process)."""
    heads = current_app.extensions.get("appraisal_impact.migration_heads")
    if heads is None:
        from alembic.script import ScriptDirectory

        from ..cli import alembic_config

        heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
        current_app.extensions["appraisal_impact.migration_heads"] = heads
    return heads


@bp.route("/health/ready")
@public
def ready():
    """For load balancers, deploy scripts and monitoring: 200 when ready, 503 (and why) when not."""
    from alembic.migration import MigrationContext

    try:
        with engine().connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception:  # noqa: BLE001 - any failure to reach the database means not ready
        current_app.logger.exception("Readiness: the database is unreachable")
        return jsonify(status="error", database="unreachable"), 503
    heads = migration_heads()
    if current != heads:
        state = "not applied" if not current else "not at head"
        return jsonify(status="error", database="ok", migrations=state,
                       current=sorted(current), expected=sorted(heads)), 503
    return jsonify(status="ok", database="ok", migrations="at head")
