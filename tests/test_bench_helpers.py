"""The page benchmarks' helpers (bench/common.py), and what bench_load counts on: a save through the real form
lands (302), the same save from a form opened before someone else's save is refused as a conflict (409)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from appraisal_impact.models import Appraisal, Role, Trust, TrustAppraisalOverride
from appraisal_impact.seeding import seed_database
from bench.common import csrf_token, form_fields, percentile
from tests.conftest import PASSWORD, make_user

FORM_PAGE = """
<span hidden id="csrf" data-token="header-token"></span>
<form method="post" action="/elsewhere"><input name="csrf_token" value="not this one"></form>
<form method="post" action="/trusts/RHM/appraisals/3/patients?next=%2F" id="override-form">
  <input type="hidden" name="csrf_token" value="form-token">
  <input type="hidden" name="version" value="4">
  <input type="number" name="patients_per_year" value="24">
  <input type="text" name="note">
  <input type="checkbox" name="confirmed" value="yes" checked>
  <input type="checkbox" name="not_ticked" value="yes">
  <input type="text" name="switched_off" value="x" disabled>
  <select name="scenario"><option value="low">Low</option><option value="central" selected>Central</option></select>
  <select name="site"><option value="lung">Lung</option></select>
  <textarea name="reason">Our MDT</textarea>
  <button type="submit" name="action" value="save">Save</button>
  <input type="submit" name="go" value="Go">
</form>
"""


def test_percentile_is_the_nearest_rank():
    assert percentile([40.0, 10.0, 30.0, 20.0], 0.5) == 20.0  # rank ceil(0.5 x 4) = 2
    assert percentile([40.0, 10.0, 30.0, 20.0], 0.95) == 40.0  # rank ceil(3.8) = 4
    assert percentile(list(range(1, 101)), 0.99) == 99  # rank 99 of 1..100
    assert percentile([7.0], 0.99) == 7.0


def test_form_fields_are_what_a_browser_sends_for_that_form():
    assert form_fields(FORM_PAGE, "/trusts/RHM/appraisals/3/patients") == {
        "csrf_token": "form-token", "version": "4", "patients_per_year": "24", "note": "", "confirmed": "yes",
        "scenario": "central", "site": "lung", "reason": "Our MDT",
    }
    assert csrf_token(FORM_PAGE) == "header-token"  # the layout's holder, which htmx sends as X-CSRFToken


def test_a_save_lands_and_the_same_save_from_a_stale_form_is_refused_as_a_conflict(csrf_app):
    engine = csrf_app.extensions["appraisal_impact.engine"]
    with Session(engine, expire_on_commit=False) as session:
        seed_database(session, None, today=date(2026, 6, 1))
        session.commit()
        first = make_user(session, Role.pharmacist, trust_ods="RHM", email="first.pharmacist@example.nhs.uk")
        second = make_user(session, Role.pharmacist, trust_ods="RHM", email="second.pharmacist@example.nhs.uk")
        appraisal = session.exec(select(Appraisal).order_by(Appraisal.id)).first()
        trust = session.exec(select(Trust).where(Trust.ods_code == "RHM")).one()
    path = f"/trusts/RHM/appraisals/{appraisal.id}/patients"
    clients = []
    for user in (first, second):
        client = csrf_app.test_client()
        sign_in_page = client.get("/sign-in").get_data(as_text=True)
        response = client.post("/sign-in", data=form_fields(sign_in_page, "/sign-in") | {"email": user.email, "password": PASSWORD})
        assert response.status_code == 302
        clients.append(client)
    pages = [client.get(path).get_data(as_text=True) for client in clients]  # both open the form first

    preview = clients[0].post(f"{path}/preview", data=form_fields(pages[0], path) | {"patients_per_year": "31"},
                              headers={"HX-Request": "true", "X-CSRFToken": csrf_token(pages[0])})
    assert preview.status_code == 200
    landed = clients[0].post(path, data=form_fields(pages[0], path) | {"patients_per_year": "31", "note": "Our MDT"})
    assert landed.status_code == 302
    refused = clients[1].post(path, data=form_fields(pages[1], path) | {"patients_per_year": "45", "note": "Our audit"})
    assert refused.status_code == 409

    with Session(engine) as session:
        stored = session.exec(select(TrustAppraisalOverride).where(
            TrustAppraisalOverride.trust_id == trust.id, TrustAppraisalOverride.appraisal_id == appraisal.id)).one()
        assert stored.patients_per_year == 31
