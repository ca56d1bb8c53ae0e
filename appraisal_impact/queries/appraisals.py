"""Queries for one appraisal's page: its funnel, uptake and regimens."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from ..models import AppraisalRegimen, FunnelStep, Regimen, UptakeYear


@dataclass(frozen=True)
class RegimenLink:
    link: AppraisalRegimen
    regimen: Regimen


def funnel_steps(*, session: Session, appraisal_id: int) -> list[FunnelStep]:
    query = select(FunnelStep).where(FunnelStep.appraisal_id == appraisal_id).order_by(FunnelStep.position, FunnelStep.id)
    return list(session.exec(query))


def uptake_years(*, session: Session, appraisal_id: int) -> list[UptakeYear]:
    query = select(UptakeYear).where(UptakeYear.appraisal_id == appraisal_id).order_by(UptakeYear.year)
    return list(session.exec(query))


def regimen_links(*, session: Session, appraisal_id: int) -> list[RegimenLink]:
    query = (
        select(AppraisalRegimen, Regimen)
        .join(Regimen, Regimen.id == AppraisalRegimen.regimen_id)
        .where(AppraisalRegimen.appraisal_id == appraisal_id)
        .order_by(AppraisalRegimen.role, Regimen.name)
    )
    return [RegimenLink(link, regimen) for link, regimen in session.exec(query)]
