"""Figures per 100,000 population (NICE's resource impact templates) from the figures layer, and the lead's
appraisal page showing them with gross drug cost, savings from displaced treatments and net by financial year."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from appraisal_impact.figures import Figure, Kind
from appraisal_impact.figures.population import area_population, england_population, per_100000
from appraisal_impact.models import Appraisal
from tests.conftest import sign_in


def test_per_100000_worked_by_hand():
    population = area_population([("RHM", 650_000), ("RHU", 550_000)])
    assert population.value == 1_200_000
    # 30 people starting in a year across 1.2 million people: 30 × 100,000 / 1,200,000 = 2.5
    figure = per_100000(Figure.of(30.0, "patients", Kind.PATIENTS), population)
    assert figure.value == pytest.approx(2.5) and figure.unit == "patients per 100,000 people"
    assert figure.text() == "2.5"
    cost = per_100000(Figure.of(1_234_567.0, "£", Kind.MONEY), england_population())
    assert cost.value == pytest.approx(1_234_567 * 100_000 / 57_690_300)  # ONS mid-2023, £2,140
    assert cost.text() == "£2,140"


def test_a_missing_catchment_or_figure_is_not_yet_known_never_zero():
    partial = area_population([("RHM", 650_000), ("R1F", None)])
    assert partial.unknown_parts == 1
    assert per_100000(Figure.of(30.0, "patients", Kind.PATIENTS), partial).value is None
    assert "1 of 2 trusts not yet known" in per_100000(Figure.of(30.0, "patients"), partial).reason
    unknown = per_100000(Figure.unknown("the start date is not yet known", "£", Kind.MONEY), area_population([("RHM", 1)]))
    assert unknown.value is None and unknown.reason == "the start date is not yet known"


def test_the_appraisal_page_shows_drug_cost_split_and_per_100000(client, seeded, users):
    sign_in(client, users["lead"])
    appraisal = seeded.exec(select(Appraisal).where(Appraisal.ta_number == "TA1037")).first() or \
        seeded.exec(select(Appraisal).order_by(Appraisal.id)).first()
    page = BeautifulSoup(client.get(f"/appraisals/{appraisal.id}/impact").get_data(as_text=True), "html.parser")
    by_year = page.select_one("#by-year")
    assert {"drug_cost_gross", "drug_cost_displaced", "drug_cost"} <= {r["data-measure"] for r in by_year.select("tr[data-measure]")}
    table = page.select_one("#per-100000")
    assert table is not None and table.select("tr[data-measure]")
    rows = csv.DictReader(line for line in Path("seeds/reference/trusts.csv").read_text().splitlines() if not line.startswith("#"))
    people = sum(int(r["catchment_population"]) for r in rows)
    assert f"{people:,}" in page.get_text()
