"""What-if scenarios: a list of changes applied to the agreed inputs (issue #17, point 4).

A scenario is data, not code: each change below is a frozen record, and :func:`apply_changes`
returns new :class:`~.impact.ModelInputs` (and the baseline growth rate, which the capacity
outlook takes beside them) without touching the agreed ones. The result runs through the same
:func:`~.impact.run_model` as the baseline, so an empty scenario gives the baseline exactly.

Kinds of change:

- :class:`SwitchForm` — a share of a regimen's patients given another form (e.g. pembrolizumab
  subcutaneous: its own chair minutes, aseptic work and price). Patients starting on or after
  ``from_date``; only dates on or before the appraisal's effective start are modelled (the core
  holds one share per regimen for the whole run), and a later date is refused, not approximated.
- :class:`ExtendedInterval` — the same drug at a longer cycle and a larger dose (pembrolizumab
  200 mg q3w → 400 mg q6w): the cycle length changes, the price per cycle scales with the dose,
  and a fixed course keeps its length in days (35 cycles of 21 days → 18 cycles of 42 days).
- :class:`ChangeCapacity` — a trust's chairs, opening hours or aseptic staff hours, from a date:
  a change on or before the grid's first week changes the trust's capacity for the whole run; a
  later one is kept in :attr:`ScenarioInputs.dated_capacity` and :func:`capacity_by_week` gives
  the trust's capacity each week (the same before the date, the new one from its week).
- :class:`BaselineGrowth` — a different growth of today's demand [% a year] (the RCR's 6–8%).
- :class:`AllianceUptake` / :class:`AllianceEligible` — the alliance's own uptake by year or
  eligible patients a year for an appraisal, in place of NICE's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from .impact import Appraisal, ModelInputs, Regimen, RegimenUse, monday_on_or_before


class ScenarioError(ValueError):
    """A change that cannot apply to these inputs (unknown regimen, trust or appraisal, or a date
    the core cannot model yet)."""


@dataclass(frozen=True)
class SwitchForm:
    regimen_name: str
    new_form: Regimen
    share: float  # [fraction of the regimen's patients], 0–1
    from_date: date | None = None

    def describe(self) -> str:
        when = f" from {self.from_date:%-d %B %Y}" if self.from_date else ""
        return f"{self.share:.0%} of patients on {self.regimen_name} given {self.new_form.name} instead{when}"


@dataclass(frozen=True)
class ExtendedInterval:
    regimen_name: str
    new_name: str
    cycle_length_days: int

    def describe(self) -> str:
        return f"{self.regimen_name} given as {self.new_name} (every {self.cycle_length_days} days)"


@dataclass(frozen=True)
class ChangeCapacity:
    trust_code: str
    chairs: float | None = None
    hours_per_day: float | None = None
    aseptic_staff_hours_per_week: float | None = None
    from_date: date | None = None

    def describe(self) -> str:
        parts = []
        if self.chairs is not None:
            parts.append(f"{self.chairs:g} chairs")
        if self.hours_per_day is not None:
            parts.append(f"open {self.hours_per_day:g} hours a day")
        if self.aseptic_staff_hours_per_week is not None:
            parts.append(f"{self.aseptic_staff_hours_per_week:g} aseptic staff hours a week")
        when = f" from {self.from_date:%-d %B %Y}" if self.from_date else ""
        return f"{self.trust_code}: " + ", ".join(parts or ["no change"]) + when


@dataclass(frozen=True)
class BaselineGrowth:
    percent_per_year: float

    def describe(self) -> str:
        return f"today's demand grows {self.percent_per_year:g}% a year"


@dataclass(frozen=True)
class AllianceUptake:
    appraisal_key: str
    uptake_percent_by_year: tuple[float, ...]

    def describe(self) -> str:
        years = ", ".join(f"{value:g}%" for value in self.uptake_percent_by_year)
        return f"{self.appraisal_key}: the alliance's own uptake by year ({years})"


@dataclass(frozen=True)
class AllianceEligible:
    appraisal_key: str
    eligible_per_year: float

    def describe(self) -> str:
        return f"{self.appraisal_key}: the alliance's own figure of {self.eligible_per_year:g} eligible patients a year in England"


Change = SwitchForm | ExtendedInterval | ChangeCapacity | BaselineGrowth | AllianceUptake | AllianceEligible


@dataclass(frozen=True)
class ScenarioInputs:
    """What a scenario runs on: the model's inputs and the baseline growth [% a year]."""

    inputs: ModelInputs
    growth_percent_per_year: float
    dated_capacity: tuple[ChangeCapacity, ...] = ()


def apply_changes(inputs: ModelInputs, changes: Sequence[Change], growth_percent_per_year: float) -> ScenarioInputs:
    """The inputs with every change applied in order; ``inputs`` itself is never changed."""
    growth = growth_percent_per_year
    dated: list[ChangeCapacity] = []
    grid_monday = monday_on_or_before(inputs.grid_start)
    for change in changes:
        if isinstance(change, BaselineGrowth):
            growth = change.percent_per_year
        elif isinstance(change, ChangeCapacity):
            if change.trust_code not in {trust.code for trust in inputs.trusts}:
                raise ScenarioError(f"no trust {change.trust_code} in the alliance")
            if change.from_date is None or monday_on_or_before(change.from_date) <= grid_monday:
                inputs = _change_capacity(inputs, change)
            else:
                dated.append(change)
        elif isinstance(change, SwitchForm):
            inputs = _switch_form(inputs, change)
        elif isinstance(change, ExtendedInterval):
            inputs = _map_regimen(inputs, change.regimen_name, lambda regimen: _extend(regimen, change))
            # a trust's own timings for the regimen follow it to its new name
            inputs = replace(inputs, regimen_overrides=tuple(
                replace(o, regimen_name=change.new_name) if o.regimen_name == change.regimen_name else o
                for o in inputs.regimen_overrides))
        elif isinstance(change, AllianceUptake):
            inputs = _map_appraisal(inputs, change.appraisal_key,
                                    lambda a: replace(a, uptake_percent_by_year=tuple(change.uptake_percent_by_year)))
        elif isinstance(change, AllianceEligible):
            if change.eligible_per_year < 0:
                raise ScenarioError("eligible patients a year cannot be negative")
            inputs = _map_appraisal(inputs, change.appraisal_key,
                                    lambda a: replace(a, eligible_per_year=float(change.eligible_per_year)))
        else:  # pragma: no cover - the union above is closed
            raise ScenarioError(f"unknown kind of change: {change!r}")
    return ScenarioInputs(inputs, growth, tuple(dated))


CAPACITY_RESOURCES = ("chair_hours", "aseptic_hours")


def capacity_by_week(scenario: ScenarioInputs, trust_code: str, resource: str) -> np.ndarray | None:
    """The trust's capacity each week of the grid [hours/week] with the scenario's dated changes
    from the Monday of each change's week; None if the capacity is not known in any week.

    ``resource`` is "chair_hours" (chairs × hours a day × days × utilisation) or "aseptic_hours".
    """
    if resource not in CAPACITY_RESOURCES:
        raise ScenarioError(f"capacity by week is for {' and '.join(CAPACITY_RESOURCES)}")
    inputs = scenario.inputs
    trust = next((t for t in inputs.trusts if t.code == trust_code), None)
    if trust is None:
        raise ScenarioError(f"no trust {trust_code} in the alliance")
    grid_monday = monday_on_or_before(inputs.grid_start)
    capacity = trust.capacity
    weekly = np.full(inputs.n_weeks, np.nan)
    weekly[:] = _per_week(capacity, resource)
    for change in sorted((c for c in scenario.dated_capacity if c.trust_code == trust_code),
                         key=lambda c: c.from_date):
        capacity = _change_capacity(replace(inputs, trusts=(replace(trust, capacity=capacity),)), change).trusts[0].capacity
        week = (monday_on_or_before(change.from_date) - grid_monday).days // 7
        if week < inputs.n_weeks:
            weekly[week:] = _per_week(capacity, resource)
    return None if np.isnan(weekly).all() else weekly


def _per_week(capacity, resource: str) -> float:
    value = capacity.chair_hours_per_week if resource == "chair_hours" else capacity.aseptic_staff_hours_per_week
    return np.nan if value is None else float(value)


def describe(changes: Sequence[Change]) -> list[str]:
    """Each change in words, in order."""
    return [change.describe() for change in changes]


def _change_capacity(inputs: ModelInputs, change: ChangeCapacity) -> ModelInputs:
    if change.trust_code not in {trust.code for trust in inputs.trusts}:
        raise ScenarioError(f"no trust {change.trust_code} in the alliance")
    updates = {key: value for key, value in (
        ("chairs", change.chairs), ("hours_per_day", change.hours_per_day),
        ("aseptic_staff_hours_per_week", change.aseptic_staff_hours_per_week),
    ) if value is not None}
    trusts = tuple(
        replace(trust, capacity=replace(trust.capacity, **updates)) if trust.code == change.trust_code else trust
        for trust in inputs.trusts
    )
    return replace(inputs, trusts=trusts)


def _uses_regimen(appraisal: Appraisal, name: str) -> bool:
    return any(use.regimen.name == name for use in appraisal.brings_in + appraisal.displaces)


def _switch_form(inputs: ModelInputs, change: SwitchForm) -> ModelInputs:
    if not 0.0 <= change.share <= 1.0:
        raise ScenarioError("the share switched must be between 0% and 100%")

    def split(uses: tuple[RegimenUse, ...]) -> tuple[RegimenUse, ...]:
        out: list[RegimenUse] = []
        for use in uses:
            if use.regimen.name == change.regimen_name and change.share > 0:
                if change.share < 1:
                    out.append(replace(use, share=use.share * (1 - change.share)))
                out.append(RegimenUse(change.new_form, use.share * change.share))
            else:
                out.append(use)
        return tuple(out)

    found = False
    appraisals = []
    for appraisal in inputs.appraisals:
        if _uses_regimen(appraisal, change.regimen_name):
            found = True
            if (change.from_date is not None and appraisal.effective_start is not None
                    and change.from_date > appraisal.effective_start):
                raise ScenarioError(
                    f"a switch from {change.from_date:%-d %B %Y}, after {appraisal.name} starts, "
                    "is not modelled yet: choose a date on or before its start")
            appraisal = replace(appraisal, brings_in=split(appraisal.brings_in), displaces=split(appraisal.displaces))
        appraisals.append(appraisal)
    if not found:
        raise ScenarioError(f"no appraisal uses {change.regimen_name}")
    return replace(inputs, appraisals=tuple(appraisals))


def _extend(regimen: Regimen, change: ExtendedInterval) -> Regimen:
    old = regimen.schedule
    if change.cycle_length_days <= 0:
        raise ScenarioError("a cycle must last at least a day")
    if old.attendance_days != (1,):
        raise ScenarioError(f"{regimen.name} is given on more than one day a cycle: an extended interval does not apply")
    ratio = change.cycle_length_days / old.cycle_length_days
    max_cycles = None if old.max_cycles is None else math.ceil(old.max_cycles / ratio)
    schedule = replace(old, cycle_length_days=change.cycle_length_days, max_cycles=max_cycles)
    return replace(regimen, name=change.new_name, schedule=schedule,
                   drug_cost_per_cycle=regimen.drug_cost_per_cycle * ratio)


def _map_regimen(inputs: ModelInputs, name: str, change) -> ModelInputs:
    found = False

    def mapped(uses: tuple[RegimenUse, ...]) -> tuple[RegimenUse, ...]:
        return tuple(replace(use, regimen=change(use.regimen)) if use.regimen.name == name else use for use in uses)

    appraisals = []
    for appraisal in inputs.appraisals:
        if _uses_regimen(appraisal, name):
            found = True
            appraisal = replace(appraisal, brings_in=mapped(appraisal.brings_in), displaces=mapped(appraisal.displaces))
        appraisals.append(appraisal)
    if not found:
        raise ScenarioError(f"no appraisal uses {name}")
    return replace(inputs, appraisals=tuple(appraisals))


def _map_appraisal(inputs: ModelInputs, key: str, change) -> ModelInputs:
    if key not in {appraisal.key for appraisal in inputs.appraisals}:
        raise ScenarioError(f"no appraisal {key} in the pipeline")
    return replace(inputs, appraisals=tuple(change(a) if a.key == key else a for a in inputs.appraisals))


__all__ = [
    "AllianceEligible", "AllianceUptake", "BaselineGrowth", "Change", "ChangeCapacity",
    "ExtendedInterval", "ScenarioError", "ScenarioInputs", "SwitchForm", "apply_changes", "capacity_by_week", "describe",
]
