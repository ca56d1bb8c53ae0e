"""Every database query, in one place: small functions, keyword-only `session`, typed returns.

Views never build `select()` themselves. Topic modules beside this one hold larger groups of queries;
the basics live here.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from ..models import (
    Appraisal,
    AuditEntry,
    DateChange,
    FigureSource,
    Icb,
    ReferenceValue,
    Trust,
    User,
)


def get_user(*, session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_email(*, session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email)).first()


def list_icbs(*, session: Session) -> list[Icb]:
    return list(session.exec(select(Icb).order_by(Icb.name)))


def list_trusts(*, session: Session, icb_id: int | None = None) -> list[Trust]:
    query = select(Trust).order_by(Trust.name)
    if icb_id is not None:
        query = query.where(Trust.icb_id == icb_id)
    return list(session.exec(query))


def get_trust_by_ods(*, session: Session, ods_code: str) -> Trust | None:
    return session.exec(select(Trust).where(Trust.ods_code == ods_code.upper())).first()


def list_appraisals(*, session: Session) -> list[Appraisal]:
    return list(session.exec(select(Appraisal).order_by(Appraisal.title)))


def has_example_data(*, session: Session) -> bool:
    return session.exec(select(Appraisal.id).where(Appraisal.is_example == True).limit(1)).first() is not None  # noqa: E712


def find_appraisal(*, session: Session, reference: str) -> Appraisal | None:
    """An appraisal by the app's id, GID (GID-TA10914), ID number (ID4014) or TA number (TA1037)."""
    ref = reference.strip()
    if ref.isdigit():
        return session.get(Appraisal, int(ref))
    upper = ref.upper()
    for column in (Appraisal.gid, Appraisal.ta_number, Appraisal.id_number):
        found = session.exec(select(Appraisal).where(col(column).ilike(upper))).first()
        if found:
            return found
    return None


def figure_sources(*, session: Session, entity: str, entity_id: int) -> dict[str, FigureSource]:
    """The source of each figure of one row, by field name."""
    rows = session.exec(
        select(FigureSource).where(FigureSource.entity == entity, FigureSource.entity_id == entity_id)
    )
    return {row.field: row for row in rows}


def reference_values(*, session: Session) -> dict[str, ReferenceValue]:
    return {row.key: row for row in session.exec(select(ReferenceValue))}


def audit_trail(*, session: Session, entity: str, entity_id: int, limit: int = 200) -> list[AuditEntry]:
    query = (
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def date_changes(*, session: Session, appraisal_id: int) -> list[DateChange]:
    query = (
        select(DateChange)
        .where(DateChange.appraisal_id == appraisal_id)
        .order_by(col(DateChange.changed_at).desc(), col(DateChange.id).desc())
    )
    return list(session.exec(query))
