"""The database: one engine per app, one session per request, and the guard on the audit record."""

from __future__ import annotations

import os

from flask import Flask, current_app, g
from sqlalchemy import event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

from . import models


def _private_sqlite_file(url: str) -> None:
    """Create the SQLite file readable by this account only (it holds password hashes and confidential
    prices); SQLite gives its -wal and -shm files the same permissions."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    path = os.path.abspath(path)
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    elif os.stat(path).st_uid == os.geteuid() and os.stat(path).st_mode & 0o077:
        os.chmod(path, 0o600)


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL and foreign keys, in-memory SQLite a single shared connection."""
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        if not in_memory:
            _private_sqlite_file(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            poolclass=StaticPool if in_memory else None,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


def engine() -> Engine:
    return current_app.extensions["appraisal_impact.engine"]


def get_session() -> Session:
    """The request's session, opened on first use and closed when the request ends."""
    if "db_session" not in g:
        g.db_session = Session(engine(), expire_on_commit=False)
    return g.db_session


def _close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


class AuditRecordIsAppendOnly(RuntimeError):
    """Raised when anything tries to change or delete an audit entry."""


@event.listens_for(OrmSession, "before_flush")
def _protect_audit_record(session, _flush_context, _instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, models.AuditEntry):
            raise AuditRecordIsAppendOnly("The audit record cannot be changed or deleted.")


def create_schema(engine_: Engine) -> None:
    """Create every table directly (tests); deployments use Alembic migrations (`flask db-upgrade`)."""
    SQLModel.metadata.create_all(engine_)


def init_app(app: Flask) -> None:
    app.extensions["appraisal_impact.engine"] = make_engine(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)
