"""Queries for the pipeline list."""

from __future__ import annotations

from sqlmodel import Session, col, select

from ..models import Appraisal


def filter_appraisals(
    *, session: Session, tumour_site: str | None = None, status: str | None = None, text: str | None = None
) -> list[Appraisal]:
    query = select(Appraisal)
    if tumour_site:
        query = query.where(Appraisal.tumour_site == tumour_site)
    if status:
        query = query.where(Appraisal.status == status)
    if text:
        like = f"%{text.strip()}%"
        query = query.where(
            col(Appraisal.title).ilike(like)
            | col(Appraisal.medicine).ilike(like)
            | col(Appraisal.ta_number).ilike(like)
            | col(Appraisal.gid).ilike(like)
        )
    return list(session.exec(query.order_by(Appraisal.title)))


def tumour_sites(*, session: Session) -> list[str]:
    rows = session.exec(select(Appraisal.tumour_site).distinct())
    return sorted(site for site in rows if site)


def statuses(*, session: Session) -> list[str]:
    rows = session.exec(select(Appraisal.status).distinct())
    return sorted(status for status in rows if status)
