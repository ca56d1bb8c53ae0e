"""Queries for background jobs: the next one to run, claiming it, its progress, and the latest of a kind."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from ..models import BackgroundJob, utcnow


def get_job(*, session: Session, job_id: int) -> BackgroundJob | None:
    return session.get(BackgroundJob, job_id)


def next_queued_job_id(*, session: Session) -> int | None:
    """The oldest job waiting to run, if any."""
    return session.exec(
        select(BackgroundJob.id).where(BackgroundJob.state == "queued").order_by(BackgroundJob.id)
    ).first()


def claim_job(*, session: Session, job_id: int) -> bool:
    """Mark a queued job as running; False if another worker (or an earlier run) already has it.

    One UPDATE ... WHERE state = 'queued': of two workers claiming at once, exactly one changes the row."""
    claimed = session.execute(
        update(BackgroundJob)
        .where(col(BackgroundJob.id) == job_id, col(BackgroundJob.state) == "queued")
        .values(state="running", started_at=utcnow(), message="Started.")
    ).rowcount
    session.commit()
    return claimed == 1


def record_progress(*, session: Session, job_id: int, done: int, total: int, message: str) -> None:
    session.execute(
        update(BackgroundJob).where(col(BackgroundJob.id) == job_id)
        .values(progress_done=done, progress_total=total, message=message)
    )
    session.commit()


def scheduled_job_exists(*, session: Session, kind: str, params: str) -> bool:
    """Whether a job of this kind with exactly these parameters was ever made (the nightly refresh
    carries its night in its parameters, so that each night's runs once)."""
    return session.exec(
        select(BackgroundJob.id).where(BackgroundJob.kind == kind, BackgroundJob.params == params)
    ).first() is not None


def latest_job(*, session: Session, kind: str) -> BackgroundJob | None:
    return session.exec(
        select(BackgroundJob).where(BackgroundJob.kind == kind).order_by(col(BackgroundJob.id).desc())
    ).first()


def interrupted_jobs(*, session: Session, started_before: datetime) -> list[BackgroundJob]:
    """Jobs marked running since before this worker started: their worker stopped mid-way."""
    return list(session.exec(
        select(BackgroundJob).where(BackgroundJob.state == "running",
                                    col(BackgroundJob.started_at) < started_before)
    ))


def delete_finished_jobs(*, session: Session, finished_before: datetime) -> int:
    """Forget jobs that finished before this time (their results and PDFs); how many. The caller commits."""
    from sqlalchemy import delete

    return session.execute(
        delete(BackgroundJob).where(col(BackgroundJob.state).in_(("done", "failed")),
                                    col(BackgroundJob.finished_at) < finished_before)
    ).rowcount
