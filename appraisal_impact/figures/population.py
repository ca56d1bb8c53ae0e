"""Figures per 100,000 population, as NICE's resource impact templates show them.

An area's population is its trusts' catchment populations added up (the alliance: every trust; an ICB:
its trusts), as :func:`core.measures.populations` counts them; England's is the ONS mid-2023 estimate
the model uses. A figure per 100,000 people is the figure × 100,000 / the population
(:func:`core.measures.per_100000_population`); it is not yet known when either is.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..core.impact import ENGLAND_POPULATION
from ..core.measures import per_100000_population
from .values import Figure, Kind, total

PER_100000 = "per 100,000 people"
CATCHMENT_SOURCE = "the trusts' catchment populations as entered"
ENGLAND_SOURCE = "ONS mid-2023 population estimate for England"


def area_population(catchments: Iterable[tuple[str, int | None]]) -> Figure:
    """The people an area's trusts serve [people]: (trust code, catchment) pairs added up; a trust
    without one is counted as missing, never as 0."""
    pairs = list(catchments)
    parts = [Figure.of(float(people) if people else None, "people", Kind.PATIENTS,
                       "the trust's catchment population is not entered") for _code, people in pairs]
    return total(parts, unit="people", kind=Kind.PATIENTS, names=[code for code, _ in pairs], noun="trusts",
                 empty_reason="no trusts")


def england_population(value: float | None = None) -> Figure:
    """England's population [people] (the model's reference value, else ONS mid-2023)."""
    return Figure.of(float(value or ENGLAND_POPULATION), "people", Kind.PATIENTS)


def per_100000(figure: Figure, population: Figure) -> Figure:
    """``figure`` per 100,000 people of ``population``; unknown when either is (or a population part is)."""
    unit = f"{figure.unit} {PER_100000}" if figure.unit not in ("", "£") else f"£ {PER_100000}"
    if figure.value is None:
        return Figure.unknown(figure.reason, unit, figure.kind)
    if population.value is None or population.value <= 0 or population.unknown_parts:
        return Figure.unknown(population.note or "the population is not known", unit, figure.kind)
    return Figure(float(per_100000_population(figure.value, population.value)), unit, figure.kind, figure.reason,
                  figure.part_names, figure.missing, figure.part_noun)
