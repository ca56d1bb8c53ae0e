"""Regimens given in phases (issue #11: treatment phases), worked by hand."""

import math
from datetime import date

import numpy as np
import pytest
from numpy.testing import assert_allclose

from appraisal_impact.core import impact, measures
from appraisal_impact.core.impact import Appraisal, ModelInputs, Regimen, RegimenUse, Trust, run_model
from appraisal_impact.core.phases import TreatmentPhase, phased_regimens
from appraisal_impact.core.schedule import RegimenSchedule

GRID_START = date(2025, 4, 7)
ENGLAND = Trust("ENG", "England", "ENG", impact.ENGLAND_POPULATION)


def weeks_with(array):
    return [int(w) for w in np.flatnonzero(array)]


def one_a_week(regimens, key="TA"):
    return Appraisal(key, key, impact.WEEKS_PER_YEAR, (100.0,), GRID_START, tuple(RegimenUse(r) for r in regimens))


PEMBRO = phased_regimens([
    TreatmentPhase(Regimen("Pembrolizumab 200 mg q3w", RegimenSchedule(21, (1,), max_cycles=6),
                           chair_minutes_first_cycle=60, drug_cost_per_cycle=5260.0)),
    TreatmentPhase(Regimen("Pembrolizumab 400 mg q6w", RegimenSchedule(42, (1,), max_cycles=14),
                           chair_minutes_first_cycle=45, drug_cost_per_cycle=10520.0)),
], course="Pembrolizumab 200 mg q3w x 6 then 400 mg q6w")


def test_pembrolizumab_q3w_then_q6w_by_hand():
    first, second = PEMBRO
    # phase 1: days 0, 21, ..., 105 (weeks 0, 3, ..., 15); phase 2 from day 6 × 21 = 126 (week 18):
    # days 126, 168, ..., 126 + 13 × 42 = 672 (weeks 18, 24, ..., 96)
    assert second.schedule.offset_days == 126 and second.schedule.reach == 1.0
    k1, k2 = first.schedule.kernels(120), second.schedule.kernels(120)
    assert weeks_with(k1.cycles) == [0, 3, 6, 9, 12, 15]
    assert weeks_with(k2.cycles) == list(range(18, 97, 6))
    assert k2.starts.sum() == 0  # a later phase starts nobody
    # on treatment: weeks 0..17 (126 days) then 18..101 (14 × 42 = 588 days = 84 weeks): 102 weeks
    assert weeks_with(k1.on_treatment + k2.on_treatment) == list(range(102))
    result = run_model(ModelInputs((one_a_week(PEMBRO),), (ENGLAND,), GRID_START))
    last = result.trust_weekly("ENG").iloc[-1]
    # steady state at 1 start a week: 20 attendances a week; chair 6 × 1 h + 14 × 0.75 h = 16.5 h;
    # drug 6 × £5,260 + 14 × £10,520 = £178,840 a week; 102 patients on treatment (counted once)
    assert_allclose(last["attendances"], 20.0)
    assert_allclose(last["chair_hours"], 16.5)
    assert_allclose(last["drug_cost"], 178_840.0)
    assert_allclose(last["patients_on_treatment"], 102.0)
    assert_allclose(result.trust_weekly("ENG")["new_starts"].iloc[60], 1.0)
    assert_allclose(measures.course_drug_cost(one_a_week(PEMBRO)), 178_840.0)


def test_daratumumab_weekly_two_weekly_then_four_weekly():
    # weekly × 8 (days 0..49), two-weekly × 8 (days 56..154), then every 28 days from day 168, until
    # progression with a median of 1,400 days throughout: the chance of being on treatment on day d
    # is 2^(−d/1400) whichever phase it is in, as one exponential time on treatment.
    median = 1400.0
    phases = phased_regimens([
        TreatmentPhase(Regimen("Dara weekly", RegimenSchedule(7, (1,), max_cycles=8, median_time_on_treatment_days=median))),
        TreatmentPhase(Regimen("Dara two-weekly", RegimenSchedule(14, (1,), max_cycles=8, median_time_on_treatment_days=median))),
        TreatmentPhase(Regimen("Dara four-weekly", RegimenSchedule(28, (1,), median_time_on_treatment_days=median))),
    ], course="Daratumumab SC")
    days = []
    chances = []
    for regimen in phases:
        schedule = regimen.schedule
        p = schedule.cycle_probabilities(10)
        days += list(schedule.offset_days + schedule.cycle_length_days * np.arange(p.size))
        chances += list(p)
    assert days[:19] == [0, 7, 14, 21, 28, 35, 42, 49, 56, 70, 84, 98, 112, 126, 140, 154, 168, 196, 224]
    assert_allclose(chances, [2 ** (-d / median) for d in days], rtol=1e-12)
    # expected doses: 8 + 8 two-weekly + the four-weekly tail from day 168 = Σ 2^(−d/1400)
    expected = sum(r.schedule.expected_cycles for r in phases)
    tail = 2 ** (-168 / median) / (1 - 2 ** (-28 / median))
    assert_allclose(expected, sum(2 ** (-d / median) for d in days[:16]) + tail, rtol=1e-12)
    # with the time-on-treatment spread every phase's median (and the chance of reaching it) scales
    scaled = [r.schedule.with_time_on_treatment_scaled(0.5) for r in phases]
    assert_allclose(scaled[2].reach, 2 ** (-168 / 700), rtol=1e-12)


def test_perioperative_durvalumab_with_a_gap_and_66_percent_going_on():
    neo = Regimen("Durvalumab neoadjuvant", RegimenSchedule(21, (1,), max_cycles=4), drug_cost_per_cycle=7398.0,
                  chair_minutes_first_cycle=80)
    adj = Regimen("Durvalumab adjuvant", RegimenSchedule(28, (1,), max_cycles=12), drug_cost_per_cycle=7398.0,
                  chair_minutes_first_cycle=80)
    phases = phased_regimens([TreatmentPhase(neo), TreatmentPhase(adj, share_going_on=0.66, gap_days=56)],
                             course="Durvalumab perioperative")
    # neoadjuvant days 0..63 (ends day 84); 8 weeks for surgery; adjuvant from day 140 (week 20)
    assert phases[1].schedule.offset_days == 140
    kernels = phases[1].schedule.kernels(80)
    assert weeks_with(kernels.cycles) == [20 + 4 * k for k in range(12)]
    assert_allclose(kernels.cycles.sum(), 0.66 * 12)
    # course: 4 × £7,398 + 66% × 12 × £7,398 = £88,184.16 a person starting (NICE TA1030's £69,779
    # allows for early stopping)
    appraisal = one_a_week(phases)
    assert_allclose(measures.course_drug_cost(appraisal), 88_184.16)
    result = run_model(ModelInputs((appraisal,), (ENGLAND,), GRID_START, n_weeks=261))
    # people starting count once: 1 a week; in a later year everyone who starts in it, plus those
    # still having adjuvant doses from the previous year, each once
    assert_allclose(result.trust_weekly("ENG")["new_starts"].iloc[100], 1.0)
    assert_allclose(result.new_starts_by_year_from_start("TA").loc[2], 365.25 / 7)  # not × 2 for two phases
    # patients on treatment at steady state: 12 weeks + 66% × 48 weeks (the gap is not treatment) = 43.68
    assert_allclose(result.trust_weekly("ENG")["patients_on_treatment"].iloc[-1], 12 + 0.66 * 48)
    people = result.people_treated_by_year_from_start("TA")
    # year 3 (whole days 731 .. 1095): a cohort starting on day s is counted if it has any cycle in it:
    # its last possible cycle is the adjuvant one on s + 140 + 11 × 28 = s + 448 (for 66%) or the last
    # neoadjuvant on s + 63. Cohorts with s ≤ 1095 and s + 63 ≥ 731 (s ≥ 668): everyone; cohorts with
    # s + 448 ≥ 731 but s + 63 < 731 (283 ≤ s < 668): 66% (those going on, whose first adjuvant
    # cycle on or after day 731 is within the year). Mondays s = 7c: c = 96..156 → 61 cohorts × 1,
    # c = 41..95 → 55 cohorts × 0.66: 61 + 36.3 = 97.3.
    assert_allclose(people.loc[3], 61 + 55 * 0.66, rtol=1e-9)


def test_a_phase_after_an_uncapped_until_progression_phase_is_refused():
    with pytest.raises(ValueError, match="nobody would reach it"):
        phased_regimens([
            TreatmentPhase(Regimen("A", RegimenSchedule(21, (1,), median_time_on_treatment_days=200))),
            TreatmentPhase(Regimen("B", RegimenSchedule(21, (1,), max_cycles=2))),
        ])


def test_phases_keep_the_invariants():
    # Little's law over the whole course: patients on treatment = starts × mean weeks on treatment
    result = run_model(ModelInputs((one_a_week(PEMBRO),), (ENGLAND,), GRID_START))
    mean_weeks = sum(r.schedule.mean_days_on_treatment for r in PEMBRO) / 7
    assert_allclose(result.trust_weekly("ENG")["patients_on_treatment"].iloc[-1], mean_weeks)
    # a phased regimen displacing itself nets to zero
    itself = Appraisal("TA", "TA", 500.0, (40.0,), GRID_START, tuple(RegimenUse(r) for r in PEMBRO),
                       tuple(RegimenUse(r) for r in PEMBRO))
    net = run_model(ModelInputs((itself,), (ENGLAND,), GRID_START)).trust_weekly("ENG")
    assert_allclose(net.to_numpy(), 0.0, atol=1e-9)


def test_branched_funnel_sums_paths_then_common_steps():
    # stage 4 at diagnosis: 10,000 × 20% = 2,000; stages 2-3 that later progress: 10,000 × 50% × 30%
    # = 1,500; together 3,500, then 60% reach first-line treatment × 80% fit = 1,680 a year
    stage4 = impact.EligibleFunnel(10_000, (impact.FunnelStep("stage 4 at diagnosis", 20),))
    later = impact.EligibleFunnel(10_000, (impact.FunnelStep("stages 2-3", 50), impact.FunnelStep("progress later", 30)))
    funnel = impact.BranchedFunnel.of((stage4, later), steps=(impact.FunnelStep("first line", 60),
                                                             impact.FunnelStep("fit", 80)))
    assert_allclose(funnel.eligible_per_year, 1680.0)
    assert funnel.start_count == 3500.0
    appraisal = Appraisal("TA", "TA", funnel, (50.0,), GRID_START, (RegimenUse(PEMBRO[0]),),
                          eligible_growth_percent_per_year=2.0, eligible_data_year=2023)
    # two years of growth from the data year (2023) to the start (2025): 1,680 × 1.02² = 1,747.87
    assert_allclose(appraisal.national_eligible_per_year, 1680 * 1.02 ** 2)
