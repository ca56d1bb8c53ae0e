"""The calculation core: pure functions and frozen dataclasses, no Flask, no database.

Numbers, dates and dataclasses in; typed results and pandas DataFrames out. Units are in
each docstring ([patients/week], [£]); planning defaults say where they come from and are
marked [estimate] where a trust is expected to replace them. Prices passed in are whatever
the caller is allowed to see: the core never decides confidentiality (keep PAS prices out
of the inputs of anything shared).

Deadlines (:mod:`.deadlines`)
-----------------------------
``compute_deadlines(Milestones(...), process=..., recommendation=..., is_cancer=..., override=None)``
returns :class:`Deadlines`; each date is a :class:`DatedRule` ``(date | None, rule, source)``
where ``date is None`` means "not yet known" and ``rule`` is the text to show beside it::

    d = compute_deadlines(Milestones(publication=date(2025, 1, 31)), recommendation="recommended")
    d.funding_deadline   # DatedRule(date(2025, 4, 30), "3 calendar months from publication ...", "NICE PMG19 ...")
    d.effective_start    # the date a trust may first be asked to treat -> Appraisal.effective_start
    d.ninety_day_note, d.wales_note, d.is_planned, d.is_overridden, d.has_funding_requirement

Process and recommendation are read loosely from text ("Recommended for use with managed
access" -> managed access). Negative recommendations give no funding deadline.

Regimens and schedules (:mod:`.schedule`, :mod:`.drug_cost`)
-----------------------------------------------------------
``RegimenSchedule(cycle_length_days, attendance_days=(1,), max_cycles=None,
median_time_on_treatment_days=None, max_years=None, is_oral=False)``: fixed course when
the median is None. ``.expected_cycles``, ``.expected_chair_attendances``,
``.mean_days_on_treatment``, ``.kernels(n_weeks)``.

Drug cost per cycle, to put in ``Regimen.drug_cost_per_cycle``::

    per_dose = administration_cost(Dose(5.4, DoseBasis.PER_KG), [Pack(100, 1455.0)],
                                   patient=PatientSize(), wastage="whole vial", include_vat=False)
    per_dose.cost, per_dose.dose_mg, per_dose.combination, per_dose.patient_size
    cheapest_pack_combination(dose_mg, packs); oral_cost_per_cycle(OralPack(30, 5770.0),
                                                 units_per_day=1, cycle_length_days=28)

Multiply by administrations per cycle (e.g. 2 for D1+D8) and add the drugs of a combination.

The model (:mod:`.impact`)
--------------------------
Inputs::

    Regimen(name, schedule, chair_minutes_first_cycle, chair_minutes_later_cycles=None,
            aseptic_items_per_attendance=1, aseptic_minutes_per_item=51,
            verification_minutes_per_cycle=10, dispensing_minutes_per_cycle=0,
            clinic_appointments_per_cycle=1, clinic_minutes_per_appointment=20,
            drug_cost_per_cycle=0, first_attendance_hrg="SB12Z")
    Appraisal(key, name, eligible_per_year (float | EligibleFunnel), uptake_percent_by_year,
              effective_start (date | None), brings_in=(RegimenUse(regimen, share),...),
              displaces=(...), tumour_site=None, eligible_growth_percent_per_year=0,
              eligible_spread=Spread(low, high), uptake_spread=..., time_on_treatment_spread=...)
    Trust(code, name, icb, catchment_population, capacity=TrustCapacity(...))
    ModelInputs(appraisals, trusts, grid_start, n_weeks=260,
                local_patients={(appraisal_key, trust_code): patients_per_year},
                tumour_site_shares={(trust_code, tumour_site): fraction_of_england},
                alliance_site_shares={(trust_code, tumour_site): fraction_of_the_alliance},
                regimen_overrides=(RegimenOverride(trust_code, regimen_name, chair_minutes_first_cycle=...),),
                tariffs=DeliveryTariffs(), england_population=57_690_300)

A trust's share of England's patients: its ``local_patients`` entry / national eligible,
else the alliance's tumour-site share (its share of the alliance's patients with that cancer ×
the alliance's population / England's), else catchment / England population.
An appraisal with ``effective_start=None`` contributes nothing (its start is not known).

Run::

    result = run_model(inputs, scenario="central")          # or "low" / "high"
    result.trust_weekly("RHM")                  # whole pipeline at a trust, net
    result.appraisal_trust_weekly("TA1037", "RHM", component="brought in")
    result.appraisal_weekly("TA1037")           # summed over all trusts (the alliance)
    result.national_weekly("TA1037")            # England
    result.icb_weekly("QRL"); result.alliance_weekly()
    result.appraisal_by_trust_summary("TA1037") # one row per trust: shares, year 1/2, steady state, £
    result.trust_summary()                      # one row per trust, whole pipeline, steady state
    result.steady_state("chair_hours")          # [appraisal x trust] DataFrame

Weekly DataFrames: index ``week_start`` (Mondays), one column per name in ``MEASURES``,
units in ``MEASURE_UNITS`` (new_starts [patients/week], patients_on_treatment [patients],
attendances, chair_hours [chair-hours/week], aseptic_items, aseptic_hours, verification_hours,
dispensing_hours, cycles, clinic_appointments, clinic_hours, drug_cost, delivery_cost,
clinic_cost [£/week]). ``component`` is "net" (default: brought in − displaced),
"brought in" or "displaced". An appraisal's steady state = the mean week of the fifth year from
its effective start; the pipeline's = the grid's last 52 weeks (the grid holds five whole years
from every appraisal's start, so that is at least every appraisal's fifth year).

Periods: ``by_calendar_month(weekly)`` (index "2026-04"), ``by_financial_year(weekly)``
(index "2026/27"), ``by_year_from_start(weekly, effective_start)`` (index 1, 2, ..., whole
years of 365.25 days only): a week that straddles two periods counts for the days it holds of
each; flows are summed (so periods add up to the weekly total), patients_on_treatment averaged.

Phases and branched funnels (:mod:`.phases`, :mod:`.impact`)
-----------------------------------------------------------
``phased_regimens([TreatmentPhase(Regimen(...)), TreatmentPhase(Regimen(...), share_going_on=0.66,
gap_days=56)], course="name")`` -> one Regimen per phase (schedule moved to the phase's first day,
weighted by the chance of reaching it); bring each in with the same share. Patients are counted
once per course. ``BranchedFunnel.of((EligibleFunnel(...), EligibleFunnel(...)), steps=(FunnelStep(...),))``:
eligible = the sum of the paths × the common steps. ``Appraisal(eligible_data_year=2022)``: growth
from the year the eligible figure describes.

NICE's measures (:mod:`.measures`, and on the result)
---------------------------------------------------
``result.people_treated(key, first_day, end_day, component="brought in")``: people having
treatment in the period (at least one cycle in it), England [people];
``result.people_treated_by_year_from_start(key)`` / ``_by_financial_year(key)`` (Series),
``result.people_treated_by_trust(people, key)`` (× each trust's share).
``drug_cost_split(result, key, area="england" | "alliance" | trust code, period="financial year"
| "year from start")`` -> gross_drug_cost, savings_from_displaced, net_drug_cost [£].
``per_100000_population(value, population)``; ``populations(result, england_population)``;
``course_drug_cost(appraisal)`` [£ per person starting]; ``result.new_starts_by_year_from_start(key)``
(people starting in each whole year, exact).
``area_totals(result, key, area=..., period=..., england_population=...)`` and
``england_and_alliance(result, key, england_population)`` -> every measure with people treated,
the drug-cost split and per-100,000 figures, by year from start and by financial year.

Capacity (:mod:`.capacity`)
---------------------------
``TrustCapacity(chairs, hours_per_day=8, days_per_week=5, target_utilisation=0.85,
aseptic_staff_hours_per_week=None, clinic_slots_per_week=None)``;
``chairs_needed(chair_hours_per_week, capacity)``;
``capacity_outlook(capacity, BaselineDemand(chair_hours_per_week=..., growth_percent_per_year=7),
pipeline_chair_hours=..., pipeline_aseptic_hours=..., pipeline_clinic_appointments=...,
grid_start=...)`` -> per resource ``ResourceOutlook`` with ``first_week_exceeded_with_pipeline``
/ ``_without_pipeline`` (date or None) and headroom arrays.

Uncertainty (:mod:`.uncertainty`)
---------------------------------
``run_scenarios(inputs)`` -> ``.low``, ``.central``, ``.high`` results. ``run_model(inputs, "low")``
bounds every figure of every appraisal at every trust week by week (low <= central <= high,
net figures included; see :func:`.impact.run_model`).
Sampling draws each input's multiplier from a two-piece triangular distribution with median 1
(the central figure): ``two_piece_quantile(q, low, high)``.
``sample_steady_state(inputs, measure="chair_hours", n_samples=1000, seed=0)``
-> ``.percentiles()`` DataFrame (rows: trusts then "alliance"; columns P10, P50, P90).
``measure_percentiles(inputs, "chair_hours", appraisal=None | key, period="steady state" | year
from start (int) | financial year "2027/28", n_samples=1000, seed=0)`` -> the same table for
one period; ``sample_weekly(...)`` gives the weekly samples behind it.
``probability_out_of_chairs(inputs, {trust code: BaselineDemand(...)}, [dates])`` -> [trust x date]
chance that baseline + pipeline chair hours exceed the trust's bookable chair-hours in some week
by each date (the funding deadline; ``financial_year_ends(result.week_starts)``).
"""

from .capacity import (
    BaselineDemand,
    CapacityOutlook,
    ResourceOutlook,
    TrustCapacity,
    baseline_growth,
    capacity_outlook,
    chairs_needed,
    first_week_exceeding,
    resource_outlook,
)
from .deadlines import (
    DatedRule,
    DeadlineOverride,
    Deadlines,
    Milestones,
    Process,
    Recommendation,
    add_calendar_months,
    compute_deadlines,
    parse_process,
    parse_recommendation,
)
from .drug_cost import (
    AdministrationCost,
    Dose,
    DoseBasis,
    OralPack,
    Pack,
    PackCombination,
    PatientSize,
    Wastage,
    administration_cost,
    cheapest_pack_combination,
    dose_mg,
    oral_cost_per_cycle,
)
from .impact import (
    ENGLAND_POPULATION,
    MEASURE_UNITS,
    MEASURES,
    SHARE_SOURCES,
    WEEKS_PER_YEAR,
    Appraisal,
    Component,
    DeliveryTariffs,
    BranchedFunnel,
    EligibleFunnel,
    FunnelStep,
    ImpactResult,
    ModelInputs,
    Regimen,
    RegimenOverride,
    RegimenUse,
    Scenario,
    Spread,
    Trust,
    by_calendar_month,
    by_financial_year,
    by_year_from_start,
    financial_year_days_on_grid,
    financial_year_label,
    monday_on_or_before,
    run_model,
    year_from_start_weights,
    run_with_multipliers,
)
from .measures import (
    area_totals,
    course_drug_cost,
    drug_cost_split,
    england_and_alliance,
    per_100000_population,
    populations,
)
from .phases import TreatmentPhase, phased_regimens
from .schedule import RegimenSchedule, ScheduleKernels
from .uncertainty import (
    SampledSteadyState,
    SampledWeekly,
    ScenarioResults,
    financial_year_ends,
    measure_percentiles,
    period_weights,
    probability_out_of_chairs,
    run_scenarios,
    sample_steady_state,
    sample_weekly,
    two_piece_quantile,
)

__all__ = [
    "ENGLAND_POPULATION", "MEASURES", "MEASURE_UNITS", "SHARE_SOURCES", "WEEKS_PER_YEAR",
    "AdministrationCost", "Appraisal", "BaselineDemand", "CapacityOutlook", "Component",
    "DatedRule", "DeadlineOverride", "Deadlines", "DeliveryTariffs", "Dose", "DoseBasis",
    "EligibleFunnel", "FunnelStep", "ImpactResult", "Milestones", "ModelInputs", "OralPack",
    "Pack", "PackCombination", "PatientSize", "Process", "Recommendation", "Regimen",
    "RegimenOverride", "RegimenSchedule", "RegimenUse", "ResourceOutlook", "SampledSteadyState",
    "Scenario", "ScenarioResults", "ScheduleKernels", "Spread", "Trust", "TrustCapacity", "Wastage",
    "add_calendar_months", "administration_cost", "baseline_growth", "by_calendar_month",
    "by_financial_year", "by_year_from_start", "capacity_outlook", "chairs_needed",
    "cheapest_pack_combination", "compute_deadlines", "dose_mg", "financial_year_label",
    "first_week_exceeding", "oral_cost_per_cycle", "parse_process", "parse_recommendation",
    "resource_outlook", "run_model", "run_scenarios", "run_with_multipliers", "sample_steady_state",
    "SampledWeekly", "financial_year_days_on_grid", "financial_year_ends", "measure_percentiles",
    "monday_on_or_before", "period_weights", "probability_out_of_chairs", "sample_weekly",
    "two_piece_quantile", "year_from_start_weights",
    "BranchedFunnel", "TreatmentPhase", "phased_regimens",
    "area_totals", "course_drug_cost", "drug_cost_split", "england_and_alliance", "per_100000_population", "populations",
]
