"""The pipeline dashboard: ordering, filters, time left, figures by scope, readiness flags, what changed."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from appraisal_impact import impact_service
from appraisal_impact.audit import Actor, apply_changes
from appraisal_impact.formatting import days_left
from appraisal_impact.models import Appraisal, Icb, Readiness, ReferenceValue, Role, Trust, UptakeYear, User
from tests.conftest import make_user, sign_in

TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _fresh_impact_cache():
    impact_service.clear_cache()
    yield
    impact_service.clear_cache()


def _appraisal(db, title, *, site="Lung", status="published", recommendation="recommended", start=None,
               publication=None, expected=None, created_at=None) -> Appraisal:
    """An appraisal whose effective start is `start` (marketing authorisation = draft guidance = start)."""
    row = Appraisal(
        title=title, tumour_site=site, status=status, recommendation=recommendation,
        marketing_authorisation_date=start, draft_guidance_date=start,
        publication_date=publication, expected_publication_date=expected, national_eligible_per_year=100,
    )
    if created_at is not None:
        row.created_at = created_at
    db.add(row)
    db.commit()
    return row


@pytest.fixture
def small(app, db):
    """Two ICBs with one trust each, and four appraisals with dates worked from 1 June 2026."""
    app.config["TODAY"] = TODAY
    north, south = Icb(ods_code="QAA", name="North ICB"), Icb(ods_code="QBB", name="South ICB")
    db.add_all([north, south])
    db.flush()
    db.add_all([
        Trust(ods_code="TNA", name="North Hospital", icb_id=north.id, catchment_population=100_000),
        Trust(ods_code="TSB", name="South Hospital", icb_id=south.id, catchment_population=300_000),
    ])
    db.commit()
    rows = {
        # effective start 23 days ahead; funding deadline = publication + 3 months
        "soon": _appraisal(db, "Alpha soon", start=TODAY + timedelta(days=23), publication=TODAY + timedelta(days=30)),
        # started 5 days ago
        "overdue": _appraisal(db, "Bravo overdue", site="Breast", start=TODAY - timedelta(days=5), publication=TODAY - timedelta(days=5)),
        # in development, no recommendation: effective start = planned deadline (expected publication + 3 months)
        "planned": _appraisal(db, "Charlie planned", status="in development", recommendation=None, expected=date(2026, 9, 10)),
        # negative: no funding requirement, sorts last
        "negative": _appraisal(db, "Delta negative", site="Breast", recommendation="not recommended", publication=TODAY),
    }
    user = make_user(db, Role.lead)
    return {"appraisals": rows, "lead": user}


def _titles(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [row.find("a").get_text(strip=True) for row in soup.select("#dashboard-table tbody tr[data-appraisal]")]


def _row(html: str, appraisal_id: int):
    return BeautifulSoup(html, "html.parser").select_one(f'#dashboard-table tr[data-appraisal="{appraisal_id}"]')


def test_days_left_wording():
    assert days_left(date(2026, 6, 24), TODAY) == "in 23 days"
    assert days_left(date(2026, 5, 27), TODAY) == "overdue by 5 days"
    assert days_left(date(2026, 6, 2), TODAY) == "in 1 day"
    assert days_left(TODAY, TODAY) == "today"
    assert days_left(None, TODAY) == "not yet known"


def test_dashboard_orders_by_effective_start_then_deadline(client, small):
    sign_in(client, small["lead"])
    html = client.get("/dashboard").get_data(as_text=True)
    # overdue (27 May) < soon (24 June) < planned (deadline 10 December 2026) < negative (no date)
    assert _titles(html) == ["Bravo overdue", "Alpha soon", "Charlie planned", "Delta negative"]


def test_dashboard_shows_time_left_in_words(client, small):
    sign_in(client, small["lead"])
    html = client.get("/dashboard").get_data(as_text=True)
    soon = _row(html, small["appraisals"]["soon"].id).get_text(" ", strip=True)
    assert "24 June 2026 starts in 23 days" in soon
    overdue = _row(html, small["appraisals"]["overdue"].id).get_text(" ", strip=True)
    # a start in the past has started; only a deadline is overdue
    assert "27 May 2026 started 5 days ago" in overdue
    assert "27 May 2026 overdue" not in overdue
    # published 27 May: funding deadline 27 August, 87 days ahead
    assert "27 August 2026 in 87 days" in overdue
    negative = _row(html, small["appraisals"]["negative"].id).get_text(" ", strip=True)
    assert "No funding requirement" in negative


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("title", ["Alpha soon", "Bravo overdue", "Charlie planned", "Delta negative"]),
        ("site", ["Bravo overdue", "Delta negative", "Alpha soon", "Charlie planned"]),
        # deadlines: overdue 27 Aug, soon 30 Sep (publication 1 July + 3 months), planned 10 Dec, negative none
        ("deadline", ["Bravo overdue", "Alpha soon", "Charlie planned", "Delta negative"]),
    ],
)
def test_dashboard_sorts(client, small, sort, expected):
    sign_in(client, small["lead"])
    assert _titles(client.get(f"/dashboard?sort={sort}").get_data(as_text=True)) == expected


def test_filters_by_tumour_site_and_status(client, small):
    sign_in(client, small["lead"])
    assert _titles(client.get("/dashboard?site=Breast").get_data(as_text=True)) == ["Bravo overdue", "Delta negative"]
    assert _titles(client.get("/dashboard?status=in+development").get_data(as_text=True)) == ["Charlie planned"]


def test_icb_and_trust_filters_change_the_scope(client, small):
    sign_in(client, small["lead"])
    html = client.get("/dashboard?icb=QAA").get_data(as_text=True)
    assert "the trusts of North ICB" in html
    # the flag lists only the ICB's trust
    flagged = _row(html, small["appraisals"]["soon"].id).get_text(" ", strip=True)
    assert "TNA" in flagged and "TSB" not in flagged
    html = client.get("/dashboard?trust=TSB").get_data(as_text=True)
    assert "Figures are for South Hospital" in BeautifulSoup(html, "html.parser").get_text(" ", strip=True)


def test_htmx_request_returns_only_the_table_and_varies(client, small):
    sign_in(client, small["lead"])
    response = client.get("/dashboard?site=Breast", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith('<div id="dashboard-table"')
    assert "<html" not in html
    page = client.get("/dashboard").get_data(as_text=True)
    form = BeautifulSoup(page, "html.parser").select_one("form[hx-get]")
    assert form["hx-target"] == "#dashboard-table" and form["hx-push-url"] == "true"
    assert form["action"] == "/dashboard" and form["method"] == "get"  # works without JavaScript


def test_readiness_flag_within_the_warning_period(client, small, db):
    sign_in(client, small["lead"])
    soon = small["appraisals"]["soon"]
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Not ready" in _row(html, soon.id).get_text(" ", strip=True)
    # planned: deadline 10 December 2026 is 192 days away: not yet due
    assert "Not due yet" in _row(html, small["appraisals"]["planned"].id).get_text(" ", strip=True)

    callout = BeautifulSoup(html, "html.parser").select_one(".nhsuk-warning-callout").get_text(" ", strip=True)
    # overdue (27 May) and soon (24 June) are due; planned and negative are not
    assert "2 of 2 trusts are not marked ready" in callout
    assert "North Hospital : 2 appraisals, the first started 5 days ago" in callout
    trusts = db.exec(Trust.__table__.select()).all()
    for trust in trusts:
        db.add(Readiness(trust_id=trust.id, appraisal_id=soon.id, status="ready"))
    db.commit()
    html = client.get("/dashboard").get_data(as_text=True)
    assert "All ready" in _row(html, soon.id).get_text(" ", strip=True)
    callout = BeautifulSoup(html, "html.parser").select_one(".nhsuk-warning-callout").get_text(" ", strip=True)
    assert "North Hospital : 1 appraisal, the first started 5 days ago" in callout  # still not ready for the overdue one


def test_readiness_warning_period_is_a_setting(client, small, db):
    db.add(ReferenceValue(key="readiness_warning_days", value=200, unit="days", label="Readiness warning"))
    db.commit()
    sign_in(client, small["lead"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert "within 200 days" in html
    assert "Not ready" in _row(html, small["appraisals"]["planned"].id).get_text(" ", strip=True)


def test_seeded_dashboard_has_figures_and_every_appraisal(client, users, app):
    app.config["TODAY"] = TODAY
    sign_in(client, users["lead"])
    html = client.get("/dashboard").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    assert len(soup.select("#dashboard-table tbody tr[data-appraisal]")) == 8
    def chair_hours(page):
        # the total's number, before any note of parts not yet known ("61.2 (1 of 8 appraisals ...)")
        text = page.select_one('#dashboard-table tfoot td[data-figure="steady_state.chair_hours_per_week"]').get_text(" ", strip=True)
        number = text.split(" ")[0].replace(",", "")
        return float(number), (len(number.split(".")[1]) if "." in number else 0)

    alliance, places = chair_hours(soup)
    dorset = BeautifulSoup(client.get("/dashboard?icb=QVV").get_data(as_text=True), "html.parser")
    hampshire = BeautifulSoup(client.get("/dashboard?icb=QRL").get_data(as_text=True), "html.parser")
    parts = [chair_hours(s) for s in (dorset, hampshire)]
    assert alliance > 0
    # each shown at its stated precision (one decimal below 100, whole above): half a unit each
    tolerance = 0.5 * 10 ** -places + sum(0.5 * 10 ** -p for _v, p in parts)
    assert sum(v for v, _p in parts) == pytest.approx(alliance, abs=tolerance)


def test_dashboard_is_in_the_header_navigation(client, users):
    sign_in(client, users["viewer"])
    html = client.get("/pipeline").get_data(as_text=True)
    assert 'href="/dashboard"' in html


# --- what changed ---------------------------------------------------------------------------------


def test_what_changed_since_a_date(client, small, db):
    lead = small["lead"]
    appraisal = small["appraisals"]["planned"]
    actor = Actor(lead.id, lead.name)
    apply_changes(db, actor, appraisal, {"expected_publication_date": date(2026, 10, 10), "national_eligible_per_year": 120.0,
                                         "status": "published"}, expected_version=appraisal.version)
    db.commit()
    uptake = UptakeYear(appraisal_id=appraisal.id, year=2, percent=40.0)
    db.add(uptake)
    db.commit()
    apply_changes(db, actor, uptake, {"percent": 30.0})
    db.commit()
    old = _appraisal(db, "Echo old", created_at=datetime(2026, 1, 1))
    sign_in(client, lead)
    since = (datetime.utcnow() - timedelta(days=1)).date().isoformat()
    response = client.get(f"/dashboard/changes?since={since}")
    assert response.status_code == 200
    text = BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text(" ", strip=True)
    assert "10 September 2026 10 October 2026 later by 30 days" in text
    assert "status changed from in development to published" in text
    assert "Eligible people a year (England) 100 120 +20 (+20.0%)" in text
    assert "Charlie planned: uptake in year 2 Percent 40 30 -10 (-25.0%)" in text
    assert "Alpha soon" in text  # created just now: arrived
    assert old.title not in text  # created in January


def test_what_changed_defaults_to_the_previous_visit(client, small, db):
    lead = small["lead"]
    _appraisal(db, "Foxtrot new")
    sign_in(client, lead)  # first sign-in: no previous visit yet
    sign_in(client, lead)  # now the previous visit is the first sign-in, after Foxtrot arrived
    db.expire_all()
    previous = db.get(User, lead.id).previous_visit_at
    assert previous is not None
    html = client.get("/dashboard/changes").get_data(as_text=True)
    assert "your previous visit" in html
    assert "Foxtrot new" not in html
    _appraisal(db, "Golf newer")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Golf newer" in BeautifulSoup(html, "html.parser").select_one("#what-changed").get_text()


def test_what_changed_rejects_a_bad_date(client, small):
    sign_in(client, small["lead"])
    response = client.get("/dashboard/changes?since=31/05/2026")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: What changed" in html
    assert "There is a problem" in html and 'href="#since"' in html
    assert 'value="31/05/2026"' in html  # input kept
    future = client.get("/dashboard/changes?since=2999-01-01")
    assert future.status_code == 400


def test_what_changed_partial_for_htmx(client, small):
    sign_in(client, small["lead"])
    html = client.get("/dashboard/changes?since=2026-01-01", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html.lstrip().startswith('<div id="what-changed"')


def test_impact_pages_render_for_appraisals_without_regimens_or_dates(client, small):
    """No regimen linked, no funding requirement, or a planned deadline only: pages still show, and the figures
    are "not yet known" with the reason (never 0: none of these appraisals has a treatment entered)."""
    sign_in(client, small["lead"])
    for appraisal in small["appraisals"].values():
        response = client.get(f"/appraisals/{appraisal.id}/impact")
        assert response.status_code == 200, appraisal.title
        soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        central = soup.select_one('#by-trust tfoot td[data-figure="steady_state.chair_hours_per_week"]')
        if appraisal is small["appraisals"]["negative"]:
            # NICE did not recommend it: no trust will be asked to start it, so it adds a known nothing
            assert central.get_text(strip=True) == "0.0"
        else:
            assert central.get_text(strip=True) == "not yet known"
            assert "Figures for this appraisal are not yet known" in soup.get_text(" ", strip=True)
    negative = BeautifulSoup(client.get(f"/appraisals/{small['appraisals']['negative'].id}/impact").get_data(as_text=True), "html.parser")
    assert "no funding requirement: not recommended" in negative.select_one("#deadlines").get_text(" ", strip=True)
    assert client.get("/trusts/TNA/impact").status_code == 200  # a trust with no capacity figures entered
    assert "capacity is not entered" in client.get("/trusts/TNA/impact").get_data(as_text=True)
