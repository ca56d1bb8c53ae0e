"""Queries for keeping the pipeline in step with NICE: tracked references and discovered candidates."""

from __future__ import annotations

from sqlmodel import Session, col, delete, or_, select

from ..models import Appraisal, FigureSource, NiceCandidate, NiceListSkip, NiceSavedPage


def tracked_appraisal(*, session: Session, gid: str | None = None, ta_number: str | None = None,
                      id_number: str | None = None) -> Appraisal | None:
    """The tracked appraisal carrying any of these NICE references (case ignored), if one does."""
    conditions = [
        col(column).ilike(value)
        for column, value in ((Appraisal.gid, gid), (Appraisal.ta_number, ta_number), (Appraisal.id_number, id_number))
        if value
    ]
    if not conditions:
        return None
    return session.exec(select(Appraisal).where(or_(*conditions)).order_by(Appraisal.id)).first()


def refreshable_appraisal_ids(*, session: Session, include_examples: bool = False) -> list[int]:
    """Ids of the appraisals with a GID or TA number to read from NICE, by title."""
    query = select(Appraisal.id).where(
        or_(col(Appraisal.gid).is_not(None) & (Appraisal.gid != ""),
            col(Appraisal.ta_number).is_not(None) & (Appraisal.ta_number != ""))
    )
    if not include_examples:
        query = query.where(Appraisal.is_example == False)  # noqa: E712
    return list(session.exec(query.order_by(Appraisal.title, Appraisal.id)))


def candidate_by_gid(*, session: Session, gid: str) -> NiceCandidate | None:
    return session.exec(select(NiceCandidate).where(col(NiceCandidate.gid).ilike(gid))).first()


def candidates(*, session: Session, decision: str | None = None) -> list[NiceCandidate]:
    """Discovered cancer appraisals, newest found first (optionally only those with one decision)."""
    query = select(NiceCandidate)
    if decision is not None:
        query = query.where(NiceCandidate.decision == decision)
    return list(session.exec(query.order_by(col(NiceCandidate.found_at).desc(), NiceCandidate.title)))


def figure_sources_for(*, session: Session, entity: str, entity_id: int) -> dict[str, FigureSource]:
    rows = session.exec(
        select(FigureSource).where(FigureSource.entity == entity, FigureSource.entity_id == entity_id)
    )
    return {row.field: row for row in rows}



def list_skips(*, session: Session) -> list[NiceListSkip]:
    """What the last look at NICE's list did not offer, in the order NICE listed it."""
    return list(session.exec(select(NiceListSkip).order_by(NiceListSkip.id)))


def clear_list_skips(*, session: Session) -> None:
    """Forget the previous look's skipped items (each look replaces them)."""
    session.exec(delete(NiceListSkip))


def saved_page(*, session: Session, page_id: int) -> NiceSavedPage | None:
    return session.get(NiceSavedPage, page_id)
