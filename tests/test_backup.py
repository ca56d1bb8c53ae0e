"""Backup and restore (`flask backup create` / `flask backup restore`) on this run's database: back up,
change, restore, and every row of every table is as it was. SQLite through the online backup API
(the write-ahead log included), PostgreSQL through pg_dump / pg_restore."""

from __future__ import annotations

import sqlite3
import stat
from datetime import date

import pytest
from sqlalchemy import select, text
from sqlmodel import Session, SQLModel

from appraisal_impact import create_app
from appraisal_impact.backup import BackupError, create_backup, restore_backup
from appraisal_impact.db import create_schema
from appraisal_impact.models import Appraisal, AuditEntry, Role, User
from tests.conftest import make_user

TODAY = date(2026, 6, 1)


def every_row(engine) -> dict[str, list[tuple]]:
    """Each table's rows, in key order: what a restore must bring back exactly."""
    with engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns))]
            for table in SQLModel.metadata.sorted_tables
        }


@pytest.fixture
def backup_app(tmp_path, database_url):
    """The app on a database a backup can be taken of: a SQLite file in WAL mode, or this run's
    PostgreSQL schema; seeded with the example data."""
    from appraisal_impact.seeding import seed_database

    url = f"sqlite:///{tmp_path / 'live.sqlite'}" if database_url.startswith("sqlite") else database_url
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "backup-test-" + "x" * 32, "TESTING": True})
    engine = app.extensions["appraisal_impact.engine"]
    if url.startswith("sqlite"):
        create_schema(engine)
    with Session(engine) as session:
        seed_database(session, None, today=TODAY)
        session.commit()
    yield app
    if not url.startswith("sqlite"):
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


def change_everything_a_little(engine) -> None:
    """An edit, a new row, a deleted row and an audit entry: the kinds of change a restore must undo."""
    with Session(engine) as session:
        appraisal = session.exec(select(Appraisal).order_by(Appraisal.id)).scalars().first()
        appraisal.title = "Changed after the backup"
        make_user(session, Role.viewer, email="after.backup@example.nhs.uk")
        session.add(AuditEntry(entity="appraisal", entity_id=appraisal.id, field="title", new_value="changed"))
        session.delete(session.exec(select(User).where(User.is_example == True)).scalars().first())  # noqa: E712
        session.commit()


def test_backup_change_restore_brings_back_every_row(backup_app, tmp_path):
    engine = backup_app.extensions["appraisal_impact.engine"]
    runner = backup_app.test_cli_runner()
    before = every_row(engine)
    assert sum(1 for rows in before.values() if rows) >= 10  # the seeded example: rows in many tables

    backup_file = tmp_path / "backups" / "before.backup"
    result = runner.invoke(args=["backup", "create", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600  # it holds password hashes and prices

    change_everything_a_little(engine)
    changed = every_row(engine)
    assert changed != before
    assert len(changed["auditentry"]) == len(before["auditentry"]) + 1

    engine.dispose()
    result = runner.invoke(args=["backup", "restore", "--yes", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert every_row(engine) == before


def test_a_restore_needs_confirming(backup_app, tmp_path):
    engine = backup_app.extensions["appraisal_impact.engine"]
    runner = backup_app.test_cli_runner()
    backup_file = tmp_path / "before.backup"
    assert runner.invoke(args=["backup", "create", str(backup_file)]).exit_code == 0
    change_everything_a_little(engine)
    changed = every_row(engine)
    result = runner.invoke(args=["backup", "restore", str(backup_file)], input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert every_row(engine) == changed


def test_the_sqlite_backup_holds_what_is_still_in_the_write_ahead_log(tmp_path):
    """A plain copy of the file misses commits still in the -wal file; the online backup does not."""
    live = tmp_path / "live.sqlite"
    writer = sqlite3.connect(live)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # keep every commit in the WAL, as a busy app does
    writer.execute("CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT)")
    writer.executemany("INSERT INTO audit (what) VALUES (?)", [(f"change {n}",) for n in range(55)])
    writer.commit()
    plain_copy = tmp_path / "plain-copy.sqlite"
    plain_copy.write_bytes(live.read_bytes())
    copied = sqlite3.connect(plain_copy)
    assert copied.execute("SELECT name FROM sqlite_master WHERE name = 'audit'").fetchall() == []  # lost
    copied.close()

    backup_file = tmp_path / "online.sqlite"
    create_backup(f"sqlite:///{live}", backup_file)
    backup = sqlite3.connect(backup_file)
    assert backup.execute("SELECT count(*) FROM audit").fetchone()[0] == 55
    backup.close()
    writer.close()


def test_a_file_that_is_not_a_backup_restores_nothing(tmp_path):
    live = tmp_path / "live.sqlite"
    connection = sqlite3.connect(live)
    connection.execute("CREATE TABLE kept (id INTEGER PRIMARY KEY)")
    connection.execute("INSERT INTO kept VALUES (7)")
    connection.commit()
    connection.close()
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("this is not a database, but it is long enough to look like a file " * 20)
    with pytest.raises(BackupError):
        restore_backup(f"sqlite:///{live}", not_a_backup)
    connection = sqlite3.connect(live)
    assert connection.execute("SELECT id FROM kept").fetchall() == [(7,)]
    connection.close()


def test_the_postgresql_password_goes_by_environment_not_on_the_command_line():
    """pg_dump's command line is visible to every user of the machine (ps); its environment is not."""
    from appraisal_impact.backup import _libpq

    uri, env, schema = _libpq("postgresql+psycopg://app:s3cret@db.example:5432/impact?options=-csearch_path%3Dtrust_a")
    assert "s3cret" not in uri and env["PGPASSWORD"] == "s3cret"
    assert uri.startswith("postgresql://app@db.example:5432/impact") and schema == "trust_a"
