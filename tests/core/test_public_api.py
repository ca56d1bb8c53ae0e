"""The public API documented in appraisal_impact/core/__init__.py works as written, and the
core stays pure."""

import ast
from datetime import date
from pathlib import Path

import pandas as pd
from numpy.testing import assert_allclose

import appraisal_impact.core as core

CORE_DIR = Path(core.__file__).parent


def test_core_imports_no_web_or_database_code():
    forbidden = {"flask", "sqlmodel", "sqlalchemy", "werkzeug", "jinja2", "psycopg"}
    for path in CORE_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"


def test_every_exported_name_exists():
    for name in core.__all__:
        assert hasattr(core, name), name


def test_documented_walkthrough():
    deadlines = core.compute_deadlines(core.Milestones(publication=date(2025, 1, 31)), recommendation="recommended",
                                       is_cancer=False)
    assert deadlines.funding_deadline.date == date(2025, 4, 30)

    per_dose = core.administration_cost(core.Dose(5.4, core.DoseBasis.PER_KG), [core.Pack(100, 1455.0)])
    regimen = core.Regimen(
        "Trastuzumab deruxtecan q3w",
        core.RegimenSchedule(21, (1,), median_time_on_treatment_days=300),
        chair_minutes_first_cycle=120, chair_minutes_later_cycles=60,
        drug_cost_per_cycle=per_dose.cost,
    )
    appraisal = core.Appraisal("TA862", "T-DXd HER2+ breast", 600.0, (30.0, 40.0),
                               deadlines.effective_start.date, (core.RegimenUse(regimen),))
    trusts = (core.Trust("RHM", "Southampton", "QRL", 700_000), core.Trust("RBD", "Dorchester", "QVV", 200_000))
    inputs = core.ModelInputs((appraisal,), trusts, date(2025, 4, 7))
    result = core.run_model(inputs)
    weekly = result.trust_weekly("RHM")
    assert list(weekly.columns) == list(core.MEASURES)
    summary = result.appraisal_by_trust_summary("TA862")
    assert summary.loc["RHM", "share"] == 700_000 / core.ENGLAND_POPULATION
    assert isinstance(core.by_financial_year(weekly), pd.DataFrame)
    # RHM + RBD are 900,000 / 57,690,300 of England
    assert_allclose(result.alliance_weekly().to_numpy(),
                    result.national_weekly("TA862").to_numpy() * 900_000 / core.ENGLAND_POPULATION)
    table = core.sample_steady_state(inputs, n_samples=50, seed=0).percentiles()
    assert list(table.columns) == ["P10", "P50", "P90"]
    assert list(table.index) == ["RHM", "RBD", "alliance"]
