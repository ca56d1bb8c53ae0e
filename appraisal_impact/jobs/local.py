"""The local job worker (SQLite): the `backgroundjob` table is the queue, polled by one process.

SQLite has one writer at a time and no LISTEN/NOTIFY, so this worker asks every few seconds
(``JOBS_POLL_SECONDS``) for the oldest waiting job; claiming is one conditional UPDATE, so even two
workers never run a job twice. Run one worker per database (docs/deploy.md).
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime

from flask import Flask
from sqlmodel import Session

from ..models import utcnow
from ..queries import jobs as job_queries
from . import NICE_REFRESH_ALL, engine, remove_old_jobs, run_job
from .schedule import due_night, nightly_params, nightly_params_json, refresh_time

log = logging.getLogger(__name__)


def mark_interrupted(app: Flask, started_at: datetime) -> int:
    """Jobs left 'running' by a worker that stopped mid-way are marked failed, with words saying so."""
    with Session(engine(app)) as session:
        jobs = job_queries.interrupted_jobs(session=session, started_before=started_at)
        for job in jobs:
            job.state, job.finished_at = "failed", utcnow()
            job.message = "The job worker stopped while this job ran: start it again."
        session.commit()
        return len(jobs)


def submit_nightly_refresh_if_due(app: Flask, now: datetime) -> int | None:
    """Submit tonight's NICE refresh once it is due and not yet made; its id, or None."""
    from . import submit

    at = refresh_time(app.config.get("NICE_REFRESH_AT"))
    night = due_night(now, at) if at else None
    if night is None:
        return None
    with Session(engine(app), expire_on_commit=False) as session:
        if job_queries.scheduled_job_exists(session=session, kind=NICE_REFRESH_ALL,
                                            params=nightly_params_json(night)):
            return None
        job = submit(app, session, NICE_REFRESH_ALL, nightly_params(night), requested_by_name="nightly schedule")
        log.info("Nightly NICE refresh for %s submitted as job %s", night, job.id)
        return job.id


def work_once(app: Flask, now: datetime | None = None) -> int:
    """One round: the nightly refresh if due, then every waiting job in turn. How many jobs ran."""
    submit_nightly_refresh_if_due(app, now or utcnow())
    ran = 0
    while True:
        with Session(engine(app)) as session:
            job_id = job_queries.next_queued_job_id(session=session)
        if job_id is None:
            return ran
        if run_job(app, job_id):
            ran += 1


def run_worker(app: Flask, *, stop: threading.Event | None = None) -> None:
    """Run jobs until SIGTERM/SIGINT (systemd stop, Ctrl-C): the job under way finishes first."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    interrupted = mark_interrupted(app, utcnow())
    if interrupted:
        log.warning("%s job(s) were interrupted by the last stop of the worker", interrupted)
    log.info("Job worker started (local, polling every %ss)", app.config["JOBS_POLL_SECONDS"])
    last_clean_up = None
    while True:  # a round, then wait: a stop asked for during a job takes effect after it
        try:
            now = utcnow()
            if last_clean_up is None or (now - last_clean_up).total_seconds() > 3600:
                if removed := remove_old_jobs(app, now):
                    log.info("Removed %s finished job(s) older than %s days", removed, app.config["JOBS_KEEP_DAYS"])
                last_clean_up = now
            work_once(app)
        except Exception:  # noqa: BLE001 - e.g. the database locked for a moment: keep serving
            log.exception("The job worker's round failed; trying again")
        if stop.wait(float(app.config["JOBS_POLL_SECONDS"])):
            break
    log.info("Job worker stopped")
