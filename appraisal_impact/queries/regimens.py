"""Queries for the shared regimen library: regimens, their components, drugs, packs and prices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from ..models import (
    RegimenPhase,
    Appraisal,
    AppraisalRegimen,
    AuditEntry,
    ConfidentialPrice,
    Drug,
    DrugPack,
    Regimen,
    RegimenComponent,
    Trust,
    TrustRegimenOverride,
)


@dataclass(frozen=True)
class RegimenSummary:
    regimen: Regimen
    drugs: tuple[str, ...]
    appraisal_count: int


@dataclass(frozen=True)
class ComponentRow:
    component: RegimenComponent
    drug: Drug


@dataclass(frozen=True)
class AppraisalUse:
    link: AppraisalRegimen
    appraisal: Appraisal


@dataclass(frozen=True)
class ConfidentialPriceRow:
    price: ConfidentialPrice
    pack: DrugPack
    trust: Trust | None


def list_regimens(*, session: Session, text: str | None = None) -> list[RegimenSummary]:
    query = select(Regimen).order_by(Regimen.name)
    if text:
        like = f"%{text.strip()}%"
        query = query.where(col(Regimen.name).ilike(like) | col(Regimen.indication).ilike(like) | col(Regimen.tumour_site).ilike(like))
    regimens = list(session.exec(query))
    ids = [r.id for r in regimens]
    drugs: dict[int, list[str]] = {}
    if ids:
        rows = session.exec(
            select(RegimenComponent.regimen_id, Drug.name)
            .join(Drug, Drug.id == RegimenComponent.drug_id)
            .where(col(RegimenComponent.regimen_id).in_(ids))
            .order_by(RegimenComponent.position, RegimenComponent.id)
        )
        for regimen_id, name in rows:
            drugs.setdefault(regimen_id, []).append(name)
    counts = dict(
        session.exec(select(AppraisalRegimen.regimen_id, func.count(AppraisalRegimen.id)).group_by(AppraisalRegimen.regimen_id)).all()
    )
    return [RegimenSummary(r, tuple(drugs.get(r.id, [])), counts.get(r.id, 0)) for r in regimens]


def all_regimens(*, session: Session) -> list[Regimen]:
    return list(session.exec(select(Regimen).order_by(Regimen.name)))


def regimen_by_name(*, session: Session, name: str) -> Regimen | None:
    return session.exec(select(Regimen).where(func.lower(Regimen.name) == name.strip().lower())).first()


def components(*, session: Session, regimen_id: int) -> list[ComponentRow]:
    query = (
        select(RegimenComponent, Drug)
        .join(Drug, Drug.id == RegimenComponent.drug_id)
        .where(RegimenComponent.regimen_id == regimen_id)
        .order_by(RegimenComponent.position, RegimenComponent.id)
    )
    return [ComponentRow(c, d) for c, d in session.exec(query)]


def appraisals_using(*, session: Session, regimen_id: int) -> list[AppraisalUse]:
    query = (
        select(AppraisalRegimen, Appraisal)
        .join(Appraisal, Appraisal.id == AppraisalRegimen.appraisal_id)
        .where(AppraisalRegimen.regimen_id == regimen_id)
        .order_by(Appraisal.title)
    )
    return [AppraisalUse(link, appraisal) for link, appraisal in session.exec(query)]


def phases_of(*, session: Session, regimen_id: int) -> list[tuple[RegimenPhase, Regimen]]:
    """A regimen's later phases (2, 3, ...), each with the regimen given in it."""
    query = (
        select(RegimenPhase, Regimen)
        .join(Regimen, Regimen.id == RegimenPhase.phase_regimen_id)
        .where(RegimenPhase.regimen_id == regimen_id)
        .order_by(RegimenPhase.position)
    )
    return list(session.exec(query))


def regimens_with_phase(*, session: Session, regimen_id: int) -> list[tuple[RegimenPhase, Regimen]]:
    """The regimens this one is a later phase of, with the phase row."""
    query = (
        select(RegimenPhase, Regimen)
        .join(Regimen, Regimen.id == RegimenPhase.regimen_id)
        .where(RegimenPhase.phase_regimen_id == regimen_id)
        .order_by(Regimen.name)
    )
    return list(session.exec(query))


def list_drugs(*, session: Session) -> list[Drug]:
    return list(session.exec(select(Drug).order_by(Drug.name)))


def drug_by_name(*, session: Session, name: str) -> Drug | None:
    return session.exec(select(Drug).where(func.lower(Drug.name) == name.strip().lower())).first()


def drugs_by_lower_name(*, session: Session) -> dict[str, Drug]:
    return {d.name.lower(): d for d in session.exec(select(Drug))}


def packs_by_drug(*, session: Session, drug_ids: list[int] | None = None) -> dict[int, list[DrugPack]]:
    query = select(DrugPack).order_by(DrugPack.drug_id, DrugPack.pack_mg)
    if drug_ids is not None:
        if not drug_ids:
            return {}
        query = query.where(col(DrugPack.drug_id).in_(drug_ids))
    packs: dict[int, list[DrugPack]] = {}
    for pack in session.exec(query):
        packs.setdefault(pack.drug_id, []).append(pack)
    return packs


def pack_by_description(*, session: Session, drug_id: int, description: str) -> DrugPack | None:
    query = select(DrugPack).where(
        DrugPack.drug_id == drug_id, func.lower(DrugPack.description) == description.strip().lower()
    )
    return session.exec(query).first()


def confidential_prices(*, session: Session, pack_ids: list[int]) -> list[ConfidentialPriceRow]:
    """Every confidential price of these packs. The caller filters by who may see each one."""
    if not pack_ids:
        return []
    query = (
        select(ConfidentialPrice, DrugPack)
        .join(DrugPack, DrugPack.id == ConfidentialPrice.drug_pack_id)
        .where(col(ConfidentialPrice.drug_pack_id).in_(pack_ids))
        .order_by(ConfidentialPrice.drug_pack_id, ConfidentialPrice.trust_id)
    )
    rows = []
    for price, pack in session.exec(query):
        trust = session.get(Trust, price.trust_id) if price.trust_id is not None else None
        rows.append(ConfidentialPriceRow(price, pack, trust))
    return rows


def confidential_price_for(*, session: Session, pack_id: int, trust_id: int | None) -> ConfidentialPrice | None:
    query = select(ConfidentialPrice).where(ConfidentialPrice.drug_pack_id == pack_id)
    query = query.where(col(ConfidentialPrice.trust_id).is_(None) if trust_id is None else ConfidentialPrice.trust_id == trust_id)
    return session.exec(query).first()


def trust_overrides_of_regimen(*, session: Session, regimen_id: int) -> list[tuple[TrustRegimenOverride, Trust]]:
    query = (
        select(TrustRegimenOverride, Trust)
        .join(Trust, Trust.id == TrustRegimenOverride.trust_id)
        .where(TrustRegimenOverride.regimen_id == regimen_id)
        .order_by(Trust.name)
    )
    return list(session.exec(query))


def tumour_sites(*, session: Session) -> list[str]:
    sites = set(session.exec(select(Regimen.tumour_site).distinct())) | set(session.exec(select(Appraisal.tumour_site).distinct()))
    return sorted(site for site in sites if site)


def audit_entries(
    *, session: Session, entity: str, entity_ids: list[int], since: datetime | None = None, limit: int = 200
) -> list[AuditEntry]:
    """Audit entries of some rows of one kind, newest first; only those at or after `since` if given."""
    if not entity_ids:
        return []
    query = select(AuditEntry).where(AuditEntry.entity == entity, col(AuditEntry.entity_id).in_(entity_ids))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    query = query.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc()).limit(limit)
    return list(session.exec(query))
