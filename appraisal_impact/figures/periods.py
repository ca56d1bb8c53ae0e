"""The one period convention every figure uses.

The model runs on a weekly grid of Mondays (one horizon: the grid of the model's run, five years and
more). A period is a weight for each grid week — the fraction of that week's 7 days inside the period —
so flows (new patients, hours, cost) are the weighted sum of the weekly figures and stocks and rates
(patients on treatment, hours a week) their weighted mean.

- Year N from the start: days [365.25 (N − 1), 365.25 N) from the Monday of the effective start's
  week (the uptake years of NICE's tables); a year holds 52.18 weeks, a week straddling the boundary
  counts for its days on each side. Not known when the start is not known, or when the year is not
  wholly on the grid.
- Financial year (NHS, 1 April – 31 March) and its quarters ("2026/27 Q1": April–June): the days of each
  week inside the period, so a year holds 365 (or 366) / 7 weeks whatever its number of Mondays. A year
  or quarter only partly on the grid is offered too, marked ``whole`` False (its label says from or to
  when), for returns that must show the current year.
- The next 12 months: 365.25 days from the Monday of the figures date's week.
- Once fully running (steady state): the last 52 weeks of the grid, weighted so that the period adds
  up to one year (52.18 weeks): a flow is "a year", a rate its mean week.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from ..core import impact as core

STEADY_STATE = "steady_state"
NEXT_12_MONTHS = "next_12_months"
YEARS_FROM_START = 5
STEADY_STATE_WORDS = "once fully running (the average week of the model's last year)"


def year_key(year: int) -> str:
    return f"year{year}"


@dataclass(frozen=True, eq=False)
class Period:
    """A period of the grid.

    Attributes
    ----------
    key : "year1" .. "year5", "steady_state", "next_12_months" or a financial year "2026/27".
    label : in words ("Year 1 from the start", "2026/27", "Once fully running").
    weights : [fraction of each grid week inside the period], or None when not known.
    reason : why the period is not known (empty when it is).
    first : the first grid day of the period (None when not known).
    whole : False for a financial year or quarter only partly on the grid.
    """

    key: str
    label: str
    weights: np.ndarray | None = field(repr=False)
    reason: str = ""
    first: date | None = None
    whole: bool = True

    @property
    def is_known(self) -> bool:
        return self.weights is not None

    @property
    def weeks(self) -> float:
        """Length [weeks]."""
        return float(self.weights.sum()) if self.weights is not None else float("nan")

    @property
    def first_week(self) -> int | None:
        """Index of the first grid week with any day inside the period."""
        if self.weights is None:
            return None
        inside = np.flatnonzero(self.weights > 0)
        return int(inside[0]) if inside.size else None


def _day_weights(grid_start: date, n_weeks: int, first_day: date, end_day: date) -> np.ndarray:
    """Fraction of each grid week's 7 days in [first_day, end_day)."""
    offsets = np.arange(n_weeks) * 7.0
    first = (first_day - grid_start).days
    end = (end_day - grid_start).days
    return np.clip(np.minimum(offsets + 7, end) - np.maximum(offsets, first), 0.0, 7.0) / 7.0


def year_from_start(grid_start: date, n_weeks: int, start_week: int | None, year: int,
                    start_reason: str = "the start date is not yet known") -> Period:
    """Year ``year`` (1-based) from the effective start (see the module docstring)."""
    label = f"Year {year} from the start"
    if start_week is None:
        return Period(year_key(year), label, None, start_reason)
    weights = core.year_from_start_weights(start_week, year, n_weeks)
    if weights is None:
        where = "began before" if start_week + (year - 1) * 52 < 0 else "runs past"
        return Period(year_key(year), label, None,
                      f"year {year} from the start {where} the five years the model covers")
    return Period(year_key(year), label, weights, "", grid_start + timedelta(weeks=start_week))


def steady_state(grid_start: date, n_weeks: int, start_week: int | None = None) -> Period:
    """Once fully running: an appraisal's fifth year from its effective start (the model's definition, the
    same whatever else is in the pipeline); with no start known, the last 52 weeks of the grid, scaled to
    one year of 52.18 weeks."""
    if start_week is not None:
        weights = core.year_from_start_weights(start_week, YEARS_FROM_START, n_weeks)
        if weights is not None:
            first = grid_start + timedelta(weeks=start_week, days=round(core.DAYS_PER_YEAR * (YEARS_FROM_START - 1)))
            return Period(STEADY_STATE, "Once fully running", weights, "", first)
    weights = np.zeros(n_weeks)
    window = min(core.STEADY_STATE_WEEKS, n_weeks)
    weights[-window:] = core.WEEKS_PER_YEAR / window
    return Period(STEADY_STATE, "Once fully running", weights, "", grid_start + timedelta(weeks=n_weeks - window))


def next_12_months(grid_start: date, n_weeks: int, today: date) -> Period:
    """365.25 days from the Monday of ``today``'s week."""
    monday = core.monday_on_or_before(today)
    weights = core.year_from_start_weights((monday - grid_start).days // 7, 1, n_weeks)
    if weights is None:
        return Period(NEXT_12_MONTHS, "The next 12 months", None, "the next 12 months are not on the model's grid")
    return Period(NEXT_12_MONTHS, "The next 12 months", weights, "", monday)


def financial_year_bounds(label: str) -> tuple[date, date]:
    """"2026/27" → (1 April 2026, 1 April 2027)."""
    start_year = int(label[:4])
    return date(start_year, 4, 1), date(start_year + 1, 4, 1)


def financial_years(grid_start: date, n_weeks: int, *, quarters: bool = False) -> list[Period]:
    """Every NHS financial year (or quarter) with any day on the grid, in order; those only partly on it
    are marked ``whole`` False and labelled with the part covered."""
    grid_end = grid_start + timedelta(weeks=n_weeks)
    periods = []
    year = grid_start.year - 1
    while date(year, 4, 1) < grid_end:
        label = f"{year}/{(year + 1) % 100:02d}"
        bounds = [financial_year_bounds(label)]
        if quarters:
            first_day = bounds[0][0]
            months = [(first_day.year + (first_day.month - 1 + 3 * q) // 12, (first_day.month - 1 + 3 * q) % 12 + 1) for q in range(5)]
            bounds = [(date(*months[q], 1), date(*months[q + 1], 1)) for q in range(4)]
        for number, (first, end) in enumerate(bounds, start=1):
            if end <= grid_start or first >= grid_end:
                continue
            key = f"{label} Q{number}" if quarters else label
            whole = first >= grid_start and end <= grid_end
            shown = key if whole else (
                f"{key} (from {_day(grid_start)})" if first < grid_start else f"{key} (to {_day(grid_end - timedelta(days=1))})"
            )
            periods.append(Period(key, shown, _day_weights(grid_start, n_weeks, first, end), "", max(first, grid_start), whole))
        year += 1
    return periods


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def standard_periods(grid_start: date, n_weeks: int, start_week: int | None, today: date,
                     start_reason: str = "the start date is not yet known") -> list[Period]:
    """Years 1–5 from the start, once fully running, the next 12 months, each financial year and quarter."""
    return [
        *(year_from_start(grid_start, n_weeks, start_week, year, start_reason) for year in range(1, YEARS_FROM_START + 1)),
        steady_state(grid_start, n_weeks, start_week),
        next_12_months(grid_start, n_weeks, today),
        *financial_years(grid_start, n_weeks),
        *financial_years(grid_start, n_weeks, quarters=True),
    ]
