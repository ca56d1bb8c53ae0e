"""Backup and restore of the whole database: `flask backup create` and `flask backup restore`.

- SQLite: sqlite3's online backup API, which copies a consistent image of the database including
  what is still in its write-ahead log (a plain copy of the .sqlite file without its -wal file
  loses the latest changes) while the app keeps running.
- PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean` (package postgresql-client). When
  DATABASE_URL sets a search_path (one schema per install), only that schema is dumped and restored.

Backups hold password hashes and confidential prices: they are written readable by their owner only.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.engine import URL, make_url


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why."""


def _is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


def sqlite_file(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def _private(path: Path) -> None:
    path.chmod(0o600)


def backup_sqlite(database_file: Path, backup_file: Path) -> None:
    """A consistent copy through sqlite3's online backup API (WAL included; writers may carry on)."""
    if not database_file.exists():
        raise BackupError(f"No database at {database_file}.")
    source = sqlite3.connect(f"file:{database_file}?mode=ro", uri=True)
    target = sqlite3.connect(backup_file)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    _private(backup_file)


def restore_sqlite(database_file: Path, backup_file: Path) -> None:
    """Replace the database's content with the backup's, through the same backup API (stop the app first)."""
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{backup_file} is damaged (SQLite's integrity check failed): nothing was restored.")
        target = sqlite3.connect(database_file, timeout=30)
        try:
            source.backup(target)
        finally:
            target.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{backup_file} is not a SQLite backup ({error}): nothing was restored.") from error
    finally:
        source.close()


def _libpq(database_url: str) -> tuple[str, dict[str, str], str | None]:
    """(connection URI without the password, environment with PGPASSWORD, the schema the URL selects)."""
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    options = unquote(str(url.query.get("options", "")))
    match = re.search(r"-c\s*search_path=([A-Za-z0-9_]+)", options)
    without_password = URL.create("postgresql", url.username, None, url.host, url.port, url.database, url.query)
    uri = without_password.render_as_string(hide_password=False)  # the password goes by PGPASSWORD, not argv
    return uri, env, match[1] if match else None


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as error:
        raise BackupError(f"{command[0]} is not installed: install the package postgresql-client.") from error
    if finished.returncode != 0:
        raise BackupError(f"{command[0]} failed: {finished.stderr.strip()}")


def backup_postgres(database_url: str, backup_file: Path) -> None:
    uri, env, schema = _libpq(database_url)
    command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={backup_file}"]
    if schema:
        command.append(f"--schema={schema}")
    _run(command + [f"--dbname={uri}"], env)
    _private(backup_file)


def restore_postgres(database_url: str, backup_file: Path) -> None:
    """Drop what the backup holds and recreate it from the backup, in one transaction (stop the app first)."""
    uri, env, schema = _libpq(database_url)
    command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
               "--exit-on-error"]
    if schema:
        command.append(f"--schema={schema}")
    _run(command + [f"--dbname={uri}", str(backup_file)], env)


def create_backup(database_url: str, backup_file: Path) -> Path:
    backup_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if _is_sqlite(database_url):
        backup_sqlite(sqlite_file(database_url), backup_file)
    else:
        backup_postgres(database_url, backup_file)
    return backup_file


def restore_backup(database_url: str, backup_file: Path) -> None:
    if not backup_file.is_file():
        raise BackupError(f"No backup at {backup_file}.")
    if _is_sqlite(database_url):
        restore_sqlite(sqlite_file(database_url), backup_file)
    else:
        restore_postgres(database_url, backup_file)


def default_backup_file(database_url: str, folder: Path, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return folder / f"appraisal-impact-{stamp}.{'sqlite' if _is_sqlite(database_url) else 'dump'}"


backup = AppGroup("backup", help="Back up and restore the database (see docs/deploy.md).")


@backup.command("create")
@click.argument("backup_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def create_command(backup_file: Path | None):
    """Back up the database to BACKUP_FILE (default: instance/backups/appraisal-impact-<time>.sqlite|.dump)."""
    url = current_app.config["DATABASE_URL"]
    target = backup_file or default_backup_file(url, Path(current_app.instance_path) / "backups")
    try:
        create_backup(url, target)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up to {target}")


@backup.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask: replace the database's content with the backup's.")
def restore_command(backup_file: Path, yes: bool):
    """Replace the database's content with BACKUP_FILE's. Stop the web app and the job worker first."""
    if not yes:
        click.confirm(f"Replace everything in the database with {backup_file}?", abort=True)
    url = current_app.config["DATABASE_URL"]
    current_app.extensions["appraisal_impact.engine"].dispose()  # no pooled connection holds a lock
    try:
        restore_backup(url, backup_file)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored from {backup_file}")
