"""The trust view: the pipeline's weekly demand against a trust's capacity, checked on a case worked by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup

from appraisal_impact import impact_service
from appraisal_impact.models import (
    Appraisal,
    AppraisalRegimen,
    Drug,
    DrugPack,
    Icb,
    ReferenceValue,
    Regimen,
    RegimenComponent,
    Role,
    Trust,
    TrustAppraisalOverride,
    UptakeYear,
)
from tests.conftest import make_user, sign_in

TODAY = date(2026, 6, 1)  # a Monday: the grid's first week
START = TODAY + timedelta(days=70)  # effective start: week 10 of the grid


@pytest.fixture(autouse=True)
def _fresh_impact_cache():
    # Each test has a new database; never reuse figures cached for another one.
    impact_service.clear_cache()
    yield
    impact_service.clear_cache()


def build_tiny_alliance(db) -> dict:
    """One trust, one appraisal, numbers chosen to be worked by hand.

    - Trust: 5 chairs × 10 hours a day × 1 day a week × 100% = 50 chair hours a week; baseline demand 40,
      growing 7% a year. Aseptic: capacity 20 staff hours a week, baseline 5. Clinics: 100 slots, baseline 95.
    - Appraisal: recommended; marketing authorisation and draft guidance both on START, so the effective
      start (interim funding) is START, 70 days (10 weeks) after TODAY.
    - The trust expects 521.8 patients a year at 100% uptake: 521.8 / 52.18 = 10 new patients a week.
    - Regimen: one attendance (one cycle) per patient: 60 chair minutes, 1 aseptic item of 51 minutes,
      1 clinic appointment, one 100 mg vial at £1,000.
    So from week 10 the pipeline adds 10 chair hours, 8.5 aseptic hours and 10 clinic appointments a week.
    """
    icb = Icb(ods_code="QXX", name="Test ICB")
    db.add(icb)
    db.flush()
    trust = Trust(
        ods_code="TST", name="Test Hospital NHS Trust", icb_id=icb.id, catchment_population=100_000,
        chairs=5, chair_hours_per_day=10, days_per_week=1, target_utilisation=1.0,
        baseline_chair_hours_per_week=40, aseptic_hours_per_week=20, baseline_aseptic_hours_per_week=5,
        clinic_slots_per_week=100, baseline_clinic_appointments_per_week=95,
    )
    db.add(trust)
    db.add(ReferenceValue(key="baseline_sact_growth_pct", value=7, unit="% a year", label="Baseline growth", source="RCR 2023"))
    drug = Drug(name="Testumab")
    db.add(drug)
    db.flush()
    db.add(DrugPack(drug_id=drug.id, description="100 mg vial", pack_mg=100, list_price=1000, price_source="test"))
    regimen = Regimen(name="Testumab single dose", tumour_site="Lung", cycle_length_days=7, attendance_days="1",
                      max_cycles=1, clinic_type="nurse-led review", clinic_minutes=20, clinic_every_n_cycles=1,
                      verification_minutes_per_cycle=10)
    db.add(regimen)
    db.flush()
    db.add(RegimenComponent(regimen_id=regimen.id, drug_id=drug.id, dose=100, days="1",
                            chair_minutes_first_cycle=60, chair_minutes_later_cycles=60,
                            aseptic_items=1, aseptic_minutes_per_item=51))
    appraisal = Appraisal(
        title="Testumab for testing", ta_number="TA9999", medicine="Testumab", tumour_site="Lung",
        status="published", recommendation="recommended", marketing_authorisation_date=START,
        draft_guidance_date=START, publication_date=START + timedelta(days=14),
        national_eligible_per_year=5218, source="hand-worked test case",
    )
    db.add(appraisal)
    db.flush()
    for year in range(1, 6):
        db.add(UptakeYear(appraisal_id=appraisal.id, year=year, percent=100))
    db.add(AppraisalRegimen(appraisal_id=appraisal.id, regimen_id=regimen.id, role="brings in", share_pct=100))
    db.add(TrustAppraisalOverride(trust_id=trust.id, appraisal_id=appraisal.id, patients_per_year=521.8))
    db.commit()
    return {"icb": icb, "trust": trust, "appraisal": appraisal, "regimen": regimen}


@pytest.fixture
def tiny(app, db):
    app.config["TODAY"] = TODAY
    data = build_tiny_alliance(db)
    data["lead"] = make_user(db, Role.lead, confidential=True)
    return data


def _run_out_row(html: str, resource: str) -> list[str]:
    row = BeautifulSoup(html, "html.parser").select_one(f'#run-out tr[data-resource="{resource}"]')
    return [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]


def test_first_week_chairs_run_out_matches_the_hand_worked_case(client, tiny):
    sign_in(client, tiny["lead"])
    response = client.get("/trusts/TST/impact")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    cells = _run_out_row(html, "chair_hours")
    # capacity 5 × 10 × 1 × 1.0 = 50; demand today 40. The stated date is 12 months on, 1 June 2027, in
    # the week of Monday 31 May 2027 = week 52: demand without the pipeline 40 × 1.07^(52 / 52.18) = 42.79;
    # the pipeline 10 a week; headroom with it 50 − 42.79 − 10 = −2.79.
    assert cells[1:6] == ["50.0", "40.0", "42.8", "10.0", "-2.8"]
    # Without the pipeline: 40 × 1.07^(w / 52.18) > 50 when w > 52.18 × ln 1.25 / ln 1.07 = 172.09, so week 173.
    assert cells[6] == f"Week of {(TODAY + timedelta(weeks=173)).day} {(TODAY + timedelta(weeks=173)):%B %Y}"
    # With it: in week 10, 40 × 1.07^(10 / 52.18) = 40.52, plus 10 = 50.52 > 50 (before week 10, at most 40.52).
    assert cells[7] == "Week of 10 August 2026"
    # 10 chair hours a week ÷ (10 hours × 1 day × 100%) = 1 more chair
    assert "the pipeline needs 1.0 more chairs" in BeautifulSoup(html, "html.parser").get_text(" ", strip=True)


def test_clinics_and_aseptic_outlook_match_the_hand_worked_case(client, tiny):
    sign_in(client, tiny["lead"])
    html = client.get("/trusts/TST/impact").get_data(as_text=True)
    clinic = _run_out_row(html, "clinic_appointments")
    # Without: 95 × 1.07^(w / 52.18) > 100 when w > 52.18 × ln(100/95) / ln 1.07 = 39.56, so week 40.
    assert clinic[6] == f"Week of {(TODAY + timedelta(weeks=40)).day} {(TODAY + timedelta(weeks=40)):%B %Y}"
    assert clinic[7] == "Week of 10 August 2026"  # 95 × 1.013 + 10 > 100 from week 10
    aseptic = _run_out_row(html, "aseptic_hours")
    # 10 items × 51 minutes = 8.5 hours a week; 5 × 1.07^5.2 + 8.5 = 15.6 < 20 throughout the grid, which
    # holds five whole years from the start: Monday 10 August 2026 + 1,826.25 days ends in the week of
    # Monday 4 August 2031, so the grid's last week ends on Monday 11 August 2031
    assert aseptic[4] == "8.5"
    end = date(2031, 8, 11)
    assert aseptic[6:] == [f"Not before {end.day} {end:%B %Y}"] * 2


def test_trust_view_names_the_biggest_contributor_and_shows_charts_with_tables(client, tiny):
    sign_in(client, tiny["lead"])
    html = client.get("/trusts/TST/impact").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    first = soup.select_one("#contributors tbody tr")
    cells = [c.get_text(" ", strip=True) for c in first.find_all(["th", "td"])]
    assert cells[0].startswith("Testumab for testing")
    assert cells[1] == "10.0" and cells[2] == "100%"
    # 10 patients a week × 52.18 weeks × (£1,000 drug + £174 SB12Z delivery + £0 clinic) = £612,593.20 a year
    assert cells[5] == "£612,593"
    charts = soup.select("figure.app-chart svg")
    assert len(charts) == 4  # chairs, aseptic, clinics, contributors
    for svg in charts:
        assert svg.get("role") == "img"
        assert svg.find("title").get_text() and svg.find("desc").get_text()
    assert len(soup.select("details table")) == 4
    assert "Runs out with the pipeline: 10 August 2026" in html


def test_unknown_trust_is_not_found(client, tiny):
    sign_in(client, tiny["lead"])
    assert client.get("/trusts/NOPE/impact").status_code == 404


def test_trust_view_needs_sign_in(client, tiny):
    response = client.get("/trusts/TST/impact")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_seeded_trust_view_lists_every_pipeline_appraisal_for_readiness(client, users, app):
    app.config["TODAY"] = date(2026, 6, 1)
    sign_in(client, users["viewer"])
    html = client.get("/trusts/RHM/impact").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    assert len(soup.select("#readiness ~ div table tbody tr")) == 8  # the eight example appraisals
    assert "Change" not in soup.select_one("#readiness ~ div table").get_text()  # a viewer may not set readiness


def test_trust_and_appraisal_pages_link_to_the_impact_views(client, tiny):
    sign_in(client, tiny["lead"])
    trust_page = client.get("/trusts/TST").get_data(as_text=True)
    assert 'href="/trusts/TST/impact"' in trust_page
    appraisal_page = client.get(f"/appraisals/{tiny['appraisal'].id}").get_data(as_text=True)
    assert f'href="/appraisals/{tiny["appraisal"].id}/impact"' in appraisal_page


def test_appraisal_view_low_central_high_and_deadlines_match_the_hand_worked_case(client, tiny):
    sign_in(client, tiny["lead"])
    response = client.get(f"/appraisals/{tiny['appraisal'].id}/impact")
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    row = soup.select_one("#by-trust tbody tr")
    cells = [c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])]
    assert cells[0].startswith("Test Hospital NHS Trust TST")
    # the trust's own figure, 521.8 people a year (said in the heading), shown whole as it is 10 or more
    assert cells[2] == "522"
    # 10 chair hours a week; low = eligible 80% × uptake 80% = 6.4; high = eligible 120%, uptake capped at 100% = 12.0
    assert cells[5:8] == ["6.4", "10.0", "12.0"]
    # chairs, pharmacy, clinics and cost in a second table, so that neither is wider than the page
    row = soup.select_one('#by-trust-resources tbody tr[data-trust="TST"]')
    cells = [c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])]
    assert cells[0] == "Test Hospital NHS Trust TST"
    assert cells[1] == "1.0"  # chairs needed: 10 ÷ (10 × 1 × 100%), to one decimal place
    assert cells[2] == "8.5" and cells[3] == "10.0"  # aseptic hours, clinic appointments a week
    assert cells[4].startswith("£")
    deadlines = soup.select_one("#deadlines").get_text(" ", strip=True)
    assert "Effective start 10 August 2026 (starts in 70 days)" in deadlines
    assert "interim funding: later of marketing authorisation and positive draft guidance" in deadlines
    # published 24 August 2026: 3 calendar months → 24 November 2026
    assert "Funding deadline 24 November 2026 (in 176 days)" in deadlines
    assert "3 calendar months from publication of final guidance (NICE PMG19)" in deadlines
    assert "displaces no regimen" in soup.get_text(" ", strip=True)
    assert len(soup.select("figure.app-chart svg[role=img]")) == 3


def test_appraisal_view_lists_the_displaced_regimens(client, users, seeded, app):
    from appraisal_impact import queries

    app.config["TODAY"] = TODAY
    ta1037 = queries.find_appraisal(session=seeded, reference="TA1037")
    sign_in(client, users["viewer"])
    soup = BeautifulSoup(client.get(f"/appraisals/{ta1037.id}/impact").get_data(as_text=True), "html.parser")
    rows = [[c.get_text(" ", strip=True) for c in tr.find_all("td")] for tr in soup.select("#displaced tbody tr")]
    assert rows == [["Atezolizumab 1200 mg q3w adjuvant (1 year)", "30%",
                     # the seed's "[estimate]" tag is not shown to users (issue #10, words for users)
                     "share that would otherwise have adjuvant atezolizumab (TA823)"]]
    assert "the displaced treatments free" in soup.get_text(" ", strip=True)


def test_a_start_in_the_past_is_worded_as_started_not_overdue_and_still_flagged(client, tiny, app):
    # 160 days after the effective start, the trust still not ready: the flag stays (it is more urgent),
    # and says what is true: the appraisal started 160 days ago. Only a deadline is "overdue".
    app.config["TODAY"] = START + timedelta(days=160)
    sign_in(client, tiny["lead"])
    soup = BeautifulSoup(client.get("/trusts/TST/impact").get_data(as_text=True), "html.parser")
    row = soup.select_one(f'#readiness ~ div table tr[data-appraisal="{tiny["appraisal"].id}"]').get_text(" ", strip=True)
    assert "started 160 days ago" in row
    assert "Not ready: started 160 days ago" in row
    assert "within" not in row and "overdue" not in row
    assert soup.select_one(f'#readiness ~ div table tr[data-appraisal="{tiny["appraisal"].id}"] .nhsuk-tag--red') is not None

    deadlines = BeautifulSoup(client.get(f"/appraisals/{tiny['appraisal'].id}/impact").get_data(as_text=True),
                              "html.parser").select_one("#deadlines").get_text(" ", strip=True)
    assert "Effective start 10 August 2026 (started 160 days ago)" in deadlines
    assert "10 August 2026 (overdue" not in deadlines

    dashboard = BeautifulSoup(client.get("/dashboard").get_data(as_text=True), "html.parser")
    start_cell = dashboard.select_one(f'tr[data-appraisal="{tiny["appraisal"].id}"]').find_all("td")[2].get_text(" ", strip=True)
    assert start_cell == "10 August 2026 started 160 days ago"


def test_a_readiness_flag_before_the_start_says_how_soon(client, tiny, app):
    app.config["TODAY"] = START - timedelta(days=40)
    sign_in(client, tiny["lead"])
    soup = BeautifulSoup(client.get("/trusts/TST/impact").get_data(as_text=True), "html.parser")
    row = soup.select_one(f'#readiness ~ div table tr[data-appraisal="{tiny["appraisal"].id}"]').get_text(" ", strip=True)
    assert "Not ready: starts in 40 days" in row
