"""Benchmark of the impact model (not a test): run from the repository root with

    .venv/bin/python -m bench.bench_model      or      .venv/bin/python bench/bench_model.py

Prints (a) a Wessex-like pipeline (10 appraisals × 6 trusts) recomputed, median time;
(b) a national-scale synthetic pipeline (300 appraisals × 150 trusts × 260 weeks);
(c) the plain per-cohort reference simulation on a smaller case: agreement (max abs
difference) and the speed ratio core : reference.

The pipelines are synthetic (regimens from the domain guide §5 with list prices; trust
populations [estimate]); real seeds come later.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from appraisal_impact.core.impact import (
    MEASURES,
    Appraisal,
    ModelInputs,
    Regimen,
    RegimenOverride,
    RegimenUse,
    Spread,
    Trust,
    run_model,
)
from appraisal_impact.core.schedule import RegimenSchedule
from appraisal_impact.core.uncertainty import sample_steady_state
from bench.reference_simulation import simulate

GRID_START = date(2026, 4, 6)

# Regimens after domain guide §5; chair minutes [estimate]; drug per cycle at list price.
REGIMENS = (
    Regimen("Pembrolizumab 400 mg q6w", RegimenSchedule(42, (1,), max_years=2, median_time_on_treatment_days=400),
            chair_minutes_first_cycle=60, chair_minutes_later_cycles=45, drug_cost_per_cycle=4 * 2630.0),
    Regimen("Pembrolizumab 200 mg q3w", RegimenSchedule(21, (1,), max_years=2, median_time_on_treatment_days=300),
            chair_minutes_first_cycle=60, chair_minutes_later_cycles=45, drug_cost_per_cycle=2 * 2630.0),
    Regimen("Nivolumab 480 mg q4w", RegimenSchedule(28, (1,), max_years=1, median_time_on_treatment_days=250),
            chair_minutes_first_cycle=60, chair_minutes_later_cycles=45, drug_cost_per_cycle=2 * 2633.0),
    Regimen("Atezolizumab 1200 mg q3w", RegimenSchedule(21, (1,), max_years=2, median_time_on_treatment_days=250),
            chair_minutes_first_cycle=90, chair_minutes_later_cycles=45, drug_cost_per_cycle=3807.69),
    Regimen("Durvalumab 1500 mg q4w", RegimenSchedule(28, (1,), max_cycles=13),
            chair_minutes_first_cycle=90, drug_cost_per_cycle=3 * 2466.0, first_attendance_hrg="SB13Z"),
    Regimen("Trastuzumab deruxtecan q3w", RegimenSchedule(21, (1,), median_time_on_treatment_days=300),
            chair_minutes_first_cycle=120, chair_minutes_later_cycles=60, drug_cost_per_cycle=4 * 1455.0,
            first_attendance_hrg="SB13Z"),
    Regimen("Sacituzumab govitecan D1+D8 q21d", RegimenSchedule(21, (1, 8), median_time_on_treatment_days=150),
            chair_minutes_first_cycle=210, chair_minutes_later_cycles=150, aseptic_items_per_attendance=1,
            drug_cost_per_cycle=2 * 4 * 793.0, first_attendance_hrg="SB14Z"),
    Regimen("Enfortumab vedotin + pembrolizumab", RegimenSchedule(21, (1, 8), median_time_on_treatment_days=270),
            chair_minutes_first_cycle=120, chair_minutes_later_cycles=60, aseptic_items_per_attendance=1.5,
            drug_cost_per_cycle=2 * 2630.0, first_attendance_hrg="SB13Z"),
    Regimen("Osimertinib 80 mg daily", RegimenSchedule(28, (1,), max_years=3, median_time_on_treatment_days=900,
                                                       is_oral=True),
            aseptic_items_per_attendance=0, dispensing_minutes_per_cycle=10, drug_cost_per_cycle=28 / 30 * 5770.0),
    Regimen("Carboplatin + paclitaxel q3w", RegimenSchedule(21, (1,), max_cycles=6),
            chair_minutes_first_cycle=240, chair_minutes_later_cycles=210, aseptic_items_per_attendance=2,
            drug_cost_per_cycle=150.0, first_attendance_hrg="SB13Z"),
    Regimen("Docetaxel q3w", RegimenSchedule(21, (1,), max_cycles=6),
            chair_minutes_first_cycle=90, drug_cost_per_cycle=60.0),
)

# Wessex trusts (domain guide §5); catchments [estimate] splitting Dorset ~0.8m, HIOW ~1.8m.
WESSEX_TRUSTS = (
    Trust("RHM", "University Hospital Southampton NHS FT", "QRL", 700_000),
    Trust("RHU", "Portsmouth Hospitals University NHS Trust", "QRL", 600_000),
    Trust("RN5", "Hampshire Hospitals NHS FT", "QRL", 360_000),
    Trust("R1F", "Isle of Wight NHS Trust", "QRL", 140_000),
    Trust("R0D", "University Hospitals Dorset NHS FT", "QVV", 600_000),
    Trust("RBD", "Dorset County Hospital NHS FT", "QVV", 200_000),
)


def synthetic_appraisals(n_appraisals: int, seed: int) -> tuple[Appraisal, ...]:
    """Appraisals with eligible 100-2,000 a year, rising uptake, starts over 3 years, each
    bringing in 1-2 regimens and displacing 0-1."""
    rng = np.random.default_rng(seed)
    appraisals = []
    for index in range(n_appraisals):
        new = rng.choice(len(REGIMENS), size=rng.integers(1, 3), replace=False)
        brings_in = tuple(RegimenUse(REGIMENS[i], 1.0 / len(new)) for i in new)
        displaces = ()
        if rng.random() < 0.7:
            displaces = (RegimenUse(REGIMENS[int(rng.integers(len(REGIMENS)))], float(rng.uniform(0.3, 1.0))),)
        first_uptake = float(rng.uniform(10, 50))
        uptake = tuple(min(100.0, first_uptake * (1 + 0.1 * year)) for year in range(5))
        start = GRID_START + timedelta(days=int(rng.integers(-200, 3 * 365)))
        appraisals.append(Appraisal(
            key=f"TA{1000 + index}",
            name=f"Synthetic appraisal {index}",
            eligible_per_year=float(rng.uniform(100, 2000)),
            uptake_percent_by_year=uptake,
            effective_start=start,
            brings_in=brings_in,
            displaces=displaces,
            tumour_site=str(rng.choice(["lung", "breast", "urology", "gynae", "haem"])),
            eligible_growth_percent_per_year=float(rng.uniform(0, 2)),
            eligible_spread=Spread(0.8, 1.2),
            uptake_spread=Spread(0.7, 1.3),
            time_on_treatment_spread=Spread(0.75, 1.33),
        ))
    return tuple(appraisals)


def wessex_inputs() -> ModelInputs:
    appraisals = synthetic_appraisals(10, seed=1)
    return ModelInputs(
        appraisals=appraisals,
        trusts=WESSEX_TRUSTS,
        grid_start=GRID_START,
        local_patients={(appraisals[0].key, "RHM"): 25.0},
        tumour_site_shares={("RHM", "haem"): 0.02, ("R0D", "lung"): 0.012},
        regimen_overrides=(
            RegimenOverride("RHU", REGIMENS[0].name, chair_minutes_first_cycle=45, chair_minutes_later_cycles=30),
            RegimenOverride("R1F", REGIMENS[6].name, clinic_appointments_per_cycle=2),
        ),
    )


def national_inputs(n_appraisals: int = 300, n_trusts: int = 150) -> ModelInputs:
    rng = np.random.default_rng(2)
    populations = rng.uniform(0.5, 1.5, n_trusts)
    populations *= 57_690_300 / populations.sum()
    trusts = tuple(Trust(f"T{i:03d}", f"Trust {i}", f"ICB{i % 42:02d}", float(p)) for i, p in enumerate(populations))
    # 5% of trusts have their own chair minutes for a few regimens
    overrides = tuple(
        RegimenOverride(trusts[t].code, REGIMENS[r].name, chair_minutes_first_cycle=float(rng.uniform(30, 120)))
        for t in range(0, n_trusts, 20) for r in range(0, len(REGIMENS), 4)
    )
    return ModelInputs(
        appraisals=synthetic_appraisals(n_appraisals, seed=3),
        trusts=trusts,
        grid_start=GRID_START,
        regimen_overrides=overrides,
    )


def median_seconds(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        function()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def reference_case() -> ModelInputs:
    appraisals = synthetic_appraisals(4, seed=5)
    inputs = wessex_inputs()
    return ModelInputs(
        appraisals=appraisals,
        trusts=WESSEX_TRUSTS[:3],
        grid_start=GRID_START,
        local_patients={(appraisals[1].key, "RHU"): 12.0},
        tumour_site_shares=inputs.tumour_site_shares,
        regimen_overrides=inputs.regimen_overrides,
    )


def max_difference_from_reference(inputs: ModelInputs) -> float:
    """Largest |core − reference| over every appraisal, trust, week and measure."""
    result = run_model(inputs)
    reference = simulate(inputs)
    worst = 0.0
    for (appraisal, trust), weeks in reference.items():
        core = result.appraisal_trust_weekly(appraisal, trust).to_numpy()
        expected = np.array([[week[m] for m in MEASURES] for week in weeks])
        worst = max(worst, float(np.abs(core - expected).max()))
    return worst


def main() -> None:
    print("Appraisal Impact: model benchmark")
    print(f"grid: 260 weeks from {GRID_START}; measures per week: {len(MEASURES)}\n")

    wessex = wessex_inputs()
    run_model(wessex)  # warm up
    wessex_time = median_seconds(lambda: run_model(wessex), 50)
    summary_time = median_seconds(
        lambda: [run_model(wessex).appraisal_by_trust_summary(a.key) for a in wessex.appraisals], 10)
    print(f"(a) Wessex-like: {len(wessex.appraisals)} appraisals × {len(wessex.trusts)} trusts")
    print(f"    run_model, median of 50: {wessex_time * 1000:.2f} ms (target < 20 ms)")
    print(f"    run_model + every appraisal's by-trust summary, median of 10: {summary_time * 1000:.2f} ms")

    national = national_inputs()
    run_model(national)
    national_time = median_seconds(lambda: run_model(national), 5)
    result = run_model(national)
    per_trust_time = median_seconds(lambda: [result.trust_weekly(t.code) for t in national.trusts], 3)
    print(f"\n(b) national synthetic: {len(national.appraisals)} appraisals × {len(national.trusts)} trusts × 260 weeks,"
          f" {len(national.regimen_overrides)} trust regimen overrides")
    print(f"    run_model, median of 5: {national_time * 1000:.1f} ms (target well under 1 s)")
    print(f"    then every trust's weekly DataFrame: {per_trust_time * 1000:.1f} ms")
    sampling_time = median_seconds(lambda: sample_steady_state(wessex, n_samples=2000, seed=1), 3)
    print(f"    (Wessex P10/P50/P90 from 2,000 samples: {sampling_time * 1000:.1f} ms)")

    small = reference_case()
    difference = max_difference_from_reference(small)
    core_time = median_seconds(lambda: run_model(small), 20)
    reference_time = median_seconds(lambda: simulate(small), 3)
    print(f"\n(c) reference simulation: {len(small.appraisals)} appraisals × {len(small.trusts)} trusts × 260 weeks")
    print(f"    max |core − reference| over all weeks and measures: {difference:.3g}")
    print(f"    core {core_time * 1000:.2f} ms, reference {reference_time * 1000:.0f} ms:"
          f" core is {reference_time / core_time:.0f}× faster (target ≥ 100×)")


if __name__ == "__main__":
    main()
