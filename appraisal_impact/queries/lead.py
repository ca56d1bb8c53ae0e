"""Queries for the SACT lead's pages: the dashboard, what changed, readiness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from ..models import (
    Appraisal,
    AuditEntry,
    DateChange,
    Icb,
    Readiness,
    ReferenceValue,
    Trust,
    User,
)

# Date changes of these fields are changes of status, not dates (audit.DATE_FIELDS_WITH_HISTORY).
STATUS_FIELDS = ("status", "recommendation")


def get_icb_by_ods(*, session: Session, ods_code: str) -> Icb | None:
    return session.exec(select(Icb).where(Icb.ods_code == ods_code.upper())).first()


def reference_value(*, session: Session, key: str) -> float | None:
    row = session.exec(select(ReferenceValue).where(ReferenceValue.key == key)).first()
    return None if row is None else float(row.value)


def user_names(*, session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.exec(select(User.id, User.name).where(col(User.id).in_(sorted(user_ids))))
    return {user_id: name for user_id, name in rows}


# --- readiness ------------------------------------------------------------------------------------


def readiness_map(
    *, session: Session, trust_ids: list[int] | None = None, appraisal_ids: list[int] | None = None
) -> dict[tuple[int, int], Readiness]:
    """Readiness by (trust id, appraisal id); a missing pair means "not started"."""
    query = select(Readiness)
    if trust_ids is not None:
        query = query.where(col(Readiness.trust_id).in_(trust_ids))
    if appraisal_ids is not None:
        query = query.where(col(Readiness.appraisal_id).in_(appraisal_ids))
    return {(row.trust_id, row.appraisal_id): row for row in session.exec(query)}


def readiness_statuses(
    *, session: Session, trust_ids: list[int] | None = None, appraisal_ids: list[int] | None = None
) -> dict[tuple[int, int], str]:
    """Readiness status by (trust id, appraisal id), without loading whole rows (the dashboard's flags)."""
    query = select(Readiness.trust_id, Readiness.appraisal_id, Readiness.status)
    if trust_ids is not None:
        query = query.where(col(Readiness.trust_id).in_(trust_ids))
    if appraisal_ids is not None:
        query = query.where(col(Readiness.appraisal_id).in_(appraisal_ids))
    return {(trust_id, appraisal_id): status for trust_id, appraisal_id, status in session.exec(query)}


def get_readiness(*, session: Session, trust_id: int, appraisal_id: int) -> Readiness | None:
    query = select(Readiness).where(Readiness.trust_id == trust_id, Readiness.appraisal_id == appraisal_id)
    return session.exec(query).first()


# --- what changed ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateMove:
    change: DateChange
    appraisal: Appraisal


def date_changes_since(*, session: Session, since: datetime) -> list[DateMove]:
    """Every recorded change of an appraisal's dates, status or recommendation since `since`, newest first."""
    query = (
        select(DateChange, Appraisal)
        .join(Appraisal, Appraisal.id == DateChange.appraisal_id)
        .where(DateChange.changed_at >= since)
        .order_by(col(DateChange.changed_at).desc(), col(DateChange.id).desc())
    )
    return [DateMove(change, appraisal) for change, appraisal in session.exec(query)]


def appraisals_created_since(*, session: Session, since: datetime) -> list[Appraisal]:
    query = select(Appraisal).where(Appraisal.created_at >= since).order_by(col(Appraisal.created_at).desc())
    return list(session.exec(query))


def figure_updates_since(*, session: Session, since: datetime, entities: tuple[str, ...], limit: int = 500) -> list[AuditEntry]:
    """Field updates recorded since `since` on the given tables, newest first."""
    query = (
        select(AuditEntry)
        .where(
            AuditEntry.at >= since,
            AuditEntry.action == "update",
            col(AuditEntry.entity).in_(entities),
        )
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def names_of(*, session: Session, entity: str, ids: set[int]) -> dict[int, str]:
    """A readable name for rows of `entity` (appraisal title, trust name)."""
    if not ids:
        return {}
    if entity == "appraisal":
        rows = session.exec(select(Appraisal.id, Appraisal.title).where(col(Appraisal.id).in_(sorted(ids))))
    elif entity == "trust":
        rows = session.exec(select(Trust.id, Trust.name).where(col(Trust.id).in_(sorted(ids))))
    else:
        return {}
    return {row_id: name for row_id, name in rows}


def trust_codes(*, session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {row_id: code for row_id, code in session.exec(select(Trust.id, Trust.ods_code).where(col(Trust.id).in_(sorted(ids))))}
