"""`flask jobs worker` as a process, as systemd runs it: it runs a job the web submitted, on this test
run's database (SQLite: the local worker polling the jobs table; PostgreSQL: procrastinate's worker),
and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import text
from sqlmodel import Session

from appraisal_impact import PROJECT_ROOT, create_app, jobs
from appraisal_impact.db import create_schema
from appraisal_impact.models import BackgroundJob


def _wait_for(predicate, *, limit_seconds: float = 60.0, every: float = 0.2) -> bool:
    """Ask `predicate` until it holds or the limit passes (a limit for a hung worker, not a timing check)."""
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def test_the_worker_command_runs_a_submitted_job_and_stops_on_sigterm(tmp_path, database_url):
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'worker.sqlite'}"
    else:
        url = database_url
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "worker-test-" + "x" * 32, "NICE_REFRESH_AT": "off"})
    engine = app.extensions["appraisal_impact.engine"]
    if url.startswith("sqlite"):
        create_schema(engine)
        assert app.config["JOBS_RUNNER"] == "local"
    else:
        from appraisal_impact.jobs import queue

        with engine.begin() as connection:
            if not queue.queue_schema_present(connection):
                queue.apply_queue_schema(connection)
        assert app.config["JOBS_RUNNER"] == "procrastinate"
    with Session(engine, expire_on_commit=False) as session:
        job = jobs.submit(app, session, jobs.NICE_REFRESH_ALL, {"actor_name": "worker test"},
                          requested_by_name="worker test")
    assert job.state == "queued"

    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "worker-test-" + "x" * 32, "NICE_REFRESH_AT": "off",
           "JOBS_POLL_SECONDS": "0.2", "FLASK_APP": "wsgi.py"}
    env.pop("JOBS_RUNNER", None)
    worker = subprocess.Popen([sys.executable, "-m", "flask", "jobs", "worker"], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def finished() -> bool:
            with Session(engine) as session:
                return session.get(BackgroundJob, job.id).state in ("done", "failed")

        assert _wait_for(finished), "the worker did not run the job"
        with Session(engine) as session:
            row = session.get(BackgroundJob, job.id)
            assert (row.state, row.message) == ("done", "Refreshed 0 appraisals from NICE: 0 changed, 0 unchanged, 0 failed.")
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
        if not url.startswith("sqlite"):
            from appraisal_impact.jobs import queue

            queue.close(app)
            with engine.begin() as connection:
                connection.execute(text("DELETE FROM procrastinate_jobs"))
                connection.execute(text("DELETE FROM backgroundjob"))
        engine.dispose()
    assert worker.returncode == 0, output
    assert "Job worker (" in output


def test_the_worker_forgets_old_finished_jobs(tmp_path, database_url):
    """SQLite: the local worker's loop cleans up as it starts; PostgreSQL: procrastinate runs the daily
    clean-up task (deferred here for a given day, as its periodic deferrer does)."""
    import threading
    from datetime import datetime

    url = f"sqlite:///{tmp_path / 'worker.sqlite'}" if database_url.startswith("sqlite") else database_url
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "worker-test-" + "x" * 32, "NICE_REFRESH_AT": "off",
                      "JOBS_KEEP_DAYS": 30, "JOBS_POLL_SECONDS": 0.1})
    engine = app.extensions["appraisal_impact.engine"]
    if url.startswith("sqlite"):
        create_schema(engine)
    with Session(engine, expire_on_commit=False) as session:
        old = jobs.record(session, jobs.SUMMARY_PDF, {"which": "old"})
        old.state, old.finished_at = "done", datetime(2020, 1, 1)
        session.commit()
    try:
        if url.startswith("sqlite"):
            from appraisal_impact.jobs import local

            stop = threading.Event()
            stop.set()  # one round, then stop
            local.run_worker(app, stop=stop)
        else:
            from appraisal_impact.jobs import queue

            with engine.begin() as connection:
                if not queue.queue_schema_present(connection):
                    queue.apply_queue_schema(connection)
            procrastinate_app = queue.queue_for(app)
            procrastinate_app.open()
            procrastinate_app.configure_task(queue.CLEAN_UP_TASK, queue=queue.QUEUE).defer(
                timestamp=int(datetime(2026, 6, 1, 4, 15).timestamp()))
            queue.close(app)
            queue.run_worker(app, wait=False)
        with Session(engine) as session:
            assert session.get(BackgroundJob, old.id) is None
    finally:
        if not url.startswith("sqlite"):
            with engine.begin() as connection:
                connection.execute(text("DELETE FROM procrastinate_jobs"))
                connection.execute(text("DELETE FROM backgroundjob"))
        engine.dispose()
