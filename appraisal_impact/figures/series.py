"""Time series in long format: one row per period, trust, appraisal and measure (for the API and its CSV twin).

Every value is the model's, unrounded, from the same run and price view as the rest of the figures
layer (:func:`.build.pipeline_figures`), so the series of a trust add up to its ICB's and the
alliance's exactly (:func:`add_up` adds the unrounded values):

- week: each Monday of the model's grid; a flow (new starts, hours, cost) is the week's total,
  "patients on treatment" the mean number that week;
- month: each calendar month wholly on the grid; a week straddling two months counts for its days on
  each side (as :mod:`.periods` does for financial years): flows are the month's total, patients on
  treatment the month's mean.

``component`` is "net" (brought in − displaced: what the trust will see), "brought in" (the new
medicine alone: gross) or "displaced" (the treatments it replaces: savings).

Unknown is never zero (:mod:`.values`): an appraisal without a start date, treatment or eligible
population has every value null with the reason in ``not_yet_known``; a cost needing a price the
viewer may not see is null with its reason.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..core import impact as core
from .build import ALLIANCE_CODE, ALLIANCE_NAME, pipeline_figures

FREQUENCIES = ("week", "month")
COMPONENTS = ("net", "brought in", "displaced")
LEVELS = ("trust", "icb", "alliance")

# measure → (unit of a weekly value, unit of a monthly value, what it counts)
MEASURES: dict[str, tuple[str, str, str]] = {
    "new_starts": ("patients a week", "patients a month", "people starting treatment"),
    "patients_on_treatment": ("patients", "patients", "mean number of people on treatment"),
    "attendances": ("attendances a week", "attendances a month", "day-unit attendances"),
    "chair_hours": ("chair-hours a week", "chair-hours a month", "chair time, including checks and observation"),
    "aseptic_items": ("items a week", "items a month", "aseptically prepared doses"),
    "aseptic_hours": ("staff hours a week", "staff hours a month", "aseptic pharmacy staff time"),
    "verification_hours": ("hours a week", "hours a month", "pharmacist clinical verification time"),
    "dispensing_hours": ("hours a week", "hours a month", "dispensing time for oral treatments"),
    "cycles": ("cycles a week", "cycles a month", "treatment cycles given"),
    "clinic_appointments": ("appointments a week", "appointments a month", "outpatient clinic appointments"),
    "clinic_hours": ("hours a week", "hours a month", "clinic time"),
    "drug_cost": ("£ a week", "£ a month", "drug cost at list prices, excluding VAT"),
    "delivery_cost": ("£ a week", "£ a month", "chemotherapy delivery cost (HRG tariff)"),
    "clinic_cost": ("£ a week", "£ a month", "outpatient clinic cost"),
}
assert set(MEASURES) == set(core.MEASURES), "every measure of the model has a unit here"

COLUMNS = ("period_start", "period_end", "frequency", "component", "area_type", "area_code", "area_name",
           "icb_code", "appraisal_id", "appraisal_name", "measure", "value", "unit", "not_yet_known")


@dataclass(frozen=True, eq=False)
class TimeSeries:
    """A long table of one frequency and component.

    rows : DataFrame with :data:`COLUMNS` (period_start, period_end: dates, period_end the last day;
        value: float or NaN when not yet known, with the reason in not_yet_known).
    figures_date : the date the figures are as at. grid_start, horizon_end : the model's grid.
    """

    frequency: str
    component: str
    figures_date: date
    grid_start: date
    horizon_end: date
    price_label: str
    rows: pd.DataFrame


def month_weights(grid_start: date, n_weeks: int) -> tuple[list[tuple[date, date]], np.ndarray]:
    """Calendar months wholly on the grid, and [month, week] the fraction of each week's days in each."""
    grid_end = grid_start + timedelta(weeks=n_weeks)
    first = date(grid_start.year, grid_start.month, 1)
    if first < grid_start:
        first = _next_month(first)
    months = []
    while _next_month(first) <= grid_end:
        months.append((first, _next_month(first)))
        first = _next_month(first)
    offsets = np.arange(n_weeks) * 7.0
    weights = np.zeros((len(months), n_weeks))
    for m, (start, end) in enumerate(months):
        lo, hi = (start - grid_start).days, (end - grid_start).days
        weights[m] = np.clip(np.minimum(offsets + 7, hi) - np.maximum(offsets, lo), 0.0, 7.0) / 7.0
    return months, weights


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def series_of_result(result: core.ImpactResult, reasons_by_key, *, frequency: str = "week",
                     component: str = "net", today: date, price_label: str = "list prices") -> TimeSeries:
    """The long table of a model run; ``reasons_by_key`` maps an appraisal key to its figures layer
    :class:`.sets.Reasons` (why its figures are not yet known)."""
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {FREQUENCIES}")
    if component not in COMPONENTS:
        raise ValueError(f"component must be one of {COMPONENTS}")
    n_weeks = len(result.week_starts)
    grid_start = result.week_starts[0].date() if n_weeks else today
    if frequency == "week":
        starts = [grid_start + timedelta(weeks=w) for w in range(n_weeks)]
        ends = [s + timedelta(days=6) for s in starts]
        weights = None
    else:
        months, weights = month_weights(grid_start, n_weeks)
        starts = [m[0] for m in months]
        ends = [m[1] - timedelta(days=1) for m in months]
    n_periods = len(starts)
    stock = np.array([m in core.STOCK_MEASURES for m in core.MEASURES])
    unit_index = 0 if frequency == "week" else 1
    frames = []
    for appraisal in result.appraisals:
        reasons = reasons_by_key[appraisal.key]
        cost_reason = {
            "net": "; ".join(r for r in (reasons.brought_in_cost, reasons.displaced_cost) if r),
            "brought in": reasons.brought_in_cost,
            "displaced": reasons.displaced_cost,
        }[component]
        for trust in result.trusts:
            weekly = result.appraisal_trust_weekly(appraisal.key, trust.code, component).to_numpy().T  # [measure, week]
            if weights is None:
                values = weekly
            else:
                values = weekly @ weights.T
                values[stock] = values[stock] / weights.sum(axis=1)
            values = values.astype(float, copy=True)
            notes = np.full(values.shape, "", dtype=object)
            if reasons.everything:
                values[:] = np.nan
                notes[:] = reasons.everything
            elif cost_reason:
                index = core.MEASURES.index("drug_cost")
                values[index] = np.nan
                notes[index] = cost_reason
            n_measures = len(core.MEASURES)
            frames.append(pd.DataFrame({
                "period_start": np.tile(starts, n_measures),
                "period_end": np.tile(ends, n_measures),
                "area_code": trust.code,
                "area_name": trust.name,
                "icb_code": trust.icb,
                "appraisal_id": int(appraisal.key),
                "appraisal_name": appraisal.name,
                "measure": np.repeat(core.MEASURES, n_periods),
                "value": values.reshape(-1),
                "unit": np.repeat([MEASURES[m][unit_index] for m in core.MEASURES], n_periods),
                "not_yet_known": notes.reshape(-1),
            }))
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    rows["frequency"] = frequency
    rows["component"] = component
    rows["area_type"] = "trust"
    return TimeSeries(frequency, component, today, grid_start, grid_start + timedelta(weeks=n_weeks),
                      price_label, rows[list(COLUMNS)])


def add_up(rows: pd.DataFrame, level: str, icb_names=None) -> pd.DataFrame:
    """Trust rows added up (unrounded) to each ICB ("icb") or the alliance ("alliance"); "trust": as given.
    A total is null when its parts are (an appraisal's figures are unknown at every trust alike)."""
    if level == "trust" or rows.empty:
        return rows
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    keys = ["period_start", "period_end", "frequency", "component", "appraisal_id", "appraisal_name", "measure", "unit"]
    if level == "icb":
        keys = ["icb_code", *keys]
    grouped = rows.groupby(keys, sort=False, dropna=False)
    totals = grouped["value"].sum(min_count=1).reset_index()
    totals["not_yet_known"] = grouped["not_yet_known"].first().to_numpy()
    if level == "icb":
        names = icb_names or {}
        totals["area_code"] = totals["icb_code"]
        totals["area_name"] = totals["icb_code"].map(lambda code: names.get(code, code))
    else:
        totals["area_code"], totals["area_name"], totals["icb_code"] = ALLIANCE_CODE, ALLIANCE_NAME, ""
    totals["area_type"] = level
    return totals[list(COLUMNS)]


_CACHE: OrderedDict[tuple, tuple[object, TimeSeries]] = OrderedDict()
_LOCK = threading.Lock()


def time_series(session, *, frequency: str = "week", component: str = "net", scenario: str = "central",
                prices=None, today: date | None = None) -> TimeSeries:
    """The stored pipeline's long table for a frequency and component (default list prices)."""
    from ..impact_service import PriceView, pipeline_impact

    prices = prices or PriceView.list_only()
    today = today or date.today()
    figures = pipeline_figures(session, scenario=scenario, prices=prices, today=today)
    _loaded, result = pipeline_impact(session, scenario=scenario, prices=prices, today=today)
    key = (id(result), today, frequency, component)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is result:
            return hit[1]
    reasons = {key: appraisal.reasons for key, appraisal in figures.appraisals.items()}
    series = series_of_result(result, reasons, frequency=frequency, component=component, today=today,
                              price_label=figures.price_label)
    with _LOCK:
        _CACHE[key] = (result, series)
        while len(_CACHE) > 8:
            _CACHE.popitem(last=False)
    return series
