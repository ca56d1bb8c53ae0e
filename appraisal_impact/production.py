"""`flask production check` and `flask production deactivate-example-users` (see docs/deploy.md)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlmodel import Session, select

from . import config as settings
from .audit import SYSTEM, apply_changes
from .models import User

production = AppGroup("production", help="Checks for running for real.")


@production.command("check")
def check():
    """List what would stop the app starting with APP_ENV=production; exit 1 if anything would."""
    problems = settings.production_setting_problems(current_app.config, Path(current_app.instance_path))
    problems += settings.example_user_problems(current_app.extensions["appraisal_impact.engine"])
    for problem in problems:
        click.echo(f"- {problem}")
    if problems:
        raise SystemExit(1)
    click.echo("Ready for production: no problem found.")


@production.command("deactivate-example-users")
def deactivate_example_users():
    """Stop every example user signing in (recorded in the audit)."""
    with Session(current_app.extensions["appraisal_impact.engine"]) as session:
        users = session.exec(select(User).where(User.is_example == True, User.active == True)).all()  # noqa: E712
        for user in users:
            apply_changes(session, SYSTEM, user, {"active": False})
        session.commit()
    click.echo(f"Deactivated {len(users)} example user(s).")
