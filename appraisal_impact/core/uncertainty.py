"""Low / central / high scenarios, and percentiles by sampling (domain guide §4.11).

Sampling draws, for each appraisal independently, multipliers of eligible population,
uptake and median time on treatment, with ``numpy.random.default_rng(seed)``: the same seed
gives the same percentiles. Each multiplier has its median at 1 (the central figure): half the
draws fall between low and 1, half between 1 and high, each half a triangle peaking at 1 (a
"two-piece triangular" distribution; for a symmetric spread, e.g. 0.8–1.2, it is the triangular
distribution (0.8, 1, 1.2)). So the central figure is the median of each input, and with one
uncertain input, or a symmetric spread, the median (P50) of the figure is the central figure,
however lopsided the spread (a triangular distribution with mode 1 put the central value above
the sampled P90 for a spread of 0.5–1.05). With several independent inputs multiplied together
P50 can differ slightly from central.

It does not rerun the model per sample. The steady state of a measure is

    Σ_years  eligible multiplier × min(100%, uptake multiplier × uptake[year]) × c_year(time multiplier)

where c_year is the steady state that one year's uptake at 100% gives. That is exact in
eligible and uptake (linear, with the 100% cap applied per year). c_year depends on the
time on treatment non-linearly, so the model runs once per point of a grid of time
multipliers (default 9 points from low to high) and c_year is interpolated linearly
between them: an approximation, well under 1% for smooth survival curves (tested).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from .capacity import BaselineDemand, baseline_growth
from .impact import (
    STEADY_STATE_WEEKS,
    STEADY_STATE_YEAR,
    STOCK_MEASURES,
    ImpactResult,
    ModelInputs,
    Scenario,
    financial_year_label,
    monday_on_or_before,
    run_model,
    run_with_multipliers,
    year_from_start_weights,
)


@dataclass(frozen=True, eq=False)
class ScenarioResults:
    """The model run with every appraisal at its low, central and high multipliers."""

    low: ImpactResult
    central: ImpactResult
    high: ImpactResult

    def __getitem__(self, scenario: str) -> ImpactResult:
        return getattr(self, Scenario(scenario).value)


def run_scenarios(inputs: ModelInputs) -> ScenarioResults:
    """Low, central and high: eligible, uptake and time on treatment all low (or high) together."""
    return ScenarioResults(*(run_model(inputs, scenario) for scenario in Scenario))


@dataclass(frozen=True, eq=False)
class SampledSteadyState:
    """Sampled steady state (mean of the last 52 weeks) of one measure, net.

    Attributes
    ----------
    measure : e.g. "chair_hours" (units as in ``impact.MEASURE_UNITS``).
    seed, n_samples : for reproducibility.
    trust_codes : column order of ``samples``.
    samples : [sample, trust] the whole pipeline's steady state at each trust.
    eligible_multipliers, uptake_multipliers, time_on_treatment_multipliers :
        [sample, appraisal] the draws behind each sample.
    """

    measure: str
    seed: int
    n_samples: int
    trust_codes: tuple[str, ...]
    samples: np.ndarray = field(repr=False)
    eligible_multipliers: np.ndarray = field(repr=False)
    uptake_multipliers: np.ndarray = field(repr=False)
    time_on_treatment_multipliers: np.ndarray = field(repr=False)

    @property
    def alliance_samples(self) -> np.ndarray:
        """[sample] summed over every trust."""
        return self.samples.sum(axis=1)

    def percentiles(self, quantiles: tuple[float, ...] = (10, 50, 90)) -> pd.DataFrame:
        """Rows: each trust, then "alliance"; columns "P10", "P50", "P90" (or as asked)."""
        table = np.column_stack([self.samples, self.alliance_samples])
        values = np.percentile(table, quantiles, axis=0).T
        return pd.DataFrame(
            values,
            index=pd.Index([*self.trust_codes, "alliance"], name="trust"),
            columns=[f"P{q:g}" for q in quantiles],
        )


def two_piece_quantile(quantile: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The multiplier at ``quantile`` (0–1) of the two-piece triangular distribution with median 1:
    below 0.5, a triangle on [low, 1] peaking at 1 (x = low + (1 − low) √(2q)); above, a triangle on
    [1, high] peaking at 1 (x = high − (high − 1) √(2 − 2q)). low ≤ 1 ≤ high."""
    quantile, low, high = np.broadcast_arrays(np.asarray(quantile, float), np.asarray(low, float),
                                              np.asarray(high, float))
    lower = quantile < 0.5
    return np.where(
        lower,
        low + (1 - low) * np.sqrt(np.clip(2 * quantile, 0, 1)),
        high - (high - 1) * np.sqrt(np.clip(2 - 2 * quantile, 0, 1)),
    )


def _two_piece(rng: np.random.Generator, low: np.ndarray, high: np.ndarray, n_samples: int) -> np.ndarray:
    """[sample, appraisal] draws with median 1 (see :func:`two_piece_quantile`); 1 where low == high."""
    draws = np.ones((n_samples, low.size))
    spread = (high > 1) | (low < 1)
    if spread.any():
        quantiles = rng.random((n_samples, int(spread.sum())))
        draws[:, spread] = two_piece_quantile(quantiles, np.minimum(low[spread], 1.0), np.maximum(high[spread], 1.0))
    return draws


def sample_steady_state(
    inputs: ModelInputs,
    *,
    measure: str = "chair_hours",
    n_samples: int = 1000,
    seed: int = 0,
    time_grid_points: int = 9,
) -> SampledSteadyState:
    """Sample the pipeline's steady-state ``measure`` at each trust (see module docstring)."""
    if time_grid_points < 2:
        raise ValueError("time_grid_points must be at least 2")
    appraisals = inputs.appraisals
    n_appraisals = len(appraisals)
    n_years = max((len(a.uptake_percent_by_year) for a in appraisals), default=1)

    def spreads(name: str) -> tuple[np.ndarray, np.ndarray]:
        low = np.array([getattr(a, name).low for a in appraisals])
        high = np.array([getattr(a, name).high for a in appraisals])
        return low, high

    rng = np.random.default_rng(seed)
    eligible = _two_piece(rng, *spreads("eligible_spread"), n_samples)
    uptake_multiplier = _two_piece(rng, *spreads("uptake_spread"), n_samples)
    time_low, time_high = spreads("time_on_treatment_spread")
    time_multiplier = _two_piece(rng, time_low, time_high, n_samples)

    uptake = np.zeros((n_appraisals, n_years))
    for a, appraisal in enumerate(appraisals):
        values = list(appraisal.uptake_percent_by_year) or [0.0]
        uptake[a] = values + [values[-1]] * (n_years - len(values))
    # [sample, appraisal, year] weight of each year's unit contribution
    weights = eligible[:, :, None] * np.minimum(uptake_multiplier[:, :, None] * uptake[None] / 100, 1.0)

    # One pseudo-appraisal per (appraisal, year) at 100% uptake in that year only.
    pseudo, local_patients = [], {}
    for appraisal in appraisals:
        for year in range(n_years):
            key = f"{appraisal.key}#year{year + 1}"
            one_hot = tuple(100.0 if y == year else 0.0 for y in range(n_years))
            pseudo.append(replace(appraisal, key=key, uptake_percent_by_year=one_hot))
            for (appraisal_key, trust_code), patients in inputs.local_patients.items():
                if appraisal_key == appraisal.key:
                    local_patients[(key, trust_code)] = patients
    pseudo_inputs = replace(inputs, appraisals=tuple(pseudo), local_patients=local_patients)

    grid = np.linspace(0.0, 1.0, time_grid_points)  # position between low and high
    contributions = []  # [grid point][appraisal × year, trust]
    for position in grid:
        multipliers = time_low + (time_high - time_low) * position
        result = run_with_multipliers(pseudo_inputs, time_on_treatment_multipliers=np.repeat(multipliers, n_years))
        contributions.append(result.steady_state(measure).to_numpy())
    contributions = np.stack(contributions)  # [G, A × J, T]

    # Linear interpolation weights of each sample's time multiplier on the grid.
    width = np.where(time_high > time_low, time_high - time_low, 1.0)
    position = np.clip((time_multiplier - time_low) / width, 0.0, 1.0) * (time_grid_points - 1)
    lower = np.minimum(np.floor(position).astype(int), time_grid_points - 2)
    fraction = position - lower
    samples = np.zeros((n_samples, len(inputs.trusts)))
    for g in range(time_grid_points):
        at_g = np.where(lower == g, 1.0 - fraction, 0.0) + np.where(lower + 1 == g, fraction, 0.0)
        grid_weights = (weights * at_g[:, :, None]).reshape(n_samples, -1)  # [S, A × J]
        samples += grid_weights @ contributions[g]
    return SampledSteadyState(
        measure, seed, n_samples, tuple(t.code for t in inputs.trusts), samples,
        eligible, uptake_multiplier, time_multiplier,
    )



# --------------------------------------------------------------------------- weekly samples


@dataclass(frozen=True, eq=False)
class SampledWeekly:
    """Sampled weekly series of one measure (net: brought in − displaced) at each trust.

    Attributes
    ----------
    measure : e.g. "chair_hours" (units as in ``impact.MEASURE_UNITS``).
    seed, n_samples : for reproducibility.
    appraisal_keys : the appraisals summed (all of the pipeline, or the ones asked for).
    trust_codes : the trusts, in the order of ``samples``.
    week_starts : the grid's Mondays.
    samples : [sample, trust, week] the measure each week [unit of the measure].
    eligible_multipliers, uptake_multipliers, time_on_treatment_multipliers : [sample, appraisal]
        the draws behind each sample (every appraisal of the inputs, so a subset shares the
        pipeline's draws for the same seed).
    """

    measure: str
    seed: int
    n_samples: int
    appraisal_keys: tuple[str, ...]
    trust_codes: tuple[str, ...]
    week_starts: pd.DatetimeIndex
    samples: np.ndarray = field(repr=False)
    eligible_multipliers: np.ndarray = field(repr=False)
    uptake_multipliers: np.ndarray = field(repr=False)
    time_on_treatment_multipliers: np.ndarray = field(repr=False)

    @property
    def alliance_samples(self) -> np.ndarray:
        """[sample, week] summed over every trust."""
        return self.samples.sum(axis=1)

    def period_samples(self, weights: np.ndarray) -> np.ndarray:
        """[sample, trust + 1]: Σ_week weights × the measure at each trust, then the alliance."""
        weights = np.asarray(weights, dtype=float)
        per_trust = self.samples @ weights
        return np.column_stack([per_trust, per_trust.sum(axis=1)])

    def percentiles(self, weights: np.ndarray, quantiles: tuple[float, ...] = (10, 50, 90)) -> pd.DataFrame:
        """Rows: each trust, then "alliance"; columns "P10", "P50", "P90" (or as asked) of
        Σ_week weights × the measure (a mean a week when the weights sum to 1, a total when
        they are each week's share of a period)."""
        values = np.percentile(self.period_samples(weights), quantiles, axis=0).T
        return pd.DataFrame(values, index=pd.Index([*self.trust_codes, "alliance"], name="trust"),
                            columns=[f"P{q:g}" for q in quantiles])


def _draws(inputs: ModelInputs, n_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    appraisals = inputs.appraisals

    def spreads(name: str) -> tuple[np.ndarray, np.ndarray]:
        return (np.array([getattr(a, name).low for a in appraisals]),
                np.array([getattr(a, name).high for a in appraisals]))

    rng = np.random.default_rng(seed)
    eligible = _two_piece(rng, *spreads("eligible_spread"), n_samples)
    uptake = _two_piece(rng, *spreads("uptake_spread"), n_samples)
    time = _two_piece(rng, *spreads("time_on_treatment_spread"), n_samples)
    return eligible, uptake, time


def sample_weekly(
    inputs: ModelInputs,
    *,
    measure: str = "chair_hours",
    appraisals: Sequence[str] | None = None,
    n_samples: int = 1000,
    seed: int = 0,
    time_grid_points: int = 9,
) -> SampledWeekly:
    """Sample the weekly net ``measure`` at each trust of the ``appraisals`` (default: the whole
    pipeline), with the draws of the module docstring: exact in eligible and uptake, the time on
    treatment interpolated between ``time_grid_points`` model runs from low to high."""
    if time_grid_points < 2:
        raise ValueError("time_grid_points must be at least 2")
    eligible, uptake_multiplier, time_multiplier = _draws(inputs, n_samples, seed)
    keys = [a.key for a in inputs.appraisals]
    chosen = list(range(len(keys))) if appraisals is None else [keys.index(key) for key in appraisals]
    chosen_appraisals = [inputs.appraisals[a] for a in chosen]
    n_years = max((len(a.uptake_percent_by_year) for a in chosen_appraisals), default=1)

    uptake = np.zeros((len(chosen), n_years))
    for i, appraisal in enumerate(chosen_appraisals):
        values = list(appraisal.uptake_percent_by_year) or [0.0]
        uptake[i] = values + [values[-1]] * (n_years - len(values))
    # [sample, appraisal, year] weight of each year's unit contribution (the 100% cap per year)
    weights = eligible[:, chosen, None] * np.minimum(uptake_multiplier[:, chosen, None] * uptake[None] / 100, 1.0)

    pseudo, local_patients = [], {}
    for appraisal in chosen_appraisals:
        for year in range(n_years):
            key = f"{appraisal.key}#year{year + 1}"
            one_hot = tuple(100.0 if y == year else 0.0 for y in range(n_years))
            pseudo.append(replace(appraisal, key=key, uptake_percent_by_year=one_hot))
            for (appraisal_key, trust_code), patients in inputs.local_patients.items():
                if appraisal_key == appraisal.key:
                    local_patients[(key, trust_code)] = patients
    pseudo_inputs = replace(inputs, appraisals=tuple(pseudo), local_patients=local_patients)

    time_low = np.array([a.time_on_treatment_spread.low for a in chosen_appraisals])
    time_high = np.array([a.time_on_treatment_spread.high for a in chosen_appraisals])
    time_low, time_high = np.minimum(time_low, 1.0), np.maximum(time_high, 1.0)
    width = np.where(time_high > time_low, time_high - time_low, 1.0)
    position = np.clip((time_multiplier[:, chosen] - time_low) / width, 0.0, 1.0) * (time_grid_points - 1)
    lower = np.minimum(np.floor(position).astype(int), time_grid_points - 2)
    fraction = position - lower

    n_trusts = len(inputs.trusts)
    samples = None
    week_starts = None
    for g, point in enumerate(np.linspace(0.0, 1.0, time_grid_points)):
        multipliers = time_low + (time_high - time_low) * point
        result = run_with_multipliers(pseudo_inputs, time_on_treatment_multipliers=np.repeat(multipliers, n_years))
        cube = result.appraisal_trust_cube(measure)  # [appraisal × year, trust, week]
        week_starts = result.week_starts
        at_g = np.where(lower == g, 1.0 - fraction, 0.0) + np.where(lower + 1 == g, fraction, 0.0)
        grid_weights = (weights * at_g[:, :, None]).reshape(n_samples, -1)  # [S, A × J]
        contribution = (grid_weights @ cube.reshape(cube.shape[0], -1)).reshape(n_samples, n_trusts, -1)
        samples = contribution if samples is None else samples + contribution
    if samples is None or not chosen:
        week_starts = run_with_multipliers(replace(inputs, appraisals=())).week_starts
        samples = np.zeros((n_samples, n_trusts, len(week_starts)))
    return SampledWeekly(
        measure, seed, n_samples, tuple(keys[a] for a in chosen), tuple(t.code for t in inputs.trusts),
        week_starts, samples, eligible, uptake_multiplier, time_multiplier,
    )


def period_weights(week_starts: pd.DatetimeIndex, period: str | int, *, start_week: int | None = None,
                   measure: str = "chair_hours") -> np.ndarray:
    """Weights [week] that turn a weekly series into one figure of a period:

    * "steady state": the mean week of the fifth year from ``start_week`` (an appraisal's), or of
      the grid's last 52 weeks (the pipeline, ``start_week`` None);
    * an int y: year y from ``start_week``, a total (a mean for a stock such as patients on treatment);
    * a financial year "2027/28": that year's total (mean for a stock), each week by its days in it.
    """
    n_weeks = len(week_starts)
    stock = measure in STOCK_MEASURES
    if period == "steady state":
        weights = year_from_start_weights(start_week, STEADY_STATE_YEAR, n_weeks) if start_week is not None else None
        if weights is None:
            weights = np.zeros(n_weeks)
            weights[-STEADY_STATE_WEEKS:] = 1.0
        return weights / weights.sum()
    if isinstance(period, int):
        weights = year_from_start_weights(start_week, period, n_weeks)
        if weights is None:
            raise ValueError(f"year {period} from the start is not wholly on the grid")
    else:
        days = week_starts.to_numpy()[:, None] + np.arange(7)[None, :] * np.timedelta64(1, "D")
        labels = np.array([financial_year_label(pd.Timestamp(day)) for day in days.ravel()]).reshape(days.shape)
        weights = (labels == period).sum(axis=1) / 7.0
        if not weights.any():
            raise ValueError(f"financial year {period} is not on the grid")
    return weights / weights.sum() if stock else weights


def measure_percentiles(
    inputs: ModelInputs,
    measure: str = "chair_hours",
    *,
    appraisal: str | None = None,
    period: str | int = "steady state",
    n_samples: int = 1000,
    seed: int = 0,
    quantiles: tuple[float, ...] = (10, 50, 90),
) -> pd.DataFrame:
    """P10, P50 and P90 of one net measure in one period at each trust and for the alliance.

    ``appraisal`` None = the whole pipeline; ``period`` as in :func:`period_weights` (a year
    from the start needs an appraisal). Rows: each trust, then "alliance"; columns "P10", "P50",
    "P90" [unit of the measure: a mean a week for "steady state", a total for a year].
    """
    sampled = sample_weekly(inputs, measure=measure, appraisals=None if appraisal is None else [appraisal],
                            n_samples=n_samples, seed=seed)
    start_week = None
    if appraisal is not None:
        start_week = _start_week(inputs, appraisal)
    weights = period_weights(sampled.week_starts, period, start_week=start_week, measure=measure)
    return sampled.percentiles(weights, quantiles)


def _start_week(inputs: ModelInputs, appraisal: str) -> int | None:
    found = next(a for a in inputs.appraisals if a.key == appraisal)
    if found.effective_start is None:
        return None
    return (monday_on_or_before(found.effective_start) - monday_on_or_before(inputs.grid_start)).days // 7


def probability_out_of_chairs(
    inputs: ModelInputs,
    baselines: Mapping[str, BaselineDemand],
    dates: Sequence[date],
    *,
    n_samples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """The chance that each trust runs out of chairs by each date [probability 0–1].

    A trust runs out of chairs in a week when its baseline chair demand (growing as in
    :mod:`.capacity`, from the grid's first week) plus the sampled pipeline's net chair hours is
    above its bookable chair-hours (``TrustCapacity.chair_hours_per_week``); "by a date" means in
    any week whose Monday is on or before it. Rows: trust codes; columns: the dates. NaN for a
    trust without chairs or baseline demand. Use the funding deadline and each year end (see
    :func:`financial_year_ends`).
    """
    sampled = sample_weekly(inputs, measure="chair_hours", n_samples=n_samples, seed=seed)
    mondays = sampled.week_starts.date
    table = pd.DataFrame(np.nan, index=pd.Index(sampled.trust_codes, name="trust"), columns=list(dates))
    for t, trust in enumerate(inputs.trusts):
        baseline = baselines.get(trust.code)
        capacity = trust.capacity.chair_hours_per_week
        if baseline is None or baseline.chair_hours_per_week is None or capacity is None:
            continue
        demand = baseline_growth(baseline.chair_hours_per_week, len(mondays), baseline.growth_percent_per_year)
        over = (demand[None, :] + sampled.samples[:, t, :]) > capacity  # [sample, week]
        first_over = np.where(over.any(axis=1), over.argmax(axis=1), len(mondays))
        for day in dates:
            weeks_by_day = int(np.searchsorted(mondays, day, side="right"))  # weeks with Monday ≤ day
            table.loc[trust.code, day] = float(np.mean(first_over < weeks_by_day))
    return table


def financial_year_ends(week_starts: pd.DatetimeIndex) -> list[date]:
    """31 March of every financial year that ends on the grid."""
    first, last = week_starts[0].date(), (week_starts[-1] + pd.Timedelta(days=6)).date()
    years = range(first.year if first.month <= 3 else first.year + 1, last.year + 1)
    return [date(year, 3, 31) for year in years if first <= date(year, 3, 31) <= last]
