"""Capacity against growing demand, worked by hand with logarithms."""

from datetime import date, timedelta

import numpy as np
from numpy.testing import assert_allclose

from appraisal_impact.core.capacity import (
    BaselineDemand,
    TrustCapacity,
    baseline_growth,
    capacity_outlook,
    chairs_needed,
    first_week_exceeding,
    resource_outlook,
)

GRID_START = date(2026, 4, 6)


def test_chair_hours_a_week():
    # 10 chairs × 10 h × 5 days × 80% = 400 chair-hours a week
    assert_allclose(TrustCapacity(chairs=10, hours_per_day=10, days_per_week=5, target_utilisation=0.8)
                    .chair_hours_per_week, 400.0)
    assert TrustCapacity().chair_hours_per_week is None


def test_chairs_needed():
    # 36 h a week / (8 h × 5 days × 0.85 = 34 h a chair) = 1.0588 chairs
    assert_allclose(chairs_needed(36.0), 36 / 34)


def test_baseline_compounds_weekly_to_seven_percent_a_year():
    growth = baseline_growth(100.0, 262)
    assert_allclose(growth[0], 100.0)
    assert_allclose(growth[1] / growth[0], 1.07 ** (1 / 52.18))
    assert_allclose(np.interp(52.18, np.arange(262), growth), 107.0, rtol=1e-4)


def test_first_week_baseline_exceeds_capacity():
    # 90 × 1.07^(w / 52.18) > 100  ⇔  w > 52.18 × ln(100/90) / ln(1.07)
    #   ln(10/9) = 0.1053605, ln(1.07) = 0.0676586, ratio 1.557236, × 52.18 = 81.26 → week 82
    # with 5 h a week of pipeline: 90 × 1.07^(w / 52.18) > 95
    #   ln(95/90) = 0.0540672, / 0.0676586 = 0.799117, × 52.18 = 41.70 → week 42
    outlook = resource_outlook("chair_hours", capacity_per_week=100.0, baseline_per_week=90.0,
                               pipeline_per_week=np.full(260, 5.0), grid_start=GRID_START)
    assert outlook.first_week_exceeded_without_pipeline == GRID_START + timedelta(weeks=82)
    assert outlook.first_week_exceeded_with_pipeline == GRID_START + timedelta(weeks=42)
    assert_allclose(outlook.headroom_with_pipeline[0], 5.0)
    assert outlook.headroom_without_pipeline[81] > 0 > outlook.headroom_without_pipeline[82]


def test_never_exceeded_is_none():
    assert first_week_exceeding(np.full(10, 50.0), 100.0) is None
    outlook = resource_outlook("chair_hours", capacity_per_week=1000.0, baseline_per_week=90.0,
                               pipeline_per_week=np.zeros(260), grid_start=GRID_START)
    assert outlook.first_week_exceeded_with_pipeline is None


def test_capacity_outlook_skips_unknown_resources():
    capacity = TrustCapacity(chairs=10, hours_per_day=10, days_per_week=5, target_utilisation=0.8,
                             clinic_slots_per_week=300)
    baseline = BaselineDemand(chair_hours_per_week=380.0, clinic_appointments_per_week=310.0)
    outlook = capacity_outlook(capacity, baseline, pipeline_chair_hours=np.zeros(260),
                               pipeline_aseptic_hours=np.zeros(260),
                               pipeline_clinic_appointments=np.zeros(260), grid_start=GRID_START)
    assert outlook.aseptic_hours is None
    assert outlook.clinic_appointments.first_week_exceeded_without_pipeline == GRID_START
    # 380 × 1.07^(w / 52.18) > 400: 52.18 × ln(400/380) / ln(1.07) = 52.18 × 0.051293 / 0.067659 = 39.56 → 40
    assert outlook.chair_hours.first_week_exceeded_without_pipeline == GRID_START + timedelta(weeks=40)
