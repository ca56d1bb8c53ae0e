"""`flask jobs worker`: run background jobs (and the nightly NICE refresh) until stopped."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from . import KIND_NAMES, runner

jobs = AppGroup("jobs", help="Background jobs: refresh all from NICE, PDFs (see docs/deploy.md).")


@jobs.command("worker")
@click.option("--concurrency", default=1, show_default=True, help="Jobs at once (PostgreSQL only).")
def worker(concurrency: int):
    """Run background jobs until stopped (SIGTERM or Ctrl-C lets the job under way finish).

    PostgreSQL: procrastinate's worker; SQLite: a local worker polling the jobs table. Both start
    the nightly NICE refresh at NICE_REFRESH_AT (UTC; "off" turns it off)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = current_app._get_current_object()
    kind = runner(app)
    click.echo(f"Job worker ({kind}) for: {', '.join(KIND_NAMES.values())}; "
               f"nightly NICE refresh at {app.config.get('NICE_REFRESH_AT') or 'off'} UTC.")
    if kind == "procrastinate":
        from . import queue

        queue.run_worker(app, concurrency=concurrency)
    elif kind == "local":
        from . import local

        local.run_worker(app)
    else:
        raise click.ClickException("JOBS_RUNNER is 'immediate' (tests): jobs run in the request, no worker is needed.")
