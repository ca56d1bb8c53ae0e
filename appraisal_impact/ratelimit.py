"""Sign-in throttling counters in the app's own database: a storage for the `limits` library (which
Flask-Limiter uses), chosen by `RATELIMIT_STORAGE_URI = "database://"`.

Why the database by default: gunicorn runs several worker processes, and Flask-Limiter's `memory://`
storage counts in each one separately (with 2 workers an attacker gets twice the attempts, and a restart
forgets them). The database is already shared by every worker (and every machine, on PostgreSQL), so a
trust needs no extra service. A site that runs Redis or Memcached can point RATELIMIT_STORAGE_URI there
instead (`redis://host:6379`); nothing else changes.

Only the fixed-window strategy is supported (`RATELIMIT_STRATEGY = "fixed-window"`, Flask-Limiter's
default): one row per key, counted with a single atomic upsert on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import time

from flask import current_app
from limits.storage import Storage
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from .models import RateLimitCounter

_table = RateLimitCounter.__table__
FORGET_AFTER_SECONDS = 24 * 3600


def _engine():
    # Looked up per call, not kept: one process may hold several apps (tests), each with its own database.
    return current_app.extensions["appraisal_impact.engine"]


class DatabaseStorage(Storage):
    """Fixed-window counters in the `ratelimitcounter` table of the current app's database."""

    STORAGE_SCHEME = ["database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to `key`'s count, starting a new window of `expiry` seconds if the last one is over."""
        now = time.time()
        engine = _engine()
        insert = (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(_table)
        expired = _table.c.expires_at <= now
        statement = insert.values(key=key, hits=amount, expires_at=now + expiry).on_conflict_do_update(
            index_elements=[_table.c.key],
            set_={
                "hits": case((expired, amount), else_=_table.c.hits + amount),
                "expires_at": case((expired, now + expiry), else_=_table.c.expires_at),
            },
        ).returning(_table.c.hits)
        with engine.begin() as connection:
            # Windows long over are forgotten, so the table stays as small as the last day's attempts.
            connection.execute(delete(_table).where(_table.c.expires_at < now - FORGET_AFTER_SECONDS))
            return int(connection.execute(statement).scalar_one())

    def _row(self, key: str):
        with _engine().connect() as connection:
            return connection.execute(select(_table.c.hits, _table.c.expires_at).where(_table.c.key == key)).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.hits) if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_at) if row is not None and row.expires_at > time.time() else time.time()

    def check(self) -> bool:
        try:
            with _engine().connect() as connection:
                connection.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with _engine().begin() as connection:
            return connection.execute(delete(_table)).rowcount

    def clear(self, key: str) -> None:
        with _engine().begin() as connection:
            connection.execute(delete(_table).where(_table.c.key == key))
