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


# ---- issue #11, defect 4: central is the median; percentiles ordered; P10/P50/P90 and chairs


def test_two_piece_quantiles_by_hand():
    from appraisal_impact.core.uncertainty import two_piece_quantile

    # lopsided 0.5–1.05: P10 = 0.5 + 0.5 √0.2 = 0.72361; P50 = 1; P90 = 1.05 − 0.05 √0.2 = 1.02764
    assert_allclose(two_piece_quantile(np.array([0.1, 0.5, 0.9]), 0.5, 1.05), [0.723607, 1.0, 1.027639], atol=1e-6)
    # symmetric 0.8–1.2 is the triangular distribution (0.8, 1, 1.2): P10 = 0.88944
    assert_allclose(two_piece_quantile(np.array([0.1, 0.9]), 0.8, 1.2), [0.889443, 1.110557], atol=1e-6)


def test_central_is_the_median_even_with_a_lopsided_spread():
    # The case: a spread of 0.5–1.05 put central (172) above the sampled P90 (156) with a
    # triangular distribution peaking at 1, whose median is 0.85. Now P50 = central and
    # P10 = 0.7236 × central, P90 = 1.0276 × central (one uncertain input, linear in it).
    model_inputs = ModelInputs(inputs(eligible_spread=Spread(0.5, 1.05)).appraisals[:1], TRUSTS, GRID_START)
    central = run_with_multipliers(model_inputs).steady_state("chair_hours").to_numpy().sum()
    table = sample_steady_state(model_inputs, n_samples=40_000, seed=5).percentiles()
    assert_allclose(table.loc["alliance"].to_numpy() / central, [0.72361, 1.0, 1.02764], atol=4e-3)
    assert table.loc["alliance", "P10"] <= central <= table.loc["alliance", "P90"]


def test_percentiles_are_ordered_and_bracket_central_for_every_trust():
    from appraisal_impact.core.uncertainty import measure_percentiles

    model_inputs = inputs(eligible_spread=Spread(0.6, 1.1), uptake_spread=Spread(0.7, 1.4),
                          time_on_treatment_spread=Spread(0.5, 1.2))
    central = run_with_multipliers(model_inputs).steady_state("chair_hours")
    for appraisal in ("TA1", "TA2"):
        table = measure_percentiles(model_inputs, "chair_hours", appraisal=appraisal, n_samples=4000, seed=2)
        assert (table["P10"] <= table["P50"]).all() and (table["P50"] <= table["P90"]).all()
        for code in ("A", "B"):
            assert table.loc[code, "P10"] <= central.loc[appraisal, code] <= table.loc[code, "P90"]
    # symmetric spreads on every input: the median is the central figure (within sampling error and
    # the small asymmetry of a product of inputs and of time on treatment's effect)
    symmetric = ModelInputs(inputs(eligible_spread=Spread(0.8, 1.2), uptake_spread=Spread(0.9, 1.1),
                                   time_on_treatment_spread=Spread(0.8, 1.2)).appraisals[1:], TRUSTS, GRID_START)
    central = run_with_multipliers(symmetric).steady_state("chair_hours").loc["TA2"].sum()
    table = measure_percentiles(symmetric, "chair_hours", appraisal="TA2", n_samples=20_000, seed=4)
    assert_allclose(table.loc["alliance", "P50"], central, rtol=0.01)


def test_measure_percentiles_without_spread_are_the_central_figures():
    from appraisal_impact.core.impact import by_year_from_start
    from appraisal_impact.core.uncertainty import measure_percentiles

    model_inputs = inputs()
    result = run_with_multipliers(model_inputs)
    # steady state of the pipeline: mean of the last 52 weeks; year 1 of TA1: its year-1 total
    table = measure_percentiles(model_inputs, "chair_hours", n_samples=50)
    expected = result.trust_weekly("A")["chair_hours"].iloc[-52:].mean()
    assert_allclose(table.loc["A"].to_numpy(), expected, rtol=1e-9)
    year1 = measure_percentiles(model_inputs, "new_starts", appraisal="TA1", period=1, n_samples=50)
    # TA1: 1000 eligible × 40% / 52.18 = 7.6658 starts a week for 52 weeks; week 52 holds 1.25 days at
    # 40% and 5.75 at 70% (12.3884 starts), of which year 1 takes 1.25/7: 398.620 + 2.212 = 400.832 in
    # England; trust A has 60%: 240.499
    week_52 = (1.25 / 7 * 400 + 5.75 / 7 * 700) / 52.18
    assert_allclose(year1.loc["A", "P50"], 0.6 * (52 * 400 / 52.18 + 1.25 / 7 * week_52), rtol=1e-9)
    by_year = by_year_from_start(result.appraisal_trust_weekly("TA1", "A"), GRID_START)
    assert_allclose(year1.loc["A", "P10"], by_year.loc[1, "new_starts"], rtol=1e-9)
    fy = measure_percentiles(model_inputs, "drug_cost", period="2027/28", n_samples=20)
    assert (fy["P10"] == fy["P90"]).all()


def test_probability_of_running_out_of_chairs_by_hand():
    from appraisal_impact.core.capacity import BaselineDemand, TrustCapacity
    from appraisal_impact.core.uncertainty import financial_year_ends, probability_out_of_chairs

    # One trust, all of England, 10 chairs × 8 h × 5 days × 0.85 = 340 chair-hours a week. A fixed
    # course: 1 cycle of 60 min; 52.18 × 100% a year = 1 start a week → 1 chair-hour a week from the
    # start (week 0). Baseline 338.5 growing 0% a year: 339.5 ≤ 340, never out of chairs; baseline
    # 339.5: 340.5 > 340 from week 0 when the pipeline is there.
    one = Regimen("One", RegimenSchedule(7, (1,), max_cycles=1), chair_minutes_first_cycle=60)
    trust = Trust("E", "E", "X", impact.ENGLAND_POPULATION, TrustCapacity(chairs=10))
    appraisal = Appraisal("TA", "TA", impact.WEEKS_PER_YEAR, (100.0,), date(2026, 6, 1), (RegimenUse(one),),
                          eligible_spread=Spread(0.5, 1.5))
    model_inputs = ModelInputs((appraisal,), (trust,), GRID_START)
    dates = [date(2026, 5, 31), date(2026, 6, 1), date(2027, 3, 31)]
    never = probability_out_of_chairs(model_inputs, {"E": BaselineDemand(chair_hours_per_week=338.5, growth_percent_per_year=0)},
                                      dates, n_samples=500)
    assert (never.loc["E"] == 0).all()
    # baseline 339.4: out of chairs when the pipeline is above 0.6 chair-hours a week, i.e. the eligible
    # multiplier above 0.6: P(two-piece(0.5, 1, 1.5) > 0.6) = 1 − 0.5 × (0.1 / 0.5)² = 0.98; nothing
    # before the start on 1 June 2026
    some = probability_out_of_chairs(model_inputs, {"E": BaselineDemand(chair_hours_per_week=339.4, growth_percent_per_year=0)},
                                     dates, n_samples=20_000, seed=3)
    assert some.loc["E", date(2026, 5, 31)] == 0
    assert_allclose(some.loc["E", date(2026, 6, 1)], 0.98, atol=0.01)
    assert_allclose(some.loc["E", date(2027, 3, 31)], 0.98, atol=0.01)
    assert financial_year_ends(run_with_multipliers(model_inputs).week_starts)[:2] == [date(2027, 3, 31), date(2028, 3, 31)]
