"""Summaries: figures worked by hand on a tiny database, invariants on the seeded one, JSON, and the pages.

The tiny database: one ICB with one trust whose catchment is all of England (share 1), and one appraisal
of 520 eligible people a year, 100% uptake, bringing in one weekly IV regimen of 4 fixed cycles: day 1
each week, 60 chair minutes, one 100 mg vial at £1,000 list price (and a confidential price that must not
be used). Its effective start is 100 days before the figures date, so the model has reached steady state.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, timedelta

import pytest
from sqlmodel import select

from appraisal_impact import impact_service, summaries
from appraisal_impact.core.deadlines import add_calendar_months
from appraisal_impact.models import (
    Appraisal, AppraisalRegimen, ConfidentialPrice, Drug, DrugPack, Icb, Regimen, RegimenComponent, Role, Trust,
    UptakeYear,
)
from tests.conftest import TEST_TODAY, make_user, sign_in

TODAY = TEST_TODAY  # the app's fixed clock in tests
STARTS_PER_WEEK = 520 / 52.18  # eligible × uptake / weeks a year [patients/week]
YEAR_1_WEEKS = 52 + 1.25 / 7  # 365.25 days: 52 whole weeks and 1.25 days of the 53rd
ATTENDANCES_PER_PATIENT = 4


@pytest.fixture
def tiny(db):
    impact_service.clear_cache()
    icb = Icb(ods_code="QXX", name="Test ICB", population=57_690_300, population_source="test")
    db.add(icb)
    db.flush()
    trust = Trust(ods_code="TST", name="Test Trust", icb_id=icb.id, catchment_population=57_690_300, chairs=10,
                  chair_hours_per_day=10, days_per_week=5, target_utilisation=0.8, baseline_chair_hours_per_week=300)
    drug = Drug(name="Testumab")
    db.add_all([trust, drug])
    db.flush()
    pack = DrugPack(drug_id=drug.id, description="100 mg vial", pack_mg=100, list_price=1000.0, price_source="test list")
    regimen = Regimen(name="Testumab weekly x4", cycle_length_days=7, attendance_days="1", max_cycles=4,
                      clinic_every_n_cycles=1, source="test regimen")
    db.add_all([pack, regimen])
    db.flush()
    db.add(ConfidentialPrice(drug_pack_id=pack.id, price=10.0))
    db.add(RegimenComponent(regimen_id=regimen.id, drug_id=drug.id, dose=100, chair_minutes_first_cycle=60,
                            chair_minutes_later_cycles=60, aseptic_items=1))
    start = TODAY - timedelta(days=100)
    appraisal = Appraisal(title="Testumab for testing", medicine="Testumab", ta_number="TA9999", status="published",
                          recommendation="recommended", publication_date=TODAY - timedelta(days=20),
                          marketing_authorisation_date=start - timedelta(days=30), draft_guidance_date=start,
                          national_eligible_per_year=520, source="test appraisal")
    db.add(appraisal)
    db.flush()
    db.add(AppraisalRegimen(appraisal_id=appraisal.id, regimen_id=regimen.id, role="brings in", share_pct=100))
    db.add_all([UptakeYear(appraisal_id=appraisal.id, year=y, percent=100, source="test uptake") for y in range(1, 6)])
    rejected = Appraisal(title="Rejectumab", status="published", recommendation="not recommended",
                         publication_date=TODAY - timedelta(days=10), national_eligible_per_year=1000)
    db.add(rejected)
    db.commit()
    return {"icb": icb, "trust": trust, "appraisal": appraisal, "rejected": rejected, "start": start}


def test_appraisal_summary_worked_by_hand(db, tiny):
    summary = summaries.build_appraisal_summary(db, tiny["appraisal"], today=TODAY)
    assert summary.figures_as_at == TODAY
    (trust,) = summary.trusts
    # steady state: every week 9.9655 starts, each with 4 weekly attendances of 1 chair hour
    assert trust.chair_hours_per_week == pytest.approx(STARTS_PER_WEEK * ATTENDANCES_PER_PATIENT, abs=0.05)
    assert trust.chairs_needed == pytest.approx(STARTS_PER_WEEK * 4 / (10 * 5 * 0.8), abs=0.01)
    assert trust.aseptic_hours_per_week == pytest.approx(STARTS_PER_WEEK * 4 * 51 / 60, abs=0.05)
    assert trust.eligible_per_year == pytest.approx(520, abs=0.05)
    # year 1 = 365.25 days from the start: weeks 0..51 whole and 1.25/7 of week 52 → 520 patients
    assert trust.new_patients_year1 == pytest.approx(STARTS_PER_WEEK * YEAR_1_WEEKS, abs=0.05)
    assert trust.new_patients_year1 == pytest.approx(520, abs=0.05)
    # cycles in week w = starts × min(w + 1, 4): weeks 0..51 give 1 + 2 + 3 + 4 × 49 = 202, week 52 adds
    # 4 × 1.25/7; at £1,000 a cycle (list)
    assert trust.cost_drug_year1 == pytest.approx(STARTS_PER_WEEK * (202 + 4 * 1.25 / 7) * 1000, abs=1)
    assert summary.total.cost_drug_year1 == trust.cost_drug_year1
    deadline, start, ninety = summary.deadlines
    assert deadline.date == add_calendar_months(TODAY - timedelta(days=20), 3)
    assert deadline.days_from_figures_date == (deadline.date - TODAY).days
    assert start.date == tiny["start"] and start.days_from_figures_date == -100
    assert ninety.date == TODAY - timedelta(days=20) + timedelta(days=90)
    assert summary.displaced_total is None
    assert [t.regimen for t in summary.treatments] == ["Testumab weekly x4"]
    assert any(a.label == "List price of Testumab" and a.value == "£1,000.00 per 100 mg vial" for a in summary.assumptions)


def test_icb_summary_worked_by_hand(db, tiny):
    summary = summaries.build_icb_summary(db, tiny["icb"], today=TODAY)
    assert [line.title for line in summary.appraisals] == ["Testumab for testing"]  # the rejected one is left out
    head = summary.headline
    assert head.appraisals == 1
    assert head.chair_hours_per_week == pytest.approx(STARTS_PER_WEEK * 4, abs=0.05)
    # the next 12 months are 365.25 days from this week's Monday (the figures layer's one year), so they hold
    # 52 weeks and 1.25 days of starts, not 52 weeks
    assert head.new_patients_next_12_months == pytest.approx(STARTS_PER_WEEK * YEAR_1_WEEKS, abs=0.05)
    assert head.next_deadline == add_calendar_months(TODAY - timedelta(days=20), 3)
    assert [t.ods_code for t in summary.trusts_most_affected] == ["TST"]
    (chairs,) = [c for c in summary.capacity if c.resource == "Chair time"]
    capacity = 10 * 10 * 5 * 0.8
    baseline_in_a_year = 300 * 1.07 ** (52 / 52.18)  # 7% a year (RCR), compounding weekly
    assert chairs.capacity_per_week == capacity
    assert chairs.demand_today_per_week == 300
    assert chairs.demand_at_date_without_pipeline_per_week == pytest.approx(baseline_in_a_year, abs=0.05)
    assert chairs.headroom_at_date_without_pipeline == pytest.approx(capacity - baseline_in_a_year, abs=0.05)
    assert chairs.headroom_at_date_with_pipeline == pytest.approx(
        capacity - baseline_in_a_year - STARTS_PER_WEEK * 4, abs=0.1)
    # a reader's own subtraction across the row gives the headroom shown beside it
    assert chairs.capacity_per_week - chairs.demand_at_date_without_pipeline_per_week - chairs.pipeline_at_date_per_week \
        == pytest.approx(chairs.headroom_at_date_with_pipeline, abs=1e-3)
    # baseline alone crosses 400 when 300 × 1.07^(w/52.18) > 400: w > 52.18 × ln(4/3) / ln(1.07) = 222.3 weeks
    weeks = math.floor(52.18 * math.log(400 / 300) / math.log(1.07)) + 1
    monday = TODAY - timedelta(days=TODAY.weekday())
    assert chairs.first_week_over_without_pipeline == monday + timedelta(weeks=weeks)
    assert chairs.first_week_over_with_pipeline < chairs.first_week_over_without_pipeline


def test_summaries_use_list_prices_even_with_a_confidential_price_in_the_database(db, tiny):
    summary = summaries.build_appraisal_summary(db, tiny["appraisal"], today=TODAY)
    confidential_cost = STARTS_PER_WEEK * 206 * 10
    assert summary.total.cost_drug_year1 != pytest.approx(confidential_cost, abs=1)
    assert "list prices" in summary.price_basis


def test_to_dict_is_plain_json_and_round_trips(db, tiny):
    for summary in (summaries.build_appraisal_summary(db, tiny["appraisal"], today=TODAY),
                    summaries.build_icb_summary(db, tiny["icb"], today=TODAY)):
        data = summary.to_dict()
        text = json.dumps(data, allow_nan=False)
        assert json.loads(text) == data
        assert json.loads(summaries.to_json(summary)) == data
        assert data["figures_as_at"] == TODAY.isoformat()
        assert data["schema"].endswith("/1")


def test_an_unknown_start_gives_not_yet_known_not_zero(db, tiny):
    appraisal = tiny["appraisal"]
    appraisal.publication_date = None
    appraisal.marketing_authorisation_date = None
    appraisal.expected_publication_tbc = True
    appraisal.status = "in development"
    appraisal.recommendation = None
    db.add(appraisal)
    db.commit()
    impact_service.clear_cache()
    summary = summaries.build_appraisal_summary(db, appraisal, today=TODAY)
    assert summary.deadlines[0].date is None
    assert summary.total.new_patients_year1 is None
    assert summary.total.cost_total_year1 is None
    assert any("not yet known" in note for note in summary.notes)


def test_totals_are_the_sums_of_the_trusts_on_the_seeded_data(seeded):
    for appraisal in seeded.exec(select(Appraisal)).all():
        summary = summaries.build_appraisal_summary(seeded, appraisal, today=date(2026, 6, 1))
        assert len(summary.trusts) == 6
        for name in ("chair_hours_per_week", "cost_total_year1", "new_patients_year1"):
            values = [getattr(t, name) for t in summary.trusts]
            total = getattr(summary.total, name)
            if total is None:
                assert all(v is None for v in values)
            else:
                # each figure is rounded for display (costs to £1): the sum may be off by half a unit a trust
                assert total == pytest.approx(sum(values), abs=0.5 * len(values) + 0.5)
    qrl = seeded.exec(select(Icb).where(Icb.ods_code == "QRL")).one()
    icb = summaries.build_icb_summary(seeded, qrl, today=date(2026, 6, 1))
    assert {t.ods_code for t in icb.trusts} == {"RHM", "RHU", "RN5", "R1F"}
    chair = [t.chair_hours_per_week for t in icb.trusts]
    assert icb.headline.chair_hours_per_week == pytest.approx(sum(chair), abs=0.3)
    assert [t.chair_hours_per_week for t in icb.trusts_most_affected] == sorted(chair, reverse=True)[:3]
    deadlines = [line.funding_deadline.date for line in icb.appraisals if line.funding_deadline.date]
    assert deadlines == sorted(deadlines)


def test_the_summary_pages_show_the_figures_date_units_and_sources(client, db, tiny):
    user = make_user(db, Role.viewer, email="viewer.summaries@example.nhs.uk")
    sign_in(client, user)
    page = client.get(f"/summaries/appraisals/{tiny['appraisal'].id}").get_data(as_text=True)
    figures_date = f"{TODAY.day} {TODAY:%B %Y}"
    assert re.search(rf"<strong>Figures as at {figures_date}</strong>", page)
    assert page.index("Figures as at") < page.index("At a glance")
    for unit in ("hours a week", "chairs", "people", "£"):
        assert unit in page
    assert "Source: test uptake" in page
    assert "3 calendar months from publication of final guidance" in page
    assert "Share this summary" not in page  # a viewer may not share
    assert "/jobs/summary-pdf" in page and "/summary.xlsx" in page and "/summary.csv" in page  # PDF: a background job
    icb_page = client.get("/summaries/icbs/QXX").get_data(as_text=True)
    assert f"Figures as at {figures_date}" in icb_page and "Capacity headroom" in icb_page
    assert f'href="/summaries/appraisals/{tiny["appraisal"].id}"' in icb_page
    assert client.get("/summaries/icbs/NOPE").status_code == 404
    assert client.get("/summaries/appraisals/999999").status_code == 404


def test_alliance_staff_see_a_share_button(client, db, tiny):
    sign_in(client, make_user(db, Role.alliance, email="alliance.summaries@example.nhs.uk"))
    page = client.get(f"/summaries/appraisals/{tiny['appraisal'].id}").get_data(as_text=True)
    assert f'href="/sharing/new?target=appraisal:{tiny["appraisal"].id}"' in page


def test_time_and_cost_are_net_of_displaced_treatments_but_patients_are_those_on_the_new_medicine(db, tiny):
    old = Regimen(name="Oldumab weekly x2", cycle_length_days=7, attendance_days="1", max_cycles=2, source="test old")
    db.add(old)
    db.flush()
    drug = db.exec(select(Drug)).first()
    db.add(RegimenComponent(regimen_id=old.id, drug_id=drug.id, dose=100, chair_minutes_first_cycle=30,
                            chair_minutes_later_cycles=30, aseptic_items=0))
    db.add(AppraisalRegimen(appraisal_id=tiny["appraisal"].id, regimen_id=old.id, role="displaces", share_pct=50,
                            source="[estimate] half would have had Oldumab"))
    db.commit()
    impact_service.clear_cache()
    summary = summaries.build_appraisal_summary(db, tiny["appraisal"], today=TODAY)
    # chair: 4 one-hour visits each, less half the patients' 2 half-hour visits = 3.5 hours per weekly start
    assert summary.total.chair_hours_per_week == pytest.approx(STARTS_PER_WEEK * 3.5, abs=0.05)
    assert summary.total.new_patients_year1 == pytest.approx(STARTS_PER_WEEK * YEAR_1_WEEKS, abs=0.05)
    assert summary.displaced_total.new_patients_year1 == pytest.approx(STARTS_PER_WEEK * YEAR_1_WEEKS / 2, abs=0.05)
    assert summary.displaced_total.chair_hours_per_week == pytest.approx(STARTS_PER_WEEK * 0.5, abs=0.05)
    assert [(t.regimen, t.role) for t in summary.treatments] == [("Testumab weekly x4", "brings in"),
                                                                 ("Oldumab weekly x2", "displaces")]
    icb = summaries.build_icb_summary(db, tiny["icb"], today=TODAY)
    assert icb.headline.chair_hours_per_week == pytest.approx(STARTS_PER_WEEK * 3.5, abs=0.05)
    # people starting the new medicine in the next 12 months (365.25 days, as the figures layer's year)
    assert icb.headline.new_patients_next_12_months == pytest.approx(STARTS_PER_WEEK * YEAR_1_WEEKS, abs=0.05)


def test_an_icb_with_no_trusts_yet_has_a_summary_that_says_so(client, db, tiny):
    empty = Icb(ods_code="QZZ", name="Empty ICB")
    db.add(empty)
    db.commit()
    summary = summaries.build_icb_summary(db, empty, today=TODAY)
    assert summary.trusts == () and summary.capacity == ()
    assert summary.headline.new_patients_next_12_months is None
    assert [line.new_patients_year1 for line in summary.appraisals] == [None]
    sign_in(client, make_user(db, Role.viewer, email="viewer.empty@example.nhs.uk"))
    page = client.get("/summaries/icbs/QZZ").get_data(as_text=True)
    assert "This ICB has no trusts in the tool." in page
    assert "No capacity figures have been entered" in page
