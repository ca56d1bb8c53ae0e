"""The dashboard of every resource: each trust's chairs, aseptic pharmacy time and clinic appointments, when each
runs out with and without the pipeline, the appraisals driving it, sortable by run-out date and by deadline."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from appraisal_impact import impact_service
from appraisal_impact.models import Trust
from tests.conftest import sign_in


@pytest.fixture(autouse=True)
def _fresh_impact_cache():
    impact_service.clear_cache()
    yield
    impact_service.clear_cache()


def _rows(client, query=""):
    response = client.get(f"/dashboard/resources{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser").select("#resources tbody tr[data-trust]")


def _row(rows, trust, resource):
    return next(r for r in rows if r["data-trust"] == trust and r["data-resource"] == resource)


def _cell(row, name):
    return row.select_one(f'[data-figure="{name}"]').get_text(" ", strip=True)


def test_every_trust_and_resource_with_capacity_worked_by_hand(client, seeded, users):
    sign_in(client, users["lead"])
    rows = _rows(client)
    trusts = {t.ods_code for t in seeded.exec(select(Trust))}
    assert {(r["data-trust"], r["data-resource"]) for r in rows} == {
        (t, k) for t in trusts for k in ("chair_hours", "aseptic_hours", "clinic_appointments")}
    rhm_chairs = _row(rows, "RHM", "chair_hours")
    # 40 chairs × 10 hours a day × 5 days × 85% target use = 1,700 chair-hours a week; 1,600 in use today
    assert _cell(rhm_chairs, "capacity") == "1,700"
    assert _cell(rhm_chairs, "baseline_today") == "1,600"
    assert _cell(_row(rows, "RHM", "aseptic_hours"), "capacity") == "400"
    missing = _row(rows, "R1F", "aseptic_hours").get_text(" ", strip=True)
    assert "Not yet known: aseptic pharmacy capacity is not entered" in missing


def test_run_out_with_the_pipeline_is_never_later_than_without(client, seeded, users):
    sign_in(client, users["lead"])
    compared = 0
    for row in _rows(client):
        if not row.select_one('[data-figure="run_out_with"]'):
            continue
        without, with_ = _cell(row, "run_out_without"), _cell(row, "run_out_with")
        if with_.startswith("Not before"):
            assert without.startswith("Not before")
        elif without.startswith("Week of"):
            assert _week_of(with_) <= _week_of(without)
            assert _week_of(with_).weekday() == 0 and row["data-run-out"] == _week_of(with_).isoformat()
            compared += 1
    assert compared


def _week_of(text: str) -> date:
    return datetime.strptime(text.removeprefix("Week of "), "%d %B %Y").date()


def test_sorted_by_run_out_soonest_first_and_never_last(client, seeded, users):
    trust = seeded.exec(select(Trust).where(Trust.ods_code == "RN5")).one()
    trust.chairs = 1000  # far more than it could use: its chairs never run out
    seeded.add(trust)
    seeded.commit()
    sign_in(client, users["lead"])
    rows = _rows(client, "?sort=run_out&resource=chair_hours")
    assert {r["data-resource"] for r in rows} == {"chair_hours"}
    dates = [r["data-run-out"] for r in rows]
    known = [d for d in dates if d]
    assert known == sorted(known) and dates[: len(known)] == known
    assert rows[-1]["data-trust"] == "RN5" and rows[-1]["data-run-out"] == ""
    assert _cell(rows[-1], "run_out_with").startswith("Not before")


def test_sorted_by_the_soonest_deadline_of_the_appraisals_driving_it(client, seeded, users):
    sign_in(client, users["lead"])
    rows = _rows(client, "?sort=deadline")
    deadlines = [r["data-deadline"] for r in rows]
    known = [d for d in deadlines if d]
    assert known and known == sorted(known) and deadlines[: len(known)] == known


def test_drivers_are_appraisals_adding_to_the_resource_most_first(client, seeded, users):
    sign_in(client, users["lead"])
    row = _row(_rows(client), "RHM", "chair_hours")
    items = row.select("td:last-child li")
    assert items and items[0].select_one("a")["href"].startswith("/appraisals/")
    amounts = [float(li.get_text(" ", strip=True).split(": ")[1].split(";")[0].replace(",", ""))
               for li in items if ": " in li.get_text()]
    assert amounts and all(a > 0 for a in amounts) and amounts == sorted(amounts, reverse=True)


def test_filters_by_icb_and_answers_htmx_with_the_table_alone(client, seeded, users):
    sign_in(client, users["lead"])
    rows = _rows(client, "?icb=QVV")
    dorset = {t.ods_code for t in seeded.exec(select(Trust)) if t.icb_id == _icb_id(seeded, "QVV")}
    assert {r["data-trust"] for r in rows} == dorset
    response = client.get("/dashboard/resources?sort=trust", headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]
    assert page.lstrip().startswith("<div id=\"resources-table\"") and "<html" not in page


def test_the_lead_dashboard_links_to_it(client, seeded, users):
    sign_in(client, users["lead"])
    assert 'href="/dashboard/resources"' in client.get("/dashboard").get_data(as_text=True)


def _icb_id(session, code):
    from appraisal_impact.models import Icb

    return session.exec(select(Icb).where(Icb.ods_code == code)).one().id
