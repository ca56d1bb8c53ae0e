"""Readiness sign-off: who may set it, what is saved and recorded, bad input, concurrent edits, CSRF."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlmodel import Session, select

from appraisal_impact import impact_service, queries
from appraisal_impact.models import AuditEntry, Readiness, Role
from tests.conftest import make_user, sign_in


@pytest.fixture(autouse=True)
def _fresh_impact_cache():
    impact_service.clear_cache()
    yield
    impact_service.clear_cache()


def _ids(db, ods="RHM", ta="TA1037"):
    trust = queries.get_trust_by_ods(session=db, ods_code=ods)
    appraisal = queries.find_appraisal(session=db, reference=ta)
    return trust, appraisal


def _url(trust, appraisal):
    return f"/trusts/{trust.ods_code}/appraisals/{appraisal.id}/readiness"


def _saved(db, trust, appraisal) -> Readiness | None:
    db.expire_all()
    return db.exec(select(Readiness).where(Readiness.trust_id == trust.id, Readiness.appraisal_id == appraisal.id)).first()


def test_lead_marks_any_trust_ready_and_it_is_recorded(client, users, seeded):
    trust, appraisal = _ids(seeded, "R0D")
    sign_in(client, users["lead"])
    form = client.get(_url(trust, appraisal))
    assert form.status_code == 200
    assert "No readiness has been recorded yet" in form.get_data(as_text=True)
    response = client.post(_url(trust, appraisal), data={"status": "ready", "note": "Chairs found at Poole", "version": ""})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/trusts/R0D/impact#readiness")
    row = _saved(seeded, trust, appraisal)
    assert (row.status, row.note, row.set_by_id) == ("ready", "Chairs found at Poole", users["lead"].id)
    created = seeded.exec(select(AuditEntry).where(AuditEntry.entity == "readiness", AuditEntry.entity_id == row.id)).all()
    assert [e.action for e in created] == ["create"] and created[0].user_id == users["lead"].id

    page = client.get("/trusts/R0D/impact").get_data(as_text=True)
    assert "Chairs found at Poole" in page and "Test lead" in page

    # change it: the version on the form must match
    response = client.post(_url(trust, appraisal), data={"status": "implemented", "note": "Live", "version": str(row.version)})
    assert response.status_code == 302
    row = _saved(seeded, trust, appraisal)
    assert row.status == "implemented" and row.version == 2
    updates = seeded.exec(select(AuditEntry).where(AuditEntry.entity == "readiness", AuditEntry.action == "update")).all()
    assert {(e.field, e.old_value, e.new_value) for e in updates} == {("status", "ready", "implemented"), ("note", "Chairs found at Poole", "Live")}


def test_pharmacist_sets_their_own_trust_only(client, users, seeded):
    own, appraisal = _ids(seeded, "RHM")
    other, _ = _ids(seeded, "R0D")
    sign_in(client, users["pharmacist"])  # RHM
    assert client.post(_url(own, appraisal), data={"status": "assessing", "version": ""}).status_code == 302
    assert _saved(seeded, own, appraisal).status == "assessing"
    assert client.get(_url(other, appraisal)).status_code == 403
    assert client.post(_url(other, appraisal), data={"status": "ready", "version": ""}).status_code == 403
    assert _saved(seeded, other, appraisal) is None


@pytest.mark.parametrize("role", ["viewer", "alliance"])
def test_viewers_and_alliance_staff_may_not_set_readiness(client, users, seeded, role):
    trust, appraisal = _ids(seeded)
    sign_in(client, users[role])
    assert client.post(_url(trust, appraisal), data={"status": "ready", "version": ""}).status_code == 403
    assert _saved(seeded, trust, appraisal) is None


def test_admin_may_set_any_trust(client, users, seeded):
    trust, appraisal = _ids(seeded, "RBD")
    sign_in(client, users["admin"])
    assert client.post(_url(trust, appraisal), data={"status": "assessing", "version": ""}).status_code == 302


def test_bad_input_shows_errors_keeps_input_and_saves_nothing(client, users, seeded):
    trust, appraisal = _ids(seeded)
    sign_in(client, users["lead"])
    response = client.post(_url(trust, appraisal), data={"status": "nearly", "note": "x" * 2001, "version": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r"<title>\s*Error: ", html)
    assert "There is a problem" in html
    assert 'href="#status"' in html and 'href="#note"' in html
    assert "Select how ready the trust is" in html and "2,000 characters or fewer" in html
    assert "x" * 2001 in html  # input kept
    assert _saved(seeded, trust, appraisal) is None


def test_a_concurrent_change_is_not_overwritten(client, users, seeded):
    trust, appraisal = _ids(seeded)
    sign_in(client, users["lead"])
    client.post(_url(trust, appraisal), data={"status": "assessing", "note": "first", "version": ""})
    opened_version = _saved(seeded, trust, appraisal).version
    # someone else saves in between
    other = make_user(seeded, Role.lead, email="other-lead@example.nhs.uk", name="Other lead")
    second = client.application.test_client()
    sign_in(second, other)
    assert second.post(_url(trust, appraisal), data={"status": "ready", "note": "theirs", "version": str(opened_version)}).status_code == 302
    # the first editor's save, on the version they opened, is refused
    response = client.post(_url(trust, appraisal), data={"status": "not started", "note": "mine", "version": str(opened_version)})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this readiness" in html
    assert "theirs" in html and "mine" in html  # their saved note shown, my input kept
    row = _saved(seeded, trust, appraisal)
    assert (row.status, row.note) == ("ready", "theirs")


def test_two_first_saves_do_not_overwrite_each_other(client, users, seeded):
    trust, appraisal = _ids(seeded)
    sign_in(client, users["lead"])
    assert client.post(_url(trust, appraisal), data={"status": "assessing", "version": ""}).status_code == 302
    # a second form opened before any readiness existed carries no version
    response = client.post(_url(trust, appraisal), data={"status": "ready", "version": ""})
    assert response.status_code == 409
    assert _saved(seeded, trust, appraisal).status == "assessing"


def test_readiness_needs_a_csrf_token(csrf_app):
    from appraisal_impact.seeding import seed_database

    with Session(csrf_app.extensions["appraisal_impact.engine"], expire_on_commit=False) as db:
        seed_database(db, None, today=date(2026, 6, 1))
        db.commit()
        lead = make_user(db, Role.lead)
        trust, appraisal = _ids(db)
    client = csrf_app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/sign-in", data={"email": lead.email, "password": "correct horse battery staple", "csrf_token": token})
    refused = client.post(_url(trust, appraisal), data={"status": "ready", "version": ""})
    assert refused.status_code == 400
    form = client.get(_url(trust, appraisal)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    accepted = client.post(_url(trust, appraisal), data={"status": "ready", "version": "", "csrf_token": token})
    assert accepted.status_code == 302


def test_unsafe_next_is_ignored(client, users, seeded):
    trust, appraisal = _ids(seeded)
    sign_in(client, users["lead"])
    response = client.post(_url(trust, appraisal), data={"status": "ready", "version": "", "next": "//evil.example/"})
    assert response.headers["Location"].endswith(f"/trusts/{trust.ods_code}/impact#readiness")
