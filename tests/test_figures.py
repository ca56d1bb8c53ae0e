"""The figures layer, worked by hand: formatting, totals, the period convention, capacity and
"not yet known". No seeded magic numbers: every expected value is worked out in the comments."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from appraisal_impact.core import impact as core
from appraisal_impact.core.capacity import TrustCapacity
from appraisal_impact.core.schedule import RegimenSchedule
from appraisal_impact.figures import (
    NOT_YET_KNOWN,
    ROUNDING_NOTE,
    Figure,
    Kind,
    build_figures,
    capacity_figures,
    rounding_note,
    total,
    trust_capacity,
)

GRID = date(2026, 3, 30)  # a Monday, two days before the financial year 2026/27 begins

# --- formatting ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, kind, text", [
    (4.56, Kind.PATIENTS, "4.6"),  # below 10: one decimal place
    (12.4, Kind.PATIENTS, "12"),  # 10 or more: whole people
    (1204.4, Kind.PATIENTS, "1,204"),
    (-0.04, Kind.PATIENTS, "0.0"),  # rounds to zero: no "-0.0"
    (-0.4, Kind.RATE, "-0.4"),  # a real negative keeps its sign
    (-0.04, Kind.RATE, "0.0"),
    (99.4, Kind.RATE, "99.4"),
    (1700.0, Kind.RATE, "1,700"),  # not "1,700.0"
    (0.004, Kind.CHAIRS, "0.0"),  # one decimal place, not "0.00"
    (2.46, Kind.CHAIRS, "2.5"),
    (12345.6, Kind.MONEY, "£12,346"),
    (-0.3, Kind.MONEY, "£0"),  # not "-£0"
    (-1500.0, Kind.MONEY, "-£1,500"),
])
def test_figures_are_written_by_one_set_of_rules(value, kind, text):
    assert Figure.of(value, "unit", kind).text() == text


def test_money_in_thousands_where_a_table_needs_it_short():
    assert Figure.of(12_345.0, "£", Kind.MONEY).text(money="thousands") == "£12k"
    assert Figure.of(1_234.0, "£", Kind.MONEY).text(money="thousands") == "£1.2k"
    assert Figure.of(-40.0, "£", Kind.MONEY).text(money="thousands") == "£0.0k"
    assert Figure.of(1_234.0, "£", Kind.MONEY).rounded(money="thousands") == 1_200.0


def test_an_unknown_figure_is_never_zero():
    unknown = Figure.of(None, "patients", Kind.PATIENTS, reason="the start date is not yet known")
    assert unknown.value is None and not unknown.is_known
    assert unknown.text() == NOT_YET_KNOWN
    assert unknown.note == "the start date is not yet known"
    assert unknown.as_json() is None
    assert Figure.of(float("nan"), "£", Kind.MONEY, "no price").text() == NOT_YET_KNOWN


def test_a_total_adds_unrounded_parts_and_counts_the_unknown_ones():
    parts = [Figure.of(1.25, "h", Kind.RATE), Figure.unknown("no price yet", "h"), Figure.of(2.5, "h", Kind.RATE)]
    whole = total(parts)
    assert whole.value == pytest.approx(3.75)  # 1.25 + 2.5, the unknown part left out and counted
    assert (whole.parts, whole.unknown_parts) == (3, 1)
    assert whole.note == "1 of 3 not yet known: no price yet"
    nothing = total([Figure.unknown("the start date is not yet known", "h")] * 2)
    assert nothing.value is None and nothing.note == "the start date is not yet known"
    # parts named at this level: a part partly unknown counts as unknown ("1 of 2 appraisals")
    named = total([whole, Figure.of(1.0, "h")], names=["1", "2"], noun="appraisals")
    assert named.value == pytest.approx(4.75)
    assert named.note == "1 of 2 appraisals not yet known: no price yet"
    # a total of totals without names counts the parts' own parts: two trusts' totals over the same two
    # appraisals, appraisal "2" unknown at both → "1 of 2 appraisals", not "2 of 4"
    at_trust = [total([Figure.of(1.0, "h"), Figure.unknown("no start", "h")], names=["1", "2"], noun="appraisals")] * 2
    assert total(at_trust).note == "1 of 2 appraisals not yet known: no start"


def test_rounding_is_stated_where_the_rows_do_not_add_up():
    # three rows of 1.04 are shown as 1.0 each (3.0 together) while the total 3.12 is shown as 3.1
    parts = [Figure.of(1.04, "h")] * 3
    assert rounding_note(parts, total(parts)) == ROUNDING_NOTE
    exact = [Figure.of(1.0, "h")] * 3
    assert rounding_note(exact, total(exact)) == ""


# --- a model worked by hand ------------------------------------------------------------------------
#
# One trust with all of England's patients (local patients = national eligible). The new regimen is a
# fixed course of 4 cycles every 21 days, one 60-minute attendance a cycle, £1,000 of drug a cycle, no
# delivery or clinic cost. A patient is on treatment on the Mondays of weeks 0..11 (cycle k = 7w // 21
# < 4 for w < 12): 12 weeks.
#
# Eligible 100 a year × uptake 50% = 50 starts a year, s = 50 / 52.18 starts a week.

COURSE = core.Regimen(
    name="New", schedule=RegimenSchedule(cycle_length_days=21, max_cycles=4),
    chair_minutes_first_cycle=60, aseptic_items_per_attendance=0, clinic_appointments_per_cycle=0,
    verification_minutes_per_cycle=0, drug_cost_per_cycle=1000.0,
)
OLD = core.Regimen(
    name="Old", schedule=RegimenSchedule(cycle_length_days=21, max_cycles=4),
    chair_minutes_first_cycle=60, aseptic_items_per_attendance=0, clinic_appointments_per_cycle=0,
    verification_minutes_per_cycle=0, drug_cost_per_cycle=1000.0,
)
NO_DELIVERY_COST = core.DeliveryTariffs(sb12z_simple_first=0.0, sb13z_complex_first=0.0, sb14z_prolonged_first=0.0,
                                        sb15z_subsequent=0.0)
TRUST = core.Trust("RXX", "Test Trust", "QXX", 1.0, TrustCapacity(chairs=10))


def _figures(*, start: date | None = date(2026, 6, 1), displaces=(), eligible=100.0, uptake=50.0,
             unpriced=(), brings_in=None, not_funded=frozenset()):
    appraisal = core.Appraisal(
        key="1", name="Test", eligible_per_year=eligible, uptake_percent_by_year=(uptake,), effective_start=start,
        brings_in=(core.RegimenUse(COURSE, 1.0),) if brings_in is None else brings_in, displaces=displaces,
    )
    inputs = core.ModelInputs(
        appraisals=(appraisal,), trusts=(TRUST,), grid_start=GRID, local_patients={("1", "RXX"): eligible},
        tariffs=NO_DELIVERY_COST,
    )
    result = core.run_model(inputs)
    return build_figures(result, today=date(2026, 6, 1), unpriced_regimens=unpriced,
                         baselines={"RXX": (300.0, None, None)}, growth_percent=7.0, not_funded=not_funded)


def test_year_one_and_two_count_from_the_effective_start():
    at = _figures().at("1", "RXX")
    s = 50 / 52.18
    # year 1 from the start holds 365.25 days = 365.25 / 7 = 52.1786 weeks of starts at s a week:
    # 50 × 52.1786 / 52.18 = 49.9986 people
    year = 50 * (365.25 / 7) / 52.18
    assert at.year1.new_patients.value == pytest.approx(year, rel=1e-9)
    assert at.year1.new_patients.text() == "50"
    assert at.year2.new_patients.value == pytest.approx(year, rel=1e-9)
    # people treated in year 1: nobody was on treatment before the start, so those starting
    assert at.year1.people_treated.value == pytest.approx(year, rel=1e-9)
    # year 2: the 11 weeks of starts still on treatment when it begins (12 weeks on treatment, less the
    # week it begins in, whose starts are counted as starting) + 50 starting = 11 s + 50
    assert at.year2.people_treated.value == pytest.approx(11 * s + year, rel=1e-6)
    # Little's law: on treatment = starts a week × weeks on treatment = 12 s
    assert at.year2.patients_on_treatment.value == pytest.approx(12 * s, rel=1e-3)
    assert at.steady_state.patients_on_treatment.value == pytest.approx(12 * s, rel=1e-3)
    # chair time once running: 4 one-hour attendances a patient → 4 s chair-hours a week
    assert at.steady_state.chair_hours_per_week.value == pytest.approx(4 * s, rel=1e-3)
    # chairs: 4 s / (8 h × 5 days × 0.85 = 34 bookable hours a chair)
    assert at.steady_state.chairs_needed.value == pytest.approx(4 * s / 34, rel=1e-3)
    # cost in year 2: 4 cycles × £1,000 for each of 50 people starting = £200,000
    assert at.year2.total_cost.value == pytest.approx(200_000, rel=1e-3)
    # once running is a year's worth too: 52.18 weeks × 4 s cycles × £1,000 = £200,000
    assert at.steady_state.total_cost.value == pytest.approx(200_000, rel=1e-3)
    assert at.steady_state.new_patients.value == pytest.approx(50.0, rel=1e-3)


def test_financial_years_run_april_to_march_by_days():
    # starts from the grid's first week at 1 a week (eligible 52.18, uptake 100%): a financial year
    # holds 365 days = 365/7 weeks of starts; 2027/28 holds 29 February 2028: 366/7.
    figures = _figures(start=GRID, eligible=52.18, uptake=100.0)
    at = figures.at("1", "RXX")
    assert figures.financial_year_keys == ("2026/27", "2027/28", "2028/29", "2029/30")
    assert at["2026/27"].new_patients.value == pytest.approx(365 / 7, rel=1e-9)
    assert at["2027/28"].new_patients.value == pytest.approx(366 / 7, rel=1e-9)
    # quarters likewise: 2026/27 Q1 is April to June, 91 days
    assert at["2026/27 Q1"].new_patients.value == pytest.approx(91 / 7, rel=1e-9)
    # the grid begins on Monday 30 March 2026: 2025/26 is on it for 2 days only, and marked as a part-year
    assert not at["2025/26"].whole and at["2025/26"].new_patients.value == pytest.approx(2 / 7, rel=1e-9)
    assert "2025/26" not in at.financial_years() and "2025/26" in at.financial_years(whole_only=False)


def test_net_change_in_patients_and_displaced_time_and_cost_stand_beside_the_gross():
    figures = _figures(displaces=(core.RegimenUse(OLD, 0.5),))
    year2 = figures.at("1", "RXX").year2
    # people starting the new medicine: 50 a year (49.9986 over 365.25 days, as above)
    assert year2.new_patients.value == pytest.approx(50.0, rel=1e-4)
    assert year2.net_change_in_patients.value == pytest.approx(25.0, rel=1e-4)  # 50 − half of them displaced
    assert year2.total_cost_gross.value == pytest.approx(200_000, rel=1e-3)
    assert year2.total_cost_displaced.value == pytest.approx(100_000, rel=1e-3)
    assert year2.total_cost.value == pytest.approx(100_000, rel=1e-3)
    assert year2.chair_hours_per_week.value == pytest.approx(
        year2.chair_hours_per_week_gross.value - year2.chair_hours_per_week_displaced.value)


def test_an_appraisal_without_a_start_date_is_not_yet_known_at_every_level():
    figures = _figures(start=None)
    at = figures.at("1", "RXX")
    for period in (at.year1, at.year2, at.steady_state, at["2026/27"]):
        assert period.new_patients.value is None
        assert period.total_cost.note == "the start date is not yet known"
    assert figures.appraisal("1").alliance.year1.chair_hours_per_week.value is None
    pipeline = figures.trusts["RXX"].pipeline.steady_state.chair_hours_per_week
    assert pipeline.value is None and pipeline.note == "the start date is not yet known"


def test_an_appraisal_nice_did_not_recommend_adds_a_known_nothing():
    figures = _figures(start=None, not_funded=frozenset({"1"}))
    at = figures.at("1", "RXX")
    assert at.steady_state.chair_hours_per_week.value == 0.0  # no trust will be asked to start it
    assert at.year1.new_patients.value is None
    assert at.year1.new_patients.note == "NICE has not recommended it, so no trust will be asked to start it"
    assert figures.trusts["RXX"].pipeline.steady_state.chair_hours_per_week.note == ""


@pytest.mark.parametrize("kwargs, reason", [
    ({"brings_in": ()}, "no treatment is entered for this appraisal yet"),
    ({"eligible": 0.0}, "the number of eligible people is not entered yet"),
])
def test_missing_inputs_are_not_yet_known_with_their_reason(kwargs, reason):
    at = _figures(**kwargs).at("1", "RXX")
    assert at.year1.new_patients.value is None and at.year1.new_patients.note == reason


def test_a_medicine_without_a_price_leaves_cost_not_yet_known_but_time_known():
    at = _figures(unpriced=("New",)).at("1", "RXX")
    assert at.year2.total_cost.value is None
    assert at.year2.total_cost.note == "no price yet for a medicine in New"
    assert at.year2.drug_cost.value is None
    assert at.year2.delivery_cost.value == 0.0  # delivery is priced (here at £0 by the tariffs given)
    assert at.year2.chair_hours_per_week.value == pytest.approx(4 * 50 / 52.18, rel=1e-3)
    assert _figures(unpriced=("New",)).appraisal("1").unpriced_regimens == ("New",)
    assert _figures(unpriced=("Something else",)).appraisal("1").unpriced_regimens == ()


# --- capacity --------------------------------------------------------------------------------------


def test_headroom_and_first_week_over_capacity_worked_by_hand():
    # 10 chairs × 8 h × 5 days × 85% = 340 chair-hours a week; demand today 300, growing 7% a year
    # (compounding weekly: 300 × 1.07^(w / 52.18)); the pipeline adds 10 a week throughout.
    today = date(2026, 6, 1)  # a Monday
    n = 260
    lines = capacity_figures(
        trust_capacity(chairs=10), baseline_chair_hours_per_week=300.0, baseline_aseptic_hours_per_week=None,
        baseline_clinic_appointments_per_week=None,
        pipeline_weekly={m: np.full(n, 10.0) for m in ("chair_hours", "aseptic_hours", "clinic_appointments")},
        grid_start=today, today=today, growth_percent=7.0,
    )
    chairs = lines[0]
    assert chairs.capacity.value == pytest.approx(340.0)
    # the stated date: 12 months on, 1 June 2027, in the week of Monday 31 May 2027 = week 52
    assert chairs.at == date(2027, 6, 1)
    baseline = 300 * 1.07 ** (52 / 52.18)  # = 320.93
    assert chairs.baseline_at.value == pytest.approx(baseline)
    assert chairs.baseline_at.value == pytest.approx(320.93, abs=0.01)
    assert chairs.headroom_without_pipeline.value == pytest.approx(340 - baseline)
    assert chairs.headroom_with_pipeline.value == pytest.approx(340 - baseline - 10)  # = 9.07
    # without the pipeline: 300 × 1.07^(w/52.18) > 340 from w > 52.18 ln(340/300)/ln(1.07) = 96.5 → week 97
    assert chairs.first_week_over_without_pipeline == today + timedelta(weeks=97) == date(2028, 4, 10)
    # with it: > 330 from w > 52.18 ln(1.1)/ln(1.07) = 73.5 → week 74
    assert chairs.first_week_over_with_pipeline == today + timedelta(weeks=74) == date(2027, 11, 1)
    assert math.isclose(52.18 * math.log(340 / 300) / math.log(1.07), 96.53, abs_tol=0.01)
    # aseptic capacity not entered: not yet known, with the reason
    aseptic = lines[1]
    assert aseptic.headroom_with_pipeline.value is None
    assert aseptic.reason == "aseptic pharmacy capacity is not entered"


def test_capacity_runs_from_the_figures_date_on_a_grid_that_started_earlier():
    # the grid began 10 weeks before today: the baseline (today's demand) grows from today, not the grid
    today = date(2026, 6, 1)
    grid = today - timedelta(weeks=10)
    lines = capacity_figures(
        trust_capacity(chairs=10), baseline_chair_hours_per_week=300.0, baseline_aseptic_hours_per_week=None,
        baseline_clinic_appointments_per_week=None,
        pipeline_weekly={m: np.full(270, 10.0) for m in ("chair_hours", "aseptic_hours", "clinic_appointments")},
        grid_start=grid, today=today, growth_percent=7.0,
    )
    assert lines[0].baseline_at.value == pytest.approx(300 * 1.07 ** (52 / 52.18))
    assert lines[0].first_week_over_with_pipeline == date(2027, 11, 1)


def test_a_trust_without_chairs_has_no_chair_headroom():
    figures = _figures()
    # chairs entered (10) in the trust's capacity: known
    assert figures.trusts["RXX"].resource("chair_hours").is_known
    no_chairs = capacity_figures(
        trust_capacity(), baseline_chair_hours_per_week=300.0, baseline_aseptic_hours_per_week=None,
        baseline_clinic_appointments_per_week=None,
        pipeline_weekly={m: np.zeros(260) for m in ("chair_hours", "aseptic_hours", "clinic_appointments")},
        grid_start=GRID, today=date(2026, 6, 1),
    )[0]
    assert no_chairs.headroom_with_pipeline.text() == NOT_YET_KNOWN
    assert no_chairs.reason == "the number of chairs is not entered"


def test_capacity_defaults_come_from_the_core():
    from appraisal_impact.core import capacity as core_capacity

    default = trust_capacity(chairs=1)
    assert default.hours_per_day == core_capacity.DEFAULT_HOURS_PER_DAY
    assert default.days_per_week == core_capacity.DEFAULT_DAYS_PER_WEEK
    assert default.target_utilisation == core_capacity.DEFAULT_TARGET_UTILISATION
