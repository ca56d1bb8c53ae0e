"""Fixtures for the calculation core's tests."""

from datetime import date

import pytest

from appraisal_impact.core import impact
from appraisal_impact.core.schedule import RegimenSchedule

GRID_START = date(2025, 4, 7)  # a Monday


@pytest.fixture
def grid_start():
    return GRID_START


@pytest.fixture
def england():
    """One trust covering all of England, so local = national."""
    return impact.Trust("ENG", "England", "ENG", impact.ENGLAND_POPULATION)


@pytest.fixture
def pembrolizumab_q6w():
    """400 mg q6w, 18 cycles fixed, 60 chair minutes, drug 4 × £2,630 a cycle."""
    return impact.Regimen(
        "Pembrolizumab 400 mg q6w",
        RegimenSchedule(42, (1,), max_cycles=18),
        chair_minutes_first_cycle=60,
        drug_cost_per_cycle=4 * 2630.0,
    )


def starts_per_week_appraisal(regimen, starts_per_week, start=GRID_START, key="TA1", **kwargs):
    """An appraisal giving ``starts_per_week`` national starts from ``start`` (uptake 100%)."""
    return impact.Appraisal(
        key=key,
        name=key,
        eligible_per_year=starts_per_week * impact.WEEKS_PER_YEAR,
        uptake_percent_by_year=(100.0,),
        effective_start=start,
        brings_in=(impact.RegimenUse(regimen),),
        **kwargs,
    )
