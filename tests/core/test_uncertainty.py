"""Scenarios and sampled percentiles."""

from datetime import date

import numpy as np
from numpy.testing import assert_allclose

from appraisal_impact.core import impact
from appraisal_impact.core.impact import Appraisal, ModelInputs, Regimen, RegimenUse, Spread, Trust, run_with_multipliers
from appraisal_impact.core.schedule import RegimenSchedule
from appraisal_impact.core.uncertainty import run_scenarios, sample_steady_state

GRID_START = date(2026, 4, 6)
IO = Regimen("IO", RegimenSchedule(21, (1,), median_time_on_treatment_days=200, max_years=2),
             chair_minutes_first_cycle=60, chair_minutes_later_cycles=30)
TRUSTS = (Trust("A", "A", "X", impact.ENGLAND_POPULATION * 0.6), Trust("B", "B", "X", impact.ENGLAND_POPULATION * 0.4))


def inputs(**spreads):
    appraisals = (
        Appraisal("TA1", "one", 1000.0, (40.0, 70.0, 90.0), GRID_START, (RegimenUse(IO),), **spreads),
        Appraisal("TA2", "two", 600.0, (30.0,), date(2027, 2, 1), (RegimenUse(IO),), **spreads),
    )
    return ModelInputs(appraisals, TRUSTS, GRID_START)


def test_without_spread_every_percentile_is_central():
    model_inputs = inputs()
    central = run_with_multipliers(model_inputs).steady_state("chair_hours").sum(axis=0)
    table = sample_steady_state(model_inputs, n_samples=200, seed=1).percentiles()
    for column in ("P10", "P50", "P90"):
        assert_allclose(table.loc[["A", "B"], column], central.to_numpy(), rtol=1e-9)
        assert_allclose(table.loc["alliance", column], central.sum(), rtol=1e-9)


def test_eligible_spread_gives_triangular_percentiles():
    # triangular(0.8, 1, 1.2): F(x) = (x − 0.8)² / (0.4 × 0.2) below the mode, so
    # P10: (x − 0.8)² = 0.008 → x = 0.8 + 0.08944 = 0.88944; P50 = 1; P90 = 1.11056.
    # With one common multiplier per appraisal and two appraisals the alliance total is a
    # sum of two draws: test one appraisal alone.
    model_inputs = inputs(eligible_spread=Spread(0.8, 1.2))
    model_inputs = ModelInputs(model_inputs.appraisals[:1], TRUSTS, GRID_START)
    central = run_with_multipliers(model_inputs).steady_state("chair_hours").to_numpy().sum()
    table = sample_steady_state(model_inputs, n_samples=40_000, seed=7).percentiles()
    assert_allclose(table.loc["alliance"].to_numpy() / central, [0.88944, 1.0, 1.11056], atol=4e-3)


def test_sampling_is_reproducible_with_a_seed():
    model_inputs = inputs(eligible_spread=Spread(0.8, 1.2), uptake_spread=Spread(0.5, 1.5))
    first = sample_steady_state(model_inputs, n_samples=100, seed=3).samples
    again = sample_steady_state(model_inputs, n_samples=100, seed=3).samples
    other = sample_steady_state(model_inputs, n_samples=100, seed=4).samples
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_samples_match_a_direct_model_run_with_the_same_draws():
    # exact in eligible and uptake (with the 100% cap); interpolated in time on treatment
    model_inputs = inputs(eligible_spread=Spread(0.7, 1.4), uptake_spread=Spread(0.5, 1.6),
                          time_on_treatment_spread=Spread(0.5, 2.0))
    sampled = sample_steady_state(model_inputs, n_samples=5, seed=11)
    for s in range(5):
        direct = run_with_multipliers(
            model_inputs,
            eligible_multipliers=sampled.eligible_multipliers[s],
            uptake_multipliers=sampled.uptake_multipliers[s],
            time_on_treatment_multipliers=sampled.time_on_treatment_multipliers[s],
        ).steady_state("chair_hours").sum(axis=0).to_numpy()
        assert_allclose(sampled.samples[s], direct, rtol=5e-3)


def test_low_central_high_scenarios_are_ordered():
    scenarios = run_scenarios(inputs(eligible_spread=Spread(0.8, 1.2), uptake_spread=Spread(0.8, 1.1),
                                     time_on_treatment_spread=Spread(0.75, 1.3)))
    values = [scenarios[name].alliance_weekly()["chair_hours"].iloc[-1] for name in ("low", "central", "high")]
    assert values[0] < values[1] < values[2]
