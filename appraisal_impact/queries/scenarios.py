"""Stored what-if scenarios (issue #17): reading and writing them, and turning their rows into the
core's changes (`core/scenarios.py`). Every write is audited (entity "scenario" / "scenariochange"),
which is the scenario's history."""

from __future__ import annotations

from sqlmodel import Session, select

from .. import audit
from .. import models as m
from ..core import scenarios as what_if

KINDS = ("switch form", "extended interval", "capacity", "growth", "uptake", "eligible")


class UnknownRow(ValueError):
    """A change names a regimen, trust or appraisal that is no longer stored."""


def scenarios(session: Session) -> list[m.Scenario]:
    return list(session.exec(select(m.Scenario).order_by(m.Scenario.name, m.Scenario.id)))


def changes_of(session: Session, scenario_id: int) -> list[m.ScenarioChange]:
    return list(session.exec(select(m.ScenarioChange).where(m.ScenarioChange.scenario_id == scenario_id)
                             .order_by(m.ScenarioChange.position)))


def create(session: Session, actor: audit.Actor, *, name: str, description: str = "", owner_id: int | None = None,
           is_example: bool = False) -> m.Scenario:
    row = m.Scenario(name=name, description=description, owner_id=owner_id, is_example=is_example)
    session.add(row)
    audit.record_created(session, actor, row)
    return row


def add_change(session: Session, actor: audit.Actor, scenario: m.Scenario, change: m.ScenarioChange) -> m.ScenarioChange:
    """Add ``change`` after the scenario's last change, audited."""
    if change.kind not in KINDS:
        raise ValueError(f"unknown kind of change: {change.kind}")
    existing = changes_of(session, scenario.id)
    change.scenario_id = scenario.id
    change.position = (existing[-1].position + 1) if existing else 1
    session.add(change)
    audit.record_created(session, actor, change, summary=f"{change.kind} (change {change.position})")
    return change


def core_changes(session: Session, scenario_id: int, build_regimen) -> list[what_if.Change]:
    """The scenario's changes as the core's, in order. ``build_regimen(row)`` turns a stored regimen into
    the core's (`impact_service.RegimenCosting(...).build` at the prices the viewer may see)."""
    out: list[what_if.Change] = []
    for row in changes_of(session, scenario_id):
        out.append(_core_change(session, row, build_regimen))
    return out


def _get(session: Session, table, row_id: int | None, what: str):
    found = session.get(table, row_id) if row_id is not None else None
    if found is None:
        raise UnknownRow(f"the {what} this change names is no longer stored")
    return found


def _core_change(session: Session, row: m.ScenarioChange, build_regimen) -> what_if.Change:
    if row.kind == "switch form":
        regimen = _get(session, m.Regimen, row.regimen_id, "regimen")
        new = _get(session, m.Regimen, row.new_regimen_id, "new form")
        return what_if.SwitchForm(regimen.name, build_regimen(new), (row.share_pct or 0.0) / 100, row.from_date)
    if row.kind == "extended interval":
        regimen = _get(session, m.Regimen, row.regimen_id, "regimen")
        return what_if.ExtendedInterval(regimen.name, row.new_name, int(row.cycle_length_days or 0))
    if row.kind == "capacity":
        trust = _get(session, m.Trust, row.trust_id, "trust")
        return what_if.ChangeCapacity(trust.ods_code, row.chairs, row.hours_per_day,
                                      row.aseptic_staff_hours_per_week, row.from_date)
    if row.kind == "growth":
        return what_if.BaselineGrowth(float(row.growth_pct or 0.0))
    appraisal = _get(session, m.Appraisal, row.appraisal_id, "appraisal")
    if row.kind == "uptake":
        return what_if.AllianceUptake(str(appraisal.id), uptake_by_year(row.uptake_pct_by_year))
    if row.kind == "eligible":
        return what_if.AllianceEligible(str(appraisal.id), float(row.eligible_per_year or 0.0))
    raise ValueError(f"unknown kind of change: {row.kind}")


def uptake_by_year(text: str) -> tuple[float, ...]:
    """"20, 40, 60" → (20.0, 40.0, 60.0)."""
    return tuple(float(part) for part in text.replace(";", ",").split(",") if part.strip())

