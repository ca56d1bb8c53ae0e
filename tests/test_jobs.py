"""Background jobs: "Refresh all from NICE" and summary PDFs leave the web request; the job page shows
progress and the result (htmx polling, or a reload); the workers run jobs, the nightly NICE refresh
is scheduled in the worker, and a job never runs twice."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time

import pytest
from sqlmodel import Session, select

from appraisal_impact import jobs
from appraisal_impact.jobs import local, schedule
from appraisal_impact.models import Appraisal, AuditEntry, BackgroundJob, Role
from tests.conftest import make_user, sign_in
from tests.test_nice_pages import (  # noqa: F401  (fixtures)
    TA10914_PATH,
    add_ta10914,
    alliance_client,
    fake_nice,
    feed,
    nice_app,
    project_page,
    read_clock,
    text_of,
    with_expected_publication,
)
from tests.nice.nice_support import Reply


BEFORE_THE_NIGHTLY_REFRESH = datetime(2026, 6, 1, 1, 0)  # the nightly refresh is due at 02:30


def engine_of(app):
    return app.extensions["appraisal_impact.engine"]


def job_row(app, job_id: int) -> BackgroundJob:
    with Session(engine_of(app)) as session:
        return session.get(BackgroundJob, job_id)


def job_id_from(location: str) -> int:
    return int(re.search(r"/jobs/(\d+)$", location)[1])


# --- refresh all from NICE -------------------------------------------------------------------------


def test_refresh_all_leaves_the_request_and_the_worker_does_it(nice_app, alliance_client, seeded, fake_nice):
    appraisal_id = add_ta10914(alliance_client)
    moved = with_expected_publication(feed("indev-feed_project_gid-ta10914.json"), "20 December 2023")
    fake_nice.add(TA10914_PATH, Reply(200, project_page(moved)))
    nice_app.config["JOBS_RUNNER"] = "local"  # as on SQLite for real: a worker process runs the job
    reads_before = len(fake_nice.paths())

    response = alliance_client.post("/nice/refresh")

    assert response.status_code == 302
    job_id = job_id_from(response.headers["Location"])
    assert len(fake_nice.paths()) == reads_before  # the request itself read nothing from NICE
    waiting = text_of(alliance_client.get(f"/jobs/{job_id}"))
    assert "Waiting" in waiting and "Waiting for the job worker to start it." in waiting
    assert "reload this page" in waiting  # without JavaScript

    assert local.work_once(nice_app, now=BEFORE_THE_NIGHTLY_REFRESH) == 1

    page = text_of(alliance_client.get(f"/jobs/{job_id}"))
    assert "Finished" in page
    assert "Refreshed 1 appraisal from NICE: 1 changed, 0 unchanged, 0 failed." in page
    assert "expected publication changed from 23 August 2023 to 20 December 2023" in page
    assert "1 of 1 done" in page
    seeded.expire_all()
    assert seeded.get(Appraisal, appraisal_id).expected_publication_date == date(2023, 12, 20)
    # The change is on the record as the person who pressed the button.
    entry = seeded.exec(select(AuditEntry).where(AuditEntry.field == "expected_publication_date",
                                                 AuditEntry.entity_id == appraisal_id)).one()
    assert (entry.user_name, entry.old_value, entry.new_value) == ("Test alliance", "2023-08-23", "2023-12-20")


def test_the_job_page_polls_with_htmx_until_the_job_has_finished(nice_app, alliance_client, seeded, fake_nice):
    nice_app.config["JOBS_RUNNER"] = "local"
    job_id = job_id_from(alliance_client.post("/nice/refresh").headers["Location"])

    fragment = alliance_client.get(f"/jobs/{job_id}", headers={"HX-Request": "true"})
    html = text_of(fragment)
    assert html.lstrip().startswith('<div id="job-progress"')  # the partial alone, its root the target
    assert 'hx-trigger="every 2s"' in html and f'hx-get="/jobs/{job_id}"' in html
    assert "HX-Request" in fragment.headers["Vary"] and fragment.headers["Cache-Control"] == "no-store"

    local.work_once(nice_app, now=BEFORE_THE_NIGHTLY_REFRESH)
    finished = text_of(alliance_client.get(f"/jobs/{job_id}", headers={"HX-Request": "true"}))
    assert "hx-trigger" not in finished  # polling stops
    assert "Refreshed 0 appraisals from NICE: 0 changed, 0 unchanged, 0 failed." in finished


def test_a_job_is_claimed_once(nice_app, alliance_client, seeded):
    nice_app.config["JOBS_RUNNER"] = "local"
    job_id = job_id_from(alliance_client.post("/nice/refresh").headers["Location"])
    assert jobs.run_job(nice_app, job_id) is True
    assert jobs.run_job(nice_app, job_id) is False  # a second worker (or a retry) finds it taken
    assert job_row(nice_app, job_id).state == "done"


def test_a_failing_job_says_so_and_changes_nothing_more(nice_app, alliance_client, seeded, monkeypatch):
    nice_app.config["JOBS_RUNNER"] = "local"
    job_id = job_id_from(alliance_client.post("/nice/refresh").headers["Location"])

    def broken(*_args):
        raise RuntimeError("boom")

    monkeypatch.setitem(jobs.work.KIND_WORK, jobs.NICE_REFRESH_ALL, broken)
    local.work_once(nice_app, now=BEFORE_THE_NIGHTLY_REFRESH)
    page = text_of(alliance_client.get(f"/jobs/{job_id}"))
    assert "Stopped" in page and "The job stopped with an error (RuntimeError)" in page
    assert "boom" not in page  # no internals on the page: the log has them


def test_jobs_are_private_to_who_asked_except_the_nice_refresh_for_nice_staff(app, seeded, users):
    with Session(engine_of(app), expire_on_commit=False) as session:
        refresh = jobs.record(session, jobs.NICE_REFRESH_ALL, {}, requested_by=users["alliance"])
        pdf = jobs.record(session, jobs.SUMMARY_PDF, {"summary": "icb", "target": "QVV", "today": "2026-06-01"},
                          requested_by=users["pharmacist"])
    expected = {  # role: (refresh job, someone else's PDF job)
        "lead": (200, 404), "admin": (200, 404), "viewer": (404, 404), "other_pharmacist": (404, 404),
        "pharmacist": (404, 200),
    }
    for role, (refresh_status, pdf_status) in expected.items():
        client = app.test_client()
        sign_in(client, users[role])
        assert (client.get(f"/jobs/{refresh.id}").status_code, client.get(f"/jobs/{pdf.id}").status_code) == (
            refresh_status, pdf_status), role


# --- summary PDFs --------------------------------------------------------------------------------


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)[1]


def test_a_summary_pdf_is_made_by_a_job_and_offered_when_ready(csrf_app):
    """With CSRF on, as in production: the summary page's button, the job page, the download."""
    from appraisal_impact.seeding import seed_database

    csrf_app.config.update(JOBS_RUNNER="local", TODAY=date(2026, 6, 1))  # the job makes the PDF as of the page's day
    with Session(engine_of(csrf_app), expire_on_commit=False) as session:
        seed_database(session, None, today=date(2026, 6, 1))
        session.commit()
        user = make_user(session, Role.viewer)
    client = csrf_app.test_client()
    client.post("/sign-in", data={"email": user.email, "password": "correct horse battery staple",
                                  "csrf_token": csrf_token(text_of(client.get("/sign-in")))})
    page = text_of(client.get("/summaries/icbs/QVV"))
    assert 'action="/jobs/summary-pdf"' in page and "/summary.pdf" not in page

    assert client.post("/jobs/summary-pdf", data={"summary": "icb", "target": "QVV"}).status_code == 400  # no token
    response = client.post("/jobs/summary-pdf", data={"summary": "icb", "target": "QVV", "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    job_id = job_id_from(response.headers["Location"])
    assert client.get(f"/jobs/{job_id}/file").status_code == 404  # not made yet

    local.work_once(csrf_app, now=datetime(2026, 6, 1, 0, 0))

    done = text_of(client.get(f"/jobs/{job_id}"))
    assert "The PDF is ready." in done and f'href="/jobs/{job_id}/file"' in done
    pdf = client.get(f"/jobs/{job_id}/file")
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    assert 'filename="icb-summary-QVV-2026-06-01.pdf"' in pdf.headers["Content-Disposition"]


def test_a_pdf_of_something_that_does_not_exist_is_refused(app, seeded, users):
    client = app.test_client()
    sign_in(client, users["viewer"])
    for form in ({"summary": "icb", "target": "NOPE"}, {"summary": "appraisal", "target": "999999"},
                 {"summary": "appraisal", "target": "1; DROP"}, {"summary": "trust", "target": "RHM"}):
        assert client.post("/jobs/summary-pdf", data=form).status_code == 404
    with Session(engine_of(app)) as session:
        assert session.exec(BackgroundJob.__table__.select()).first() is None


# --- the nightly NICE refresh --------------------------------------------------------------------


def test_the_refresh_time_setting():
    assert schedule.refresh_time("02:30") == time(2, 30)
    assert schedule.refresh_time("23:05") == time(23, 5)
    assert schedule.refresh_time("off") is None and schedule.refresh_time("") is None
    assert schedule.as_cron(time(2, 30)) == "30 2 * * *"
    for wrong in ("2.30", "24:00", "02:60", "soon"):
        with pytest.raises(ValueError):
            schedule.refresh_time(wrong)


def test_the_worker_submits_the_nightly_refresh_once_a_night(app, seeded):
    app.config.update(JOBS_RUNNER="local", NICE_REFRESH_AT="03:15")
    assert local.submit_nightly_refresh_if_due(app, datetime(2026, 6, 1, 3, 14)) is None  # not yet
    first = local.submit_nightly_refresh_if_due(app, datetime(2026, 6, 1, 3, 15))
    assert first is not None
    assert local.submit_nightly_refresh_if_due(app, datetime(2026, 6, 1, 23, 59)) is None  # once a night
    second = local.submit_nightly_refresh_if_due(app, datetime(2026, 6, 2, 3, 16))
    assert second not in (None, first)
    row = job_row(app, first)
    assert (row.kind, row.requested_by_name, json.loads(row.params)["night"]) == (
        "nice_refresh_all", "nightly schedule", "2026-06-01")
    app.config["NICE_REFRESH_AT"] = "off"
    assert local.submit_nightly_refresh_if_due(app, datetime(2026, 6, 3, 12, 0)) is None


def test_the_nightly_refresh_is_a_procrastinate_periodic_task_at_the_configured_time(app):
    from appraisal_impact.jobs import queue

    app.config["NICE_REFRESH_AT"] = "01:45"
    procrastinate_app = queue.make_queue(app)
    crons = {task.task.name: task.cron for task in procrastinate_app.periodic_registry.periodic_tasks.values()}
    assert crons == {queue.NIGHTLY_TASK: "45 1 * * *", queue.CLEAN_UP_TASK: "15 4 * * *"}
    app.config["NICE_REFRESH_AT"] = "off"
    crons = {task.task.name for task in queue.make_queue(app).periodic_registry.periodic_tasks.values()}
    assert crons == {queue.CLEAN_UP_TASK}


def test_jobs_left_running_by_a_stopped_worker_are_marked_so(app, seeded):
    with Session(engine_of(app), expire_on_commit=False) as session:
        job = jobs.record(session, jobs.NICE_REFRESH_ALL, {})
        job.state, job.started_at = "running", datetime(2026, 6, 1, 2, 30)
        session.commit()
    assert local.mark_interrupted(app, datetime(2026, 6, 1, 9, 0)) == 1
    row = job_row(app, job.id)
    assert (row.state, row.message) == ("failed", "The job worker stopped while this job ran: start it again.")


def test_finished_jobs_are_forgotten_after_the_days_kept(app, seeded):
    app.config["JOBS_KEEP_DAYS"] = 30
    with Session(engine_of(app), expire_on_commit=False) as session:
        made = {}
        for name, state, finished in [("old done", "done", datetime(2026, 5, 1, 9, 0)),
                                      ("old failed", "failed", datetime(2026, 5, 1, 23, 59)),
                                      ("recent", "done", datetime(2026, 5, 2, 0, 1)),
                                      ("waiting", "queued", None)]:
            job = jobs.record(session, jobs.SUMMARY_PDF, {"name": name})
            job.state, job.finished_at = state, finished
            made[name] = job.id
        session.commit()
    # 1 June 2026 00:00 less 30 days is 2 May 2026 00:00: what finished before then goes.
    assert jobs.remove_old_jobs(app, datetime(2026, 6, 1, 0, 0)) == 2
    with Session(engine_of(app)) as session:
        kept = {row.id for row in session.exec(select(BackgroundJob))}
    assert kept == {made["recent"], made["waiting"]}
