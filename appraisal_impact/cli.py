"""Command-line tasks: `flask db-upgrade`, `flask seed`, `flask users create`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlmodel import Session

from . import PROJECT_ROOT
from .db import engine
from .models import Role, User

users = AppGroup("users", help="Manage who can sign in.")


def alembic_config():
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["engine"] = engine()
    return config


@click.command("db-upgrade")
@with_appcontext
def db_upgrade():
    """Create or bring the database schema up to date (Alembic migrations)."""
    from alembic import command

    command.upgrade(alembic_config(), "head")
    click.echo("Database schema is up to date.")


@click.command("seed")
@with_appcontext
@click.option("--path", type=click.Path(exists=True, file_okay=False, path_type=Path), help="Load this folder instead of seeds/.")
@click.option("--if-empty", is_flag=True, help="Only seed when the database holds no appraisal yet.")
def seed(path: Path | None, if_empty: bool):
    """Load reference and example data (idempotent: running it twice changes nothing)."""
    from . import queries
    from .seeding import seed_database

    with Session(engine(), expire_on_commit=False) as session:
        if if_empty and queries.list_appraisals(session=session):
            click.echo("The database already holds data: not seeding.")
            return
        credentials = Path(current_app.instance_path) / "example-sign-in.txt"
        report = seed_database(session, path, credentials_file=credentials)
        click.echo(str(report))
        if credentials.exists():
            click.echo(f"Example sign-in details: {credentials}")


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--trust", "trust_code", help="ODS code of the user's trust (pharmacists).")
@click.option("--confidential/--no-confidential", default=False, help="May see confidential (PAS) prices.")
@click.password_option()
def create_user(email: str, name: str, role: str, trust_code: str | None, confidential: bool, password: str):
    """Create a user who can sign in."""
    from . import queries
    from .audit import SYSTEM, record_created
    from .passwords import hash_password, password_problem

    with Session(engine()) as session:
        if queries.get_user_by_email(session=session, email=email.lower()):
            raise click.ClickException(f"A user with the email {email} already exists.")
        trust_id = None
        if trust_code:
            trust = queries.get_trust_by_ods(session=session, ods_code=trust_code)
            if trust is None:
                raise click.ClickException(f"No trust with the ODS code {trust_code}.")
            trust_id = trust.id
        if role == Role.pharmacist.value and trust_id is None:
            raise click.ClickException("A pharmacist belongs to a trust: give --trust ODS_CODE.")
        problem = password_problem(password, min_length=current_app.config["PASSWORD_MIN_LENGTH"], email=email, name=name)
        if problem:
            raise click.ClickException(problem)
        user = User(
            email=email.lower(), name=name, role=Role(role), trust_id=trust_id,
            can_see_confidential_prices=confidential, password_hash=hash_password(password),
        )
        session.add(user)
        record_created(session, SYSTEM, user, f"{name} ({role})")
        session.commit()
        click.echo(f"Created {email} ({role}).")


@click.command("impact")
@with_appcontext
@click.argument("reference")
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--scenario", type=click.Choice(["low", "central", "high"]), default="central", show_default=True)
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Model as if today were this date.")
def impact(reference: str, output: str, scenario: str, today):
    """Print an appraisal's impact on each trust. REFERENCE: GID, TA number, ID number or the app's id.

    Always at list prices (the command line has no signed-in user)."""
    from . import queries
    from .impact_report import impact_json, impact_table

    with Session(engine(), expire_on_commit=False) as session:
        appraisal = queries.find_appraisal(session=session, reference=reference)
        if appraisal is None:
            raise click.ClickException(f"No appraisal matches {reference!r} (try a GID, TA number, ID number or id).")
        day = today.date() if today else None
        if output == "json":
            click.echo(impact_json(session, appraisal, scenario=scenario, today=day))
        else:
            click.echo(impact_table(session, appraisal, scenario=scenario, today=day))


nice = AppGroup("nice", help="Keep the pipeline in step with the NICE website (see docs/nice-refresh.md).")


@nice.command("refresh")
@click.option("--include-examples", is_flag=True, help="Also read the example appraisals (their moved dates are replaced).")
def nice_refresh(include_examples: bool):
    """Read every tracked appraisal with a GID or TA number from NICE and record what changed.

    One line per appraisal; exit code 0 when every read worked, 1 when any failed (for a scheduler)."""
    from .audit import Actor
    from .nice_sync import REFRESH_ORIGIN, client_factory, refresh_all

    client = client_factory(current_app.extensions)(current_app.config)
    try:
        with Session(engine(), expire_on_commit=False) as session:
            outcomes = refresh_all(session, Actor(None, "flask nice refresh", REFRESH_ORIGIN), client,
                                   include_examples=include_examples)
    finally:
        getattr(client, "close", lambda: None)()
    for outcome in outcomes:
        click.echo(outcome.line())
    failed = sum(1 for o in outcomes if not o.ok)
    changed = sum(1 for o in outcomes if o.ok and o.changed)
    click.echo(f"{len(outcomes)} appraisal(s) read: {changed} changed, {len(outcomes) - changed - failed} unchanged, {failed} failed.")
    if failed:
        raise SystemExit(1)


@nice.command("discover")
def nice_discover():
    """Look for new cancer appraisals on NICE's in-development list and offer them on the NICE updates page.

    Also prints each list item not offered and why (no GID, not a technology appraisal, not about cancer,
    cancer but not SACT)."""
    from .nice import NiceFetchError
    from .nice_sync import client_factory, discover_with_report

    client = client_factory(current_app.extensions)(current_app.config)
    try:
        with Session(engine(), expire_on_commit=False) as session:
            try:
                report = discover_with_report(session, client)
            except NiceFetchError as error:
                session.rollback()
                click.echo(f"FAILED: {error}", err=True)
                raise SystemExit(1) from error
            session.commit()
    finally:
        getattr(client, "close", lambda: None)()
    for candidate in report.new:
        click.echo(f"new {candidate.gid}: {candidate.title} (expected publication {candidate.expected_publication}; "
                   f"{candidate.reason})")
    for item in report.skipped:
        click.echo(f"skipped {item.title}: {item.reason}")
    click.echo(f"{len(report.new)} new cancer appraisal(s) offered; {len(report.skipped)} of {report.listed} "
               "listed item(s) skipped.")


@nice.command("read-file")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--url", "address", default=None,
              help="The page's address on nice.org.uk, when known (it decides the kind of page, as NICE's redirects do).")
def nice_read_file(path: str, address: str | None):
    """Print, as JSON, what the NICE reader takes from a saved NICE page or feed (no network).

    Exit code 0 when the file was read; 1, with the reason on standard error, when it cannot be."""
    import json
    from datetime import UTC, datetime
    from pathlib import Path

    from .nice import NiceFormatError, NiceReferenceError
    from .nice.saved import describe_saved_page

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        click.echo(f"Could not read {path}: not a text file (UTF-8)", err=True)
        raise SystemExit(1) from error
    try:
        described = describe_saved_page(text, url=address, read_at=datetime.now(UTC))
    except (NiceFormatError, NiceReferenceError) as error:
        click.echo(f"Could not read {path}: {error}", err=True)
        raise SystemExit(1) from error
    click.echo(json.dumps({"file": path, "url": address, **described}, indent=2, ensure_ascii=False))


def init_app(app: Flask) -> None:
    from .backup import backup
    from .jobs.cli import jobs
    from .production import production

    app.cli.add_command(jobs)
    app.cli.add_command(backup)
    app.cli.add_command(production)
    app.cli.add_command(nice)
    app.cli.add_command(impact)
    app.cli.add_command(db_upgrade)
    app.cli.add_command(seed)
    app.cli.add_command(users)
