"""Named figure sets: what one period of the model means for a trust, an ICB, the alliance or England.

:class:`PeriodFigures` holds every measure of one period (units and definitions in its fields'
metadata); the sets below hold one per period of :mod:`.periods`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType

import numpy as np

from ..core import impact as core
from ..core.capacity import TrustCapacity
from .capacity import ResourceCapacity
from .periods import NEXT_12_MONTHS, STEADY_STATE, Period, year_key
from .values import Figure, Kind, total

_M = {name: index for index, name in enumerate(core.MEASURES)}


_NOT_MEASURES = ("period", "whole", "weeks")


def _measure(unit: str, kind: Kind, definition: str):
    return field(metadata={"unit": unit, "kind": kind, "definition": definition})


@dataclass(frozen=True)
class PeriodFigures:
    """Every figure of one period. Flows are totals over the period (a year for every period the
    pages show); rates are the period's mean week. "Net" is brought in − displaced."""

    period: str = field(metadata={"definition": "the period's key (periods.Period.key)"})
    new_patients: Figure = _measure(
        "patients", Kind.PATIENTS, "people starting the new medicine in the period (brought in)")
    patients_displaced: Figure = _measure(
        "patients", Kind.PATIENTS, "people who would otherwise have started a treatment it displaces, in the period")
    net_change_in_patients: Figure = _measure(
        "patients", Kind.PATIENTS,
        "net change in patients starting treatment: starting the new medicine minus those no longer "
        "starting the treatments it displaces")
    patients_on_treatment: Figure = _measure(
        "patients", Kind.PATIENTS, "mean number of people on the new medicine during the period")
    people_treated: Figure = _measure(
        "patients", Kind.PATIENTS,
        "people who have at least one cycle of the new medicine in the period: those on treatment when "
        "it begins plus those starting during it (NICE's 'people treated')")
    attendances_per_week: Figure = _measure("attendances a week", Kind.RATE, "net day-unit attendances, mean week")
    chair_hours_per_week: Figure = _measure("chair-hours a week", Kind.RATE, "net chair time, mean week")
    chair_hours_per_week_gross: Figure = _measure(
        "chair-hours a week", Kind.RATE, "chair time of the new medicine alone, mean week")
    chair_hours_per_week_displaced: Figure = _measure(
        "chair-hours a week", Kind.RATE, "chair time the displaced treatments no longer take, mean week")
    chairs_needed: Figure = _measure(
        "chairs", Kind.CHAIRS, "net chair time a week / the trust's bookable hours per chair a week")
    aseptic_hours_per_week: Figure = _measure("staff hours a week", Kind.RATE, "net aseptic preparation time, mean week")
    verification_hours_per_week: Figure = _measure("hours a week", Kind.RATE, "net clinical verification time, mean week")
    clinic_appointments_per_week: Figure = _measure("appointments a week", Kind.RATE, "net clinic appointments, mean week")
    clinic_hours_per_week: Figure = _measure("hours a week", Kind.RATE, "net clinic time, mean week")
    drug_cost: Figure = _measure("£", Kind.MONEY, "net drug cost in the period")
    drug_cost_gross: Figure = _measure("£", Kind.MONEY, "drug cost of the new medicine in the period")
    drug_cost_displaced: Figure = _measure("£", Kind.MONEY, "drug cost saved on the displaced treatments")
    delivery_cost: Figure = _measure("£", Kind.MONEY, "net delivery (HRG) cost in the period")
    clinic_cost: Figure = _measure("£", Kind.MONEY, "net clinic cost in the period")
    total_cost: Figure = _measure("£", Kind.MONEY, "net cost: drug + delivery + clinic, in the period")
    total_cost_gross: Figure = _measure("£", Kind.MONEY, "cost of the new medicine alone in the period")
    total_cost_displaced: Figure = _measure("£", Kind.MONEY, "cost saved on the displaced treatments in the period")
    whole: bool = field(default=True, metadata={"definition": "False for a financial year or quarter only partly modelled"})
    weeks: float | None = field(default=None, metadata={"definition": "the period's length [weeks]"})

    @classmethod
    def measure_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls) if f.name not in _NOT_MEASURES)

    @classmethod
    def definition(cls, name: str) -> dict:
        """Unit, kind and definition of a measure."""
        return dict(next(f for f in dataclasses.fields(cls) if f.name == name).metadata)

    @classmethod
    def unknown(cls, period: str, reason: str, whole: bool = True) -> PeriodFigures:
        values = {}
        for f in dataclasses.fields(cls):
            if f.name not in _NOT_MEASURES:
                values[f.name] = Figure.unknown(reason, f.metadata["unit"], f.metadata["kind"])
        return cls(period=period, **values, whole=whole)

    @classmethod
    def added(cls, parts: Iterable[PeriodFigures], period: str, names: Iterable[str] | None = None,
              noun: str | None = None) -> PeriodFigures:
        """Each measure the total of the parts' (unrounded; unknown parts counted, not taken as 0)."""
        parts = list(parts)
        names = None if names is None else list(names)
        values = {}
        for f in dataclasses.fields(cls):
            if f.name not in _NOT_MEASURES:
                values[f.name] = total((getattr(p, f.name) for p in parts), unit=f.metadata["unit"],
                                       kind=f.metadata["kind"], names=names, noun=noun)
        first = parts[0] if parts else None
        return cls(period=period, **values, whole=first.whole if first else True, weeks=first.weeks if first else None)

    def as_json(self) -> dict:
        """Values (None when not yet known) and, under "not_yet_known", the reasons."""
        values = {name: getattr(self, name).as_json() for name in self.measure_names()}
        reasons = {name: getattr(self, name).note for name in self.measure_names() if getattr(self, name).note}
        return values | {"not_yet_known": reasons}


@dataclass(frozen=True)
class Reasons:
    """Why an appraisal's figures are not yet known (empty: known).

    everything : start date, treatment or eligible population missing: nothing can be worked out.
    brought_in_cost, displaced_cost : a medicine on that side has no price the viewer may see.
    """

    everything: str = ""
    brought_in_cost: str = ""
    displaced_cost: str = ""


NOT_FUNDED = "NICE has not recommended it, so no trust will be asked to start it"


def appraisal_reasons(appraisal: core.Appraisal, unpriced_regimens: Iterable[str] = (), *,
                      funded: bool = True) -> Reasons:
    """What is missing for an appraisal, from the model's own inputs (so drafts are judged alike).

    An appraisal with no funding requirement (``funded`` False: NICE did not recommend it) adds nothing:
    its figures are known zeros, and only its years from a start are not known."""
    unpriced = set(unpriced_regimens)
    if appraisal.effective_start is None and not funded:
        everything = ""
    elif appraisal.effective_start is None:
        everything = "the start date is not yet known"
    elif not appraisal.brings_in:
        everything = "no treatment is entered for this appraisal yet"
    elif appraisal.national_eligible_per_year <= 0:
        everything = "the number of eligible people is not entered yet"
    elif not any(u > 0 for u in appraisal.uptake_percent_by_year):
        everything = "uptake is not entered yet"
    else:
        everything = ""

    def priced(uses) -> str:
        names = sorted({use.regimen.name for use in uses} & unpriced)
        return f"no price yet for a medicine in {', '.join(names)}" if names else ""

    return Reasons(everything, priced(appraisal.brings_in), priced(appraisal.displaces))


def period_figures(period: Period, brought_in: np.ndarray, displaced: np.ndarray, reasons: Reasons,
                   capacity: TrustCapacity | None) -> PeriodFigures:
    """One period's figures from weekly series [measure, week] brought in and displaced (for England,
    ``capacity`` None: chairs are counted per trust)."""
    if not period.is_known:
        return PeriodFigures.unknown(period.key, period.reason, period.whole)
    if reasons.everything:
        return replace(PeriodFigures.unknown(period.key, reasons.everything, period.whole), weeks=period.weeks)
    weights = period.weights
    weeks = weights.sum()
    sum_in, sum_out = brought_in @ weights, displaced @ weights
    net = sum_in - sum_out
    first = period.first_week

    def flow(values, name, kind=Kind.RATE, unit=""):
        return Figure.of(float(values[_M[name]]), unit, kind)

    def rate(values, name, unit):
        return Figure.of(float(values[_M[name]] / weeks), unit, Kind.RATE)

    continuing = 0.0
    if first is not None:
        continuing = float(brought_in[_M["patients_on_treatment"], first] - brought_in[_M["new_starts"], first])
    cost_reason_in, cost_reason_out = reasons.brought_in_cost, reasons.displaced_cost
    net_cost_reason = "; ".join(r for r in (cost_reason_in, cost_reason_out) if r)

    def cost(values, names, reason):
        if reason:
            return Figure.unknown(reason, "£", Kind.MONEY)
        return Figure.of(float(sum(values[_M[n]] for n in names)), "£", Kind.MONEY)

    chair_net = float(net[_M["chair_hours"]] / weeks)
    all_costs = core.COST_MEASURES
    return PeriodFigures(
        period=period.key,
        new_patients=flow(sum_in, "new_starts", Kind.PATIENTS, "patients"),
        patients_displaced=flow(sum_out, "new_starts", Kind.PATIENTS, "patients"),
        net_change_in_patients=flow(net, "new_starts", Kind.PATIENTS, "patients"),
        patients_on_treatment=rate(sum_in, "patients_on_treatment", "patients").scaled(1, kind=Kind.PATIENTS),
        people_treated=Figure.of(max(continuing, 0.0) + float(sum_in[_M["new_starts"]]), "patients", Kind.PATIENTS),
        attendances_per_week=rate(net, "attendances", "attendances a week"),
        chair_hours_per_week=Figure.of(chair_net, "chair-hours a week"),
        chair_hours_per_week_gross=rate(sum_in, "chair_hours", "chair-hours a week"),
        chair_hours_per_week_displaced=rate(sum_out, "chair_hours", "chair-hours a week"),
        chairs_needed=(
            Figure.of(chair_net / capacity.bookable_hours_per_chair_week, "chairs", Kind.CHAIRS) if capacity is not None
            else Figure.unknown("chairs are counted per trust", "chairs", Kind.CHAIRS)
        ),
        aseptic_hours_per_week=rate(net, "aseptic_hours", "staff hours a week"),
        verification_hours_per_week=rate(net, "verification_hours", "hours a week"),
        clinic_appointments_per_week=rate(net, "clinic_appointments", "appointments a week"),
        clinic_hours_per_week=rate(net, "clinic_hours", "hours a week"),
        drug_cost=cost(net, ("drug_cost",), net_cost_reason),
        drug_cost_gross=cost(sum_in, ("drug_cost",), cost_reason_in),
        drug_cost_displaced=cost(sum_out, ("drug_cost",), cost_reason_out),
        delivery_cost=cost(net, ("delivery_cost",), ""),
        clinic_cost=cost(net, ("clinic_cost",), ""),
        total_cost=cost(net, all_costs, net_cost_reason),
        total_cost_gross=cost(sum_in, all_costs, cost_reason_in),
        total_cost_displaced=cost(sum_out, all_costs, cost_reason_out),
        whole=period.whole,
        weeks=period.weeks,
    )


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


class LazyPeriods(Mapping):
    """Periods' figures worked out when first read (a page reads a handful of the many periods), then kept.
    Read-only to its users; two threads reading one key at once both build the same value."""

    def __init__(self, keys: Iterable[str], make: Callable[[str], PeriodFigures]):
        self._keys = tuple(keys)
        self._make = make
        self._made: dict[str, PeriodFigures] = {}

    def __getitem__(self, key: str) -> PeriodFigures:
        made = self._made.get(key)
        if made is None:
            if key not in self._keys:
                raise KeyError(key)
            made = self._made[key] = self._make(key)
        return made

    def __iter__(self):
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


@dataclass(frozen=True)
class ByPeriod:
    """Figures for each period (keys of :mod:`.periods`: "year1".."year5", "steady_state",
    "next_12_months", financial years "2026/27")."""

    periods: Mapping[str, PeriodFigures] = field(repr=False)

    def __getitem__(self, key: str) -> PeriodFigures:
        return self.periods[key]

    @property
    def year1(self) -> PeriodFigures:
        return self.periods[year_key(1)]

    @property
    def year2(self) -> PeriodFigures:
        return self.periods[year_key(2)]

    @property
    def steady_state(self) -> PeriodFigures:
        return self.periods[STEADY_STATE]

    @property
    def next_12_months(self) -> PeriodFigures:
        return self.periods[NEXT_12_MONTHS]

    def years_from_start(self) -> dict[int, PeriodFigures]:
        return {int(k[4:]): v for k, v in self.periods.items() if k.startswith("year")}

    def financial_years(self, whole_only: bool = True) -> dict[str, PeriodFigures]:
        """Financial years ("2026/27"), by default only those wholly within the years modelled."""
        return {k: v for k, v in self.periods.items() if "/" in k and " " not in k and (v.whole or not whole_only)}

    def financial_quarters(self) -> dict[str, PeriodFigures]:
        """Quarters of financial years ("2026/27 Q1"), including those only partly modelled."""
        return {k: v for k, v in self.periods.items() if "/" in k and " Q" in k}


@dataclass(frozen=True)
class AppraisalTrustFigures(ByPeriod):
    """One appraisal at one trust.

    eligible_per_year : the trust's eligible people a year in year 1 [patients/year].
    share : the trust's fraction of England's patients; share_source : the rule that set it, in words.
    """

    appraisal_key: str = ""
    trust_code: str = ""
    trust_name: str = ""
    icb: str = ""
    eligible_per_year: Figure = Figure.unknown("", "patients a year", Kind.PATIENTS)
    share: float = 0.0
    share_source: str = ""


@dataclass(frozen=True)
class GroupFigures(ByPeriod):
    """A total over several parts (trusts of an ICB, the alliance, or appraisals at a trust).

    code, name : "QRL", "ALL", an ODS code; its name. eligible_per_year : the total [patients/year].
    parts : what was added (trust codes or appraisal keys).
    """

    code: str = ""
    name: str = ""
    eligible_per_year: Figure = Figure.unknown("", "patients a year", Kind.PATIENTS)
    parts: tuple[str, ...] = ()


def group(code: str, name: str, members: list[ByPeriod], keys: Iterable[str], part_names: Iterable[str],
          eligible: list[Figure] | None = None, *, noun: str | None = None, by_name: bool = True) -> GroupFigures:
    """The total of ``members`` for each period in ``keys``; ``part_names`` name the members (counted
    as "1 of 8 {noun} not yet known"), or with ``by_name`` False the members' own parts are counted."""
    part_names = tuple(part_names)
    names = part_names if by_name else None
    periods = LazyPeriods(keys, lambda key: PeriodFigures.added((m.periods[key] for m in members), key, names, noun))
    return GroupFigures(
        periods=periods, code=code, name=name,
        eligible_per_year=total(eligible or [], unit="patients a year", kind=Kind.PATIENTS, names=names, noun=noun,
                                empty_reason="no trusts"),
        parts=part_names,
    )


@dataclass(frozen=True)
class AppraisalFigures:
    """One appraisal: at each trust, each ICB's and the alliance's totals, and England.

    unpriced_regimens : this appraisal's own regimens with a medicine that has no price the viewer may see.
    reasons : why figures are not yet known.
    """

    key: str
    name: str
    effective_start: date | None
    by_trust: Mapping[str, AppraisalTrustFigures] = field(repr=False)
    by_icb: Mapping[str, GroupFigures] = field(repr=False)
    alliance: GroupFigures = field(repr=False)
    england: GroupFigures = field(repr=False)
    unpriced_regimens: tuple[str, ...] = ()
    reasons: Reasons = Reasons()


@dataclass(frozen=True)
class TrustFigures:
    """The whole pipeline at one trust: totals over appraisals, and capacity at the stated date."""

    code: str
    name: str
    icb: str
    pipeline: GroupFigures
    capacity: tuple[ResourceCapacity, ...]
    chair_capacity: TrustCapacity

    def resource(self, key: str) -> ResourceCapacity:
        return next(r for r in self.capacity if r.resource == key)


@dataclass(frozen=True)
class PipelineFigures:
    """Every figure of one model run (one scenario, one price view, one figures date).

    appraisals : by appraisal key (the appraisal's id as text). trusts : by ODS code.
    icbs : the pipeline at each ICB's trusts (by ICB code). alliance : at every trust.
    periods : the periods on this run's grid; grid_start, n_weeks : the grid (one horizon).
    """

    scenario: str
    price_label: str
    figures_date: date
    grid_start: date
    n_weeks: int
    growth_percent: float
    periods: tuple[Period, ...] = field(repr=False)
    appraisals: Mapping[str, AppraisalFigures] = field(repr=False)
    trusts: Mapping[str, TrustFigures] = field(repr=False)
    icbs: Mapping[str, GroupFigures] = field(repr=False)
    alliance: GroupFigures = field(repr=False)
    unpriced_regimens: tuple[str, ...] = ()
    # appraisals the model could not run, by id: why, and where to fix it (input_checks.LeftOut)
    left_out: Mapping = field(default_factory=dict, repr=False)

    @property
    def financial_year_keys(self) -> tuple[str, ...]:
        """The financial years wholly within the years modelled."""
        return tuple(p.key for p in self.periods if "/" in p.key and " " not in p.key and p.whole)

    @property
    def horizon_end(self) -> date:
        from datetime import timedelta

        return self.grid_start + timedelta(weeks=self.n_weeks)

    def appraisal(self, key) -> AppraisalFigures:
        return self.appraisals[str(key)]

    def at(self, appraisal_key, trust_code: str) -> AppraisalTrustFigures:
        return self.appraisals[str(appraisal_key)].by_trust[trust_code]
