"""Queries for the SACT lead's pages: the dashboard, what changed, readiness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from ..models import (
    Appraisal,
    AppraisalRegimen,
    AuditEntry,
    DateChange,
    Drug,
    DrugPack,
    HrgCost,
    Readiness,
    ReferenceValue,
    Regimen,
    RegimenComponent,
    Trust,
    TrustAppraisalOverride,
    TrustRegimenOverride,
    TumourSiteShare,
    UptakeYear,
    User,
)

# Date changes of these fields are changes of status, not dates (audit.DATE_FIELDS_WITH_HISTORY).
STATUS_FIELDS = ("status", "recommendation")


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


@dataclass(frozen=True)
class RowName:
    """What an audited row is, in words, and the page that shows it: ("appraisal", id), ("trust", ODS) or ("regimen", id)."""

    name: str
    page: tuple[str, object] | None = None


def describe_rows(*, session: Session, entity: str, ids: set[int]) -> dict[int, RowName]:
    """Readable names for rows of one audited table (rows since deleted are left out)."""
    if not ids:
        return {}
    wanted = sorted(ids)
    out: dict[int, RowName] = {}
    if entity == "appraisal":
        for row_id, title in session.exec(select(Appraisal.id, Appraisal.title).where(col(Appraisal.id).in_(wanted))):
            out[row_id] = RowName(title, ("appraisal", row_id))
    elif entity == "trust":
        for row_id, name, code in session.exec(select(Trust.id, Trust.name, Trust.ods_code).where(col(Trust.id).in_(wanted))):
            out[row_id] = RowName(name, ("trust", code))
    elif entity == "uptakeyear":
        query = select(UptakeYear.id, UptakeYear.year, Appraisal.id, Appraisal.title).join(Appraisal, Appraisal.id == UptakeYear.appraisal_id)
        for row_id, year, appraisal_id, title in session.exec(query.where(col(UptakeYear.id).in_(wanted))):
            out[row_id] = RowName(f"{title}: uptake in year {year}", ("appraisal", appraisal_id))
    elif entity == "appraisalregimen":
        query = (select(AppraisalRegimen.id, AppraisalRegimen.role, Appraisal.id, Appraisal.title, Regimen.name)
                 .join(Appraisal, Appraisal.id == AppraisalRegimen.appraisal_id)
                 .join(Regimen, Regimen.id == AppraisalRegimen.regimen_id))
        for row_id, role, appraisal_id, title, regimen in session.exec(query.where(col(AppraisalRegimen.id).in_(wanted))):
            out[row_id] = RowName(f"{title}: {regimen} ({role})", ("appraisal", appraisal_id))
    elif entity == "trustappraisaloverride":
        query = (select(TrustAppraisalOverride.id, Trust.name, Appraisal.id, Appraisal.title)
                 .join(Trust, Trust.id == TrustAppraisalOverride.trust_id)
                 .join(Appraisal, Appraisal.id == TrustAppraisalOverride.appraisal_id))
        for row_id, trust, appraisal_id, title in session.exec(query.where(col(TrustAppraisalOverride.id).in_(wanted))):
            out[row_id] = RowName(f"{trust}: own figure for {title}", ("appraisal", appraisal_id))
    elif entity == "regimen":
        for row_id, name in session.exec(select(Regimen.id, Regimen.name).where(col(Regimen.id).in_(wanted))):
            out[row_id] = RowName(name, ("regimen", row_id))
    elif entity == "regimencomponent":
        query = (select(RegimenComponent.id, Regimen.id, Regimen.name, Drug.name)
                 .join(Regimen, Regimen.id == RegimenComponent.regimen_id).join(Drug, Drug.id == RegimenComponent.drug_id))
        for row_id, regimen_id, regimen, drug in session.exec(query.where(col(RegimenComponent.id).in_(wanted))):
            out[row_id] = RowName(f"{regimen}: {drug}", ("regimen", regimen_id))
    elif entity == "trustregimenoverride":
        query = (select(TrustRegimenOverride.id, Trust.name, Trust.ods_code, Regimen.name)
                 .join(Trust, Trust.id == TrustRegimenOverride.trust_id).join(Regimen, Regimen.id == TrustRegimenOverride.regimen_id))
        for row_id, trust, code, regimen in session.exec(query.where(col(TrustRegimenOverride.id).in_(wanted))):
            out[row_id] = RowName(f"{trust}: own timings for {regimen}", ("trust", code))
    elif entity == "tumoursiteshare":
        query = select(TumourSiteShare.id, TumourSiteShare.tumour_site, Trust.name, Trust.ods_code).join(Trust, Trust.id == TumourSiteShare.trust_id)
        for row_id, site, trust, code in session.exec(query.where(col(TumourSiteShare.id).in_(wanted))):
            out[row_id] = RowName(f"{trust}: share of {site} patients", ("trust", code))
    elif entity == "drugpack":
        query = select(DrugPack.id, DrugPack.description, Drug.name).join(Drug, Drug.id == DrugPack.drug_id)
        for row_id, description, drug in session.exec(query.where(col(DrugPack.id).in_(wanted))):
            out[row_id] = RowName(f"{drug} {description}")
    elif entity == "referencevalue":
        for row_id, label, key in session.exec(select(ReferenceValue.id, ReferenceValue.label, ReferenceValue.key).where(col(ReferenceValue.id).in_(wanted))):
            out[row_id] = RowName(label or key)
    elif entity == "hrgcost":
        for row_id, code, description in session.exec(select(HrgCost.id, HrgCost.code, HrgCost.description).where(col(HrgCost.id).in_(wanted))):
            out[row_id] = RowName(f"{code} {description}")
    return out
