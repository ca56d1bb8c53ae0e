"""Trust capacity against baseline and pipeline demand (domain guide §4.10).

Capacity a week: chairs × hours a day × days a week × target utilisation [chair-hours/week];
aseptic staff hours and clinic slots likewise. Baseline demand grows at a set rate
(default 7% a year, Royal College of Radiologists, *The SACT capacity crisis in the NHS*,
2023), compounding weekly: baseline(w) = baseline(0) × (1 + g)^(w / 52.18). The pipeline's
weekly demand adds on top. The outlook gives the first week demand exceeds capacity, with
and without the pipeline (``None`` if never within the horizon), and the headroom.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

WEEKS_PER_YEAR = 52.18  # domain guide §4.4
RCR_GROWTH_PERCENT = 7.0  # RCR 2023: SACT activity grows 6-8% a year
DEFAULT_HOURS_PER_DAY = 8.0  # [estimate]
DEFAULT_DAYS_PER_WEEK = 5.0  # [estimate]
DEFAULT_TARGET_UTILISATION = 0.85  # [estimate]


@dataclass(frozen=True)
class TrustCapacity:
    """A trust's SACT capacity.

    Attributes
    ----------
    chairs : day-unit chairs [chairs] (``None`` if not known).
    hours_per_day : opening hours of a chair [hours/day], default 8 [estimate].
    days_per_week : [days/week], default 5 [estimate].
    target_utilisation : fraction of open chair time that can be booked, default 0.85 [estimate].
    aseptic_staff_hours_per_week : aseptic unit staff time [hours/week].
    clinic_slots_per_week : SACT clinic appointments available [appointments/week].
    source : where the figures came from.
    """

    chairs: float | None = None
    hours_per_day: float = DEFAULT_HOURS_PER_DAY
    days_per_week: float = DEFAULT_DAYS_PER_WEEK
    target_utilisation: float = DEFAULT_TARGET_UTILISATION
    aseptic_staff_hours_per_week: float | None = None
    clinic_slots_per_week: float | None = None
    source: str = "[estimate]"

    @property
    def bookable_hours_per_chair_week(self) -> float:
        """Hours one chair can be booked in a week [hours/week/chair]."""
        return self.hours_per_day * self.days_per_week * self.target_utilisation

    @property
    def chair_hours_per_week(self) -> float | None:
        """Bookable chair-hours a week [chair-hours/week]."""
        return None if self.chairs is None else self.chairs * self.bookable_hours_per_chair_week


def chairs_needed(chair_hours_per_week: float | np.ndarray, capacity: TrustCapacity = TrustCapacity()):
    """Chairs needed [chairs] = chair hours a week / (hours a day × days a week × utilisation)."""
    return np.asarray(chair_hours_per_week) / capacity.bookable_hours_per_chair_week


@dataclass(frozen=True)
class BaselineDemand:
    """Demand before the pipeline, at the first week of the grid, and its growth.

    Attributes
    ----------
    chair_hours_per_week : [chair-hours/week].
    aseptic_hours_per_week : [staff hours/week].
    clinic_appointments_per_week : [appointments/week].
    growth_percent_per_year : [%/year], default 7 (RCR 2023), compounded weekly.
    """

    chair_hours_per_week: float | None = None
    aseptic_hours_per_week: float | None = None
    clinic_appointments_per_week: float | None = None
    growth_percent_per_year: float = RCR_GROWTH_PERCENT


def baseline_growth(initial_per_week: float, n_weeks: int, growth_percent_per_year: float = RCR_GROWTH_PERCENT) -> np.ndarray:
    """Baseline demand each week: initial × (1 + g)^(w / 52.18), w = 0 .. n_weeks − 1."""
    weeks = np.arange(n_weeks)
    return initial_per_week * (1 + growth_percent_per_year / 100) ** (weeks / WEEKS_PER_YEAR)


def first_week_exceeding(demand: np.ndarray, capacity_per_week: float) -> int | None:
    """Index of the first week demand is strictly above capacity, or None."""
    over = np.flatnonzero(np.asarray(demand) > capacity_per_week)
    return int(over[0]) if over.size else None


@dataclass(frozen=True, eq=False)
class ResourceOutlook:
    """One resource (chairs, aseptic or clinic) of one trust over the grid.

    Attributes
    ----------
    resource : "chair_hours", "aseptic_hours" or "clinic_appointments".
    unit : e.g. "hours/week".
    capacity_per_week : [unit].
    baseline : baseline demand each week [unit] (array, length n_weeks).
    pipeline : the pipeline's demand each week [unit].
    headroom_without_pipeline, headroom_with_pipeline : capacity − demand [unit].
    first_week_exceeded_without_pipeline, first_week_exceeded_with_pipeline : Monday of the
        first week demand exceeds capacity, or None if never within the horizon.
    """

    resource: str
    unit: str
    capacity_per_week: float
    week_starts: tuple[date, ...] = field(repr=False)
    baseline: np.ndarray = field(repr=False)
    pipeline: np.ndarray = field(repr=False)
    first_week_exceeded_without_pipeline: date | None = None
    first_week_exceeded_with_pipeline: date | None = None

    @property
    def demand_with_pipeline(self) -> np.ndarray:
        return self.baseline + self.pipeline

    @property
    def headroom_without_pipeline(self) -> np.ndarray:
        return self.capacity_per_week - self.baseline

    @property
    def headroom_with_pipeline(self) -> np.ndarray:
        return self.capacity_per_week - self.demand_with_pipeline


def resource_outlook(
    resource: str,
    *,
    capacity_per_week: float,
    baseline_per_week: float,
    pipeline_per_week: np.ndarray,
    grid_start: date,
    growth_percent_per_year: float = RCR_GROWTH_PERCENT,
    unit: str = "hours/week",
) -> ResourceOutlook:
    """Baseline growth, pipeline demand and the first week each exceeds capacity."""
    pipeline = np.asarray(pipeline_per_week, dtype=float)
    n_weeks = pipeline.size
    week_starts = tuple(grid_start + timedelta(weeks=week) for week in range(n_weeks))
    baseline = baseline_growth(baseline_per_week, n_weeks, growth_percent_per_year)
    without = first_week_exceeding(baseline, capacity_per_week)
    with_pipeline = first_week_exceeding(baseline + pipeline, capacity_per_week)
    return ResourceOutlook(
        resource=resource,
        unit=unit,
        capacity_per_week=capacity_per_week,
        week_starts=week_starts,
        baseline=baseline,
        pipeline=pipeline,
        first_week_exceeded_without_pipeline=None if without is None else week_starts[without],
        first_week_exceeded_with_pipeline=None if with_pipeline is None else week_starts[with_pipeline],
    )


@dataclass(frozen=True, eq=False)
class CapacityOutlook:
    """A trust's outlook for each resource with known capacity and baseline (else None)."""

    chair_hours: ResourceOutlook | None
    aseptic_hours: ResourceOutlook | None
    clinic_appointments: ResourceOutlook | None


def capacity_outlook(
    capacity: TrustCapacity,
    baseline: BaselineDemand,
    *,
    pipeline_chair_hours: np.ndarray,
    pipeline_aseptic_hours: np.ndarray,
    pipeline_clinic_appointments: np.ndarray,
    grid_start: date,
) -> CapacityOutlook:
    """Outlook of chairs, aseptic and clinic for one trust.

    The pipeline arrays are the trust's weekly net demand from the model, e.g.
    ``result.trust_weekly(code)["chair_hours"].to_numpy()``.
    """

    def outlook(name, unit, capacity_value, baseline_value, pipeline):
        if capacity_value is None or baseline_value is None:
            return None
        return resource_outlook(
            name,
            capacity_per_week=capacity_value,
            baseline_per_week=baseline_value,
            pipeline_per_week=pipeline,
            grid_start=grid_start,
            growth_percent_per_year=baseline.growth_percent_per_year,
            unit=unit,
        )

    return CapacityOutlook(
        chair_hours=outlook(
            "chair_hours", "chair-hours/week", capacity.chair_hours_per_week,
            baseline.chair_hours_per_week, pipeline_chair_hours,
        ),
        aseptic_hours=outlook(
            "aseptic_hours", "staff hours/week", capacity.aseptic_staff_hours_per_week,
            baseline.aseptic_hours_per_week, pipeline_aseptic_hours,
        ),
        clinic_appointments=outlook(
            "clinic_appointments", "appointments/week", capacity.clinic_slots_per_week,
            baseline.clinic_appointments_per_week, pipeline_clinic_appointments,
        ),
    )
