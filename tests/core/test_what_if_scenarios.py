"""What-if scenarios as data (issue #17, point 4): each kind of change with hand-worked numbers, and
an empty scenario equals the baseline exactly."""

from datetime import date, timedelta

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from appraisal_impact.core import impact
from appraisal_impact.core.capacity import TrustCapacity
from appraisal_impact.core.impact import ModelInputs, Regimen, RegimenOverride, RegimenUse, Trust, run_model
from appraisal_impact.core.schedule import RegimenSchedule
from appraisal_impact.core.scenarios import (
    AllianceEligible, AllianceUptake, BaselineGrowth, ChangeCapacity, ExtendedInterval, ScenarioError, SwitchForm,
    apply_changes, describe,
)

from .conftest import GRID_START, starts_per_week_appraisal

PEMBRO_IV_Q6W = Regimen("Pembrolizumab 400 mg q6w", RegimenSchedule(42, (1,), max_cycles=18),
                        chair_minutes_first_cycle=60, drug_cost_per_cycle=10_520.0)
# subcutaneous: a short injection, no aseptic item, its own price a cycle (a figure for the test)
PEMBRO_SC_Q6W = Regimen("Pembrolizumab subcutaneous q6w", RegimenSchedule(42, (1,), max_cycles=18),
                        chair_minutes_first_cycle=15, aseptic_items_per_attendance=0.0, drug_cost_per_cycle=11_000.0)
PEMBRO_Q3W = Regimen("Pembrolizumab 200 mg q3w", RegimenSchedule(21, (1,), max_cycles=35),
                     chair_minutes_first_cycle=30, drug_cost_per_cycle=5_260.0)
ENGLAND = Trust("ENG", "England", "ENG", impact.ENGLAND_POPULATION)


def last_week(inputs):
    return run_model(inputs).trust_weekly("ENG").iloc[-1]


def test_empty_scenario_equals_the_baseline_exactly():
    old = Regimen("Old q2w", RegimenSchedule(14, (1,), median_time_on_treatment_days=300), chair_minutes_first_cycle=120)
    trusts = (Trust("T1", "One", "I1", 1_000_000, TrustCapacity(chairs=10, aseptic_staff_hours_per_week=100)),
              Trust("T2", "Two", "I1", 3_000_000))
    appraisals = (
        starts_per_week_appraisal(PEMBRO_Q3W, 2.0, key="TA1", displaces=(RegimenUse(old, 0.5),)),
        starts_per_week_appraisal(PEMBRO_IV_Q6W, 1.0, start=GRID_START + timedelta(weeks=30), key="TA2"),
    )
    inputs = ModelInputs(appraisals, trusts, GRID_START,
                         regimen_overrides=(RegimenOverride("T1", "Old q2w", chair_minutes_first_cycle=90),))
    scenario = apply_changes(inputs, [], 6.0)
    assert scenario.inputs == inputs
    assert scenario.growth_percent_per_year == 6.0
    baseline, again = run_model(inputs), run_model(scenario.inputs)
    for code in ("T1", "T2"):
        for component in impact.Component:
            assert_array_equal(again.trust_weekly(code, component).to_numpy(),
                               baseline.trust_weekly(code, component).to_numpy())
    for component in impact.Component:
        for key in ("TA1", "TA2"):
            assert_array_equal(again.national_weekly(key, component).to_numpy(),
                               baseline.national_weekly(key, component).to_numpy())


def test_switching_half_to_subcutaneous_halves_aseptic_work_and_cuts_chair_time():
    # 2 starts a week, 18 cycles q6w → 36 attendances a week at steady state.
    # Baseline: 36 × 60 min = 36 chair hours; 36 items × 51 min = 30.6 aseptic hours; drug 36 × £10,520.
    # Half switched: IV 18 × 60 min = 18 h + SC 18 × 15 min = 4.5 h → 22.5 chair hours;
    # aseptic 18 × 51 / 60 = 15.3 h; drug 18 × £10,520 + 18 × £11,000 = £189,360 + £198,000 = £387,360.
    inputs = ModelInputs((starts_per_week_appraisal(PEMBRO_IV_Q6W, 2.0),), (ENGLAND,), GRID_START)
    change = SwitchForm("Pembrolizumab 400 mg q6w", PEMBRO_SC_Q6W, 0.5, from_date=GRID_START)
    week = last_week(apply_changes(inputs, [change], 6.0).inputs)
    assert_allclose(week["chair_hours"], 22.5)
    assert_allclose(week["aseptic_hours"], 15.3)
    assert_allclose(week["drug_cost"], 387_360.0)
    assert_allclose(week["attendances"], 36.0)
    assert_allclose(week["patients_on_treatment"], 216.0)  # 2 × 108 weeks, no one counted twice
    baseline_week = last_week(inputs)
    assert_allclose(baseline_week[["chair_hours", "aseptic_hours"]], [36.0, 30.6])
    assert inputs.appraisals[0].brings_in == (RegimenUse(PEMBRO_IV_Q6W),)  # the agreed figures are untouched


def test_switching_everyone_leaves_no_one_on_the_old_form():
    inputs = ModelInputs((starts_per_week_appraisal(PEMBRO_IV_Q6W, 2.0),), (ENGLAND,), GRID_START)
    scenario = apply_changes(inputs, [SwitchForm("Pembrolizumab 400 mg q6w", PEMBRO_SC_Q6W, 1.0)], 6.0)
    assert scenario.inputs.appraisals[0].brings_in == (RegimenUse(PEMBRO_SC_Q6W, 1.0),)
    assert_allclose(last_week(scenario.inputs)["chair_hours"], 36 * 15 / 60)  # 9 hours


def test_a_switch_after_the_appraisal_starts_is_refused_not_approximated():
    inputs = ModelInputs((starts_per_week_appraisal(PEMBRO_IV_Q6W, 2.0),), (ENGLAND,), GRID_START)
    with pytest.raises(ScenarioError, match="not modelled yet"):
        apply_changes(inputs, [SwitchForm("Pembrolizumab 400 mg q6w", PEMBRO_SC_Q6W, 0.5, date(2026, 1, 5))], 6.0)
    with pytest.raises(ScenarioError, match="no appraisal uses"):
        apply_changes(inputs, [SwitchForm("Nivolumab", PEMBRO_SC_Q6W, 0.5)], 6.0)
    with pytest.raises(ScenarioError, match="between 0% and 100%"):
        apply_changes(inputs, [SwitchForm("Pembrolizumab 400 mg q6w", PEMBRO_SC_Q6W, 1.5)], 6.0)


def test_extended_interval_pembrolizumab_q3w_to_q6w():
    # 1 start a week. q3w, 35 cycles: 35 attendances a week × 30 min = 17.5 chair hours; drug 35 × £5,260 = £184,100.
    # q6w: two years is ceil(35 / 2) = 18 cycles of 42 days; 18 attendances × 30 min = 9 chair hours;
    # 400 mg costs twice 200 mg: 18 × £10,520 = £189,360. Chair hours saved: 8.5 a week.
    inputs = ModelInputs((starts_per_week_appraisal(PEMBRO_Q3W, 1.0),), (ENGLAND,), GRID_START,
                         regimen_overrides=(RegimenOverride("ENG", "Pembrolizumab 200 mg q3w", chair_minutes_first_cycle=20),))
    scenario = apply_changes(inputs, [ExtendedInterval("Pembrolizumab 200 mg q3w", "Pembrolizumab 400 mg q6w", 42)], 6.0)
    regimen = scenario.inputs.appraisals[0].brings_in[0].regimen
    assert (regimen.name, regimen.schedule.cycle_length_days, regimen.schedule.max_cycles) == ("Pembrolizumab 400 mg q6w", 42, 18)
    # the trust's own chair minutes follow the regimen to its new name
    assert scenario.inputs.regimen_overrides[0].regimen_name == "Pembrolizumab 400 mg q6w"
    no_override = ModelInputs(inputs.appraisals, inputs.trusts, GRID_START)
    before = last_week(no_override)
    after = last_week(apply_changes(no_override, [ExtendedInterval("Pembrolizumab 200 mg q3w", "Pembrolizumab 400 mg q6w", 42)], 6.0).inputs)
    assert_allclose(before[["attendances", "chair_hours", "drug_cost"]], [35.0, 17.5, 184_100.0])
    assert_allclose(after[["attendances", "chair_hours", "drug_cost"]], [18.0, 9.0, 189_360.0])
    # with the trust's 20 minutes: 18 × 20 / 60 = 6 chair hours
    assert_allclose(last_week(scenario.inputs)["chair_hours"], 6.0)


def test_change_capacity_of_one_trust():
    # 10 chairs × 8 h × 5 days × 0.85 = 340 bookable chair hours; 14 chairs open 10 h: 14 × 10 × 5 × 0.85 = 595
    trusts = (Trust("T1", "One", "I1", 1_000_000, TrustCapacity(chairs=10, aseptic_staff_hours_per_week=100)),
              Trust("T2", "Two", "I1", 3_000_000, TrustCapacity(chairs=20)))
    inputs = ModelInputs((), trusts, GRID_START)
    assert_allclose(trusts[0].capacity.chair_hours_per_week, 340.0)
    changed = apply_changes(inputs, [ChangeCapacity("T1", chairs=14, hours_per_day=10, aseptic_staff_hours_per_week=150)], 6.0).inputs
    assert_allclose(changed.trusts[0].capacity.chair_hours_per_week, 595.0)
    assert changed.trusts[0].capacity.aseptic_staff_hours_per_week == 150
    assert changed.trusts[1] == trusts[1]
    assert inputs.trusts[0].capacity.chairs == 10
    with pytest.raises(ScenarioError, match="no trust X9"):
        apply_changes(inputs, [ChangeCapacity("X9", chairs=1)], 6.0)


def test_baseline_growth_changes_only_the_growth():
    inputs = ModelInputs((starts_per_week_appraisal(PEMBRO_Q3W, 1.0),), (ENGLAND,), GRID_START)
    scenario = apply_changes(inputs, [BaselineGrowth(8.0)], 6.0)
    assert scenario.growth_percent_per_year == 8.0
    assert scenario.inputs is inputs


def test_alliance_uptake_and_eligible_replace_nices():
    # NICE: 1 start a week at 100% uptake. The alliance's 50% uptake: 0.5 a week;
    # the alliance's 3 × 52.18 eligible a year at 50%: 1.5 a week, 1.5 × 35 = 52.5 attendances.
    inputs = ModelInputs((starts_per_week_appraisal(PEMBRO_Q3W, 1.0),), (ENGLAND,), GRID_START)
    half = apply_changes(inputs, [AllianceUptake("TA1", (50.0,))], 6.0).inputs
    assert_allclose(last_week(half)["new_starts"], 0.5)
    both = apply_changes(inputs, [AllianceUptake("TA1", (50.0,)), AllianceEligible("TA1", 3 * impact.WEEKS_PER_YEAR)], 6.0).inputs
    assert_allclose(last_week(both)[["new_starts", "attendances"]], [1.5, 52.5])
    assert inputs.appraisals[0].uptake_percent_by_year == (100.0,)
    with pytest.raises(ScenarioError, match="no appraisal TA9"):
        apply_changes(inputs, [AllianceUptake("TA9", (50.0,))], 6.0)


def test_changes_in_words():
    assert describe([
        SwitchForm("Pembrolizumab 400 mg q6w", PEMBRO_SC_Q6W, 0.5, date(2026, 4, 1)),
        ExtendedInterval("Pembrolizumab 200 mg q3w", "Pembrolizumab 400 mg q6w", 42),
        ChangeCapacity("RHM", chairs=14),
        BaselineGrowth(8),
    ]) == [
        "50% of patients on Pembrolizumab 400 mg q6w given Pembrolizumab subcutaneous q6w instead from 1 April 2026",
        "Pembrolizumab 200 mg q3w given as Pembrolizumab 400 mg q6w (every 42 days)",
        "RHM: 14 chairs",
        "today's demand grows 8% a year",
    ]


def test_more_chairs_from_a_date_move_the_run_out_week():
    # 10 chairs × 8 h × 5 days × 0.85 = 340 chair hours a week; 14 chairs: 476.
    # Demand: 330 a week today (no growth) + the pipeline's 20 from week 12 = 350 > 340 → runs out in week 12.
    # 14 chairs from week 10 (Monday 16 June 2025): 350 ≤ 476, never runs out.
    # 14 chairs from week 15: still runs out in week 12.
    from appraisal_impact.core.capacity import resource_outlook
    from appraisal_impact.core.scenarios import capacity_by_week

    trusts = (Trust("T1", "One", "I1", 1_000_000, TrustCapacity(chairs=10, aseptic_staff_hours_per_week=100)),)
    inputs = ModelInputs((), trusts, GRID_START, n_weeks=30)
    pipeline = np.r_[np.zeros(12), np.full(18, 20.0)]

    def run_out(changes):
        scenario = apply_changes(inputs, changes, 0.0)
        capacity = capacity_by_week(scenario, "T1", "chair_hours")
        outlook = resource_outlook("chair_hours", capacity_per_week=capacity, baseline_per_week=330.0,
                                   pipeline_per_week=pipeline, grid_start=GRID_START, growth_percent_per_year=0.0)
        return capacity, outlook.first_week_exceeded_with_pipeline

    capacity, week = run_out([])
    assert_allclose(capacity, np.full(30, 340.0))
    assert week == GRID_START + timedelta(weeks=12)
    capacity, week = run_out([ChangeCapacity("T1", chairs=14, from_date=date(2025, 6, 18))])  # a Wednesday of week 10
    assert_allclose(capacity[[9, 10, 29]], [340.0, 476.0, 476.0])
    assert week is None
    _, week = run_out([ChangeCapacity("T1", chairs=14, from_date=GRID_START + timedelta(weeks=15))])
    assert week == GRID_START + timedelta(weeks=12)
    # a change dated on or before the grid starts changes the trust itself
    scenario = apply_changes(inputs, [ChangeCapacity("T1", aseptic_staff_hours_per_week=150, from_date=date(2025, 1, 1))], 0.0)
    assert scenario.dated_capacity == ()
    assert_allclose(capacity_by_week(scenario, "T1", "aseptic_hours"), np.full(30, 150.0))
    # more aseptic hours from week 20: 100 then 130
    scenario = apply_changes(inputs, [ChangeCapacity("T1", aseptic_staff_hours_per_week=130,
                                                     from_date=GRID_START + timedelta(weeks=20))], 0.0)
    assert_allclose(capacity_by_week(scenario, "T1", "aseptic_hours")[[19, 20]], [100.0, 130.0])
    assert scenario.inputs.trusts == trusts
