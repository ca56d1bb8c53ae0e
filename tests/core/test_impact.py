"""The impact model on cases worked by hand (domain guide §4)."""

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from appraisal_impact.core import impact
from appraisal_impact.core.impact import (
    Appraisal,
    DeliveryTariffs,
    ModelInputs,
    Regimen,
    RegimenOverride,
    RegimenUse,
    Trust,
    by_calendar_month,
    by_financial_year,
    by_year_from_start,
    financial_year_label,
    run_model,
)
from appraisal_impact.core.schedule import RegimenSchedule

from .conftest import starts_per_week_appraisal


def test_pembrolizumab_q6w_steady_state(england, pembrolizumab_q6w, grid_start):
    # 2 starts a week × 18 cycles = 36 attendances a week; × 60 min = 36 chair hours;
    # 2 × 108 weeks on treatment = 216 patients; drug 36 cycles × £10,520 = £378,720 a week;
    # delivery 36 × SB12Z £174 = £6,264 a week
    appraisal = starts_per_week_appraisal(pembrolizumab_q6w, 2.0)
    result = run_model(ModelInputs((appraisal,), (england,), grid_start))
    last_week = result.trust_weekly("ENG").iloc[-1]
    assert_allclose(last_week["new_starts"], 2.0)
    assert_allclose(last_week["attendances"], 36.0)
    assert_allclose(last_week["chair_hours"], 36.0)
    assert_allclose(last_week["patients_on_treatment"], 216.0)
    assert_allclose(last_week["drug_cost"], 378_720.0)
    assert_allclose(last_week["delivery_cost"], 6_264.0)
    # week 0: only the first 2 patients, each at cycle 1
    first_week = result.trust_weekly("ENG").iloc[0]
    assert_allclose(first_week[["new_starts", "attendances", "patients_on_treatment"]], [2, 2, 2])
    # week 5: 12 patients started, only the week's starters attend (q6w)
    assert_allclose(result.trust_weekly("ENG").iloc[5]["attendances"], 2.0)
    assert_allclose(result.trust_weekly("ENG").iloc[6]["attendances"], 4.0)


def test_first_and_later_cycle_chair_minutes(england, grid_start):
    # 1 start a week, q3w for 3 cycles, 90 min first cycle then 30:
    # a week holds one first-cycle attendance and two later ones at steady state:
    # (90 + 2 × 30) / 60 = 2.5 chair hours
    regimen = Regimen("T-DXd", RegimenSchedule(21, (1,), max_cycles=3),
                      chair_minutes_first_cycle=90, chair_minutes_later_cycles=30)
    result = run_model(ModelInputs((starts_per_week_appraisal(regimen, 1.0),), (england,), grid_start))
    chair_hours = result.trust_weekly("ENG")["chair_hours"]
    assert_allclose(chair_hours.iloc[0], 1.5)
    assert_allclose(chair_hours.iloc[-1], 2.5)


def test_d1_d8_delivery_hrg_first_and_subsequent(england, grid_start):
    # 1 start a week, D1+D8 q21d × 4 cycles: 4 first attendances and 4 subsequent a week;
    # 4 × SB13Z £307.58 + 4 × SB15Z £332.83 = £2,561.64
    regimen = Regimen("Sacituzumab", RegimenSchedule(21, (1, 8), max_cycles=4), first_attendance_hrg="SB13Z")
    result = run_model(ModelInputs((starts_per_week_appraisal(regimen, 1.0),), (england,), grid_start))
    last = result.trust_weekly("ENG").iloc[-1]
    assert_allclose(last["attendances"], 8.0)
    assert_allclose(last["delivery_cost"], 2561.64)


def test_oral_regimen_takes_no_chair_but_clinic_and_pharmacy(england, grid_start):
    # 3 starts a week, 28-day cycles × 6, 12 min verification, 1 clinic of 30 min a cycle:
    # at steady state cycles a week = starts a week × cycles per patient = 3 × 6 = 18;
    # on treatment 6 × 28 days = 24 weeks → 3 × 24 = 72 patients
    regimen = Regimen("Osimertinib", RegimenSchedule(28, (1,), max_cycles=6, is_oral=True),
                      verification_minutes_per_cycle=12, clinic_minutes_per_appointment=30,
                      aseptic_items_per_attendance=1.0)
    tariffs = DeliveryTariffs(sb11z_oral_per_cycle=100.0)
    result = run_model(ModelInputs((starts_per_week_appraisal(regimen, 3.0),), (england,), grid_start,
                                   tariffs=tariffs))
    last = result.trust_weekly("ENG").iloc[-1]
    assert last["attendances"] == 0 and last["chair_hours"] == 0 and last["aseptic_hours"] == 0
    assert_allclose(last["cycles"], 18.0)
    assert_allclose(last["verification_hours"], 3.6)  # 18 × 12 / 60
    assert_allclose(last["clinic_hours"], 9.0)  # 18 × 30 / 60
    assert_allclose(last["delivery_cost"], 1800.0)  # 18 × SB11Z £100
    assert_allclose(last["patients_on_treatment"], 72.0)  # 3 × 24 weeks


def test_uptake_by_year_from_start(england, pembrolizumab_q6w, grid_start):
    # 521.8 eligible a year: uptake 10% → 1 start a week in year 1, 20% → 2 in year 2.
    # Year 1 is days [0, 365.25) from the start Monday: weeks 0..51 whole (364 days) and 1.25 of
    # week 52's 7 days; uptake changes at the year boundary, not at week 53, so week 52 holds
    # 1.25/7 × 1 + 5.75/7 × 2 = 1.821429 starts.
    appraisal = Appraisal("TA2", "two years", 521.8, (10.0, 20.0), grid_start, (RegimenUse(pembrolizumab_q6w),))
    result = run_model(ModelInputs((appraisal,), (england,), grid_start))
    starts = result.trust_weekly("ENG")["new_starts"].to_numpy()
    assert_allclose(starts[:52], 1.0)
    assert_allclose(starts[52], 1.25 / 7 + 2 * 5.75 / 7)
    assert_allclose(starts[53:], 2.0)  # later years hold the last uptake
    summary = result.appraisal_by_trust_summary("TA2")
    # People starting in a year are exact: year 1 = 52 whole weeks + 1.25 days of week 52 at 1 a week =
    # 52.178571 (= 10% × 521.8 × 365.25/7/52.18); year 2 = 2 × 52.178571 = 104.357143.
    assert_allclose(summary.loc["ENG", "new_starts_year1"], 52 + 1.25 / 7)
    assert_allclose(summary.loc["ENG", "new_starts_year2"], 2 * (52 + 1.25 / 7))
    assert_allclose(result.new_starts_by_year_from_start("TA2").loc[[1, 2]], [52 + 1.25 / 7, 2 * (52 + 1.25 / 7)])
    # Weekly totals split the straddling week by its days, whatever it holds: year 1 takes 1.25/7 of
    # week 52's 1.821429 starts → 52.325255; year 2 = 5.75/7 × 1.821429 + 51 × 2 + 2.5/7 × 2 (days
    # 728–730.5 of week 104) = 104.210459; together they hold exactly the 2 years' starts.
    week_52 = 1.25 / 7 + 2 * 5.75 / 7
    by_year = by_year_from_start(result.trust_weekly("ENG"), grid_start)
    # whole years of 365.25 days (not 53 weeks in year 1), the same figures as the summary
    assert_allclose(by_year.loc[1, "new_starts"], 52 + 1.25 / 7 * week_52)
    assert_allclose(by_year.loc[2, "new_starts"], 5.75 / 7 * week_52 + 102 + 2 * 2.5 / 7)
    assert list(by_year.index) == [1, 2, 3, 4]  # 260 weeks = 1,820 days: year 5 ends on day 1,826.25


def test_funnel_and_growth(england, pembrolizumab_q6w, grid_start):
    # 10,436 × 50% × 20% = 1,043.6 a year; uptake 50% → 10 starts a week in year 1;
    # growth 10% a year → 11 in year 2
    funnel = impact.EligibleFunnel(10_436, (impact.FunnelStep("stage III", 50), impact.FunnelStep("PD-L1+", 20)))
    appraisal = Appraisal("TA3", "funnel", funnel, (50.0,), grid_start, (RegimenUse(pembrolizumab_q6w),),
                          eligible_growth_percent_per_year=10)
    starts = run_model(ModelInputs((appraisal,), (england,), grid_start)).trust_weekly("ENG")["new_starts"]
    assert_allclose(starts.iloc[0], 10.0)
    assert_allclose(starts.iloc[60], 11.0)


def test_start_before_grid_is_already_at_steady_state(england, pembrolizumab_q6w, grid_start):
    appraisal = starts_per_week_appraisal(pembrolizumab_q6w, 2.0, start=date(2022, 1, 3))
    weekly = run_model(ModelInputs((appraisal,), (england,), grid_start)).trust_weekly("ENG")
    assert_allclose(weekly["patients_on_treatment"], 216.0)
    assert_allclose(weekly["attendances"], 36.0)


def test_unknown_start_contributes_nothing(england, pembrolizumab_q6w, grid_start):
    appraisal = starts_per_week_appraisal(pembrolizumab_q6w, 2.0, start=None)
    weekly = run_model(ModelInputs((appraisal,), (england,), grid_start)).trust_weekly("ENG")
    assert (weekly.to_numpy() == 0).all()


def test_start_mid_grid(england, pembrolizumab_q6w, grid_start):
    # start on Wednesday 16 Apr 2025: the week of Monday 14 Apr, grid week 1
    appraisal = starts_per_week_appraisal(pembrolizumab_q6w, 2.0, start=date(2025, 4, 16))
    starts = run_model(ModelInputs((appraisal,), (england,), grid_start)).trust_weekly("ENG")["new_starts"]
    assert starts.iloc[0] == 0
    assert_allclose(starts.iloc[1], 2.0)


def test_self_displacement_nets_to_exactly_zero(england, pembrolizumab_q6w, grid_start):
    appraisal = Appraisal("TA4", "switch", 300.0, (40.0, 60.0), grid_start,
                          brings_in=(RegimenUse(pembrolizumab_q6w),), displaces=(RegimenUse(pembrolizumab_q6w),))
    result = run_model(ModelInputs((appraisal,), (england,), grid_start))
    assert (result.trust_weekly("ENG").to_numpy() == 0).all()
    assert result.trust_weekly("ENG", component="brought in")["attendances"].iloc[-1] > 0


def test_displacement_subtracts_the_old_regimen(england, pembrolizumab_q6w, grid_start):
    # 2 starts a week; half displace a q3w 6-cycle regimen of 30 minutes:
    # displaced attendances at steady state 1 × 6 = 6; chair 6 × 0.5 = 3 h; net chair 36 − 3 = 33
    old = Regimen("Old q3w", RegimenSchedule(21, (1,), max_cycles=6), chair_minutes_first_cycle=30)
    appraisal = Appraisal("TA5", "new for old", 2 * impact.WEEKS_PER_YEAR, (100.0,), grid_start,
                          brings_in=(RegimenUse(pembrolizumab_q6w),), displaces=(RegimenUse(old, 0.5),))
    result = run_model(ModelInputs((appraisal,), (england,), grid_start))
    assert_allclose(result.trust_weekly("ENG", component="displaced")["chair_hours"].iloc[-1], 3.0)
    assert_allclose(result.trust_weekly("ENG")["chair_hours"].iloc[-1], 33.0)


def test_share_precedence(pembrolizumab_q6w, grid_start):
    # national 1,000 a year; RHM: override 52.18 patients a year → 1 start a week at 100% uptake;
    # R0D: alliance lung share 2% → 20 a year; RBD: catchment 576,903 / 57,690,300 = 1%
    appraisal = Appraisal("TA6", "lung", 1000.0, (100.0,), grid_start, (RegimenUse(pembrolizumab_q6w),),
                          tumour_site="lung")
    trusts = (Trust("RHM", "Southampton", "QRL", 1_000_000), Trust("R0D", "UHD", "QVV", 700_000),
              Trust("RBD", "Dorchester", "QVV", 576_903))
    inputs = ModelInputs((appraisal,), trusts, grid_start,
                         local_patients={("TA6", "RHM"): 52.18},
                         tumour_site_shares={("R0D", "lung"): 0.02, ("RHM", "lung"): 0.5})
    result = run_model(inputs)
    assert_allclose(result.shares[0], [0.05218, 0.02, 0.01])
    assert result.share_sources[0] == (impact.SHARE_FROM_LOCAL_PATIENTS, impact.SHARE_FROM_TUMOUR_SITE,
                                       impact.SHARE_FROM_CATCHMENT)
    assert_allclose(result.trust_weekly("RHM")["new_starts"].iloc[0], 1.0)
    summary = result.appraisal_by_trust_summary("TA6")
    assert_allclose(summary["local_eligible_per_year"], [52.18, 20.0, 10.0])
    # ICB QVV = R0D + RBD = 3% of 1,000 a year / 52.18
    assert_allclose(result.icb_weekly("QVV")["new_starts"].iloc[0], 30 / 52.18)


def test_trust_regimen_override_changes_only_that_trust(pembrolizumab_q6w, grid_start):
    # 2 starts a week nationally; two trusts of half of England each → 1 start a week each:
    # 18 attendances; RHM at 60 min = 18 h; RHU overrides to 30 min → 9 h
    appraisal = starts_per_week_appraisal(pembrolizumab_q6w, 2.0)
    half = impact.ENGLAND_POPULATION / 2
    trusts = (Trust("RHM", "Southampton", "QRL", half), Trust("RHU", "Portsmouth", "QRL", half))
    override = RegimenOverride("RHU", "Pembrolizumab 400 mg q6w", chair_minutes_first_cycle=30,
                               chair_minutes_later_cycles=30)
    result = run_model(ModelInputs((appraisal,), trusts, grid_start, regimen_overrides=(override,)))
    assert_allclose(result.trust_weekly("RHM")["chair_hours"].iloc[-1], 18.0)
    assert_allclose(result.trust_weekly("RHU")["chair_hours"].iloc[-1], 9.0)
    assert_allclose(result.appraisal_trust_weekly("TA1", "RHU")["chair_hours"].iloc[-1], 9.0)
    assert_allclose(result.steady_state("chair_hours").loc["TA1"].to_numpy(), [18.0, 9.0])
    assert_allclose(result.alliance_weekly()["chair_hours"].iloc[-1], 27.0)
    assert_allclose(result.trust_weekly("RHU")["attendances"].iloc[-1], 18.0)


def test_scenarios_scale_eligible_uptake_and_time(england, grid_start):
    # until progression, q3w, median 84 days, uncapped: E[cycles] = 1 / (1 − 2^(−1/4))
    regimen = Regimen("IO", RegimenSchedule(21, (1,), median_time_on_treatment_days=84), chair_minutes_first_cycle=60)
    appraisal = Appraisal("TA7", "io", 52.18, (50.0,), date(2015, 1, 5), (RegimenUse(regimen),),
                          eligible_spread=impact.Spread(0.8, 1.2), uptake_spread=impact.Spread(0.5, 1.5),
                          time_on_treatment_spread=impact.Spread(0.5, 2.0))
    inputs = ModelInputs((appraisal,), (england,), grid_start)
    central = run_model(inputs).trust_weekly("ENG").iloc[-1]
    assert_allclose(central["attendances"], 0.5 / (1 - 2 ** (-1 / 4)), rtol=1e-9)
    low = run_model(inputs, "low").trust_weekly("ENG").iloc[-1]
    # 0.8 × 0.25 starts a week; median 42 days → 1 / (1 − 2^(−1/2))
    assert_allclose(low["attendances"], 0.8 * 0.25 / (1 - 2 ** (-1 / 2)), rtol=1e-9)
    high = run_model(inputs, "high").trust_weekly("ENG").iloc[-1]
    assert_allclose(high["new_starts"], 1.2 * 0.75)


def test_chairs_needed_uses_trust_chair_week(pembrolizumab_q6w, grid_start):
    # 36 chair hours a week / (10 h × 4 days × 0.9) = 1 chair
    trust = Trust("ENG", "England", "ENG", impact.ENGLAND_POPULATION,
                  capacity=impact.TrustCapacity(chairs=5, hours_per_day=10, days_per_week=4, target_utilisation=0.9))
    result = run_model(ModelInputs((starts_per_week_appraisal(pembrolizumab_q6w, 2.0),), (trust,), grid_start))
    assert_allclose(result.appraisal_by_trust_summary("TA1").loc["ENG", "chairs_needed_steady_state"], 1.0)
    assert_allclose(result.trust_summary().loc["ENG", "chair_hours_per_week_steady_state"], 36.0)


def test_financial_year_labels():
    assert financial_year_label(date(2025, 3, 31)) == "2024/25"  # a Monday
    assert financial_year_label(date(2024, 4, 1)) == "2024/25"  # a Monday
    assert financial_year_label(date(2026, 4, 1)) == "2026/27"
    assert financial_year_label(date(1999, 12, 31)) == "1999/00"


def test_financial_year_and_month_sums(england, pembrolizumab_q6w):
    # grid from Monday 24 Mar 2025: the week of 24 Mar is wholly in 2024/25; the week of Monday
    # 31 Mar holds 1 day of 2024/25 (31 Mar) and 6 of 2025/26: each week counts for its days.
    grid_start = date(2025, 3, 24)
    appraisal = starts_per_week_appraisal(pembrolizumab_q6w, 2.0, start=grid_start)
    weekly = run_model(ModelInputs((appraisal,), (england,), grid_start)).trust_weekly("ENG")
    years = by_financial_year(weekly)
    assert years.index[0] == "2024/25"
    assert_allclose(years.loc["2024/25", "new_starts"], 2 + 2 / 7)  # 8 days at 2 a week
    months = by_calendar_month(weekly)
    assert_allclose(months.loc["2025-03", "new_starts"], 2 + 2 / 7)  # 24–31 March
    assert_allclose(months.loc["2025-04", "new_starts"], 2 * 30 / 7)  # 30 days of April
    assert_allclose(years.loc["2025/26", "new_starts"], 2 * 365 / 7)  # a whole year: 365 days
    for table in (years, months):
        flows = [c for c in weekly.columns if c != "patients_on_treatment"]
        assert_allclose(table[flows].sum(), weekly[flows].sum())
    # stocks are averaged over the days: March holds 7 days at 2 patients and 1 day at 4
    assert_allclose(months.loc["2025-03", "patients_on_treatment"], (7 * 2 + 4) / 8)


def test_financial_year_2030_31_holds_365_days_not_53_mondays(england, pembrolizumab_q6w):
    # 1 April 2030 is a Monday, so 2030/31 has 53 Mondays (1 Apr 2030 .. 31 Mar 2031). At 1 start
    # a week it must hold 365/7 = 52.142857 starts, not 53.
    grid_start = date(2029, 4, 2)
    appraisal = starts_per_week_appraisal(pembrolizumab_q6w, 1.0, start=grid_start)
    weekly = run_model(ModelInputs((appraisal,), (england,), grid_start, n_weeks=260)).trust_weekly("ENG")
    assert sum(1 for day in weekly.index if impact.financial_year_label(day) == "2030/31") == 53
    years = by_financial_year(weekly)
    assert_allclose(years.loc["2030/31", "new_starts"], 365 / 7)
    assert_allclose(years.loc["2031/32", "new_starts"], 366 / 7)  # 29 Feb 2032
    days = impact.financial_year_days_on_grid(weekly.index)
    assert days["2030/31"] == 365 and days["2031/32"] == 366


def test_weekly_frames_are_mondays_with_named_columns(england, pembrolizumab_q6w, grid_start):
    result = run_model(ModelInputs((starts_per_week_appraisal(pembrolizumab_q6w, 2.0),), (england,), grid_start))
    weekly = result.trust_weekly("ENG")
    assert list(weekly.columns) == list(impact.MEASURES)
    assert len(weekly) == 260
    assert (weekly.index.day_of_week == 0).all()
    assert weekly.index[0] == pd.Timestamp(grid_start)
    with pytest.raises(KeyError):
        result.trust_weekly("NOPE")


def test_growth_runs_from_the_year_the_eligible_figure_describes(england, pembrolizumab_q6w):
    # NICE TA1099: 3,200 × 31.47% × 55.5% × 92% = 514.2 people in 2022 (the registry year). With growth
    # 0.893% a year and a start in 2025, year 1 holds 3 years of growth: 514.2 × 1.00893³ = 528.1, and
    # year 5 514.2 × 1.00893⁷ = 547.0 (NICE's table: 525 and 544).
    funnel = impact.EligibleFunnel(3200, (impact.FunnelStep("limited stage", 31.47), impact.FunnelStep("PS 0-1", 55.5),
                                          impact.FunnelStep("no progression", 92.0)))
    start = date(2025, 4, 7)
    appraisal = Appraisal("TA1099", "durvalumab", funnel, (100.0,), start, (RegimenUse(pembrolizumab_q6w),),
                          eligible_growth_percent_per_year=0.893, eligible_data_year=2022)
    assert_allclose(funnel.eligible_per_year, 514.2, atol=0.05)
    assert appraisal.years_of_growth_before_start == 3
    assert_allclose(appraisal.national_eligible_per_year, 528.1, atol=0.05)
    result = run_model(ModelInputs((appraisal,), (england,), start, n_weeks=261))
    by_year = by_year_from_start(result.national_weekly("TA1099"), start)
    # year 5 starts at 100% uptake: 547.0 × 365.25/7/52.18 (the year's days) ≈ 547.0
    assert_allclose(by_year.loc[5, "new_starts"], 514.2 * 1.00893 ** 7, rtol=2e-3)
    without = replace(appraisal, eligible_data_year=None)
    assert_allclose(without.national_eligible_per_year, funnel.eligible_per_year)


def test_an_empty_pipeline_runs_and_starts_no_one():
    """Every appraisal left out (or none yet): the model still runs, with nothing in it."""
    from datetime import date

    from appraisal_impact.core import ModelInputs, Trust, run_model

    result = run_model(ModelInputs(appraisals=(), trusts=(Trust("RHM", "Southampton", "QRL", 1_000_000),),
                                   grid_start=date(2026, 6, 1)))
    assert float(result.trust_weekly("RHM")["new_starts"].sum()) == 0.0
