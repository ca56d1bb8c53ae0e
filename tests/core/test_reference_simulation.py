"""The core agrees with the plain per-cohort reference simulation (bench/reference_simulation.py)."""

from datetime import date, timedelta

from appraisal_impact.core.impact import (
    Appraisal,
    DeliveryTariffs,
    ModelInputs,
    Regimen,
    RegimenOverride,
    RegimenUse,
    Trust,
)
from appraisal_impact.core.schedule import RegimenSchedule
from bench.bench_model import max_difference_from_reference, reference_case


def test_core_agrees_with_reference_on_synthetic_case():
    # £ per week reach ~1e6: 1e-6 is rounding, not a modelling difference
    assert max_difference_from_reference(reference_case()) < 1e-6


def test_core_agrees_with_reference_on_every_feature():
    grid_start = date(2026, 4, 6)
    saci = Regimen("Saci", RegimenSchedule(21, (1, 8), median_time_on_treatment_days=150, max_cycles=30),
                   chair_minutes_first_cycle=210, chair_minutes_later_cycles=150, drug_cost_per_cycle=6344.0,
                   first_attendance_hrg="SB14Z", clinic_appointments_per_cycle=1.5)
    osimertinib = Regimen("Osi", RegimenSchedule(28, (1,), max_years=3, median_time_on_treatment_days=900,
                                                 is_oral=True), dispensing_minutes_per_cycle=10)
    docetaxel = Regimen("Doce", RegimenSchedule(10, (1, 3), max_cycles=6), chair_minutes_first_cycle=90)
    appraisals = (
        Appraisal("TA1", "early start", 400.0, (20.0, 40.0, 60.0), grid_start - timedelta(days=400),
                  (RegimenUse(saci, 0.6), RegimenUse(osimertinib, 0.4)), (RegimenUse(docetaxel, 0.5),),
                  tumour_site="lung", eligible_growth_percent_per_year=3.0),
        Appraisal("TA2", "mid start", 250.0, (30.0, 50.0), date(2027, 1, 13), (RegimenUse(docetaxel),)),
        Appraisal("TA3", "unknown start", 100.0, (50.0,), None, (RegimenUse(saci),)),
    )
    trusts = (Trust("A", "A", "X", 1_000_000), Trust("B", "B", "X", 500_000), Trust("C", "C", "Y", 250_000))
    inputs = ModelInputs(
        appraisals, trusts, grid_start,
        local_patients={("TA2", "B"): 9.0},
        tumour_site_shares={("C", "lung"): 0.01},
        regimen_overrides=(RegimenOverride("A", "Saci", chair_minutes_later_cycles=120, drug_cost_per_cycle=5000.0),
                           RegimenOverride("C", "Doce", clinic_minutes_per_appointment=10)),
        tariffs=DeliveryTariffs(sb11z_oral_per_cycle=120.0, clinic_per_appointment=150.0),
    )
    assert max_difference_from_reference(inputs) < 1e-6
