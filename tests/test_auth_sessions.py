"""Sessions end on the server: signing out (through the header's own form, CSRF on), idling, a long day,
a password change and deactivation. Times come from a clock the test moves, never the real one."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from appraisal_impact.models import Role, SignInSession, User
from tests.conftest import CsrfClient, make_user

START = datetime(2026, 6, 1, 9, 0)


class Clock:
    """Stands in for the app's clock (the CLOCK setting): a moment the test moves on by hand."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock(csrf_app):
    clock = Clock(START)
    csrf_app.config["CLOCK"] = clock
    return clock


@pytest.fixture
def viewer(csrf_db):
    return make_user(csrf_db, Role.viewer, email="viewer@example.nhs.uk", name="Vera Viewer")


def signed_in(client: CsrfClient) -> bool:
    response = client.get("/pipeline")
    return response.status_code == 200


def test_sign_out_through_the_header_form_with_its_token(csrf_client, viewer):
    assert csrf_client.sign_in(viewer).status_code == 302
    assert signed_in(csrf_client)
    response = csrf_client.sign_out()
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert "You have signed out." in csrf_client.get("/sign-in").get_data(as_text=True)
    assert not signed_in(csrf_client)


def test_sign_out_without_a_token_is_refused_and_leaves_you_signed_in(csrf_client, viewer):
    csrf_client.sign_in(viewer)
    assert csrf_client.client.post("/sign-out").status_code == 400
    assert signed_in(csrf_client)


def test_a_replayed_cookie_is_refused_after_sign_out(csrf_app, csrf_client, csrf_db, viewer):
    csrf_client.sign_in(viewer)
    stolen = csrf_client.client.get_cookie("session").value
    csrf_client.sign_out()

    replay = CsrfClient(csrf_app)
    replay.client.set_cookie("session", stolen, domain="localhost")
    response = replay.get("/pipeline")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    row = csrf_db.exec(select(SignInSession).where(SignInSession.user_id == viewer.id)).one()
    assert row.ended_reason == "signed out" and row.ended_at is not None


def test_the_cookie_holds_a_session_token_not_the_user_id(csrf_client, csrf_db, viewer):
    csrf_client.sign_in(viewer)
    with csrf_client.client.session_transaction() as cookie:
        token = cookie["_user_id"]
    assert token != str(viewer.id) and len(token) >= 40
    row = csrf_db.exec(select(SignInSession).where(SignInSession.user_id == viewer.id)).one()
    assert token not in row.token_hash  # only its hash is kept


def test_idle_for_30_minutes_signs_you_out(csrf_client, viewer, clock):
    csrf_client.sign_in(viewer)
    clock.advance(minutes=29)
    assert signed_in(csrf_client)  # activity at 9:29 ...
    clock.advance(minutes=29)
    assert signed_in(csrf_client)  # ... and 9:58: never 30 minutes idle
    clock.advance(minutes=31)
    response = csrf_client.get("/pipeline")
    assert response.status_code == 302
    page = csrf_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "had not used the tool for 30 minutes" in page
    assert not signed_in(csrf_client)


def test_the_idle_limit_is_a_setting(csrf_app, csrf_client, viewer, clock):
    csrf_app.config["SESSION_IDLE_MINUTES"] = 10
    csrf_client.sign_in(viewer)
    clock.advance(minutes=9)
    assert signed_in(csrf_client)
    clock.advance(minutes=11)
    assert not signed_in(csrf_client)


def test_a_session_ends_after_its_absolute_lifetime_however_busy(csrf_app, csrf_client, viewer, clock):
    csrf_app.config["SESSION_MAX_HOURS"] = 2
    csrf_client.sign_in(viewer)
    for _ in range(6):  # busy every 20 minutes until 11:00
        clock.advance(minutes=20)
        assert signed_in(csrf_client)
    clock.advance(minutes=1)  # 11:01: two hours and a minute after signing in
    response = csrf_client.get("/pipeline")
    assert response.status_code == 302
    assert "signed in for 2 hours" in csrf_client.get(response.headers["Location"]).get_data(as_text=True)


def test_changing_your_password_ends_your_other_sessions_but_not_this_one(csrf_app, csrf_client, viewer, clock):
    elsewhere = CsrfClient(csrf_app)
    elsewhere.sign_in(viewer)
    csrf_client.sign_in(viewer)
    clock.advance(minutes=5)
    response = csrf_client.submit("/account/password", data={
        "current_password": "correct horse battery staple",
        "new_password": "lantern pebble meadow", "confirm_password": "lantern pebble meadow"})
    assert response.status_code == 302
    assert signed_in(csrf_client)
    assert not signed_in(elsewhere)
    assert "your password was changed" in elsewhere.get("/sign-in").get_data(as_text=True)


def test_a_password_set_elsewhere_ends_the_session(csrf_client, csrf_db, viewer, clock):
    """However the password changes (an administrator's reset link, a command), sessions begun before end."""
    csrf_client.sign_in(viewer)
    clock.advance(minutes=1)
    user = csrf_db.get(User, viewer.id)
    user.password_changed_at = clock()
    csrf_db.add(user)
    csrf_db.commit()
    assert not signed_in(csrf_client)


def test_deactivating_a_user_signs_them_out_at_once(csrf_app, csrf_client, csrf_db, viewer):
    admin = make_user(csrf_db, Role.admin, email="admin@example.nhs.uk", name="Ada Admin")
    csrf_client.sign_in(viewer)
    administrator = CsrfClient(csrf_app)
    administrator.sign_in(admin)
    page = f"/admin/users/{viewer.id}"
    response = administrator.submit(page, f"/admin/users/{viewer.id}/active", data={"active": "no", "version": "1"})
    assert response.status_code == 302
    assert not signed_in(csrf_client)
    assert csrf_client.sign_in(viewer).status_code == 400
    rows = csrf_db.exec(select(SignInSession).where(SignInSession.user_id == viewer.id)).all()
    assert [r.ended_reason for r in rows] == ["deactivated"]
