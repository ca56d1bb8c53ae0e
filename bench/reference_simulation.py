"""A plain reference simulation of the impact model, to check the core against.

Explicit Python loops over trusts, start weeks (cohorts of patients), cycles and
attendance days; no numpy, no convolution, no shared code with the core's arithmetic (only
its input dataclasses are read). Slow on purpose, and obviously right: each cohort of
patients who start in a week walks through its cycles, adding what it uses to the weeks it
uses it in.

Covers: shares (trust override → tumour-site share → catchment), uptake by year from the
start, eligible growth, fixed and until-progression courses with caps, first/later cycle
chair minutes, D1+D8 schedules, oral regimens, displacement, trust regimen overrides,
delivery HRGs. Central scenario only.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

MEASURES = (
    "new_starts", "patients_on_treatment", "attendances", "chair_hours", "aseptic_items",
    "aseptic_hours", "verification_hours", "dispensing_hours", "cycles", "clinic_appointments",
    "clinic_hours", "drug_cost", "delivery_cost", "clinic_cost",
)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _probability_of_cycle(schedule, k: int) -> float:
    """Chance a patient receives cycle k (0-based)."""
    cap = None
    if schedule.max_cycles is not None:
        cap = schedule.max_cycles
    if schedule.max_years is not None:
        by_years = math.ceil(schedule.max_years * 365.25 / schedule.cycle_length_days)  # cycles starting before the stop date
        cap = by_years if cap is None else min(cap, by_years)
    if cap is not None and k >= cap:
        return 0.0
    if schedule.median_time_on_treatment_days is None:
        return 1.0
    return math.exp(-math.log(2) * k * schedule.cycle_length_days / schedule.median_time_on_treatment_days)


def _trust_share(inputs, appraisal, trust) -> float:
    if (appraisal.key, trust.code) in inputs.local_patients:
        return inputs.local_patients[(appraisal.key, trust.code)] / appraisal.national_eligible_per_year
    if appraisal.tumour_site is not None and (trust.code, appraisal.tumour_site) in inputs.tumour_site_shares:
        return inputs.tumour_site_shares[(trust.code, appraisal.tumour_site)]
    return trust.catchment_population / inputs.england_population


def _local_regimen(inputs, regimen, trust):
    for override in inputs.regimen_overrides:
        if override.trust_code == trust.code and override.regimen_name == regimen.name:
            regimen = override.apply(regimen)
    return regimen


def simulate(inputs) -> dict[tuple[str, str], list[dict[str, float]]]:
    """Net weekly figures per (appraisal key, trust code): a list over grid weeks of
    {measure: value}."""
    grid_start = _monday(inputs.grid_start)
    n_weeks = inputs.n_weeks
    tariffs = inputs.tariffs
    out = {}
    for appraisal in inputs.appraisals:
        for trust in inputs.trusts:
            weeks = [dict.fromkeys(MEASURES, 0.0) for _ in range(n_weeks)]
            out[(appraisal.key, trust.code)] = weeks
            if appraisal.effective_start is None:
                continue
            share = _trust_share(inputs, appraisal, trust)
            start_week = (_monday(appraisal.effective_start) - grid_start).days // 7
            uses = [(use.regimen, use.share) for use in appraisal.brings_in]
            uses += [(use.regimen, -use.share) for use in appraisal.displaces]
            # Cohorts from the start week (perhaps before the grid) to the grid's end.
            for cohort_week in range(max(start_week, -n_weeks), n_weeks):
                weeks_since_start = cohort_week - start_week
                # a week straddling a year's end takes each year's rate for its days in that year
                first_day = weeks_since_start * 7
                year = math.floor(first_day / 365.25)
                in_first_year = min(365.25 * (year + 1) - first_day, 7.0) / 7
                patients = sum(
                    fraction * _eligible_times_uptake(appraisal, y) * share / 52.18
                    for y, fraction in ((year, in_first_year), (year + 1, 1 - in_first_year))
                )
                for regimen, sign in uses:
                    cohort = patients * sign
                    _add_cohort(weeks, cohort_week, cohort, _local_regimen(inputs, regimen, trust), tariffs)
    return out


def _eligible_times_uptake(appraisal, year: int) -> float:
    """National eligible × uptake in year ``year`` (0-based) from the start [patients/year]."""
    uptake_years = appraisal.uptake_percent_by_year
    uptake = min(uptake_years[min(year, len(uptake_years) - 1)] / 100, 1.0)
    growth = (1 + appraisal.eligible_growth_percent_per_year / 100) ** year
    return appraisal.national_eligible_per_year * growth * uptake


def _add(weeks, week, measure, amount):
    if 0 <= week < len(weeks):
        weeks[week][measure] += amount


def _add_cohort(weeks, cohort_week, cohort, regimen, tariffs):
    schedule = regimen.schedule
    length = schedule.cycle_length_days
    later_minutes = (
        regimen.chair_minutes_first_cycle if regimen.chair_minutes_later_cycles is None
        else regimen.chair_minutes_later_cycles
    )
    first_price = {"SB12Z": tariffs.sb12z_simple_first, "SB13Z": tariffs.sb13z_complex_first,
                   "SB14Z": tariffs.sb14z_prolonged_first,
                   "SB15Z": tariffs.sb15z_subsequent}[regimen.first_attendance_hrg]
    subsequent_price = {"SB12Z": tariffs.sb12z_simple_first, "SB13Z": tariffs.sb13z_complex_first,
                        "SB14Z": tariffs.sb14z_prolonged_first,
                        "SB15Z": tariffs.sb15z_subsequent}[regimen.subsequent_attendance_hrg]
    chair_days = [] if schedule.is_oral else sorted(set(schedule.attendance_days))
    _add(weeks, cohort_week, "new_starts", cohort)
    k = 0
    while True:
        cycle_start_day = k * length
        if cycle_start_day >= 7 * (len(weeks) - cohort_week):
            break  # this cycle would start after the grid ends
        p = _probability_of_cycle(schedule, k)
        if p == 0.0:
            break
        patients = cohort * p
        cycle_week = cohort_week + cycle_start_day // 7
        _add(weeks, cycle_week, "cycles", patients)
        _add(weeks, cycle_week, "verification_hours", patients * regimen.verification_minutes_per_cycle / 60)
        _add(weeks, cycle_week, "dispensing_hours", patients * regimen.dispensing_minutes_per_cycle / 60)
        _add(weeks, cycle_week, "clinic_appointments", patients * regimen.clinic_appointments_per_cycle)
        _add(weeks, cycle_week, "clinic_hours",
             patients * regimen.clinic_appointments_per_cycle * regimen.clinic_minutes_per_appointment / 60)
        _add(weeks, cycle_week, "clinic_cost",
             patients * regimen.clinic_appointments_per_cycle * tariffs.clinic_per_appointment)
        _add(weeks, cycle_week, "drug_cost", patients * regimen.drug_cost_per_cycle)
        if schedule.is_oral:
            _add(weeks, cycle_week, "delivery_cost", patients * tariffs.sb11z_oral_per_cycle)
        for position, day in enumerate(chair_days):
            week = cohort_week + (cycle_start_day + day - 1) // 7
            minutes = regimen.chair_minutes_first_cycle if k == 0 else later_minutes
            _add(weeks, week, "attendances", patients)
            _add(weeks, week, "chair_hours", patients * minutes / 60)
            _add(weeks, week, "aseptic_items", patients * regimen.aseptic_items_per_attendance)
            _add(weeks, week, "aseptic_hours",
                 patients * regimen.aseptic_items_per_attendance * regimen.aseptic_minutes_per_item / 60)
            price = first_price if position == 0 else subsequent_price
            _add(weeks, week, "delivery_cost", patients * price)
        k += 1
    _add_on_treatment(weeks, cohort_week, cohort, schedule)


def _add_on_treatment(weeks, cohort_week, cohort, schedule):
    """A patient is on treatment each week from the first attendance to the end of the last
    cycle received: in week w if they received the cycle running on that week's Monday."""
    for offset in range(len(weeks) - cohort_week):
        if cohort_week + offset < 0:
            continue
        cycle_on_monday = (7 * offset) // schedule.cycle_length_days
        _add(weeks, cohort_week + offset, "patients_on_treatment",
             cohort * _probability_of_cycle(schedule, cycle_on_monday))
