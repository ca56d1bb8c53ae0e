"""Capacity and demand by financial quarter, for a trust, an ICB and the alliance (the demand-and-capacity
return NHS England asks of every alliance twice a year).

For each resource of :func:`.capacity.capacity_figures` (its weekly outlook from the figures date's week
to the end of the model's grid), each NHS financial quarter's mean week (weeks weighted by their days in
the quarter, as :mod:`.periods` counts them):

- capacity a week; baseline demand a week (today's demand growing at the growth rate); the pipeline's
  net demand a week; demand with the pipeline = baseline + pipeline;
- headroom = capacity − demand, without and with the pipeline (negative: over capacity);
- use of capacity with the pipeline = demand ÷ capacity [%].

A quarter only partly covered (the figures date falls in it, or the model's years end in it) is
marked ``whole`` False and its label says from or to when. ICB and alliance totals add the trusts'
unrounded figures; a trust whose resource is not known (capacity or baseline not entered) is counted
as missing ("1 of 6 trusts not yet known"), never as 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from .capacity import RESOURCES, ResourceCapacity
from .periods import financial_years
from .values import Figure, Kind, share_of, total


@dataclass(frozen=True)
class ResourceQuarter:
    """One resource in one financial quarter (units: ``unit``, the quarter's mean week).

    key : "2026/27 Q3"; label : the same, or with "(from 1 June 2026)" when only partly covered.
    first_day : the quarter's first day covered. whole : False when only partly covered.
    capacity, baseline, pipeline, demand_with_pipeline, headroom_without_pipeline, headroom_with_pipeline :
    [unit]. use_with_pipeline : demand with the pipeline ÷ capacity [%].
    """

    resource: str
    unit: str
    key: str
    label: str
    first_day: date
    whole: bool
    capacity: Figure
    baseline: Figure
    pipeline: Figure
    demand_with_pipeline: Figure
    headroom_without_pipeline: Figure
    headroom_with_pipeline: Figure
    use_with_pipeline: Figure


@dataclass(frozen=True)
class RunOut:
    """When a resource first runs out, among ``parts`` (a trust: itself; an ICB or the alliance: its trusts).

    without_pipeline, with_pipeline : the Monday of the first week any part's demand exceeds its
    capacity, and which part (None: none within the model's years, to ``horizon_end``).
    """

    resource: str
    without_pipeline: date | None
    without_pipeline_part: str
    with_pipeline: date | None
    with_pipeline_part: str
    horizon_end: date
    unknown_parts: tuple[str, ...] = ()


FIGURES = ("capacity", "baseline", "pipeline", "demand_with_pipeline", "headroom_without_pipeline", "headroom_with_pipeline")


def quarters_of(resource: ResourceCapacity, grid_start: date, n_weeks: int) -> list[ResourceQuarter]:
    """One trust's resource by financial quarter, from the figures date's week to the end of the grid."""
    monday = resource.figures_date - timedelta(days=resource.figures_date.weekday())
    skipped = max(0, (monday - grid_start).days // 7)
    outlook_start = grid_start + timedelta(weeks=skipped)
    periods = financial_years(outlook_start, n_weeks - skipped, quarters=True)
    quarters = []
    for period in periods:
        weights = period.weights
        weeks = float(weights.sum())
        if resource.outlook is None or weeks <= 0:
            unknown = Figure.unknown(resource.reason or "not within the model's years", resource.unit)
            values = dict.fromkeys(FIGURES, unknown)
            use = Figure.unknown(unknown.reason, "%", Kind.PERCENT)
        else:
            outlook = resource.outlook

            def mean(series: np.ndarray) -> float:
                return float(np.asarray(series, dtype=float) @ weights / weeks)

            capacity = Figure.of(outlook.capacity_per_week, resource.unit)
            baseline = Figure.of(mean(outlook.baseline), resource.unit)
            pipeline = Figure.of(mean(outlook.pipeline), resource.unit)
            demand = Figure.of(mean(outlook.demand_with_pipeline), resource.unit)
            values = {
                "capacity": capacity, "baseline": baseline, "pipeline": pipeline, "demand_with_pipeline": demand,
                "headroom_without_pipeline": Figure.of(mean(outlook.headroom_without_pipeline), resource.unit),
                "headroom_with_pipeline": Figure.of(mean(outlook.headroom_with_pipeline), resource.unit),
            }
            use = share_of(demand, capacity)
        quarters.append(ResourceQuarter(resource.resource, resource.unit, period.key, period.label, period.first,
                                        period.whole, **values, use_with_pipeline=use))
    return quarters


def added_quarters(parts: Sequence[tuple[str, Sequence[ResourceQuarter]]]) -> list[ResourceQuarter]:
    """The unrounded total of several trusts' quarters of one resource (``parts``: (trust code, quarters)),
    quarter by quarter; a trust whose figure is not known is counted as missing, never as 0."""
    if not parts:
        return []
    names = [code for code, _ in parts]
    first = parts[0][1]
    totals = []
    for index, quarter in enumerate(first):
        members = [quarters[index] for _, quarters in parts]
        values = {name: total((getattr(m, name) for m in members), unit=quarter.unit, names=names, noun="trusts")
                  for name in FIGURES}
        totals.append(ResourceQuarter(quarter.resource, quarter.unit, quarter.key, quarter.label, quarter.first_day,
                                      quarter.whole, **values,
                                      use_with_pipeline=share_of(values["demand_with_pipeline"], values["capacity"])))
    return totals


def run_out(resource_key: str, parts: Iterable[tuple[str, ResourceCapacity]], horizon_end: date) -> RunOut:
    """The first week any of ``parts`` (name, resource) runs out, without and with the pipeline."""
    parts = list(parts)
    known = [(name, r) for name, r in parts if r.is_known]

    def first(attribute: str) -> tuple[date | None, str]:
        dated = sorted(((getattr(r, attribute), name) for name, r in known if getattr(r, attribute) is not None))
        return dated[0] if dated else (None, "")

    without, without_part = first("first_week_over_without_pipeline")
    with_, with_part = first("first_week_over_with_pipeline")
    return RunOut(resource_key, without, without_part, with_, with_part, horizon_end,
                  tuple(name for name, r in parts if not r.is_known))


def resource_keys() -> tuple[str, ...]:
    return tuple(key for key, *_ in RESOURCES)


@dataclass(frozen=True)
class AreaResource:
    """One resource over several trusts at the stated date ``at``: unrounded totals, missing trusts counted.

    capacity, baseline_today, headroom_without_pipeline, headroom_with_pipeline : [unit a week].
    run_out : the first trust to run out, without and with the pipeline.
    """

    resource: str
    label: str
    unit: str
    at: date
    capacity: Figure
    baseline_today: Figure
    headroom_without_pipeline: Figure
    headroom_with_pipeline: Figure
    run_out: RunOut


def area_resource(parts: Sequence[tuple[str, ResourceCapacity]], horizon_end: date) -> AreaResource:
    """The total of one resource over trusts (``parts``: (trust code, its ResourceCapacity))."""
    names = [name for name, _ in parts]
    first = parts[0][1]

    def added(attribute: str) -> Figure:
        return total((getattr(r, attribute) if r.is_known or attribute in ("capacity", "baseline_today")
                      else Figure.unknown(r.reason, r.unit) for _, r in parts),
                     unit=first.unit, names=names, noun="trusts")

    return AreaResource(first.resource, first.label, first.unit, first.at, added("capacity"), added("baseline_today"),
                        added("headroom_without_pipeline"), added("headroom_with_pipeline"),
                        run_out(first.resource, parts, horizon_end))
