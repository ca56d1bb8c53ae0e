"""Weekly kernels and time on treatment, worked by hand (domain guide §4.5–4.6)."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from appraisal_impact.core.schedule import RegimenSchedule


def weeks_with(array):
    return [int(w) for w in np.flatnonzero(array)]


def test_fixed_q6w_18_cycles_is_on_treatment_108_weeks():
    schedule = RegimenSchedule(42, (1,), max_cycles=18)
    kernels = schedule.kernels(200)
    assert schedule.expected_cycles == 18
    assert kernels.on_treatment.sum() == 108  # 18 × 42 days = 756 days = 108 weeks
    assert weeks_with(kernels.on_treatment) == list(range(108))
    assert weeks_with(kernels.cycles) == list(range(0, 108, 6))
    assert schedule.mean_days_on_treatment == 756


def test_d1_d8_q21d_kernel():
    # Days (1-based) 1, 8 | 22, 29 | 43, 50 | 64, 71 → weeks 0, 1 | 3, 4 | 6, 7 | 9, 10
    kernels = RegimenSchedule(21, (1, 8), max_cycles=4).kernels(20)
    assert weeks_with(kernels.attendances) == [0, 1, 3, 4, 6, 7, 9, 10]
    assert weeks_with(kernels.attendances_first_cycle) == [0, 1]
    assert weeks_with(kernels.attendances_later_cycles) == [3, 4, 6, 7, 9, 10]
    assert weeks_with(kernels.first_attendances_of_cycle) == [0, 3, 6, 9]
    assert weeks_with(kernels.cycles) == [0, 3, 6, 9]
    assert weeks_with(kernels.on_treatment) == list(range(12))  # 4 × 21 = 84 days


def test_daily_oral_has_no_chair_attendances_but_counts_cycles():
    schedule = RegimenSchedule(28, (1,), max_cycles=3, is_oral=True)
    kernels = schedule.kernels(20)
    assert kernels.attendances.sum() == 0
    assert schedule.expected_chair_attendances == 0
    assert weeks_with(kernels.cycles) == [0, 4, 8]
    assert kernels.on_treatment.sum() == 12


def test_cycle_of_ten_days_falls_in_the_right_weeks():
    # Cycle starts on days 0, 10, 20, 30 → weeks 0, 1, 2, 4; D1+D5: days 4, 14, 24, 34 → weeks 0, 2, 3, 4
    kernels = RegimenSchedule(10, (1, 5), max_cycles=4).kernels(10)
    assert_allclose(kernels.cycles[:6], [1, 1, 1, 0, 1, 0])
    assert_allclose(kernels.attendances[:6], [2, 1, 2, 1, 2, 0])


def test_expected_cycles_until_progression_small_case():
    # L = 21, M = 42: p_k = 2^(−k/2): 1, 0.70711, 0.5 for a 3-cycle cap
    capped = RegimenSchedule(21, (1,), max_cycles=3, median_time_on_treatment_days=42)
    assert_allclose(capped.cycle_probabilities(), [1, 0.7071068, 0.5], atol=1e-7)
    assert_allclose(capped.expected_cycles, 2.2071068, atol=1e-7)
    # uncapped: 1 / (1 − 2^(−1/2)) = 2 + √2
    uncapped = RegimenSchedule(21, (1,), median_time_on_treatment_days=42)
    assert_allclose(uncapped.expected_cycles, 2 + math.sqrt(2), atol=1e-9)


def test_two_year_cap_on_until_progression():
    # L = 28, 2 years = 730.5 days: cycles start on days 0, 28, ..., 728 (26 × 28 = 728 < 730.5) = 27
    # cycles; M = 365: r = 2^(−28/365), Σ_{k<27} r^k = (1 − r^27) / (1 − r)
    schedule = RegimenSchedule(28, (1,), median_time_on_treatment_days=365, max_years=2)
    assert schedule.cycle_cap == 27
    ratio = 2 ** (-28 / 365)
    assert_allclose(schedule.expected_cycles, (1 - ratio**27) / (1 - ratio), rtol=1e-12)
    assert_allclose(schedule.expected_cycles, 14.716, atol=2e-3)  # r^27 = 2^(−756/365) = 0.2382


def test_fixed_course_capped_by_years():
    schedule = RegimenSchedule(14, (1,), max_cycles=50, max_years=1)
    # cycles on days 0, 14, ..., 364 all start before day 365.25: 27 (not floor(365.25 / 14) = 26)
    assert schedule.cycle_cap == 27
    assert schedule.expected_cycles == 27
    # the smaller cap applies where both are set
    assert RegimenSchedule(14, (1,), max_cycles=26, max_years=1).cycle_cap == 26


@pytest.mark.parametrize(
    "cycle_length, years, cycles, last_start_day",
    [
        # 1 year = 365.25 days; a cycle starting on day k × L < 365.25 is given
        (14, 1, 27, 364),   # 26 × 14 = 364 < 365.25; 27 × 14 = 378 is after the stop date
        (21, 1, 18, 357),   # 17 × 21 = 357; 18 × 21 = 378
        (28, 1, 14, 364),   # 13 × 28 = 364; 14 × 28 = 392
        (42, 1, 9, 336),    # 8 × 42 = 336; 9 × 42 = 378  (floor gave 8: −11% drug cost)
        (21, 2, 35, 714),   # 2 years = 730.5 days: 34 × 21 = 714; 35 × 21 = 735
        (42, 2, 18, 714),   # 17 × 42 = 714; 18 × 42 = 756
        (28, 1.2, 16, 420),  # 1.2 years = 438.3 days: 15 × 28 = 420; 16 × 28 = 448
    ],
)
def test_stop_rule_in_years_gives_every_cycle_that_starts_before_the_stop_date(
    cycle_length, years, cycles, last_start_day
):
    schedule = RegimenSchedule(cycle_length, (1,), max_years=years)
    assert schedule.cycle_cap == cycles
    assert schedule.expected_cycles == cycles
    kernels = schedule.kernels(200)
    assert weeks_with(kernels.cycles)[-1] == last_start_day // 7


def test_kernel_sums_are_expected_counts():
    schedule = RegimenSchedule(21, (1, 8), median_time_on_treatment_days=180, max_years=2)
    kernels = schedule.kernels(400)
    assert_allclose(kernels.attendances.sum(), schedule.expected_chair_attendances)
    assert_allclose(kernels.cycles.sum(), schedule.expected_cycles)
    assert_allclose(kernels.on_treatment.sum(), schedule.mean_days_on_treatment / 7)


def test_time_on_treatment_multiplier():
    schedule = RegimenSchedule(21, (1,), median_time_on_treatment_days=100)
    assert schedule.with_time_on_treatment_scaled(1.5).median_time_on_treatment_days == 150
    fixed = RegimenSchedule(21, (1,), max_cycles=6)
    assert fixed.with_time_on_treatment_scaled(1.5) is fixed


def test_invalid_schedules():
    with pytest.raises(ValueError):
        RegimenSchedule(21, (1,))  # fixed with no length
    with pytest.raises(ValueError):
        RegimenSchedule(21, (22,), max_cycles=3)
