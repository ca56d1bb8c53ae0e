"""The regimen editor's phases: a regimen given in phases is shown and edited (issue #11), with CSRF,
errors beside the field, no lost updates and every change audited."""

from __future__ import annotations

import re
from datetime import date

from sqlmodel import Session, select

from appraisal_impact.models import AuditEntry, RegimenPhase, Role
from tests.editing_support import audit_rows, people, regimen_named, signed_in, text_of  # noqa: F401

DURVALUMAB = "Durvalumab 1500 mg perioperative (4 x q3w then up to 12 x q4w)"
ADJUVANT = "Durvalumab 1500 mg q4w adjuvant after surgery (12 cycles)"
ATEZOLIZUMAB = "Atezolizumab 1200 mg q3w adjuvant (1 year)"


def test_the_regimen_page_lists_its_phases_and_a_phase_names_its_course(app, db, people):
    client = signed_in(app, people["viewer"])
    course = regimen_named(db, DURVALUMAB)
    page = text_of(client.get(f"/regimens/{course.id}"))
    phases = re.search(r"<h2>Phases</h2>.*?</table>", page, re.S).group(0)
    assert ADJUVANT in phases and "66%" in phases and "56 days" in phases
    assert "Add a later phase" not in page  # a viewer reads only
    adjuvant = regimen_named(db, ADJUVANT)
    assert f"a later phase of <a href=\"/regimens/{course.id}\">{DURVALUMAB}</a> (phase 2)" in text_of(client.get(f"/regimens/{adjuvant.id}"))


def test_adding_changing_and_removing_a_phase_is_audited(app, db, people):
    client = signed_in(app, people["pharmacist"])
    regimen = regimen_named(db, ATEZOLIZUMAB)
    adjuvant = regimen_named(db, ADJUVANT)
    # bad input: nothing saved, 400, the error beside the field and in the summary
    bad = client.post(f"/regimens/{regimen.id}/phases/new",
                      data={"phase_regimen": "", "share_going_on_pct": "150", "gap_days": "two", "version": "0"})
    assert bad.status_code == 400
    html = text_of(bad)
    assert "There is a problem" in html
    assert "The percentage who go on must be between 0 and 100" in html
    assert "The gap must be a whole number of days, like 56" in html
    assert db.exec(select(RegimenPhase).where(RegimenPhase.regimen_id == regimen.id)).all() == []
    no_regimen = client.post(f"/regimens/{regimen.id}/phases/new",
                             data={"phase_regimen": "", "share_going_on_pct": "50", "gap_days": "0", "version": "0"})
    assert no_regimen.status_code == 400 and "Choose the regimen given in this phase" in text_of(no_regimen)
    # a good one
    added = client.post(f"/regimens/{regimen.id}/phases/new",
                        data={"phase_regimen": str(adjuvant.id), "share_going_on_pct": "50", "gap_days": "28",
                              "source": "Test protocol", "version": "0"})
    assert added.status_code == 302
    db.expire_all()
    phase = db.exec(select(RegimenPhase).where(RegimenPhase.regimen_id == regimen.id)).one()
    assert (phase.position, phase.phase_regimen_id, phase.share_going_on_pct, phase.gap_days) == (2, adjuvant.id, 50, 28)
    created = audit_rows(db, "regimenphase", phase.id)
    assert created[0].action == "create" and created[0].user_id == people["pharmacist"].id
    # change it: the version on the form guards against a lost update
    form = text_of(client.get(f"/regimen-phases/{phase.id}/edit"))
    version = re.search(r'name="version"[^>]*value="([^"]+)"', form).group(1)
    changed = client.post(f"/regimen-phases/{phase.id}/edit",
                          data={"phase_regimen": str(adjuvant.id), "share_going_on_pct": "66", "gap_days": "28",
                                "source": "Test protocol", "version": version})
    assert changed.status_code == 302
    update = [e for e in audit_rows(db, "regimenphase", phase.id) if e.action == "update"]
    assert [(e.field, e.old_value, e.new_value) for e in update] == [("share_going_on_pct", "50", "66")]
    stale = client.post(f"/regimen-phases/{phase.id}/edit",
                        data={"phase_regimen": str(adjuvant.id), "share_going_on_pct": "70", "gap_days": "28",
                              "source": "Test protocol", "version": version})
    assert stale.status_code == 409
    db.expire_all()
    assert db.get(RegimenPhase, phase.id).share_going_on_pct == 66
    # remove it
    phase_id = phase.id
    assert client.post(f"/regimen-phases/{phase_id}/remove").status_code == 302
    db.expire_all()
    assert db.get(RegimenPhase, phase_id) is None
    assert db.exec(select(AuditEntry).where(AuditEntry.entity == "regimenphase", AuditEntry.action == "delete")).one()


def test_a_viewer_may_not_change_phases(app, db, people):
    client = signed_in(app, people["viewer"])
    regimen = regimen_named(db, ATEZOLIZUMAB)
    assert client.post(f"/regimens/{regimen.id}/phases/new",
                       data={"phase_regimen": "1", "share_going_on_pct": "50", "gap_days": "0", "version": "0"}).status_code == 403


def test_phase_form_needs_the_csrf_token(csrf_app):
    from appraisal_impact.models import Regimen
    from appraisal_impact.seeding import seed_database
    from tests.conftest import PASSWORD, make_user

    with Session(csrf_app.extensions["appraisal_impact.engine"], expire_on_commit=False) as session:
        seed_database(session, None, today=date(2026, 6, 1))
        session.commit()
        user = make_user(session, Role.pharmacist, trust_ods="RHM", email="phase.pharmacist@example.nhs.uk")
        regimen = session.exec(select(Regimen).where(Regimen.name == ATEZOLIZUMAB)).one()
        adjuvant = session.exec(select(Regimen).where(Regimen.name == ADJUVANT)).one()
    client = csrf_app.test_client()

    def token(html: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    assert client.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                         "csrf_token": token(text_of(client.get("/sign-in")))}).status_code == 302
    page = text_of(client.get(f"/regimens/{regimen.id}/phases/new"))
    data = {"phase_regimen": str(adjuvant.id), "share_going_on_pct": "50", "gap_days": "0", "version": "0"}
    assert client.post(f"/regimens/{regimen.id}/phases/new", data=data).status_code == 400  # no token: refused
    assert client.post(f"/regimens/{regimen.id}/phases/new", data=data | {"csrf_token": token(page)}).status_code == 302
