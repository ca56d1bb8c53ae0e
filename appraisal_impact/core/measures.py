"""The figures NICE's resource impact reports give, from a model result (domain guide §4).

* people having treatment in a year (everyone with at least one cycle in it), beside the mean
  number on treatment: :meth:`.impact.ImpactResult.people_treated`;
* gross drug cost of the new treatment, savings from the treatments it displaces, and net
  [£], by financial year or year from the start: :func:`drug_cost_split`;
* figures per 100,000 population: :func:`per_100000_population`;
* England's and the alliance's totals by year from the start and by financial year, with those
  measures beside the model's own (:func:`area_totals`), to set against NICE's table.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .impact import Appraisal, ImpactResult, by_financial_year, by_year_from_start

DRUG_COST_COLUMNS = ("gross_drug_cost", "savings_from_displaced", "net_drug_cost")
PEOPLE_TREATED = "people_treated"
AREAS = ("england", "alliance")


def per_100000_population(value: float | np.ndarray | pd.Series, population: float | np.ndarray | pd.Series):
    """value × 100,000 / population [unit per 100,000 people]; NaN where the population is 0."""
    if np.ndim(population) == 0:
        population = float(population)
        return value * 100_000 / population if population > 0 else value * float("nan")
    population = population if isinstance(population, pd.Series) else np.asarray(population, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_100000 = value * 100_000 / population
    return per_100000.where(population > 0) if isinstance(per_100000, pd.Series) else np.where(population > 0, per_100000, np.nan)


def populations(result: ImpactResult, england_population: float) -> pd.Series:
    """People in each area [people]: each trust's catchment, the alliance (their sum), England."""
    catchments = {t.code: float(t.catchment_population) for t in result.trusts}
    return pd.Series({**catchments, "alliance": sum(catchments.values()), "england": float(england_population)},
                     name="population")


def _weekly(result: ImpactResult, appraisal: str, area: str, component: str) -> pd.DataFrame:
    if area == "england":
        return result.national_weekly(appraisal, component)
    if area == "alliance":
        return result.appraisal_weekly(appraisal, component=component)
    return result.appraisal_trust_weekly(appraisal, area, component)


def drug_cost_split(result: ImpactResult, appraisal: str, *, area: str = "england",
                    period: str = "financial year") -> pd.DataFrame:
    """Drug cost by period [£]: gross (the treatments brought in), savings from displaced
    treatments, and net = gross − savings. ``area``: "england", "alliance" or a trust code;
    ``period``: "financial year" (index "2026/27", each week by its days) or "year from start"
    (index 1, 2, ..., whole years only)."""
    frames = {}
    for column, component in (("gross_drug_cost", "brought in"), ("savings_from_displaced", "displaced")):
        weekly = _weekly(result, appraisal, area, component)
        frames[column] = _by_period(result, appraisal, weekly, period)["drug_cost"]
    table = pd.DataFrame(frames)
    table["net_drug_cost"] = table["gross_drug_cost"] - table["savings_from_displaced"]
    return table


def _by_period(result: ImpactResult, appraisal: str, weekly: pd.DataFrame, period: str) -> pd.DataFrame:
    if period == "financial year":
        return by_financial_year(weekly)
    if period == "year from start":
        start = next(a.effective_start for a in result.appraisals if a.key == appraisal)
        if start is None:
            return weekly.iloc[:0]
        return by_year_from_start(weekly, start)
    raise ValueError(f"period must be 'financial year' or 'year from start', not {period!r}")


def area_totals(result: ImpactResult, appraisal: str, *, area: str = "england",
                period: str = "year from start", england_population: float | None = None) -> pd.DataFrame:
    """One appraisal's figures for England, the alliance or a trust, by period.

    Columns: every model measure (net; flows summed, patients_on_treatment the mean count),
    ``new_starts_brought_in`` (people starting the new treatment), ``people_treated`` (people
    having the new treatment in the period, :meth:`ImpactResult.people_treated`; financial years
    and years wholly on the grid), ``gross_drug_cost``, ``savings_from_displaced``,
    ``net_drug_cost`` [£], and, given ``england_population``, ``new_starts_brought_in_per_100000``
    and ``net_drug_cost_per_100000`` [per 100,000 people].
    """
    table = _by_period(result, appraisal, _weekly(result, appraisal, area, "net"), period)
    brought_in = _by_period(result, appraisal, _weekly(result, appraisal, area, "brought in"), period)["new_starts"]
    people = (result.people_treated_by_financial_year(appraisal) if period == "financial year"
              else result.people_treated_by_year_from_start(appraisal))
    if period == "year from start":  # exact: each straddling week's starts in the year they belong to
        brought_in = result.new_starts_by_year_from_start(appraisal)
    if area != "england":
        people = _in_area(result, appraisal, people, area)
        if period == "year from start":
            brought_in = _in_area(result, appraisal, brought_in, area)
    table = table.assign(new_starts_brought_in=brought_in.reindex(table.index))
    table[PEOPLE_TREATED] = people.reindex(table.index)
    table = table.join(drug_cost_split(result, appraisal, area=area, period=period))
    if england_population is not None:
        population = populations(result, england_population)[area]
        table["new_starts_brought_in_per_100000"] = per_100000_population(table["new_starts_brought_in"], population)
        table["net_drug_cost_per_100000"] = per_100000_population(table["net_drug_cost"], population)
    return table


def _in_area(result: ImpactResult, appraisal: str, england: pd.Series, area: str) -> pd.Series:
    by_trust = result.people_treated_by_trust(england, appraisal)
    return by_trust.sum(axis=1) if area == "alliance" else by_trust[area]


def course_drug_cost(appraisal: Appraisal) -> float:
    """Drug cost of a course per person starting the new treatment [£, at the prices given]:
    Σ over the regimens brought in of share × expected cycles × drug cost a cycle (a regimen given
    alongside adds its cost for its share). E.g. NICE TA830: 17 cycles × 200 mg (2 × £2,630) = £89,420."""
    return float(sum(use.share * use.regimen.schedule.expected_cycles * use.regimen.drug_cost_per_cycle
                     for use in appraisal.brings_in))


def england_and_alliance(result: ImpactResult, appraisal: str, england_population: float) -> Mapping[str, Mapping[str, pd.DataFrame]]:
    """{"england": {"by_year_from_start": ..., "by_financial_year": ...}, "alliance": {...}}:
    :func:`area_totals` for both areas and both kinds of period, to compare with NICE's table."""
    return {
        area: {
            "by_year_from_start": area_totals(result, appraisal, area=area, period="year from start",
                                              england_population=england_population),
            "by_financial_year": area_totals(result, appraisal, area=area, period="financial year",
                                             england_population=england_population),
        }
        for area in AREAS
    }
