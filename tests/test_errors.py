"""Unhandled errors answered as pages, never as a crash: NUL characters, ids too big for the database,
wrong methods, two first saves at the same moment, and a database that cannot be reached. Every error page
is the service's own (NHS layout), and none queries a session left broken by the error (it is rolled back).
Run on SQLite and on PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from appraisal_impact import create_app
from appraisal_impact.models import Appraisal, AuditEntry, DrugPack, Readiness, TrustAppraisalOverride
from appraisal_impact.queries import editing as editing_queries
from tests.conftest import PASSWORD, make_user
from tests.editing_support import people, signed_in, text_of, trust  # noqa: F401
from appraisal_impact.models import Role

NHS_LAYOUT = "Appraisal Impact – NHS"


def _ta1037(session) -> Appraisal:
    return session.exec(select(Appraisal).where(Appraisal.ta_number == "TA1037")).one()


# --- NUL characters -------------------------------------------------------------------------------------


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_a_null_character_in_a_form_field_is_refused_beside_the_field_with_csrf_on(csrf_app):
    from appraisal_impact.seeding import seed_database

    engine = csrf_app.extensions["appraisal_impact.engine"]
    with Session(engine, expire_on_commit=False) as session:
        seed_database(session, None, today=None)
        session.commit()
        lead = make_user(session, Role.lead, confidential=True)
        pack = session.exec(select(DrugPack).where(DrugPack.description == "100 mg vial")).first()
        pack_id, description = pack.id, pack.description
        audit_rows = len(session.exec(select(AuditEntry)).all())
    client = csrf_app.test_client()
    client.post("/sign-in", data={"email": lead.email, "password": PASSWORD, "csrf_token": _token(client.get("/sign-in").get_data(as_text=True))})
    page = client.get(f"/packs/{pack_id}/edit").get_data(as_text=True)
    response = client.post(f"/packs/{pack_id}/edit", data={
        "csrf_token": _token(page), "description": "100 mg\x00 vial", "pack_mg": "100", "list_price": "2630",
        "price_source": "NICE\x00", "version": re.search(r'name="version"[^>]*value="(\d+)"', page).group(1),
    })
    html = text_of(response)
    assert response.status_code == 400
    assert "There is a problem" in html and "<title>Error:" in html
    assert re.search(r'id="description-error"[^>]*>.*?contains a character that cannot be saved \(a null character\)', html, re.S)
    assert re.search(r'id="price_source-error"[^>]*>.*?a null character', html, re.S)
    assert 'href="#description"' in html
    with Session(engine) as session:
        assert session.get(DrugPack, pack_id).description == description
        assert len(session.exec(select(AuditEntry)).all()) == audit_rows


def test_a_null_character_in_a_field_no_form_checks_is_never_saved(app, db, people):
    appraisal = _ta1037(db)
    client = signed_in(app, people["lead"])
    response = client.post(f"/trusts/RHM/appraisals/{appraisal.id}/readiness",
                           data={"status": "assessing", "note": "board paper\x00", "version": ""})
    assert response.status_code == 400
    assert NHS_LAYOUT in text_of(response) and "null character" in text_of(response)
    assert db.exec(select(Readiness)).all() == []
    # the session was rolled back: the next request works
    assert client.get(f"/trusts/RHM/appraisals/{appraisal.id}/readiness").status_code == 200


@pytest.mark.parametrize("url", ["/appraisals/1%00", "/pipeline?site=Lung%00", "/trusts/RH%00M", "/dashboard?icb=%00"])
def test_a_null_character_in_a_web_address_is_bad_input(app, people, url):
    response = signed_in(app, people["viewer"]).get(url)
    assert response.status_code == 400
    html = text_of(response)
    assert NHS_LAYOUT in html and "Sorry, we could not use what was sent" in html and "null character" in html


def test_a_null_character_at_sign_in_is_not_a_crash(app, people):
    response = app.test_client().post("/sign-in", data={"email": "viewer@example.nhs.uk\x00", "password": PASSWORD})
    assert response.status_code in (200, 400)  # refused as a wrong sign-in or as bad input: never 500
    assert NHS_LAYOUT in text_of(response)


# --- ids and methods ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "/appraisals/2147483648", "/appraisals/99999999999999999999999", "/regimens/9223372036854775808",
    "/drugs/2147483648", "/summaries/appraisals/99999999999999999999/summary.csv", "/appraisals/2147483647",
])
def test_an_id_out_of_range_is_not_found(app, people, url):
    response = signed_in(app, people["lead"]).get(url)
    assert response.status_code == 404
    assert "Page not found" in text_of(response) and NHS_LAYOUT in text_of(response)


def test_a_wrong_method_gets_a_styled_page(app, people):
    response = signed_in(app, people["lead"]).get("/confidential-prices/1/remove")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "This page cannot be used that way" in text_of(response) and NHS_LAYOUT in text_of(response)


def test_a_form_sent_without_its_token_gets_a_styled_page(csrf_app):
    response = csrf_app.test_client().post("/sign-in", data={"email": "a@b.c", "password": "x"})
    assert response.status_code == 400
    assert "Sorry, we could not use what was sent" in text_of(response) and NHS_LAYOUT in text_of(response)
    assert "The form had expired or was not sent from this service" in text_of(response)
    assert "CSRF" not in text_of(response)


# --- two first saves at the same moment -----------------------------------------------------------------


def test_a_first_save_racing_another_is_a_conflict_not_a_crash(app, db, people, monkeypatch):
    """The second of two first saves of a trust's patients a year: its check for an existing row ran before
    the first committed, so its insert breaks the unique rule (trust, appraisal)."""
    appraisal = _ta1037(db)
    rhm = trust(db, "RHM")
    db.add(TrustAppraisalOverride(trust_id=rhm.id, appraisal_id=appraisal.id, patients_per_year=12, note="first editor"))
    db.commit()
    # what the second editor's request saw when it looked: no row yet
    monkeypatch.setattr(editing_queries, "appraisal_override", lambda **_kw: None)
    client = signed_in(app, people["pharmacist"])
    response = client.post(f"/trusts/RHM/appraisals/{appraisal.id}/patients",
                           data={"patients_per_year": "30", "note": "second editor", "version": "0"})
    assert response.status_code == 409
    html = text_of(response)
    assert "Someone saved this at the same moment" in html and "nothing you entered has been saved" in html
    assert NHS_LAYOUT in html  # the page rendered: its layout's own query ran on a rolled-back session
    rows = db.exec(select(TrustAppraisalOverride)).all()
    db.refresh(rows[0])
    assert [(r.patients_per_year, r.note) for r in rows] == [(12, "first editor")]


# --- the database is down -------------------------------------------------------------------------------


def _unreachable_database_url(tmp_path) -> str:
    # nothing listens on port 1 (a missing SQLite folder is no longer a way down: the app creates it)
    return "postgresql://postgres@127.0.0.1:1/test?connect_timeout=2"


def _down_app(tmp_path):
    return create_app({"TESTING": True, "DATABASE_URL": _unreachable_database_url(tmp_path), "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                       "SERVER_NAME": "localhost"})


def _assert_branded_503(response):
    assert response.status_code == 503
    html = text_of(response)
    assert "Sorry, the service is unavailable" in html and NHS_LAYOUT in html
    assert response.headers["Retry-After"] == "60"


def test_a_branded_page_when_the_database_is_down(tmp_path):
    app = _down_app(tmp_path)
    client = app.test_client()
    # signing in needs the database
    _assert_branded_503(client.post("/sign-in", data={"email": "viewer@example.nhs.uk", "password": PASSWORD}))
    # a signed-in user's next page (the user is looked up first)
    with client.session_transaction() as cookie:
        cookie["_user_id"] = "1"
        cookie["_fresh"] = True
    _assert_branded_503(client.get("/pipeline"))
    _assert_branded_503(client.get("/appraisals/1"))
    # a page that needs nothing from the database still renders; monitoring sees the database is down
    assert app.test_client().get("/about").status_code == 200
    assert app.test_client().get("/health").status_code == 503
    app.extensions["appraisal_impact.engine"].dispose()
