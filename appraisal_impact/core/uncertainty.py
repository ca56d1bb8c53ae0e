"""Low / central / high scenarios, and percentiles by sampling (domain guide §4.11).

Sampling draws, for each appraisal independently, multipliers of eligible population,
uptake and median time on treatment from triangular distributions (low, 1, high) given by
the appraisal's spreads, with ``numpy.random.default_rng(seed)``: the same seed gives the
same percentiles.

It does not rerun the model per sample. The steady state of a measure is

    Σ_years  eligible multiplier × min(100%, uptake multiplier × uptake[year]) × c_year(time multiplier)

where c_year is the steady state that one year's uptake at 100% gives. That is exact in
eligible and uptake (linear, with the 100% cap applied per year). c_year depends on the
time on treatment non-linearly, so the model runs once per point of a grid of time
multipliers (default 9 points from low to high) and c_year is interpolated linearly
between them: an approximation, well under 1% for smooth survival curves (tested).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .impact import ImpactResult, ModelInputs, Scenario, run_model, run_with_multipliers


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


def _triangular(rng: np.random.Generator, low: np.ndarray, high: np.ndarray, n_samples: int) -> np.ndarray:
    """[sample, appraisal] draws from triangular(low, 1, high); constant 1 where low == high."""
    spread = high > low
    draws = np.ones((n_samples, low.size))
    if spread.any():
        draws[:, spread] = rng.triangular(low[spread], np.ones(spread.sum()), high[spread],
                                          size=(n_samples, int(spread.sum())))
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
    eligible = _triangular(rng, *spreads("eligible_spread"), n_samples)
    uptake_multiplier = _triangular(rng, *spreads("uptake_spread"), n_samples)
    time_low, time_high = spreads("time_on_treatment_spread")
    time_multiplier = _triangular(rng, time_low, time_high, n_samples)

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

