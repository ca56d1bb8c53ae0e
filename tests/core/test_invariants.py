"""Checks that always hold (domain guide §4, last paragraph), as property tests."""

from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from appraisal_impact.core import impact
from appraisal_impact.core.impact import Appraisal, ModelInputs, Regimen, RegimenUse, Trust, run_model
from appraisal_impact.core.schedule import RegimenSchedule

GRID_START = date(2025, 4, 7)
ENGLAND = Trust("ENG", "England", "ENG", impact.ENGLAND_POPULATION)
PROPERTY_SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def schedules(draw, whole_weeks=False):
    """Courses that end within about 2 years, so a 5-year grid reaches steady state."""
    cycle_length = draw(st.sampled_from([7, 14, 21, 28, 42] if whole_weeks else [7, 10, 14, 21, 28, 30, 42]))
    days = draw(st.lists(st.integers(1, cycle_length), min_size=1, max_size=3, unique=True))
    max_cycles = draw(st.integers(1, 700 // cycle_length))
    oral = draw(st.booleans())
    if draw(st.booleans()):
        return RegimenSchedule(cycle_length, tuple(days), max_cycles=max_cycles, is_oral=oral)
    median = draw(st.floats(30, 400))
    return RegimenSchedule(cycle_length, tuple(days), max_cycles=max_cycles,
                           median_time_on_treatment_days=median, is_oral=oral)


@st.composite
def regimens(draw, whole_weeks=False):
    return Regimen(
        name=draw(st.sampled_from(["A", "B", "C"])),
        schedule=draw(schedules(whole_weeks)),
        chair_minutes_first_cycle=draw(st.floats(0, 300)),
        chair_minutes_later_cycles=draw(st.floats(0, 300)),
        drug_cost_per_cycle=draw(st.floats(0, 20_000)),
    )


def constant_starts(regimen, starts_per_week, uptake=(100.0,)):
    return Appraisal("TA", "TA", starts_per_week * impact.WEEKS_PER_YEAR / (uptake[0] / 100), uptake,
                     GRID_START, (RegimenUse(regimen),))


@PROPERTY_SETTINGS
@given(regimen=regimens(), starts_per_week=st.floats(0.01, 50))
def test_steady_state_attendances_are_starts_times_expected_attendances(regimen, starts_per_week):
    result = run_model(ModelInputs((constant_starts(regimen, starts_per_week),), (ENGLAND,), GRID_START))
    last = result.trust_weekly("ENG").iloc[-1]
    assert_allclose(last["attendances"], starts_per_week * regimen.schedule.expected_chair_attendances,
                    rtol=1e-9, atol=1e-9)
    assert_allclose(last["cycles"], starts_per_week * regimen.schedule.expected_cycles, rtol=1e-9)


@PROPERTY_SETTINGS
@given(regimen=regimens(), starts_per_week=st.floats(0.01, 50))
def test_total_attendances_are_total_starts_times_expected_attendances(regimen, starts_per_week):
    # starts in year 1 only (uptake then 0%); every course ends well inside 5 years
    appraisal = constant_starts(regimen, starts_per_week, uptake=(100.0, 0.0))
    weekly = run_model(ModelInputs((appraisal,), (ENGLAND,), GRID_START)).trust_weekly("ENG")
    total_starts = weekly["new_starts"].sum()
    # year 1 is 365.25 days = 52 whole weeks + 1.25 days of week 52 (uptake changes at the boundary)
    assert_allclose(total_starts, (52 + 1.25 / 7) * starts_per_week)
    assert_allclose(weekly["attendances"].sum(), total_starts * regimen.schedule.expected_chair_attendances,
                    rtol=1e-9, atol=1e-9)
    assert_allclose(weekly["drug_cost"].sum(),
                    total_starts * regimen.schedule.expected_cycles * regimen.drug_cost_per_cycle,
                    rtol=1e-9, atol=1e-6)


@PROPERTY_SETTINGS
@given(regimen=regimens(whole_weeks=True), starts_per_week=st.floats(0.01, 50))
def test_littles_law_for_patients_on_treatment(regimen, starts_per_week):
    # starts a year × mean years on treatment = starts a week × mean weeks on treatment
    # (exact on the weekly grid when the cycle is a whole number of weeks)
    result = run_model(ModelInputs((constant_starts(regimen, starts_per_week),), (ENGLAND,), GRID_START))
    on_treatment = result.trust_weekly("ENG")["patients_on_treatment"].iloc[-1]
    mean_years = regimen.schedule.mean_days_on_treatment / 7 / impact.WEEKS_PER_YEAR
    assert_allclose(on_treatment, starts_per_week * impact.WEEKS_PER_YEAR * mean_years, rtol=1e-9)


@PROPERTY_SETTINGS
@given(regimen=regimens(), eligible=st.floats(1, 5000),
       uptake=st.lists(st.floats(0, 100), min_size=1, max_size=5), share=st.floats(0.01, 1))
def test_a_regimen_displacing_itself_nets_to_zero(regimen, eligible, uptake, share):
    appraisal = Appraisal("TA", "TA", eligible, tuple(uptake), GRID_START,
                          brings_in=(RegimenUse(regimen, share),), displaces=(RegimenUse(regimen, share),))
    result = run_model(ModelInputs((appraisal,), (ENGLAND,), GRID_START))
    assert (result.trust_weekly("ENG").to_numpy() == 0).all()
    assert (result.national_weekly("TA").to_numpy() == 0).all()


@PROPERTY_SETTINGS
@given(
    regimen=regimens(),
    weights=st.lists(st.floats(0.05, 1), min_size=1, max_size=8),
    eligible=st.floats(1, 5000),
    uptake=st.lists(st.floats(1, 100), min_size=1, max_size=5),
)
def test_trust_shares_summing_to_one_give_the_national_total(regimen, weights, eligible, uptake):
    fractions = np.asarray(weights) / sum(weights)
    trusts = tuple(Trust(f"T{i}", f"T{i}", "ICB", 1.0) for i in range(len(fractions)))
    appraisal = Appraisal("TA", "TA", eligible, tuple(uptake), GRID_START, (RegimenUse(regimen),),
                          tumour_site="site")
    shares = {(trust.code, "site"): fraction for trust, fraction in zip(trusts, fractions)}
    result = run_model(ModelInputs((appraisal,), trusts, GRID_START, tumour_site_shares=shares))
    assert_allclose(result.alliance_weekly().to_numpy(), result.national_weekly("TA").to_numpy(),
                    rtol=1e-9, atol=1e-9)
    assert_allclose(result.icb_weekly("ICB").to_numpy(), result.alliance_weekly().to_numpy(), rtol=1e-12)
    assert_allclose(result.appraisal_weekly("TA").to_numpy(), result.alliance_weekly().to_numpy(), rtol=1e-12)
