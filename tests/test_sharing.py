"""Share links: tokens and their hashes, expiry, withdrawal (410 at once), snapshot against live, noindex,
who may share, and the form's errors."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from appraisal_impact import sharing
from appraisal_impact.audit import Actor, apply_changes
from appraisal_impact.models import Appraisal, AuditEntry, Icb, ShareLink
from appraisal_impact.models import Role
from tests.conftest import PASSWORD, TEST_TODAY, make_user, sign_in

# --- the pure rules ---------------------------------------------------------------------------------


def test_a_token_is_43_url_safe_characters_and_never_repeats():
    tokens = {sharing.new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)


def test_the_hash_is_the_sha256_hex_digest_of_the_token():
    assert sharing.hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert sharing.same_hash(sharing.hash_token("abc"), "abc")
    assert not sharing.same_hash(sharing.hash_token("abc"), "abd")


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer", None), ("", None), (None, None)],
)
def test_bearer_token_is_read_from_the_authorization_header(header, token):
    assert sharing.bearer_token(header) == token


def test_expiry_rules():
    today = date(2026, 6, 1)
    assert sharing.default_expiry(today, 30) == date(2026, 7, 1)
    assert sharing.default_expiry(today, 5000) == date(2027, 6, 1)  # never beyond the maximum (365 days)
    assert sharing.expiry_problem(date(2026, 5, 31), today) is not None
    assert sharing.expiry_problem(today, today) is None
    assert sharing.expiry_problem(date(2027, 6, 1), today) is None
    assert sharing.expiry_problem(date(2027, 6, 2), today) is not None
    assert sharing.expiry_problem(None, today) is not None


def test_a_link_works_to_the_end_of_its_expiry_day_and_withdrawal_beats_everything():
    ends = sharing.expires_at_end_of(date(2026, 7, 1))
    assert ends == datetime(2026, 7, 2, 0, 0)
    assert sharing.last_day_of(ends) == date(2026, 7, 1)
    state = sharing.link_state
    assert state(expires_at=ends, revoked_at=None, now=datetime(2026, 7, 1, 23, 59, 59)) is sharing.LinkState.ACTIVE
    assert state(expires_at=ends, revoked_at=None, now=datetime(2026, 7, 2, 0, 0)) is sharing.LinkState.EXPIRED
    assert state(expires_at=ends, revoked_at=datetime(2026, 6, 2), now=datetime(2026, 6, 1)) is sharing.LinkState.REVOKED


# --- through the app ---------------------------------------------------------------------------------


def _form(target: str, *, label="Dorset ICB board, July 2026", figures="snapshot", expires: date | None = None) -> dict:
    expires = expires or TEST_TODAY + timedelta(days=30)
    return {"target": target, "label": label, "figures": figures,
            "expires-day": str(expires.day), "expires-month": str(expires.month), "expires-year": str(expires.year)}


def _create(client, target: str, **kwargs) -> str:
    """Create a link through the form; return its path (/s/<token>), read from the page that shows it once."""
    response = client.post("/sharing/new", data=_form(target, **kwargs))
    assert response.status_code == 201, response.get_data(as_text=True)[:2000]
    found = re.search(r'id="share-url"[^>]*value="http://localhost(/s/[A-Za-z0-9_-]{43})"', response.get_data(as_text=True))
    assert found, "the new link is shown on the page"
    return found.group(1)


def _icb(db, code="QVV") -> Icb:
    return db.exec(select(Icb).where(Icb.ods_code == code)).one()


def _appraisal(db, ta="TA823") -> Appraisal:
    return db.exec(select(Appraisal).where(Appraisal.ta_number == ta)).one()


def test_alliance_staff_create_a_link_that_opens_signed_out_and_only_the_hash_is_kept(app, client, db, users):
    sign_in(client, users["alliance"])
    icb = _icb(db)
    path = _create(client, f"icb:{icb.id}")
    token = path.rsplit("/", 1)[1]

    link = db.exec(select(ShareLink)).one()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (link.snapshot_json or "")
    assert link.label == "Dorset ICB board, July 2026" and link.summary == "icb" and link.target_id == icb.id
    assert link.created_by_id == users["alliance"].id
    assert db.exec(select(AuditEntry).where(AuditEntry.entity == "sharelink", AuditEntry.action == "create")).first()

    reader = app.test_client()  # signed out
    response = reader.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert icb.name in page
    assert "Figures as at" in page
    assert "Sign in" not in page and "Sign out" not in page
    assert 'href="/pipeline"' not in page  # no app navigation
    # the token is never shown on the list again
    listing = client.get("/sharing").get_data(as_text=True)
    assert token not in listing
    assert "Dorset ICB board, July 2026" in listing


def test_shared_pages_are_noindex_uncached_and_send_no_referrer(app, client, db, users):
    sign_in(client, users["alliance"])
    path = _create(client, f"appraisal:{_appraisal(db).id}")
    reader = app.test_client()
    for url in (path, path + "/print", path + "/summary.csv"):
        response = reader.get(url)
        assert response.status_code == 200, url
        assert "noindex" in response.headers["X-Robots-Tag"]
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.headers["X-Frame-Options"] == "DENY"
    page = reader.get(path).get_data(as_text=True)
    assert re.search(r'<meta name="robots" content="noindex[^"]*">', page)


def test_withdrawing_a_link_makes_it_answer_410_at_once(app, client, db, users):
    sign_in(client, users["alliance"])
    path = _create(client, f"icb:{_icb(db).id}")
    reader = app.test_client()
    assert reader.get(path).status_code == 200
    link = db.exec(select(ShareLink)).one()

    response = client.post(f"/sharing/{link.id}/revoke")
    assert response.status_code == 302

    for url in (path, path + "/summary.pdf", path + "/summary.xlsx", path + "/summary.csv", path + "/print"):
        gone = reader.get(url)
        assert gone.status_code == 410, url
    gone = reader.get(path)
    assert "This link no longer works" in gone.get_data(as_text=True)
    assert "noindex" in gone.headers["X-Robots-Tag"]
    db.expire_all()
    assert db.get(ShareLink, link.id).revoked_at is not None
    assert db.exec(select(AuditEntry).where(AuditEntry.entity == "sharelink", AuditEntry.field == "revoked_at")).first()
    assert "Withdrawn" in client.get("/sharing").get_data(as_text=True)


def test_an_expired_link_answers_410(app, client, db, users):
    sign_in(client, users["alliance"])
    path = _create(client, f"icb:{_icb(db).id}")
    link = db.exec(select(ShareLink)).one()
    link.expires_at = sharing.expires_at_end_of(TEST_TODAY - timedelta(days=1))
    db.add(link)
    db.commit()
    assert app.test_client().get(path).status_code == 410
    assert "Expired" in client.get("/sharing").get_data(as_text=True)


def test_an_unknown_token_is_not_found(app, users):
    reader = app.test_client()
    assert reader.get("/s/" + sharing.new_token()).status_code == 404
    assert reader.get("/s/short").status_code == 404


def test_the_list_shows_when_a_link_was_last_opened_and_how_often(app, client, db, users):
    sign_in(client, users["alliance"])
    path = _create(client, f"icb:{_icb(db).id}")
    assert "Not opened yet" in client.get("/sharing").get_data(as_text=True)
    reader = app.test_client()
    for _ in range(3):
        reader.get(path)
    db.expire_all()
    link = db.exec(select(ShareLink)).one()
    assert link.open_count == 3
    assert link.last_opened_at is not None
    listing = client.get("/sharing").get_data(as_text=True)
    assert "Not opened yet" not in listing
    row = re.search(r"<tr>\s*<th scope=\"row\">Dorset ICB board.*?</tr>", listing, re.S).group(0)
    assert re.search(r'<td class="app-numeric">3</td>', row)


def _chair_hours_of_trust(page: str, trust_name: str) -> str:
    """The chair-hours cell of a trust's row in the time table of an appraisal summary."""
    table = re.search(r"Time needed each week, by trust.*?</table>", page, re.S).group(0)
    row = re.search(rf'<th scope="row">{re.escape(trust_name)}.*?</tr>', table, re.S).group(0)
    return re.search(r'<td class="app-numeric" data-figure="chair_hours_per_week">([^<]*)</td>', row).group(1)


def test_a_snapshot_keeps_the_figures_as_shared_and_a_live_link_shows_new_ones(app, client, db, users):
    sign_in(client, users["alliance"])
    appraisal = _appraisal(db)
    snapshot = _create(client, f"appraisal:{appraisal.id}", figures="snapshot", label="Snapshot")
    live = _create(client, f"appraisal:{appraisal.id}", figures="live", label="Live")
    reader = app.test_client()
    trust = "University Hospital Southampton NHS Foundation Trust"
    before_snapshot = _chair_hours_of_trust(reader.get(snapshot).get_data(as_text=True), trust)
    before_live = _chair_hours_of_trust(reader.get(live).get_data(as_text=True), trust)
    assert before_snapshot == before_live
    assert float(before_live) > 0

    # Twice as many eligible people: twice the chair time, once the figures are worked out again.
    row = db.get(Appraisal, appraisal.id)
    apply_changes(db, Actor(users["lead"].id, "lead", "web"), row,
                  {"national_eligible_per_year": row.national_eligible_per_year * 2})
    db.commit()

    after_snapshot = _chair_hours_of_trust(reader.get(snapshot).get_data(as_text=True), trust)
    after_live = _chair_hours_of_trust(reader.get(live).get_data(as_text=True), trust)
    assert after_snapshot == before_snapshot
    assert float(after_live) == pytest.approx(2 * float(before_live), abs=0.11)


@pytest.mark.parametrize("role", [Role.viewer, Role.pharmacist])
def test_only_alliance_staff_leads_and_admins_may_share(client, db, users, role):
    # (made here with a lower-case email: conftest's "pharmacist-RHM@..." cannot sign in, as sign-in lower-cases)
    sign_in(client, make_user(db, role, email=f"{role.value}.sharing@example.nhs.uk", trust_ods="RHM", confidential=True))
    assert client.get("/sharing").status_code == 403
    assert client.get("/sharing/new").status_code == 403
    assert client.post("/sharing/new", data=_form(f"icb:{_icb(db).id}")).status_code == 403
    assert db.exec(select(ShareLink)).first() is None


def test_signed_out_people_are_sent_to_sign_in(client, users):
    response = client.get("/sharing")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("role", ["lead", "admin"])
def test_leads_and_admins_may_share_too(client, db, users, role):
    sign_in(client, users[role])
    _create(client, f"icb:{_icb(db).id}")


def test_another_person_may_withdraw_a_link_only_with_a_sharing_role(client, app, db, users):
    sign_in(client, users["alliance"])
    _create(client, f"icb:{_icb(db).id}")
    link = db.exec(select(ShareLink)).one()
    viewer = app.test_client()
    sign_in(viewer, users["viewer"])
    assert viewer.post(f"/sharing/{link.id}/revoke").status_code == 403
    db.expire_all()
    assert db.get(ShareLink, link.id).revoked_at is None


def test_bad_input_shows_errors_keeps_the_input_and_saves_nothing(client, db, users):
    sign_in(client, users["alliance"])
    too_late = TEST_TODAY + timedelta(days=sharing.MAX_LINK_DAYS + 1)
    response = client.post("/sharing/new", data=_form("icb:999999", label="x" * 201, figures="", expires=too_late))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r"<title>\s*Error: ", page)
    assert "There is a problem" in page
    for message, field_id in [("Select the summary to share", "target"),
                              ("The label must be 200 characters or fewer", "label"),
                              ("Select whether the figures are frozen now or kept up to date", "figures-snapshot"),
                              (f"must be within {sharing.MAX_LINK_DAYS} days of today", "expires-day")]:
        assert message in page
        assert f'href="#{field_id}"' in page
    assert 'value="' + "x" * 201 + '"' in page  # input kept
    assert f'value="{too_late.year}"' in page
    assert db.exec(select(ShareLink)).first() is None


def test_a_date_in_the_past_or_not_a_date_is_refused(client, db, users):
    sign_in(client, users["alliance"])
    target = f"icb:{_icb(db).id}"
    assert client.post("/sharing/new", data=_form(target, expires=TEST_TODAY - timedelta(days=1))).status_code == 400
    bad = _form(target) | {"expires-day": "31", "expires-month": "2"}
    response = client.post("/sharing/new", data=bad)
    assert response.status_code == 400
    assert "must be a real date" in response.get_data(as_text=True)
    assert db.exec(select(ShareLink)).first() is None


def test_the_form_offers_the_configured_default_expiry(app, client, db, users):
    app.config["SHARE_LINK_DAYS"] = 14
    sign_in(client, users["alliance"])
    expected = TEST_TODAY + timedelta(days=14)
    page = client.get(f"/sharing/new?target=icb:{_icb(db).id}").get_data(as_text=True)
    assert f'id="expires-day" name="expires-day" type="text" inputmode="numeric" value="{expected.day}"' in page
    assert f'value="icb:{_icb(db).id}" selected' in page


def test_creating_a_link_needs_the_csrf_token(csrf_app):
    from sqlmodel import Session

    from appraisal_impact.db import engine
    from appraisal_impact.seeding import seed_database

    with csrf_app.app_context():
        with Session(engine(), expire_on_commit=False) as session:
            seed_database(session, None, today=date(2026, 6, 1))
            session.commit()
            user = make_user(session, Role.alliance)
            icb = _icb(session)
        client = csrf_app.test_client()
        page = client.get("/sign-in").get_data(as_text=True)
        token = re.search(r'data-token="([^"]+)"', page).group(1)
        signed_in = client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        assert signed_in.status_code == 302
        refused = client.post("/sharing/new", data=_form(f"icb:{icb.id}"))
        assert refused.status_code == 400  # no CSRF token
        accepted = client.post("/sharing/new", data=_form(f"icb:{icb.id}") | {"csrf_token": token})
        assert accepted.status_code == 201
        with Session(engine()) as session:
            assert len(session.exec(select(ShareLink)).all()) == 1


def test_withdrawing_with_htmx_returns_only_the_list(app, client, db, users):
    sign_in(client, users["alliance"])
    path = _create(client, f"icb:{_icb(db).id}")
    link = db.exec(select(ShareLink)).one()
    response = client.post(f"/sharing/{link.id}/revoke", headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="share-links-list">')
    assert "<html" not in fragment
    assert "has been withdrawn" in fragment and "Withdrawn" in fragment
    assert "HX-Request" in response.headers["Vary"]
    assert app.test_client().get(path).status_code == 410
    whole = client.get("/sharing")
    assert "<html" in whole.get_data(as_text=True) and 'id="share-links-list"' in whole.get_data(as_text=True)


def test_a_link_to_nice_that_is_not_a_web_address_is_not_made_a_link(app, client, db, users):
    appraisal = _appraisal(db)
    apply_changes(db, Actor(users["lead"].id, "lead", "web"), appraisal, {"nice_url": "javascript:alert(1)"})
    db.commit()
    sign_in(client, users["alliance"])
    page = app.test_client().get(_create(client, f"appraisal:{appraisal.id}")).get_data(as_text=True)
    assert "javascript:" not in page
    assert "The appraisal on the NICE website" not in page
