"""The PostgreSQL runner: procrastinate (https://procrastinate.readthedocs.io), pinned in pyproject.

Why procrastinate: it is a queue made for PostgreSQL alone (no Redis or broker to run beside the
database we already back up), uses psycopg 3 as the app does, defers synchronously from Flask
(its sync psycopg connector), runs our plain sync functions in its worker's threads, and has
periodic (cron) tasks, so the nightly NICE refresh needs no cron. Its schema is plain SQL that our
Alembic migration applies (0007), so `flask db-upgrade` stays the one upgrade step.

The procrastinate task carries only the `BackgroundJob` id: progress and results live in that row,
so the job page reads the same table whichever runner ran the job.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Flask
from sqlalchemy.engine import Connection, make_url

from . import NICE_REFRESH_ALL, run_job
from .schedule import as_cron, nightly_params, refresh_time

if TYPE_CHECKING:
    import procrastinate

log = logging.getLogger(__name__)

QUEUE = "appraisal_impact"
RUN_JOB_TASK = "appraisal_impact.run_background_job"
NIGHTLY_TASK = "appraisal_impact.nightly_nice_refresh"
CLEAN_UP_TASK = "appraisal_impact.remove_old_jobs"
CLEAN_UP_CRON = "15 4 * * *"  # daily, after the nightly backup and NICE refresh
_EXTENSION = "appraisal_impact.procrastinate"


def libpq_url(database_url: str) -> str:
    """DATABASE_URL as libpq reads it (no SQLAlchemy driver name)."""
    url = make_url(database_url)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def make_queue(app: Flask) -> "procrastinate.App":
    """procrastinate's app for this Flask app: its tasks run our jobs with this Flask app."""
    import procrastinate

    queue = procrastinate.App(connector=procrastinate.PsycopgConnector(
        conninfo=libpq_url(app.config["DATABASE_URL"]), min_size=1, max_size=4))

    @queue.task(name=RUN_JOB_TASK, queue=QUEUE)
    def run_background_job(job_id: int) -> None:
        run_job(app, job_id)

    at = refresh_time(app.config.get("NICE_REFRESH_AT"))
    if at is not None:
        @queue.periodic(cron=as_cron(at), periodic_id="nightly")
        @queue.task(name=NIGHTLY_TASK, queue=QUEUE, queueing_lock=NIGHTLY_TASK)
        def nightly_nice_refresh(timestamp: int) -> None:
            """procrastinate defers this once a night (one worker or many); it runs as a job the page shows."""
            from datetime import UTC, datetime

            from sqlmodel import Session

            from . import engine, record

            night = datetime.fromtimestamp(timestamp, UTC).date()
            with Session(engine(app), expire_on_commit=False) as session:
                job_id = record(session, NICE_REFRESH_ALL, nightly_params(night),
                                requested_by_name="nightly schedule").id
            run_job(app, job_id)

    @queue.periodic(cron=CLEAN_UP_CRON, periodic_id="clean-up")
    @queue.task(name=CLEAN_UP_TASK, queue=QUEUE, queueing_lock=CLEAN_UP_TASK)
    async def remove_old_jobs(timestamp: int) -> None:
        """Our finished jobs and procrastinate's own records of them, after JOBS_KEEP_DAYS days.
        Async, so that it runs on the worker's loop with procrastinate's async job manager."""
        import asyncio
        from datetime import UTC, datetime

        from . import remove_old_jobs as remove_our_jobs

        now = datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)
        removed = await asyncio.to_thread(remove_our_jobs, app, now)
        await queue.job_manager.delete_old_jobs(nb_hours=int(app.config["JOBS_KEEP_DAYS"]) * 24, queue=QUEUE,
                                                include_failed=True)
        log.info("Removed %s finished job(s) older than %s days", removed, app.config["JOBS_KEEP_DAYS"])

    return queue


def queue_for(app: Flask) -> "procrastinate.App":
    if _EXTENSION not in app.extensions:
        app.extensions[_EXTENSION] = make_queue(app)
    return app.extensions[_EXTENSION]


def defer(app: Flask, job_id: int) -> None:
    """Put job `job_id` on the queue (opens this process's small connection pool on first use)."""
    queue = queue_for(app)
    queue.open()  # no-op once open; opened lazily so that gunicorn's forked workers each get their own
    queue.configure_task(RUN_JOB_TASK, queue=QUEUE).defer(job_id=job_id)


def close(app: Flask) -> None:
    queue = app.extensions.pop(_EXTENSION, None)
    if queue is not None:
        queue.close()


def run_worker(app: Flask, *, wait: bool = True, concurrency: int = 1) -> None:
    """procrastinate's worker on our queue (stops on SIGTERM/SIGINT after the job under way)."""
    queue = make_queue(app)
    log.info("Job worker started (procrastinate, queue %s)", QUEUE)
    queue.run_worker(queues=[QUEUE], wait=wait, concurrency=concurrency,
                     install_signal_handlers=wait)


def _procrastinate_schema() -> str:
    from procrastinate.schema import SchemaManager

    return SchemaManager.get_schema()


def apply_queue_schema(connection: Connection) -> None:
    """Create procrastinate's tables, types and functions (in the connection's current schema)."""
    connection.connection.driver_connection.execute(_procrastinate_schema())


def queue_schema_present(connection: Connection) -> bool:
    from sqlalchemy import inspect

    return "procrastinate_jobs" in inspect(connection).get_table_names()


def drop_queue_schema(connection: Connection) -> None:
    driver = connection.connection.driver_connection
    for table in ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs",
                  "procrastinate_workers"):
        driver.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    for function in driver.execute(
            "SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE p.proname LIKE 'procrastinate%' AND n.nspname = current_schema()").fetchall():
        driver.execute(f"DROP FUNCTION IF EXISTS {function[0]} CASCADE")
    for type_name in ("procrastinate_job_to_defer_v1", "procrastinate_job_event_type", "procrastinate_job_status"):
        driver.execute(f"DROP TYPE IF EXISTS {type_name} CASCADE")
