"""The one capacity function: a trust's capacity against baseline and pipeline demand, at a stated date.

For each resource (chair time, aseptic pharmacy time, clinic appointments):

- capacity a week: chairs × hours a day × days a week × target utilisation for chairs (the defaults are
  :mod:`appraisal_impact.core.capacity`'s, never retyped), the entered figure for pharmacy and clinic;
- baseline demand: the trust's demand today (as entered), growing at the growth rate from the week of
  the figures date, compounding weekly (:func:`core.capacity.baseline_growth`);
- pipeline demand: the model's net weekly demand of every appraisal in the pipeline at the trust;
- headroom at the stated date = capacity − baseline then − pipeline in that week (negative: over
  capacity), with and without the pipeline;
- the first week demand exceeds capacity, with and without the pipeline, searched from the week of the
  figures date to the end of the model's grid (None: not within it).

Every page, file and the API take these figures from :func:`capacity_figures`; none works them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from ..core import impact as core
from ..core.capacity import (
    DEFAULT_DAYS_PER_WEEK,
    DEFAULT_HOURS_PER_DAY,
    DEFAULT_TARGET_UTILISATION,
    RCR_GROWTH_PERCENT,
    ResourceOutlook,
    TrustCapacity,
    resource_outlook,
)
from ..core.deadlines import add_calendar_months
from .values import Figure, Kind

CAPACITY_AT_MONTHS = 12  # the stated date: 12 months after the figures date
GROWTH_SOURCE = "Royal College of Radiologists, The SACT capacity crisis in the NHS (2023)"

RESOURCES = (
    # (resource key = model measure, label, unit)
    ("chair_hours", "Chair time", "chair-hours a week"),
    ("aseptic_hours", "Aseptic pharmacy time", "staff hours a week"),
    ("clinic_appointments", "Clinic appointments", "appointments a week"),
)


def trust_capacity(*, chairs=None, chair_hours_per_day=None, days_per_week=None, target_utilisation=None,
                   aseptic_hours_per_week=None, clinic_slots_per_week=None, source: str = "") -> TrustCapacity:
    """A trust's capacity from stored or draft values; an empty field takes the core's planning default
    (hours a day, days a week, target utilisation: :mod:`appraisal_impact.core.capacity`)."""
    return TrustCapacity(
        chairs=chairs,
        hours_per_day=chair_hours_per_day or DEFAULT_HOURS_PER_DAY,
        days_per_week=days_per_week or DEFAULT_DAYS_PER_WEEK,
        target_utilisation=target_utilisation or DEFAULT_TARGET_UTILISATION,
        aseptic_staff_hours_per_week=aseptic_hours_per_week,
        clinic_slots_per_week=clinic_slots_per_week,
        source=source or "the trust's capacity figures",
    )


def capacity_of_trust_row(trust) -> TrustCapacity:
    """:func:`trust_capacity` of a stored Trust row."""
    return trust_capacity(
        chairs=trust.chairs, chair_hours_per_day=trust.chair_hours_per_day, days_per_week=trust.days_per_week,
        target_utilisation=trust.target_utilisation, aseptic_hours_per_week=trust.aseptic_hours_per_week,
        clinic_slots_per_week=trust.clinic_slots_per_week,
    )


def chair_capacity_of_trust_row(trust) -> Figure:
    """A stored trust's bookable chair-hours a week, as the model and every capacity figure use it
    (empty hours a day, days a week or utilisation take the core's planning defaults)."""
    capacity = capacity_of_trust_row(trust)
    return Figure.of(capacity.chair_hours_per_week, "chair-hours a week", Kind.RATE, "the number of chairs is not entered")


@dataclass(frozen=True, eq=False)
class ResourceCapacity:
    """One resource of one trust at the stated date ``at`` (units: ``unit``, a week).

    capacity : capacity a week. baseline_today : demand today, as entered. baseline_at : that demand
    grown to ``at``. pipeline_at : the pipeline's net demand in the week of ``at``.
    headroom_without_pipeline, headroom_with_pipeline : capacity − demand at ``at`` (negative: over).
    first_week_over_without_pipeline, first_week_over_with_pipeline : Monday of the first week demand
    exceeds capacity from the figures date on, None if not within the model's grid.
    outlook : the weekly series from the figures date (for charts), None when not known.
    reason : why the resource's figures are not known (capacity or baseline not entered).
    """

    resource: str
    label: str
    unit: str
    figures_date: date
    at: date
    capacity: Figure
    baseline_today: Figure
    baseline_at: Figure
    pipeline_at: Figure
    headroom_without_pipeline: Figure
    headroom_with_pipeline: Figure
    first_week_over_without_pipeline: date | None
    first_week_over_with_pipeline: date | None
    growth_percent: float
    horizon_end: date
    outlook: ResourceOutlook | None = field(default=None, repr=False)
    reason: str = ""

    @property
    def is_known(self) -> bool:
        return not self.reason


def _weeks(day: date, grid_start: date) -> int:
    return (core.monday_on_or_before(day) - grid_start).days // 7


def capacity_figures(
    capacity: TrustCapacity,
    *,
    baseline_chair_hours_per_week: float | None,
    baseline_aseptic_hours_per_week: float | None,
    baseline_clinic_appointments_per_week: float | None,
    pipeline_weekly: dict[str, np.ndarray],
    grid_start: date,
    today: date,
    at: date | None = None,
    growth_percent: float = RCR_GROWTH_PERCENT,
) -> tuple[ResourceCapacity, ...]:
    """Each resource's capacity, baseline, pipeline demand, headroom and first week over capacity.

    ``pipeline_weekly`` maps "chair_hours", "aseptic_hours", "clinic_appointments" to the trust's net
    weekly demand on the grid that starts on ``grid_start`` [unit a week]. ``at`` defaults to
    12 months after ``today`` (the figures date).
    """
    at = at or add_calendar_months(today, CAPACITY_AT_MONTHS)
    this_week = max(0, _weeks(today, grid_start))
    n_weeks = len(next(iter(pipeline_weekly.values())))
    horizon_end = grid_start + timedelta(weeks=n_weeks)
    capacities = {
        "chair_hours": capacity.chair_hours_per_week,
        "aseptic_hours": capacity.aseptic_staff_hours_per_week,
        "clinic_appointments": capacity.clinic_slots_per_week,
    }
    baselines = {
        "chair_hours": baseline_chair_hours_per_week,
        "aseptic_hours": baseline_aseptic_hours_per_week,
        "clinic_appointments": baseline_clinic_appointments_per_week,
    }
    missing_words = {
        "chair_hours": "the number of chairs is not entered",
        "aseptic_hours": "aseptic pharmacy capacity is not entered",
        "clinic_appointments": "clinic capacity is not entered",
    }
    lines = []
    for resource, label, unit in RESOURCES:
        cap, base = capacities[resource], baselines[resource]
        pipeline = np.asarray(pipeline_weekly[resource], dtype=float)[this_week:]
        at_index = _weeks(at, grid_start) - this_week
        reason = ""
        if cap is None:
            reason = missing_words[resource]
        elif base is None:
            reason = "demand today (the baseline) is not entered"
        elif not 0 <= at_index < pipeline.size:
            reason = "the date is beyond the five years the model covers"
        pipeline_at = Figure.of(float(pipeline[at_index]) if 0 <= at_index < pipeline.size else None, unit, Kind.RATE,
                                "the date is beyond the five years the model covers")
        if reason:
            unknown = Figure.unknown(reason, unit)
            lines.append(ResourceCapacity(
                resource, label, unit, today, at, Figure.of(cap, unit, Kind.RATE, reason),
                Figure.of(base, unit, Kind.RATE, "demand today (the baseline) is not entered"), unknown,
                pipeline_at, unknown, unknown, None, None, growth_percent, horizon_end, None, reason,
            ))
            continue
        outlook = resource_outlook(
            resource, capacity_per_week=float(cap), baseline_per_week=float(base), pipeline_per_week=pipeline,
            grid_start=grid_start + timedelta(weeks=this_week), growth_percent_per_year=growth_percent, unit=unit,
        )
        baseline_at = float(outlook.baseline[at_index])
        lines.append(ResourceCapacity(
            resource=resource, label=label, unit=unit, figures_date=today, at=at,
            capacity=Figure.of(cap, unit),
            baseline_today=Figure.of(base, unit),
            baseline_at=Figure.of(baseline_at, unit),
            pipeline_at=pipeline_at,
            headroom_without_pipeline=Figure.of(cap - baseline_at, unit),
            headroom_with_pipeline=Figure.of(cap - baseline_at - float(pipeline[at_index]), unit),
            first_week_over_without_pipeline=outlook.first_week_exceeded_without_pipeline,
            first_week_over_with_pipeline=outlook.first_week_exceeded_with_pipeline,
            growth_percent=growth_percent,
            horizon_end=horizon_end,
            outlook=outlook,
        ))
    return tuple(lines)
