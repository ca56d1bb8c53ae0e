"""NICE's measures: people having treatment in a year, drug cost split, per 100,000 (issue #11)."""

import math
from datetime import date

import numpy as np
import pytest
from numpy.testing import assert_allclose

from appraisal_impact.core import impact, measures
from appraisal_impact.core.impact import Appraisal, ModelInputs, Regimen, RegimenUse, Trust, run_model
from appraisal_impact.core.schedule import RegimenSchedule

GRID_START = date(2025, 4, 7)  # a Monday
ENGLAND = Trust("ENG", "England", "ENG", impact.ENGLAND_POPULATION)
TWO_YEARS_Q3W = Regimen("Pembrolizumab 200 mg q3w", RegimenSchedule(21, (1,), max_years=2),
                        chair_minutes_first_cycle=60, drug_cost_per_cycle=5260.0)


def one_a_week(regimen, uptake=(100.0,), displaces=(), key="TA"):
    return Appraisal(key, key, impact.WEEKS_PER_YEAR, uptake, GRID_START, (RegimenUse(regimen),), displaces)


def test_people_treated_in_a_later_year_of_a_two_year_course():
    # 1 start a week (every Monday, day 7c); 2 years of q3w = 35 cycles, the last on day s + 714.
    # Year 3 from the start = days [730.5, 1095.75): whole days 731 .. 1095. A cohort starting on
    # day s has a cycle in it when s + 714 ≥ 731 and s ≤ 1095: s = 21, 28, ..., 1092 → c = 3 .. 156,
    # 154 people (about three years' cohorts), while 52.18 start in the year and the mean number on
    # treatment is 1 a week × 105 weeks = 105.
    result = run_model(ModelInputs((one_a_week(TWO_YEARS_Q3W),), (ENGLAND,), GRID_START, n_weeks=261))
    people = result.people_treated_by_year_from_start("TA")
    assert_allclose(people.loc[3], 154.0, rtol=1e-9)
    # year 1: cohorts on Mondays 0, 7, ..., 364 (53 Mondays fall before day 365.25)
    assert_allclose(people.loc[1], 53.0, rtol=1e-9)
    assert list(people.index) == [1, 2, 3, 4, 5]
    by_year = impact.by_year_from_start(result.national_weekly("TA"), GRID_START)
    assert_allclose(by_year.loc[3, "patients_on_treatment"], 105.0, rtol=1e-9)


def test_people_treated_until_progression_small_case():
    # L = 21, M = 21: p_k = 2^−k (no cap). Starts in year 1 only (uptake 100% then 0%): 1 a week for
    # weeks 0..51 and 1.25/7 of week 52 (day 364). Year 2 = whole days 366 .. 730. A cohort starting on
    # day s = 7c has its first cycle in year 2 at k0 = ceil((366 − s) / 21), treated with chance 2^−k0.
    regimen = Regimen("Halving", RegimenSchedule(21, (1,), median_time_on_treatment_days=21))
    result = run_model(ModelInputs((one_a_week(regimen, uptake=(100.0, 0.0)),), (ENGLAND,), GRID_START))
    expected = sum(2.0 ** -math.ceil((366 - 7 * c) / 21) for c in range(52)) + 1.25 / 7 * 2.0 ** -math.ceil(2 / 21)
    assert_allclose(result.people_treated_by_year_from_start("TA").loc[2], expected, rtol=1e-9)
    # by hand: c = 52 (day 364, 1.25/7 of a week's starts): k0 = 1 → 0.0893; c = 51, 50 (days 357, 350):
    # k0 = 1 → 0.5 each; c = 49 .. 47: k0 = 2 → 0.25 each; c = 46 .. 44: 0.125 each; ... a geometric
    # tail: 0.0893 + 2 × 0.5 + 3 × (0.25 + 0.125 + ...) = 0.0893 + 1 + 3 × 0.5 = 2.5893
    assert_allclose(expected, 0.0893 + 1 + 1.5, atol=1e-3)


def test_people_treated_counts_no_one_for_a_regimen_given_alongside_and_nets_displaced():
    extra = Regimen("Loading", RegimenSchedule(7, (1,), max_cycles=1), counts_patients=False)
    old = Regimen("Old", RegimenSchedule(21, (1,), max_cycles=4))
    appraisal = Appraisal("TA", "TA", impact.WEEKS_PER_YEAR, (100.0,), GRID_START,
                          (RegimenUse(TWO_YEARS_Q3W), RegimenUse(extra)), (RegimenUse(old, 0.5),))
    result = run_model(ModelInputs((appraisal,), (ENGLAND,), GRID_START))
    brought_in = result.people_treated_by_year_from_start("TA", "brought in")
    assert_allclose(brought_in.loc[1], 53.0)  # the loading doses add nobody
    # displaced: half of each weekly cohort would have had 4 cycles (days s .. s + 63): year 1 holds
    # cohorts on days 0 .. 364 → 53 × 0.5 = 26.5
    assert_allclose(result.people_treated_by_year_from_start("TA", "displaced").loc[1], 26.5)
    assert_allclose(result.people_treated_by_year_from_start("TA", "net").loc[1], 26.5)


def test_people_treated_by_financial_year_and_by_trust():
    trusts = (Trust("A", "A", "X", impact.ENGLAND_POPULATION * 0.03), Trust("B", "B", "X", impact.ENGLAND_POPULATION * 0.01))
    fixed = Regimen("Two cycles", RegimenSchedule(7, (1,), max_cycles=2))
    result = run_model(ModelInputs((one_a_week(fixed),), trusts, GRID_START))
    # 2025/26 = 1 Apr 2025 .. 31 Mar 2026; starts from Monday 7 Apr 2025: Mondays to 30 Mar 2026 = 52
    people = result.people_treated_by_financial_year("TA")
    assert_allclose(people.loc["2025/26"], 52.0)
    # 2026/27: the cohort of 30 Mar 2026 has its 2nd cycle on 6 Apr 2026 → counted; + 52 Mondays
    # 6 Apr 2026 .. 29 Mar 2027 = 53
    assert_allclose(people.loc["2026/27"], 53.0)
    by_trust = result.people_treated_by_trust(people, "TA")
    assert_allclose(by_trust.loc["2026/27", "A"], 53 * 0.03)
    assert_allclose(by_trust.loc["2026/27", "B"], 53 * 0.01)


def test_drug_cost_gross_savings_and_net_by_financial_year():
    # New: 2 cycles of £1,000 (weekly); displaced for half: 1 cycle of £600. One start a week from
    # Monday 7 Apr 2025. 2026/27 (a whole year of 365 days, every week steady): gross = 365/7 × 2 ×
    # £1,000 = £104,285.71; savings = 365/7 × 0.5 × £600 = £15,642.86; net = £88,642.86.
    new = Regimen("New", RegimenSchedule(7, (1,), max_cycles=2), drug_cost_per_cycle=1000.0)
    old = Regimen("Old", RegimenSchedule(7, (1,), max_cycles=1), drug_cost_per_cycle=600.0)
    result = run_model(ModelInputs((one_a_week(new, displaces=(RegimenUse(old, 0.5),)),), (ENGLAND,), GRID_START))
    split = measures.drug_cost_split(result, "TA")
    assert list(split.columns) == list(measures.DRUG_COST_COLUMNS)
    assert_allclose(split.loc["2026/27"].to_numpy(), [365 / 7 * 2000, 365 / 7 * 300, 365 / 7 * 1700], rtol=1e-9)
    assert_allclose(split["net_drug_cost"], split["gross_drug_cost"] - split["savings_from_displaced"])


def test_per_100000_population():
    assert_allclose(measures.per_100000_population(352.0, 57_690_300), 0.610155, atol=1e-6)  # 35,200,000 / 57,690,300
    assert math.isnan(measures.per_100000_population(5.0, 0))
    table = measures.per_100000_population(np.array([10.0, 20.0]), np.array([100_000.0, 400_000.0]))
    assert_allclose(table, [10.0, 5.0])


def test_england_and_alliance_blocks():
    trusts = (Trust("A", "A", "X", 1_000_000), Trust("B", "B", "X", 3_000_000))
    result = run_model(ModelInputs((one_a_week(TWO_YEARS_Q3W),), trusts, GRID_START, n_weeks=261))
    blocks = measures.england_and_alliance(result, "TA", impact.ENGLAND_POPULATION)
    england = blocks["england"]["by_year_from_start"]
    alliance = blocks["alliance"]["by_year_from_start"]
    assert list(england.index) == [1, 2, 3, 4, 5]
    # alliance = 4,000,000 / 57,690,300 of England for every flow and for people treated
    fraction = 4_000_000 / impact.ENGLAND_POPULATION
    for column in ("new_starts", "people_treated", "gross_drug_cost", "chair_hours"):
        assert_allclose(alliance[column], england[column] * fraction, rtol=1e-9)
    assert_allclose(england.loc[3, "people_treated"], 154.0)
    # per 100,000: England's starts in year 1 (52.18 × 365.25/365.26) per 100,000 of 57,690,300
    assert_allclose(england.loc[1, "new_starts_brought_in_per_100000"],
                    england.loc[1, "new_starts_brought_in"] * 100_000 / impact.ENGLAND_POPULATION)
    assert set(blocks["england"]["by_financial_year"].columns) >= set(measures.DRUG_COST_COLUMNS)


@pytest.mark.parametrize("scenario", ["low", "high"])
def test_people_treated_is_bounded_too(scenario):
    appraisal = Appraisal("TA", "TA", impact.WEEKS_PER_YEAR, (100.0,), GRID_START, (RegimenUse(TWO_YEARS_Q3W),),
                          eligible_spread=impact.Spread(0.5, 2.0))
    inputs = ModelInputs((appraisal,), (ENGLAND,), GRID_START)
    central = run_model(inputs).people_treated_by_year_from_start("TA").loc[1]
    bound = run_model(inputs, scenario).people_treated_by_year_from_start("TA").loc[1]
    assert_allclose(bound, central * (0.5 if scenario == "low" else 2.0))


def test_course_drug_cost_ta830_by_hand():
    # NICE TA830: pembrolizumab 200 mg q3w (2 × 100 mg vials at £2,630 = £5,260) for 17 cycles = £89,420
    regimen = Regimen("Pembrolizumab 200 mg q3w (17 cycles)", RegimenSchedule(21, (1,), max_cycles=17),
                      drug_cost_per_cycle=2 * 2630.0)
    appraisal = Appraisal("TA830", "TA830", 0.0, (0.0,), GRID_START, (RegimenUse(regimen),))
    assert measures.course_drug_cost(appraisal) == 89_420.0
    # a regimen given alongside for 66% adds its share: 4 × £7,398 + 0.66 × 12 × £7,398 = £88,184.16
    neo = Regimen("Neo", RegimenSchedule(21, (1,), max_cycles=4), drug_cost_per_cycle=7398.0)
    adj = Regimen("Adj", RegimenSchedule(28, (1,), max_cycles=12), drug_cost_per_cycle=7398.0, counts_patients=False)
    both = Appraisal("TA1030", "TA1030", 0.0, (0.0,), GRID_START, (RegimenUse(neo), RegimenUse(adj, 0.66)))
    assert_allclose(measures.course_drug_cost(both), 88_184.16)
