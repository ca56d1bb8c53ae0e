"""Queries for editing an appraisal's assumptions and a trust's own figures."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from ..models import (
    Appraisal,
    AppraisalRegimen,
    AuditEntry,
    FigureSource,
    FunnelStep,
    Regimen,
    Trust,
    TrustAppraisalOverride,
    TrustRegimenOverride,
    UptakeYear,
)


@dataclass(frozen=True)
class AppraisalOverrideRow:
    override: TrustAppraisalOverride
    appraisal: Appraisal


@dataclass(frozen=True)
class RegimenOverrideRow:
    override: TrustRegimenOverride
    regimen: Regimen


def funnel_steps(*, session: Session, appraisal_id: int) -> list[FunnelStep]:
    query = select(FunnelStep).where(FunnelStep.appraisal_id == appraisal_id).order_by(FunnelStep.position, FunnelStep.id)
    return list(session.exec(query))


def uptake_years(*, session: Session, appraisal_id: int) -> list[UptakeYear]:
    return list(session.exec(select(UptakeYear).where(UptakeYear.appraisal_id == appraisal_id).order_by(UptakeYear.year)))


def regimen_links(*, session: Session, appraisal_id: int) -> list[AppraisalRegimen]:
    query = select(AppraisalRegimen).where(AppraisalRegimen.appraisal_id == appraisal_id).order_by(AppraisalRegimen.id)
    return list(session.exec(query))


def figure_source(*, session: Session, entity: str, entity_id: int, field: str) -> FigureSource | None:
    query = select(FigureSource).where(
        FigureSource.entity == entity, FigureSource.entity_id == entity_id, FigureSource.field == field
    )
    return session.exec(query).first()


def appraisal_override(*, session: Session, trust_id: int, appraisal_id: int) -> TrustAppraisalOverride | None:
    query = select(TrustAppraisalOverride).where(
        TrustAppraisalOverride.trust_id == trust_id, TrustAppraisalOverride.appraisal_id == appraisal_id
    )
    return session.exec(query).first()


def regimen_override(*, session: Session, trust_id: int, regimen_id: int) -> TrustRegimenOverride | None:
    query = select(TrustRegimenOverride).where(
        TrustRegimenOverride.trust_id == trust_id, TrustRegimenOverride.regimen_id == regimen_id
    )
    return session.exec(query).first()


def appraisal_overrides(*, session: Session, trust_id: int) -> list[AppraisalOverrideRow]:
    query = (
        select(TrustAppraisalOverride, Appraisal)
        .join(Appraisal, Appraisal.id == TrustAppraisalOverride.appraisal_id)
        .where(TrustAppraisalOverride.trust_id == trust_id)
        .order_by(Appraisal.title)
    )
    return [AppraisalOverrideRow(o, a) for o, a in session.exec(query)]


def regimen_overrides(*, session: Session, trust_id: int) -> list[RegimenOverrideRow]:
    query = (
        select(TrustRegimenOverride, Regimen)
        .join(Regimen, Regimen.id == TrustRegimenOverride.regimen_id)
        .where(TrustRegimenOverride.trust_id == trust_id)
        .order_by(Regimen.name)
    )
    return [RegimenOverrideRow(o, r) for o, r in session.exec(query)]


def appraisals_with_regimens(*, session: Session) -> list[Appraisal]:
    """Appraisals that bring in at least one regimen: those a trust can set its patients for."""
    linked = select(AppraisalRegimen.appraisal_id).distinct()
    query = select(Appraisal).where(col(Appraisal.id).in_(linked)).order_by(Appraisal.title)
    return list(session.exec(query))


def trust_history_for(*, session: Session, trust_id: int, field_prefix: str, limit: int = 50) -> list[AuditEntry]:
    """The trust's audit entries whose field starts with `field_prefix` (one override's history)."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.entity == "trust", AuditEntry.entity_id == trust_id, col(AuditEntry.field).startswith(field_prefix))
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def get_trust(*, session: Session, ods_code: str) -> Trust | None:
    return session.exec(select(Trust).where(Trust.ods_code == ods_code.upper())).first()
