"""Background jobs: long work (refresh everything from NICE, build a PDF) done outside the web request.

One API whatever the database: :func:`submit` records a `BackgroundJob` row (what, who asked) and
hands it to the app's runner; :func:`run_job` claims the row, does the work through a function in
`work.py`, and records progress and the result on the row, which the job page polls.

Runners (setting ``JOBS_RUNNER``, chosen from the database when unset):

- ``procrastinate`` (PostgreSQL): the job is deferred on procrastinate's queue, a PostgreSQL-native
  queue (LISTEN/NOTIFY, ``SELECT ... FOR UPDATE SKIP LOCKED``), and `flask jobs worker` runs
  procrastinate's worker (see `queue.py`);
- ``local`` (SQLite): the row itself is the queue; `flask jobs worker` polls it (see `local.py`);
- ``immediate``: the job runs in the request that submitted it. Only for tests (the default when
  ``TESTING`` is on), so that the suite needs no worker running.

Both workers also start the nightly NICE refresh (setting ``NICE_REFRESH_AT``, "HH:MM" UTC).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable

from flask import Flask
from sqlmodel import Session

from ..models import BackgroundJob, User, utcnow
from ..queries import jobs as job_queries

log = logging.getLogger(__name__)

RUNNERS = ("procrastinate", "local", "immediate")

NICE_REFRESH_ALL = "nice_refresh_all"
SUMMARY_PDF = "summary_pdf"

# What a user reads for each kind of job.
KIND_NAMES = {NICE_REFRESH_ALL: "Refresh all from NICE", SUMMARY_PDF: "PDF of a summary"}

Progress = Callable[[int, int, str], None]


class JobFailed(Exception):
    """A job could not finish, for a reason a user can read (the message says it)."""


def default_runner(config: dict) -> str:
    if config.get("TESTING"):
        return "immediate"
    return "procrastinate" if str(config["DATABASE_URL"]).startswith("postgresql") else "local"


def runner(app: Flask) -> str:
    return app.config["JOBS_RUNNER"]


def engine(app: Flask):
    return app.extensions["appraisal_impact.engine"]


def record(session: Session, kind: str, params: dict[str, Any], *,
           requested_by: User | None = None, requested_by_name: str = "") -> BackgroundJob:
    """Record a job waiting to run (committed), without handing it to a runner."""
    if kind not in KIND_NAMES:
        raise ValueError(f"no such kind of job: {kind}")
    job = BackgroundJob(
        kind=kind, params=json.dumps(params, sort_keys=True),
        requested_by_id=requested_by.id if requested_by else None,
        requested_by_name=requested_by.name if requested_by else requested_by_name,
        message="Waiting for the job worker to start it.",
    )
    session.add(job)
    session.commit()
    return job


def submit(app: Flask, session: Session, kind: str, params: dict[str, Any], *,
           requested_by: User | None = None, requested_by_name: str = "") -> BackgroundJob:
    """Record a job and hand it to the runner. Commits `session` (the worker must see the row)."""
    job = record(session, kind, params, requested_by=requested_by, requested_by_name=requested_by_name)
    if runner(app) == "immediate":
        run_job(app, job.id)
        session.refresh(job)
    elif runner(app) == "procrastinate":
        from . import queue

        try:
            queue.defer(app, job.id)
        except Exception as error:  # noqa: BLE001 - the queue down: say so on the job, not a 500
            log.exception("Could not put job %s on the queue", job.id)
            job.state, job.finished_at = "failed", utcnow()
            job.message = f"Could not put this job on the queue ({type(error).__name__}). Try again later."
            session.commit()
    return job


def run_job(app: Flask, job_id: int) -> bool:
    """Claim job `job_id` and do it, recording progress and the result. False if it was not
    waiting (another worker has it, or it has already run)."""
    from . import work

    with app.app_context(), Session(engine(app), expire_on_commit=False) as session:
        if not job_queries.claim_job(session=session, job_id=job_id):
            return False
        job = job_queries.get_job(session=session, job_id=job_id)
        session.refresh(job)

        def progress(done: int, total: int, message: str) -> None:
            with Session(engine(app)) as progress_session:
                job_queries.record_progress(session=progress_session, job_id=job_id, done=done,
                                            total=total, message=message)

        try:
            result = work.KIND_WORK[job.kind](app, session, json.loads(job.params), progress)
        except JobFailed as failure:
            session.rollback()
            _finish(session, job_id, "failed", str(failure), {})
        except Exception as error:  # noqa: BLE001 - any failure ends the job, and says so
            log.exception("Background job %s (%s) failed", job_id, job.kind)
            session.rollback()
            _finish(session, job_id, "failed",
                    f"The job stopped with an error ({type(error).__name__}): nothing more was done. "
                    "The server's log has the details.", {})
        else:
            _finish(session, job_id, "done", result.message, result.lines,
                    file_name=result.file_name, file_content=result.file_content)
    return True


def _finish(session: Session, job_id: int, state: str, message: str, lines, *,
            file_name: str = "", file_content: bytes | None = None) -> None:
    job = session.get(BackgroundJob, job_id)
    session.refresh(job)
    job.state, job.message, job.finished_at = state, message, utcnow()
    job.result = json.dumps({"lines": list(lines)})
    if job.progress_total and state == "done":
        job.progress_done = job.progress_total
    if file_content is not None:
        job.file_name, job.file_content = file_name, file_content
    session.commit()


def start_nice_refresh_all(app: Flask, session: Session, user: User) -> BackgroundJob:
    """Refresh every tracked appraisal (not the examples) from NICE, as `user` (origin "web", as a page edit)."""
    params = {"user_id": user.id, "actor_name": user.name, "origin": "web"}
    return submit(app, session, NICE_REFRESH_ALL, params, requested_by=user)


def start_summary_pdf(app: Flask, session: Session, user: User, *, summary: str, target: str,
                      today) -> BackgroundJob:
    """Build the PDF of a summary ("icb" with an ODS code, or "appraisal" with an id) as of `today`."""
    params = {"summary": summary, "target": target, "today": today.isoformat()}
    return submit(app, session, SUMMARY_PDF, params, requested_by=user)


def remove_old_jobs(app: Flask, now) -> int:
    """Forget jobs finished more than JOBS_KEEP_DAYS days before `now` (results and PDFs are not kept
    for ever: the changes themselves are in the audit record). How many were removed."""
    from datetime import timedelta

    cutoff = now - timedelta(days=int(app.config["JOBS_KEEP_DAYS"]))
    with Session(engine(app)) as session:
        removed = job_queries.delete_finished_jobs(session=session, finished_before=cutoff)
        session.commit()
    return removed


def result_lines(job: BackgroundJob) -> list[str]:
    return json.loads(job.result or "{}").get("lines", [])


def init_app(app: Flask) -> None:
    app.config.setdefault("JOBS_RUNNER", None)
    if not app.config["JOBS_RUNNER"]:
        app.config["JOBS_RUNNER"] = default_runner(app.config)
    if app.config["JOBS_RUNNER"] not in RUNNERS:
        raise ValueError(f"JOBS_RUNNER must be one of {', '.join(RUNNERS)}, not {app.config['JOBS_RUNNER']!r}")
    app.config.setdefault("NICE_REFRESH_AT", "02:30")
    app.config.setdefault("JOBS_POLL_SECONDS", 2.0)
    app.config.setdefault("JOBS_KEEP_DAYS", 30)
