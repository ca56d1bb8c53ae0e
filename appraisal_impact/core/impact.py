"""The impact model: appraisals × trusts × weeks (domain guide §4).

How a trust's weekly demand is built:

1. national eligible a year (a number or a funnel) × uptake(year from the effective start)
   / 52.18 = national new starts a week, from the week of the effective start;
2. the appraisal's starts × each regimen's share (brought in, or displaced), convolved
   with the regimen's weekly kernels (:mod:`.schedule`) = national basis series;
3. basis series × per-regimen coefficients (chair minutes, aseptic minutes, prices...) =
   measures (:data:`MEASURES`), national, per appraisal;
4. × the trust's share of England's patients for that appraisal (trust override →
   alliance tumour-site share → catchment / England population);
5. + corrections for a trust's own regimen timings (chair minutes, clinic pattern, price),
   the only thing that makes a trust's series other than national × share.

Steps 1–3 run once per (appraisal, regimen), vectorised with FFT convolution; step 4 is a
matrix product; nothing of size appraisals × trusts × weeks × measures is ever held.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum

import numpy as np
import pandas as pd

from .capacity import TrustCapacity, chairs_needed
from .schedule import KERNEL_ROWS, RegimenSchedule

WEEKS_PER_YEAR = 52.18  # domain guide §4.4
DAYS_PER_YEAR = 365.25
ENGLAND_POPULATION = 57_690_300  # ONS mid-2023 (domain guide §5)
HORIZON_WEEKS = 260  # 5 years
STEADY_STATE_WEEKS = 52  # a pipeline's steady state = mean of the grid's last 52 weeks
STEADY_STATE_YEAR = 5  # an appraisal's steady state = the mean week of its fifth year from the start
YEARS_MODELLED = 5  # the grid holds five whole years from every appraisal's effective start

# Planning defaults [estimate] (domain guide §5).
ASEPTIC_MINUTES_PER_ITEM = 51.0  # Northern Cancer Network capacity formula
VERIFICATION_MINUTES_PER_CYCLE = 10.0  # 4-14 minutes for an experienced pharmacist
CLINIC_MINUTES_PER_APPOINTMENT = 20.0  # [estimate]

MEASURE_UNITS: dict[str, str] = {
    "new_starts": "patients/week",
    "patients_on_treatment": "patients",
    "attendances": "attendances/week",
    "chair_hours": "chair-hours/week",
    "aseptic_items": "items/week",
    "aseptic_hours": "staff hours/week",
    "verification_hours": "hours/week",
    "dispensing_hours": "hours/week",
    "cycles": "cycles/week",
    "clinic_appointments": "appointments/week",
    "clinic_hours": "hours/week",
    "drug_cost": "£/week",
    "delivery_cost": "£/week",
    "clinic_cost": "£/week",
}
MEASURES: tuple[str, ...] = tuple(MEASURE_UNITS)
# Stocks are averaged over a period; every other measure is a flow and is summed.
STOCK_MEASURES = frozenset({"patients_on_treatment"})
COST_MEASURES = ("drug_cost", "delivery_cost", "clinic_cost")

_M = {name: index for index, name in enumerate(MEASURES)}
_B = {name: index for index, name in enumerate(KERNEL_ROWS)}


class Scenario(StrEnum):
    LOW = "low"
    CENTRAL = "central"
    HIGH = "high"


class Component(StrEnum):
    NET = "net"  # brought in − displaced
    BROUGHT_IN = "brought in"
    DISPLACED = "displaced"


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class DeliveryTariffs:
    """Delivery costs [£ per attendance or per cycle] (domain guide §5; refresh from the
    current National Cost Collection).

    SB11Z (oral) has no published figure in the guide: 0 until entered.
    """

    sb11z_oral_per_cycle: float = 0.0
    sb12z_simple_first: float = 174.0
    sb13z_complex_first: float = 307.58  # 2018/19
    sb14z_prolonged_first: float = 309.0
    sb15z_subsequent: float = 332.83  # 2018/19
    clinic_per_appointment: float = 0.0  # enter locally
    source: str = "National Cost Collection (figures in domain guide §5; SB11Z and clinic not set)"

    def first_attendance(self, hrg: str) -> float:
        """Cost of an attendance at ``hrg`` [£]: SB12Z–SB14Z (first attendance of a cycle) or
        SB15Z (subsequent elements, e.g. an extra dose given within another regimen's cycle)."""
        return self.attendance(hrg)

    def attendance(self, hrg: str) -> float:
        """Cost of one attendance costed at ``hrg`` (SB12Z, SB13Z, SB14Z or SB15Z) [£]."""
        prices = {
            "SB12Z": self.sb12z_simple_first,
            "SB13Z": self.sb13z_complex_first,
            "SB14Z": self.sb14z_prolonged_first,
            "SB15Z": self.sb15z_subsequent,
        }
        try:
            return prices[hrg.upper()]
        except KeyError:
            raise ValueError(f"an attendance's HRG must be SB12Z, SB13Z, SB14Z or SB15Z, not {hrg!r}") from None


@dataclass(frozen=True)
class Regimen:
    """A regimen and the resources each attendance or cycle takes.

    Attributes
    ----------
    name : e.g. "Pembrolizumab 400 mg q6w".
    schedule : cycles, attendance days and time on treatment.
    chair_minutes_first_cycle : chair time per attendance in cycle 1 [minutes].
    chair_minutes_later_cycles : per attendance in later cycles [minutes]; None = as first.
    aseptic_items_per_attendance : [items/attendance].
    aseptic_minutes_per_item : staff time [minutes/item], default 51 (Northern Cancer
        Network) [estimate].
    verification_minutes_per_cycle : clinical verification [minutes/cycle], default 10 [estimate].
    dispensing_minutes_per_cycle : e.g. oral dispensing [minutes/cycle].
    clinic_appointments_per_cycle : [appointments/cycle], default 1 (review before each cycle, UKONS).
    clinic_minutes_per_appointment : [minutes], default 20 [estimate].
    drug_cost_per_cycle : [£/cycle], from :mod:`.drug_cost` at the price the caller may see.
    first_attendance_hrg : HRG of a cycle's first attendance: SB12Z, SB13Z or SB14Z, or SB15Z
        for doses that are subsequent elements of another regimen's cycle (TA917's extra
        daratumumab doses); oral regimens are SB11Z per cycle.
    subsequent_attendance_hrg : HRG of a cycle's later attendances, default SB15Z.
    course : for a phase of a regimen given in phases (:mod:`.phases`), the regimen's name: its
        phases are one course (a patient is counted once); None for a regimen of one phase.
    counts_patients : False for a regimen given alongside another the appraisal brings in
        (e.g. extra loading doses): it adds attendances, time and cost but no new patients and
        no patients on treatment, so patients are not counted twice.
    """

    name: str
    schedule: RegimenSchedule
    chair_minutes_first_cycle: float = 0.0
    chair_minutes_later_cycles: float | None = None
    aseptic_items_per_attendance: float = 1.0
    aseptic_minutes_per_item: float = ASEPTIC_MINUTES_PER_ITEM
    verification_minutes_per_cycle: float = VERIFICATION_MINUTES_PER_CYCLE
    dispensing_minutes_per_cycle: float = 0.0
    clinic_appointments_per_cycle: float = 1.0
    clinic_minutes_per_appointment: float = CLINIC_MINUTES_PER_APPOINTMENT
    drug_cost_per_cycle: float = 0.0
    first_attendance_hrg: str = "SB12Z"
    counts_patients: bool = True
    subsequent_attendance_hrg: str = "SB15Z"
    course: str | None = None

    def coefficients(self, tariffs: DeliveryTariffs) -> np.ndarray:
        """[measure, kernel row] matrix turning kernel rows into measures."""
        coef = np.zeros((len(MEASURES), len(KERNEL_ROWS)))
        first, later = _B["attendances_first_cycle"], _B["attendances_later_cycles"]
        cycles, first_of_cycle = _B["cycles"], _B["first_attendances_of_cycle"]
        later_minutes = (
            self.chair_minutes_first_cycle if self.chair_minutes_later_cycles is None
            else self.chair_minutes_later_cycles
        )
        if self.counts_patients:
            # a regimen given alongside another (counts_patients False) adds time and cost, not people
            coef[_M["new_starts"], _B["starts"]] = 1.0
            coef[_M["patients_on_treatment"], _B["on_treatment"]] = 1.0
        coef[_M["attendances"], [first, later]] = 1.0
        coef[_M["chair_hours"], first] = self.chair_minutes_first_cycle / 60
        coef[_M["chair_hours"], later] = later_minutes / 60
        coef[_M["aseptic_items"], [first, later]] = self.aseptic_items_per_attendance
        coef[_M["aseptic_hours"], [first, later]] = (
            self.aseptic_items_per_attendance * self.aseptic_minutes_per_item / 60
        )
        coef[_M["verification_hours"], cycles] = self.verification_minutes_per_cycle / 60
        coef[_M["dispensing_hours"], cycles] = self.dispensing_minutes_per_cycle / 60
        coef[_M["cycles"], cycles] = 1.0
        coef[_M["clinic_appointments"], cycles] = self.clinic_appointments_per_cycle
        coef[_M["clinic_hours"], cycles] = (
            self.clinic_appointments_per_cycle * self.clinic_minutes_per_appointment / 60
        )
        coef[_M["drug_cost"], cycles] = self.drug_cost_per_cycle
        if self.schedule.is_oral:
            coef[_M["delivery_cost"], cycles] = tariffs.sb11z_oral_per_cycle
        else:
            # first of cycle at its HRG (SB12Z-14Z); every other attendance at the subsequent HRG (SB15Z)
            first_price = tariffs.attendance(self.first_attendance_hrg)
            subsequent_price = tariffs.attendance(self.subsequent_attendance_hrg)
            coef[_M["delivery_cost"], [first, later]] = subsequent_price
            coef[_M["delivery_cost"], first_of_cycle] = first_price - subsequent_price
        coef[_M["clinic_cost"], cycles] = self.clinic_appointments_per_cycle * tariffs.clinic_per_appointment
        return coef


@dataclass(frozen=True)
class RegimenUse:
    """A regimen an appraisal brings in or displaces, for ``share`` of its patients [fraction]."""

    regimen: Regimen
    share: float = 1.0


@dataclass(frozen=True)
class FunnelStep:
    """One step of an eligible-population funnel: ``percent`` [%] of the previous count."""

    name: str
    percent: float
    source: str = ""


@dataclass(frozen=True)
class EligibleFunnel:
    """Eligible patients a year = ``start_count`` [patients/year] × each step's percent."""

    start_count: float
    steps: tuple[FunnelStep, ...] = ()
    source: str = ""

    @property
    def eligible_per_year(self) -> float:
        return self.start_count * math.prod(step.percent / 100 for step in self.steps)


@dataclass(frozen=True)
class BranchedFunnel(EligibleFunnel):
    """Eligible patients a year as the sum of paths, then common steps:
    Σ_paths (path start count × its steps) × each common step's percent [patients/year].

    E.g. people with stage 4 disease at diagnosis, plus people diagnosed at stages 2–3 whose
    disease later progresses (two paths), then the share reaching each line of treatment (common
    steps). Each path is an :class:`EligibleFunnel` with its own sources. ``start_count`` holds the
    sum of the paths (so code that reads a plain funnel still sees the total before common steps).
    """

    paths: tuple[EligibleFunnel, ...] = ()

    @classmethod
    def of(cls, paths: tuple[EligibleFunnel, ...], steps: tuple[FunnelStep, ...] = (), source: str = "") -> BranchedFunnel:
        return cls(start_count=sum(path.eligible_per_year for path in paths), steps=steps, source=source, paths=paths)

    @property
    def eligible_per_year(self) -> float:
        total = sum(path.eligible_per_year for path in self.paths) if self.paths else self.start_count
        return total * math.prod(step.percent / 100 for step in self.steps)


@dataclass(frozen=True)
class Spread:
    """Low and high as multipliers of the central value (1.0 = no spread)."""

    low: float = 1.0
    high: float = 1.0

    @classmethod
    def from_values(cls, low: float, central: float, high: float) -> Spread:
        """From explicit low, central and high values."""
        return cls(low / central, high / central)

    def multiplier(self, scenario: Scenario | str) -> float:
        scenario = Scenario(scenario)
        return {Scenario.LOW: self.low, Scenario.CENTRAL: 1.0, Scenario.HIGH: self.high}[scenario]


@dataclass(frozen=True)
class Appraisal:
    """One appraisal in the pipeline.

    Attributes
    ----------
    key : identifier, e.g. "TA1037" or "GID-TA10914".
    name : title shown to users.
    eligible_per_year : national eligible [patients/year], a number or a funnel.
    uptake_percent_by_year : uptake in years 1..5 from the effective start [%]; later years
        hold the last value.
    effective_start : first date a trust may be asked to treat (from :mod:`.deadlines`);
        None = not yet known: the appraisal then contributes nothing.
    brings_in, displaces : regimens and the share of the appraisal's patients on each.
    tumour_site : for the alliance's tumour-site shares.
    eligible_growth_percent_per_year : population growth [%/year], by year from start.
    eligible_data_year : the calendar year the eligible figure describes (NICE often starts from
        a registry year several years back, e.g. 2022); growth then applies from that year: year 1
        from the start has (start's calendar year − data year) years of growth already. None = the
        figure is year 1's.
    eligible_spread, uptake_spread, time_on_treatment_spread : low/high multipliers.
    """

    key: str
    name: str
    eligible_per_year: float | EligibleFunnel
    uptake_percent_by_year: tuple[float, ...]
    effective_start: date | None
    brings_in: tuple[RegimenUse, ...]
    displaces: tuple[RegimenUse, ...] = ()
    tumour_site: str | None = None
    eligible_growth_percent_per_year: float = 0.0
    eligible_spread: Spread = Spread()
    uptake_spread: Spread = Spread()
    time_on_treatment_spread: Spread = Spread()
    eligible_data_year: int | None = None

    @property
    def years_of_growth_before_start(self) -> int:
        """Years of growth from the data year to year 1 (0 without a data year or start)."""
        if self.eligible_data_year is None or self.effective_start is None:
            return 0
        return max(self.effective_start.year - self.eligible_data_year, 0)

    @property
    def national_eligible_per_year(self) -> float:
        """Central national eligible in year 1 [patients/year], grown from the data year."""
        if isinstance(self.eligible_per_year, EligibleFunnel):
            figure = self.eligible_per_year.eligible_per_year
        else:
            figure = float(self.eligible_per_year)
        return figure * (1 + self.eligible_growth_percent_per_year / 100) ** self.years_of_growth_before_start


@dataclass(frozen=True)
class Trust:
    """An NHS provider: ODS code, name, ICB, catchment population [people], capacity."""

    code: str
    name: str
    icb: str
    catchment_population: float
    capacity: TrustCapacity = TrustCapacity()


@dataclass(frozen=True)
class RegimenOverride:
    """A trust's own figures for a regimen (by regimen name); None keeps the regimen's."""

    trust_code: str
    regimen_name: str
    chair_minutes_first_cycle: float | None = None
    chair_minutes_later_cycles: float | None = None
    aseptic_items_per_attendance: float | None = None
    aseptic_minutes_per_item: float | None = None
    verification_minutes_per_cycle: float | None = None
    dispensing_minutes_per_cycle: float | None = None
    clinic_appointments_per_cycle: float | None = None
    clinic_minutes_per_appointment: float | None = None
    drug_cost_per_cycle: float | None = None

    def apply(self, regimen: Regimen) -> Regimen:
        changes = {
            name: value
            for name, value in vars(self).items()
            if name not in ("trust_code", "regimen_name") and value is not None
        }
        return replace(regimen, **changes)


@dataclass(frozen=True)
class ModelInputs:
    """Everything the model needs.

    Attributes
    ----------
    appraisals, trusts : the pipeline and the alliance's trusts.
    grid_start : first week of the grid (moved back to its Monday).
    n_weeks : horizon [weeks], default 260 (5 years).
    local_patients : (appraisal key, trust code) → the trust's eligible [patients/year]
        (first precedence).
    tumour_site_shares : (trust code, tumour site) → the trust's fraction of England's
        patients for that site (second precedence; kept for callers that work in England's terms).
    alliance_site_shares : (trust code, tumour site) → the trust's share of the alliance's
        patients with that cancer, as the alliance sets it (e.g. from SACT dataset activity)
        [fraction of the alliance]; second precedence. The alliance's patients are England's ×
        the alliance's population / England's, the alliance's population being the sum of its
        trusts' catchments: RHM with 40% of Wessex lung patients, Wessex 2,595,000 people, has
        40% × 2,595,000 / 57,690,300 = 1.80% of England's (TA1037: 352 × 1.80% = 6.3 a year).
    regimen_overrides : trusts' own regimen figures.
    tariffs : delivery costs.
    england_population : [people], default 57,690,300 (ONS mid-2023).
    """

    appraisals: tuple[Appraisal, ...]
    trusts: tuple[Trust, ...]
    grid_start: date
    n_weeks: int = HORIZON_WEEKS
    local_patients: Mapping[tuple[str, str], float] = field(default_factory=dict)
    tumour_site_shares: Mapping[tuple[str, str], float] = field(default_factory=dict)
    alliance_site_shares: Mapping[tuple[str, str], float] = field(default_factory=dict)
    regimen_overrides: tuple[RegimenOverride, ...] = ()
    tariffs: DeliveryTariffs = DeliveryTariffs()
    england_population: float = ENGLAND_POPULATION


SHARE_FROM_LOCAL_PATIENTS = "trust override (patients a year)"
SHARE_FROM_TUMOUR_SITE = "alliance tumour-site share"
SHARE_FROM_CATCHMENT = "catchment population / England population"


SHARE_SOURCES = (SHARE_FROM_CATCHMENT, SHARE_FROM_TUMOUR_SITE, SHARE_FROM_LOCAL_PATIENTS)


def alliance_population(inputs: ModelInputs) -> float:
    """The alliance's population: the sum of its trusts' catchments [people]."""
    return float(sum(t.catchment_population for t in inputs.trusts))


def alliance_site_share_of_england(share_of_alliance: float, alliance_people: float,
                                   england_population: float = ENGLAND_POPULATION) -> float:
    """A trust's fraction of England's patients from its share of the alliance's patients with a
    cancer: share × alliance population / England population [fraction]."""
    return share_of_alliance * alliance_people / england_population


def trust_shares(inputs: ModelInputs) -> tuple[np.ndarray, np.ndarray]:
    """Each trust's fraction of England's patients per appraisal [A, T], and the rule used
    as an index into :data:`SHARE_SOURCES` [A, T] (later rules take precedence)."""
    appraisal_index = {a.key: i for i, a in enumerate(inputs.appraisals)}
    trust_index = {t.code: i for i, t in enumerate(inputs.trusts)}
    catchment = np.array([t.catchment_population for t in inputs.trusts]) / inputs.england_population
    shares = np.tile(catchment, (len(inputs.appraisals), 1))
    sources = np.zeros(shares.shape, dtype=np.int8)
    sites = np.array([a.tumour_site for a in inputs.appraisals], dtype=object)
    alliance_fraction = alliance_population(inputs) / inputs.england_population
    site_shares = [(key, share) for key, share in inputs.tumour_site_shares.items()]
    site_shares += [(key, share * alliance_fraction) for key, share in inputs.alliance_site_shares.items()]
    for (trust_code, site), share in site_shares:
        t = trust_index.get(trust_code)
        if t is None or site is None:
            continue
        rows = np.flatnonzero(sites == site)
        shares[rows, t] = share
        sources[rows, t] = 1
    for (appraisal_key, trust_code), patients in inputs.local_patients.items():
        a, t = appraisal_index.get(appraisal_key), trust_index.get(trust_code)
        if a is None or t is None:
            continue
        national = inputs.appraisals[a].national_eligible_per_year
        shares[a, t] = patients / national if national > 0 else 0.0
        sources[a, t] = 2
    return shares, sources


# --------------------------------------------------------------------------- model


def monday_on_or_before(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _fft_length(minimum: int) -> int:
    """Smallest 2^a 3^b 5^c ≥ minimum (fast sizes for pocketfft)."""
    best = 1 << max(0, (minimum - 1).bit_length())
    for threes in (1, 3, 9, 27):
        for fives in (1, 5, 25):
            size = threes * fives
            while size < minimum:
                size *= 2
            best = min(best, size)
    return best


def run_model(inputs: ModelInputs, scenario: Scenario | str = Scenario.CENTRAL) -> ImpactResult:
    """Run the model for one scenario.

    Central: every appraisal at its central figures. Low and high bound each figure of each
    appraisal at each trust, week by week: low is the lowest value of that figure over the
    central case and the four combinations of {low, high} patient numbers (eligible × uptake)
    and {low, high} time on the new treatment; high the highest. So low ≤ central ≤ high holds
    for every figure, net figures included: where an appraisal's net figure is a saving (it
    displaces more than it brings in), its low case is the one with more patients, not fewer.
    Brought-in and displaced figures are bounded the same way, each on its own, so a low net
    figure need not equal low brought in − low displaced. The time-on-treatment spread applies to
    the regimens an appraisal brings in; those it only displaces keep their central time (the
    uncertainty is about the new treatment). The pipeline's totals add each appraisal's bound.
    """
    scenario = Scenario(scenario)
    appraisals = inputs.appraisals
    if scenario is Scenario.CENTRAL:
        return run_with_multipliers(inputs, scenario_label=scenario.value)

    def spread(name: str, level: Scenario) -> np.ndarray:
        return np.array([getattr(a, name).multiplier(level) for a in appraisals])

    runs = [run_with_multipliers(inputs, scenario_label=scenario.value)]
    for patients in (Scenario.LOW, Scenario.HIGH):
        for time in (Scenario.LOW, Scenario.HIGH):
            runs.append(run_with_multipliers(
                inputs,
                eligible_multipliers=spread("eligible_spread", patients),
                uptake_multipliers=spread("uptake_spread", patients),
                time_on_treatment_multipliers=spread("time_on_treatment_spread", time),
                scenario_label=scenario.value,
            ))
    return _bound(runs, lowest=scenario is Scenario.LOW)


def _bound(runs: Sequence[ImpactResult], *, lowest: bool) -> ImpactResult:
    """Week-by-week lowest (or highest) of each appraisal's figures at each trust over ``runs``
    (the same inputs at different multipliers); pipeline totals add the appraisals' bounds."""
    pick = np.minimum if lowest else np.maximum
    central = runs[0]

    def reduce(arrays):
        out = arrays[0]
        for array in arrays[1:]:
            out = pick(out, array)
        return out

    national_in = reduce([r.national_brought_in for r in runs])
    national_out = reduce([r.national_displaced for r in runs])
    national_net = reduce([r.national_brought_in - r.national_displaced for r in runs])
    shares = central.shares
    n_appraisals, n_trusts = shares.shape
    # a trust with its own regimen figures is not share × England: bound its series directly
    touched = sorted({(int(a), effect.trust) for effect in central.override_effects
                      for a in central.pair_appraisal[effect.pairs]})
    explicit = {}
    for a, t in touched:
        for component in Component:
            explicit[(a, t, component.value)] = reduce([r._appraisal_trust(a, t, component) for r in runs])
    trust_net = np.einsum("at,amw->tmw", shares, national_net)
    for a, t in touched:
        trust_net[t] += explicit[(a, t, Component.NET.value)] - shares[a, t] * national_net[a]
    local_eligible = reduce([r.local_eligible_per_year for r in runs])
    for array in (national_in, national_out, national_net, trust_net, local_eligible, *explicit.values()):
        array.setflags(write=False)
    return replace(
        central,
        local_eligible_per_year=local_eligible,
        national_brought_in=national_in,
        national_displaced=national_out,
        national_net=national_net,
        trust_net=trust_net,
        override_effects=(),
        explicit_series=explicit,
        bound_runs=tuple(runs),
        bound_lowest=lowest,
    )


def run_with_multipliers(
    inputs: ModelInputs,
    *,
    eligible_multipliers: np.ndarray | None = None,
    uptake_multipliers: np.ndarray | None = None,
    time_on_treatment_multipliers: np.ndarray | None = None,
    scenario_label: str = "custom",
) -> ImpactResult:
    """Run the model with per-appraisal multipliers of eligible, uptake and median time on
    treatment (uptake is capped at 100%).

    Appraisals that started before the grid are run from their start, at most one horizon
    back: patients who started earlier than that are left out (a fixed course never lasts
    that long; an uncapped until-progression tail adds a negligible amount).
    """
    appraisals, trusts = inputs.appraisals, inputs.trusts
    n_appraisals, n_weeks = len(appraisals), inputs.n_weeks
    ones = np.ones(n_appraisals)
    eligible_multipliers = ones if eligible_multipliers is None else np.asarray(eligible_multipliers, float)
    uptake_multipliers = ones if uptake_multipliers is None else np.asarray(uptake_multipliers, float)
    time_multipliers = (
        ones if time_on_treatment_multipliers is None else np.asarray(time_on_treatment_multipliers, float)
    )

    grid_start = monday_on_or_before(inputs.grid_start)
    start_weeks = [
        None if a.effective_start is None
        else (monday_on_or_before(a.effective_start) - grid_start).days // 7
        for a in appraisals
    ]
    # Patients who started before the grid are still on treatment in it: run the model
    # from the earliest start (at most one horizon back) and keep the grid's weeks.
    weeks_before_grid = min(n_weeks, max([0] + [-week for week in start_weeks if week is not None]))
    n_internal = weeks_before_grid + n_weeks

    national_starts, starts_in_monday_year, start_year_of_week = _national_starts(
        appraisals, start_weeks, weeks_before_grid, n_internal, eligible_multipliers, uptake_multipliers
    )

    # One (appraisal, regimen) pair per distinct regimen an appraisal touches.
    pair_appraisal, pair_regimen, pair_in, pair_out = [], [], [], []
    for a, appraisal in enumerate(appraisals):
        shares_by_regimen: dict[Regimen, list[float]] = {}
        for use in appraisal.brings_in:
            shares_by_regimen.setdefault(use.regimen, [0.0, 0.0])[0] += use.share
        for use in appraisal.displaces:
            shares_by_regimen.setdefault(use.regimen, [0.0, 0.0])[1] += use.share
        for regimen, (share_in, share_out) in shares_by_regimen.items():
            pair_appraisal.append(a)
            pair_regimen.append(regimen)
            pair_in.append(share_in)
            pair_out.append(share_out)
    pair_appraisal = np.asarray(pair_appraisal, dtype=int)
    n_pairs = len(pair_regimen)

    kernel_keys: dict[tuple[Regimen, float], int] = {}
    pair_kernel = np.empty(n_pairs, dtype=int)
    for p, (a, regimen) in enumerate(zip(pair_appraisal, pair_regimen)):
        # the time-on-treatment spread is the new treatment's: regimens only displaced keep their central time
        scaled = not regimen.schedule.is_fixed_course and pair_in[p] > 0
        key = (regimen, float(time_multipliers[a]) if scaled else 1.0)
        pair_kernel[p] = kernel_keys.setdefault(key, len(kernel_keys))
    kernels = np.zeros((len(kernel_keys), len(KERNEL_ROWS), n_internal))
    schedule_of_kernel = {k: regimen.schedule.with_time_on_treatment_scaled(multiplier)
                          for (regimen, multiplier), k in kernel_keys.items()}
    for (regimen, multiplier), k in kernel_keys.items():
        kernels[k] = regimen.schedule.with_time_on_treatment_scaled(multiplier).kernels(n_internal).as_matrix()

    # basis[p, row, w]: national kernel rows for pair p, starts × kernel, on the grid.
    fft_length = _fft_length(2 * n_internal - 1)
    starts_spectrum = np.fft.rfft(national_starts, fft_length)
    kernel_spectrum = np.fft.rfft(kernels, fft_length)
    if n_pairs:
        basis = np.fft.irfft(
            starts_spectrum[pair_appraisal][:, None, :] * kernel_spectrum[pair_kernel], fft_length
        )[:, :, weeks_before_grid:n_internal]
        # FFT round-off leaves ~1e-13 where the exact answer is 0 (before a start).
        basis[np.abs(basis) < 1e-9] = 0.0
    else:
        basis = np.zeros((0, len(KERNEL_ROWS), n_weeks))

    coefficient_cache: dict[Regimen, np.ndarray] = {}

    def coefficients(regimen: Regimen) -> np.ndarray:
        if regimen not in coefficient_cache:
            coefficient_cache[regimen] = regimen.coefficients(inputs.tariffs)
        return coefficient_cache[regimen]

    pair_coefficients = np.stack([coefficients(r) for r in pair_regimen]) if n_pairs else np.zeros(
        (0, len(MEASURES), len(KERNEL_ROWS))
    )
    pair_in, pair_out = np.asarray(pair_in, dtype=float), np.asarray(pair_out, dtype=float)
    pair_measures = np.einsum("pmb,pbw->pmw", pair_coefficients, basis)  # [P, M, W]
    national_in = np.zeros((n_appraisals, len(MEASURES), n_weeks))
    national_out = np.zeros((n_appraisals, len(MEASURES), n_weeks))
    if n_pairs:
        # pairs are listed appraisal by appraisal: sum each appraisal's run of pairs
        first_pairs = np.flatnonzero(np.r_[True, pair_appraisal[1:] != pair_appraisal[:-1]])
        with_pairs = pair_appraisal[first_pairs]
        national_in[with_pairs] = np.add.reduceat(pair_in[:, None, None] * pair_measures, first_pairs, axis=0)
        national_out[with_pairs] = np.add.reduceat(pair_out[:, None, None] * pair_measures, first_pairs, axis=0)

    shares, share_source_index = trust_shares(inputs)

    # Trust regimen overrides: a change of coefficients on the pairs using that regimen,
    # kept compact (the basis series are shared) and applied when a series is asked for.
    trust_index = {trust.code: t for t, trust in enumerate(trusts)}
    pairs_by_regimen: dict[Regimen, list[int]] = {}
    for p, regimen in enumerate(pair_regimen):
        pairs_by_regimen.setdefault(regimen, []).append(p)
    effects = []
    for override in inputs.regimen_overrides:
        t = trust_index.get(override.trust_code)
        if t is None:
            continue
        for regimen, pairs in pairs_by_regimen.items():
            if regimen.name == override.regimen_name:
                delta = coefficients(override.apply(regimen)) - coefficients(regimen)
                effects.append(_OverrideEffect(t, np.asarray(pairs), delta))

    national_net = national_in - national_out
    trust_net = (shares.T @ national_net.reshape(n_appraisals, len(MEASURES) * n_weeks)).reshape(len(trusts), len(MEASURES), n_weeks)
    for effect in effects:
        weights = shares[pair_appraisal[effect.pairs], effect.trust] * (pair_in - pair_out)[effect.pairs]
        trust_net[effect.trust] += effect.delta @ np.tensordot(weights, basis[effect.pairs], axes=1)

    week_starts = pd.DatetimeIndex([grid_start + timedelta(weeks=w) for w in range(n_weeks)], name="week_start")
    local_eligible = shares * np.array(
        [a.national_eligible_per_year for a in appraisals]
    )[:, None] * eligible_multipliers[:, None]
    for array in (national_in, national_out, trust_net, shares, share_source_index, local_eligible):
        array.setflags(write=False)
    return ImpactResult(
        scenario=scenario_label,
        week_starts=week_starts,
        appraisals=tuple(appraisals),
        trusts=tuple(trusts),
        start_weeks=tuple(start_weeks),
        shares=shares,
        share_source_index=share_source_index,
        local_eligible_per_year=local_eligible,
        national_brought_in=national_in,
        national_displaced=national_out,
        trust_net=trust_net,
        basis=basis,
        pair_appraisal=pair_appraisal,
        pair_in=pair_in,
        pair_out=pair_out,
        override_effects=tuple(effects),
        national_starts=national_starts,
        weeks_before_grid=weeks_before_grid,
        starts_in_monday_year=starts_in_monday_year,
        start_year_of_week=start_year_of_week,
        pair_schedules=tuple(schedule_of_kernel[k] for k in pair_kernel),
        pair_counts_patients=np.array([r.counts_patients for r in pair_regimen], dtype=bool),
        pair_courses=tuple(r.course or r.name for r in pair_regimen),
    )


def _national_starts(
    appraisals: Sequence[Appraisal],
    start_weeks: Sequence[int | None],
    weeks_before_grid: int,
    n_internal: int,
    eligible_multipliers: np.ndarray,
    uptake_multipliers: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """National new starts a week [A, internal weeks]: eligible × uptake(year) / 52.18; the part of each
    week's starts in the year its Monday is in; and that year from the start (−1 before it)."""
    n_appraisals = len(appraisals)
    starts = np.zeros((n_appraisals, n_internal))
    if not n_appraisals:  # an empty pipeline starts no one
        return starts, starts.copy(), np.full((0, n_internal), -1)
    n_years = max(len(a.uptake_percent_by_year) for a in appraisals)
    uptake = np.zeros((n_appraisals, n_years))
    for a, appraisal in enumerate(appraisals):
        values = list(appraisal.uptake_percent_by_year) or [0.0]
        uptake[a] = values + [values[-1]] * (n_years - len(values))  # later years hold the last
    uptake = np.minimum(uptake / 100 * uptake_multipliers[:, None], 1.0)

    first_week = np.array([weeks_before_grid + (w if w is not None else 0) for w in start_weeks])
    known = np.array([w is not None for w in start_weeks])
    weeks_since_start = np.arange(n_internal)[None, :] - first_week[:, None]
    growth = np.array([1 + a.eligible_growth_percent_per_year / 100 for a in appraisals])
    eligible = (
        np.array([a.national_eligible_per_year for a in appraisals]) * eligible_multipliers
    )[:, None]

    def starts_a_week_in_year(year: np.ndarray) -> np.ndarray:
        """[A, W] national starts a week at the rate of year ``year`` (0-based) from the start."""
        uptake_this_year = np.take_along_axis(uptake, np.minimum(year, n_years - 1), axis=1)
        return eligible * growth[:, None] ** year * uptake_this_year / WEEKS_PER_YEAR

    # Years from the start are 365.25 days from the start week's Monday; a week that straddles a
    # year's end takes each year's rate for the days it holds of that year (as the year-from-start
    # totals count it), so uptake changes at the year boundary, not at week 53.
    first_day = np.maximum(weeks_since_start, 0) * 7.0
    year = np.floor(first_day / DAYS_PER_YEAR).astype(int)
    days_in_this_year = np.clip(DAYS_PER_YEAR * (year + 1) - first_day, 0.0, 7.0)
    fraction_this_year = days_in_this_year / 7.0
    rate = fraction_this_year * starts_a_week_in_year(year) + (1 - fraction_this_year) * starts_a_week_in_year(year + 1)
    active = (weeks_since_start >= 0) & known[:, None]
    starts[active] = rate[active]
    # the part of each week's starts that belongs to the year its Monday is in (the rest is the next
    # year's): exact starts by year from the start, whatever the straddling weeks hold
    in_monday_year = np.where(active, fraction_this_year * starts_a_week_in_year(year), 0.0)
    return starts, in_monday_year, np.where(active, year, -1)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class _OverrideEffect:
    """A trust's regimen override: coefficient change ``delta`` [measure, kernel row] on
    the (appraisal, regimen) ``pairs`` it touches at trust index ``trust``."""

    trust: int
    pairs: np.ndarray
    delta: np.ndarray


def _frame(series: np.ndarray, week_starts: pd.DatetimeIndex) -> pd.DataFrame:
    return pd.DataFrame(series.T, index=week_starts, columns=list(MEASURES))


@dataclass(frozen=True, eq=False)
class ImpactResult:
    """The model's output for one scenario.

    Weekly DataFrames have index ``week_start`` (Mondays) and one column per measure in
    :data:`MEASURES`, units in :data:`MEASURE_UNITS`. ``component`` is "net" (brought in −
    displaced, default), "brought in" or "displaced".

    Attributes
    ----------
    scenario : "low", "central", "high" or "custom".
    week_starts : the grid's Mondays.
    appraisals, trusts : as given.
    start_weeks : week index of each appraisal's effective start on the grid (negative if
        before the grid; None if not yet known).
    shares : [appraisal, trust] fraction of England's patients; ``share_sources`` the rule used.
    share_source_index : [appraisal, trust] index into :data:`SHARE_SOURCES`.
    local_eligible_per_year : [appraisal, trust] eligible [patients/year] in year 1.
    national_brought_in, national_displaced : [appraisal, measure, week], England.
    trust_net : [trust, measure, week], the whole pipeline's net impact on each trust.
    basis, pair_appraisal, pair_in, pair_out : national kernel-row series of each
        (appraisal, regimen) pair [pair, row, week], its appraisal and its shares brought in
        and displaced; with ``override_effects`` they give the trusts' override corrections.
    national_net : [appraisal, measure, week] England net, where it is not brought in −
        displaced (the low and high scenarios bound each figure separately); None otherwise.
    explicit_series : (appraisal, trust, component) → [measure, week] series held whole
        (a low or high bound at a trust with its own regimen figures).
    national_starts, weeks_before_grid : national new starts a week [appraisal, week] from
        ``weeks_before_grid`` weeks before the grid (cohorts still treated on it).
    starts_in_monday_year, start_year_of_week : [appraisal, week] the part of each week's starts
        in the year (from the start, 0-based) its Monday falls in, and that year (−1 before the
        start): the rest of the week's starts are the next year's.
    pair_schedules, pair_counts_patients : each (appraisal, regimen) pair's schedule as run and
        whether its patients count (not a regimen given alongside).
    bound_runs, bound_lowest : for a low or high result, the runs it bounds.
    """

    scenario: str
    week_starts: pd.DatetimeIndex
    appraisals: tuple[Appraisal, ...]
    trusts: tuple[Trust, ...]
    start_weeks: tuple[int | None, ...]
    shares: np.ndarray = field(repr=False)
    share_source_index: np.ndarray = field(repr=False)
    local_eligible_per_year: np.ndarray = field(repr=False)
    national_brought_in: np.ndarray = field(repr=False)
    national_displaced: np.ndarray = field(repr=False)
    trust_net: np.ndarray = field(repr=False)
    basis: np.ndarray = field(repr=False)
    pair_appraisal: np.ndarray = field(repr=False)
    pair_in: np.ndarray = field(repr=False)
    pair_out: np.ndarray = field(repr=False)
    override_effects: tuple[_OverrideEffect, ...] = field(repr=False)
    national_net: np.ndarray | None = field(default=None, repr=False)
    explicit_series: Mapping[tuple[int, int, str], np.ndarray] = field(default_factory=dict, repr=False)
    national_starts: np.ndarray | None = field(default=None, repr=False)
    weeks_before_grid: int = 0
    starts_in_monday_year: np.ndarray | None = field(default=None, repr=False)
    start_year_of_week: np.ndarray | None = field(default=None, repr=False)
    pair_schedules: tuple[RegimenSchedule, ...] = field(default=(), repr=False)
    pair_counts_patients: np.ndarray | None = field(default=None, repr=False)
    pair_courses: tuple[str, ...] = field(default=(), repr=False)
    bound_runs: tuple[ImpactResult, ...] = field(default=(), repr=False)
    bound_lowest: bool = True

    # ---- lookups

    @property
    def share_sources(self) -> tuple[tuple[str, ...], ...]:
        """[appraisal][trust] the rule that gave the share, in words."""
        return tuple(tuple(SHARE_SOURCES[i] for i in row) for row in self.share_source_index)

    @property
    def appraisal_keys(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.appraisals)

    @property
    def trust_codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.trusts)

    def _appraisal_index(self, appraisal: str) -> int:
        try:
            return self.appraisal_keys.index(appraisal)
        except ValueError:
            raise KeyError(f"no appraisal {appraisal!r} in the result") from None

    def _trust_index(self, trust: str) -> int:
        try:
            return self.trust_codes.index(trust)
        except ValueError:
            raise KeyError(f"no trust {trust!r} in the result") from None

    def _national(self, a: int, component: Component) -> np.ndarray:
        if component is Component.BROUGHT_IN:
            return self.national_brought_in[a]
        if component is Component.DISPLACED:
            return self.national_displaced[a]
        if self.national_net is not None:
            return self.national_net[a]
        return self.national_brought_in[a] - self.national_displaced[a]

    def _appraisal_trust(self, a: int, t: int, component: Component) -> np.ndarray:
        explicit = self.explicit_series.get((a, t, component.value))
        if explicit is not None:
            return explicit
        series = self.shares[a, t] * self._national(a, component)
        for effect in self.override_effects:
            if effect.trust != t:
                continue
            pairs = effect.pairs[self.pair_appraisal[effect.pairs] == a]
            if pairs.size:
                weights = self.shares[a, t] * self._pair_weights(component)[pairs]
                series = series + effect.delta @ np.tensordot(weights, self.basis[pairs], axes=1)
        return series

    def _pair_weights(self, component: Component) -> np.ndarray:
        if component is Component.BROUGHT_IN:
            return self.pair_in
        if component is Component.DISPLACED:
            return self.pair_out
        return self.pair_in - self.pair_out

    def _trust_total(self, t: int, component: Component) -> np.ndarray:
        if component is Component.NET:
            return self.trust_net[t]
        total = self._zeros()
        for a in range(len(self.appraisals)):
            total += self._appraisal_trust(a, t, component)
        return total

    # ---- weekly series

    def national_weekly(self, appraisal: str, component: str = "net") -> pd.DataFrame:
        """England's weekly series for one appraisal."""
        return _frame(self._national(self._appraisal_index(appraisal), Component(component)), self.week_starts)

    def appraisal_trust_weekly(self, appraisal: str, trust: str, component: str = "net") -> pd.DataFrame:
        """One appraisal at one trust, weekly."""
        a, t = self._appraisal_index(appraisal), self._trust_index(trust)
        return _frame(self._appraisal_trust(a, t, Component(component)), self.week_starts)

    def appraisal_weekly(self, appraisal: str, trusts: Sequence[str] | None = None, component: str = "net") -> pd.DataFrame:
        """One appraisal summed over ``trusts`` (default: every trust, i.e. the alliance)."""
        a = self._appraisal_index(appraisal)
        codes = self.trust_codes if trusts is None else trusts
        total = self._zeros()
        for code in codes:
            total += self._appraisal_trust(a, self._trust_index(code), Component(component))
        return _frame(total, self.week_starts)

    def _zeros(self) -> np.ndarray:
        return np.zeros((len(MEASURES), len(self.week_starts)))

    def trust_weekly(self, trust: str, component: str = "net") -> pd.DataFrame:
        """The whole pipeline at one trust, weekly."""
        return _frame(self._trust_total(self._trust_index(trust), Component(component)), self.week_starts)

    def icb_weekly(self, icb: str, component: str = "net") -> pd.DataFrame:
        """The whole pipeline summed over the trusts of one ICB, weekly."""
        indices = [t for t, trust in enumerate(self.trusts) if trust.icb == icb]
        if not indices:
            raise KeyError(f"no trust in ICB {icb!r}")
        total = self._zeros()
        for t in indices:
            total += self._trust_total(t, Component(component))
        return _frame(total, self.week_starts)

    def alliance_weekly(self, component: str = "net") -> pd.DataFrame:
        """The whole pipeline summed over every trust, weekly."""
        total = self._zeros()
        for t in range(len(self.trusts)):
            total += self._trust_total(t, Component(component))
        return _frame(total, self.week_starts)

    # ---- summaries

    def people_treated(self, appraisal: str, first_day: date, end_day: date, component: str = "brought in") -> float:
        """People having treatment in [first_day, end_day), England [people]: everyone who has at
        least one cycle starting in the period (NICE's "people having treatment in the year"), not
        the mean number on treatment. A patient starting on day s has cycle k on day s + k × L
        with probability p_k; the first cycle inside the period is k0 = ceil((first − s) / L) (0 if
        the patient starts inside it), so the chance of being treated in it is p_k0 (p falls with
        k). Regimens given alongside count nobody. Low and high take the lowest and highest over
        the runs they bound. A trust's figure is its share × England's (:meth:`people_treated_by_trust`).
        """
        if self.bound_runs:
            values = [run.people_treated(appraisal, first_day, end_day, component) for run in self.bound_runs]
            return float(min(values) if self.bound_lowest else max(values))
        a = self._appraisal_index(appraisal)
        component = Component(component)
        weights = self._pair_weights(component)
        first_monday = pd.Timestamp(self.week_starts[0]) - pd.Timedelta(weeks=self.weeks_before_grid)
        first = (pd.Timestamp(first_day) - first_monday).days
        end = (pd.Timestamp(end_day) - first_monday).days
        starts = self.national_starts[a]
        cohort_days = 7.0 * np.arange(starts.size)
        # the phases of one regimen are one course: a patient counts once, at the first cycle of any
        # phase on or after the period's first day (the chance of reaching a cycle falls along the course)
        courses: dict[str, list[int]] = {}
        for p in np.flatnonzero(self.pair_appraisal == a):
            if self.pair_counts_patients[p] and weights[p] != 0:
                courses.setdefault(self.pair_courses[p], []).append(int(p))
        total = 0.0
        for pairs in courses.values():
            days, chances = [], []
            for p in pairs:
                schedule = self.pair_schedules[p]
                n_cycles = max(math.ceil((end - schedule.offset_days) / schedule.cycle_length_days) + 1, 1)
                probabilities = schedule.cycle_probabilities(n_cycles)
                days.append(schedule.offset_days + schedule.cycle_length_days * np.arange(probabilities.size))
                chances.append(probabilities)
            days, chances = np.concatenate(days), np.concatenate(chances)
            order = np.argsort(days, kind="stable")
            days, chances = days[order], chances[order]
            first_cycle = np.searchsorted(days, first - cohort_days, side="left")
            inside = first_cycle < days.size
            inside[inside] &= cohort_days[inside] + days[first_cycle[inside]] < end
            chance = np.zeros(starts.size)
            chance[inside] = chances[first_cycle[inside]]
            total += weights[pairs[0]] * float(starts @ chance)
        return total

    def new_starts_by_year_from_start(self, appraisal: str, component: str = "brought in") -> pd.Series:
        """England's people starting treatment in each whole year from the effective start (index
        1, 2, ...) [people]: eligible(y) × uptake(y) × 365.25 / 7 / 52.18, each straddling week's
        starts split by the year they belong to (the weekly totals of :func:`by_year_from_start`
        split a straddling week in proportion to its days instead, a fraction of a week's change
        in uptake apart). Low and high take the lowest and highest over the runs they bound."""
        if self.bound_runs:
            runs = [run.new_starts_by_year_from_start(appraisal, component) for run in self.bound_runs]
            frame = pd.concat(runs, axis=1)
            return (frame.min(axis=1) if self.bound_lowest else frame.max(axis=1)).rename("new_starts")
        a = self._appraisal_index(appraisal)
        start_week = self.start_weeks[a]
        weights = self._pair_weights(Component(component))
        # people start on a regimen's first phase only (a later phase starts nobody new)
        counted = sum(weights[p] for p in np.flatnonzero(self.pair_appraisal == a)
                      if self.pair_counts_patients[p] and self.pair_schedules[p].offset_days == 0)
        values = {}
        if start_week is not None:
            n_weeks = len(self.week_starts)
            year_of_week = self.start_year_of_week[a]
            own = self.starts_in_monday_year[a]
            rest = self.national_starts[a] - own
            for year in range(1, 100):
                if start_week + math.ceil(DAYS_PER_YEAR * year / 7) > n_weeks:
                    break
                if start_week + math.floor(DAYS_PER_YEAR * (year - 1) / 7) < 0:
                    continue
                values[year] = counted * float(own[year_of_week == year - 1].sum() + rest[year_of_week == year - 2].sum())
        return pd.Series(values, name="new_starts", dtype=float).rename_axis("year_from_start")

    def people_treated_by_year_from_start(self, appraisal: str, component: str = "brought in") -> pd.Series:
        """England's people having treatment in each whole year from the effective start (index 1,
        2, ...; years of 365.25 days from the start's Monday, as uptake) [people]."""
        a = self._appraisal_index(appraisal)
        start_week = self.start_weeks[a]
        values = {}
        if start_week is not None:
            start = pd.Timestamp(self.week_starts[0]) + pd.Timedelta(weeks=start_week)
            n_weeks = len(self.week_starts)
            for year in range(1, 100):
                if year_from_start_weights(start_week, year, n_weeks) is None:
                    if start_week + math.ceil(DAYS_PER_YEAR * year / 7) > n_weeks:
                        break
                    continue
                values[year] = self._people_in_days(appraisal, start, DAYS_PER_YEAR * (year - 1), DAYS_PER_YEAR * year,
                                                    component)
        return pd.Series(values, name="people_treated", dtype=float).rename_axis("year_from_start")

    def _people_in_days(self, appraisal, start, first_offset, end_offset, component) -> float:
        # cycles start on whole days: [a, b) in days from the start Monday holds days ceil(a) .. ceil(b) − 1
        first = (start + pd.Timedelta(days=math.ceil(first_offset))).date()
        end = (start + pd.Timedelta(days=math.ceil(end_offset))).date()
        return self.people_treated(appraisal, first, end, component)

    def people_treated_by_financial_year(self, appraisal: str, component: str = "brought in") -> pd.Series:
        """England's people having treatment in each financial year (index "2026/27") that ends on
        the grid: the model holds every cohort from the earliest start, so a year that begins
        before the grid is complete; one that ends after it is not given."""
        first = pd.Timestamp(self.week_starts[0]).date()
        last = (pd.Timestamp(self.week_starts[-1]) + pd.Timedelta(days=7)).date()
        values = {}
        year = first.year if first.month >= 4 else first.year - 1
        while date(year + 1, 4, 1) <= last:
            values[f"{year}/{(year + 1) % 100:02d}"] = self.people_treated(
                appraisal, date(year, 4, 1), date(year + 1, 4, 1), component)
            year += 1
        return pd.Series(values, name="people_treated", dtype=float).rename_axis("financial_year")

    def people_treated_by_trust(self, people_in_england: float | pd.Series, appraisal: str) -> pd.DataFrame | pd.Series:
        """A trust's people = its share of England's patients × England's people (patients are
        never changed by a trust's regimen figures). Columns (or index): trust codes."""
        shares = pd.Series(self.shares[self._appraisal_index(appraisal)], index=self.trust_codes)
        if isinstance(people_in_england, pd.Series):
            return pd.DataFrame({code: people_in_england * share for code, share in shares.items()})
        return shares * people_in_england

    def steady_state_weights(self, appraisal: str | int | None = None) -> np.ndarray:
        """Weights [week] (summing to 1) of the weeks that make an appraisal's steady state: the
        fifth year from its effective start (the mean week of that year). For the whole pipeline
        (``appraisal`` None), or an appraisal whose start is unknown, the grid's last 52 weeks,
        which the grid makes at least the fifth year of every appraisal."""
        n_weeks = len(self.week_starts)
        if appraisal is not None:
            a = appraisal if isinstance(appraisal, int) else self._appraisal_index(appraisal)
            weights = year_from_start_weights(self.start_weeks[a], STEADY_STATE_YEAR, n_weeks)
            if weights is not None:
                return weights / weights.sum()
        weights = np.zeros(n_weeks)
        weights[-STEADY_STATE_WEEKS:] = 1.0 / min(STEADY_STATE_WEEKS, n_weeks)
        return weights

    def steady_state(self, measure: str, component: str = "net") -> pd.DataFrame:
        """Each appraisal's steady state at each trust, [appraisal × trust]: the mean week of the
        fifth year from the appraisal's effective start (:meth:`steady_state_weights`).

        Defined as that mean (not an analytic limit) so that it is what the weekly chart
        shows; for a course that has not reached steady state by then it is the level reached.
        """
        weights = np.stack([self.steady_state_weights(a) for a in range(len(self.appraisals))]) if self.appraisals \
            else np.zeros((0, len(self.week_starts)))
        return self.weighted_values(measure, weights, component)

    def appraisal_trust_cube(self, measure: str, component: str = "net") -> np.ndarray:
        """One measure of every appraisal at every trust, weekly: [appraisal, trust, week]."""
        m = _M[measure]
        component = Component(component)
        n_appraisals, n_trusts = self.shares.shape
        national = np.stack([self._national(a, component)[m] for a in range(n_appraisals)]) if n_appraisals \
            else np.zeros((0, len(self.week_starts)))
        cube = self.shares[:, :, None] * national[:, None, :]
        pair_weights = self._pair_weights(component)
        for effect in self.override_effects:
            for p in effect.pairs:
                a = self.pair_appraisal[p]
                cube[a, effect.trust] += self.shares[a, effect.trust] * pair_weights[p] * (effect.delta[m] @ self.basis[p])
        for (a, t, name), series in self.explicit_series.items():
            if name == component.value:
                cube[a, t] = series[m]
        return cube

    def weighted_values(self, measure: str, weights: np.ndarray, component: str = "net") -> pd.DataFrame:
        """Σ_week weights[a, week] × the measure of appraisal a at each trust, [appraisal × trust];
        ``weights`` [appraisal, week] or [week] (the same for every appraisal). A mean over a
        period when the weights sum to 1; a total when they are 1 over its weeks."""
        m = _M[measure]
        component = Component(component)
        weights = np.broadcast_to(np.asarray(weights, dtype=float), (len(self.appraisals), len(self.week_starts)))
        national = np.stack([self._national(a, component)[m] for a in range(len(self.appraisals))]) \
            if self.appraisals else np.zeros((0, len(self.week_starts)))
        values = self.shares * np.einsum("aw,aw->a", national, weights)[:, None]
        if self.override_effects:
            basis_means = np.einsum("prw,pw->pr", self.basis, weights[self.pair_appraisal])  # [pair, row]
            pair_weights = self._pair_weights(component)
            for effect in self.override_effects:
                appraisals = self.pair_appraisal[effect.pairs]
                change = pair_weights[effect.pairs] * (basis_means[effect.pairs] @ effect.delta[m])
                np.add.at(values[:, effect.trust], appraisals, self.shares[appraisals, effect.trust] * change)
        for (a, t, name), series in self.explicit_series.items():
            if name == component.value:
                values[a, t] = series[m] @ weights[a]
        return pd.DataFrame(values, index=pd.Index(self.appraisal_keys, name="appraisal"),
                            columns=pd.Index(self.trust_codes, name="trust"))

    def appraisal_by_trust_summary(self, appraisal: str, component: str = "net") -> pd.DataFrame:
        """One row per trust for one appraisal; columns (units):

        trust_name, icb, share [fraction of England], share_source,
        local_eligible_per_year [patients/year, year 1],
        new_starts_year1, new_starts_year2 [patients] (years from the effective start),
        patients_on_treatment_steady_state [patients],
        attendances_per_week_steady_state [attendances/week],
        chair_hours_per_week_year1, _year2, _steady_state [chair-hours/week, mean],
        chairs_needed_steady_state [chairs] (trust's hours a day × days × utilisation),
        aseptic_hours_per_week_steady_state, verification_hours_per_week_steady_state,
        clinic_appointments_per_week_steady_state, clinic_hours_per_week_steady_state,
        drug_cost_year1, _year2, delivery_cost_year1, _year2, clinic_cost_year1, _year2,
        total_cost_year1, _year2 [£].
        Year figures are NaN where the year is not wholly inside the grid or the start is unknown.
        """
        a = self._appraisal_index(appraisal)
        component = Component(component)
        exact_starts = self.new_starts_by_year_from_start(appraisal, component.value)
        rows = []
        for t, trust in enumerate(self.trusts):
            series = self._appraisal_trust(a, t, component)
            row = self._summary_row(series, self.start_weeks[a], trust, self.steady_state_weights(a))
            for year in (1, 2):  # people starting: each straddling week's starts in the year they belong to
                if not np.isnan(row[f"new_starts_year{year}"]) and year in exact_starts.index:
                    row[f"new_starts_year{year}"] = self.shares[a, t] * exact_starts[year]
            rows.append(row
                        | {"share": self.shares[a, t], "share_source": SHARE_SOURCES[self.share_source_index[a, t]],
                           "local_eligible_per_year": self.local_eligible_per_year[a, t]})
        frame = pd.DataFrame(rows, index=pd.Index(self.trust_codes, name="trust"))
        first = ["trust_name", "icb", "share", "share_source", "local_eligible_per_year"]
        return frame[first + [c for c in frame.columns if c not in first]]

    def trust_summary(self) -> pd.DataFrame:
        """One row per trust for the whole pipeline (net): steady-state figures only, as
        year-from-start has no meaning across appraisals. Columns as in
        :meth:`appraisal_by_trust_summary` (the ``*_steady_state`` ones)."""
        rows = [
            {k: v for k, v in self._summary_row(self.trust_net[t], None, trust, self.steady_state_weights()).items()
             if "year" not in k}
            for t, trust in enumerate(self.trusts)
        ]
        return pd.DataFrame(rows, index=pd.Index(self.trust_codes, name="trust"))

    def _summary_row(self, series: np.ndarray, start_week: int | None, trust: Trust,
                     steady_weights: np.ndarray) -> dict:
        steady = series @ steady_weights
        row = {
            "trust_name": trust.name,
            "icb": trust.icb,
            "patients_on_treatment_steady_state": steady[_M["patients_on_treatment"]],
            "attendances_per_week_steady_state": steady[_M["attendances"]],
            "chair_hours_per_week_steady_state": steady[_M["chair_hours"]],
            "chairs_needed_steady_state": float(chairs_needed(steady[_M["chair_hours"]], trust.capacity)),
            "aseptic_hours_per_week_steady_state": steady[_M["aseptic_hours"]],
            "verification_hours_per_week_steady_state": steady[_M["verification_hours"]],
            "clinic_appointments_per_week_steady_state": steady[_M["clinic_appointments"]],
            "clinic_hours_per_week_steady_state": steady[_M["clinic_hours"]],
        }
        for year in (1, 2):
            weights = year_from_start_weights(start_week, year, len(self.week_starts))
            if weights is None:
                total = np.full(len(MEASURES), np.nan)
                mean = np.full(len(MEASURES), np.nan)
            else:
                total = series @ weights
                mean = total / weights.sum()
            row[f"new_starts_year{year}"] = total[_M["new_starts"]]
            row[f"chair_hours_per_week_year{year}"] = mean[_M["chair_hours"]]
            for cost in COST_MEASURES:
                row[f"{cost}_year{year}"] = total[_M[cost]]
            row[f"total_cost_year{year}"] = sum(total[_M[cost]] for cost in COST_MEASURES)
        return row


def year_from_start_weeks(start_week: int | None, year: int, n_weeks: int) -> slice | None:
    """Grid weeks of year ``year`` (1-based) from a start week: weeks whose offset from the
    start, in days, lies in [365.25 (year−1), 365.25 year). None if not wholly on the grid."""
    if start_week is None:
        return None
    # the week holding day 365.25 (y−1) may straddle the year's start: it belongs in part
    first = start_week + math.floor(DAYS_PER_YEAR * (year - 1) / 7)
    end = start_week + math.ceil(DAYS_PER_YEAR * year / 7)
    if first < 0 or end > n_weeks:
        return None
    return slice(first, end)


def year_from_start_weights(start_week: int | None, year: int, n_weeks: int) -> np.ndarray | None:
    """Each grid week's share of year ``year`` (1-based) from a start week [fraction of the week].

    Year y is days [365.25 (y−1), 365.25 y) from the start week's Monday; a week that straddles
    the boundary counts for the fraction of its 7 days inside, so a year holds 52.18 weeks, not
    53 or 52 (10 patients a year give 10.0 in year 1, not 10.16). None if not wholly on the grid.
    """
    weeks = year_from_start_weeks(start_week, year, n_weeks)
    if weeks is None:
        return None
    first_day, last_day = DAYS_PER_YEAR * (year - 1), DAYS_PER_YEAR * year
    offsets = (np.arange(n_weeks) - start_week) * 7.0
    overlap = np.clip(np.minimum(offsets + 7, last_day) - np.maximum(offsets, first_day), 0.0, 7.0)
    return overlap / 7.0


# --------------------------------------------------------------------------- periods


def _aggregate(weekly: pd.DataFrame, labels: pd.Index | np.ndarray, name: str) -> pd.DataFrame:
    flows = [c for c in weekly.columns if c not in STOCK_MEASURES]
    stocks = [c for c in weekly.columns if c in STOCK_MEASURES]
    grouped = weekly.groupby(np.asarray(labels), sort=True)
    out = grouped[flows].sum()
    if stocks:
        out = out.join(grouped[stocks].mean())
    out.index.name = name
    return out[list(weekly.columns)]


def _by_day(weekly: pd.DataFrame, labels_of_days, name: str) -> pd.DataFrame:
    """Periods made of days: each week's flows are spread evenly over its 7 days (Monday to
    Sunday) and summed per period; stocks are the mean over the period's days. So a week that
    straddles two periods counts for the days it holds of each (a financial year is 365 or 366
    days, never 53 Mondays). ``labels_of_days(days)`` gives each day's period, or None to drop it."""
    if weekly.empty:
        return weekly.iloc[:0].rename_axis(name)
    days = (weekly.index.to_numpy()[:, None] + np.arange(7)[None, :] * np.timedelta64(1, "D")).ravel()
    labels = np.asarray(labels_of_days(pd.DatetimeIndex(days)), dtype=object)
    keep = np.array([label is not None for label in labels])
    values = np.repeat(weekly.to_numpy(dtype=float), 7, axis=0)
    daily = pd.DataFrame(values[keep], columns=weekly.columns)
    flows = [c for c in weekly.columns if c not in STOCK_MEASURES]
    daily[flows] = daily[flows] / 7.0
    return _aggregate(daily, labels[keep], name)


def by_calendar_month(weekly: pd.DataFrame) -> pd.DataFrame:
    """Monthly figures: flows summed and stocks averaged over the month's days, each week's flow
    spread over its 7 days (so months sum to the weekly total). Index "2026-04"."""
    return _by_day(weekly, lambda days: days.strftime("%Y-%m"), "month")


def financial_year_label(day: date | pd.Timestamp) -> str:
    """NHS financial year (April–March) of a date: 31 Mar 2026 → "2025/26", 1 Apr 2026 → "2026/27"."""
    start_year = day.year if day.month >= 4 else day.year - 1
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def _financial_year_labels(days: pd.DatetimeIndex) -> np.ndarray:
    start_years = np.where(days.month >= 4, days.year, days.year - 1)
    return np.array([f"{y}/{(y + 1) % 100:02d}" for y in start_years], dtype=object)


def by_financial_year(weekly: pd.DataFrame) -> pd.DataFrame:
    """Financial-year figures (April–March), index "2026/27": each week counts for the days it
    holds of each year, so a year is 365 or 366 days whichever weekday 1 April falls on (2030/31
    starts on a Monday and would otherwise hold 53 Mondays). The first and last years of a grid
    may be partial: see :func:`financial_year_days_on_grid`."""
    return _by_day(weekly, _financial_year_labels, "financial_year")


def financial_year_days_on_grid(week_starts: pd.DatetimeIndex) -> pd.Series:
    """Days of each financial year that the grid covers (365 or 366 for a whole year)."""
    days = pd.DatetimeIndex(
        (week_starts.to_numpy()[:, None] + np.arange(7)[None, :] * np.timedelta64(1, "D")).ravel()
    )
    return pd.Series(_financial_year_labels(days)).value_counts().sort_index().rename_axis("financial_year")


def by_year_from_start(weekly: pd.DataFrame, effective_start: date) -> pd.DataFrame:
    """Figures by year from the effective start (index 1, 2, ...), whole years only.

    Year y is days [365.25 (y−1), 365.25 y) from the start week's Monday (the uptake years);
    a week counts for the fraction of its 7 days inside each year (as :func:`year_from_start_weights`),
    so a year holds 52.18 weeks, not 53. Flows are summed with those weights, stocks averaged. Weeks
    before the start, and a year not wholly on the grid, are left out.
    """
    start_monday = pd.Timestamp(monday_on_or_before(effective_start))
    n_weeks = len(weekly.index)
    if not n_weeks:
        return weekly.iloc[:0].rename_axis("year_from_start")
    start_week = (start_monday - weekly.index[0]).days // 7
    rows, years = [], []
    year = 1
    while True:
        weights = year_from_start_weights(start_week, year, n_weeks)
        if weights is None:
            if start_week + math.ceil(DAYS_PER_YEAR * year / 7) > n_weeks:
                break
            year += 1  # a year that began before the grid
            continue
        rows.append(weights)
        years.append(year)
        year += 1
    values = weekly.to_numpy(dtype=float)
    out = pd.DataFrame(
        np.array(rows).reshape(len(rows), n_weeks) @ values if rows else np.zeros((0, values.shape[1])),
        index=pd.Index(years, name="year_from_start"), columns=weekly.columns,
    )
    if rows:
        for stock in STOCK_MEASURES & set(weekly.columns):
            out[stock] = out[stock] / np.array(rows).sum(axis=1)
    return out
