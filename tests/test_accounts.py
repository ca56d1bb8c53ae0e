"""Accounts: administrators invite, change roles, deactivate and send reset links (one-time, expiring,
sent by email through a real SMTP client to a local SMTP server); users change their own password."""

from __future__ import annotations

import re
import socket
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from sqlmodel import select

from appraisal_impact.models import AccountLink, AuditEntry, Role, User
from tests.conftest import PASSWORD, CsrfClient, make_user

START = datetime(2026, 6, 1, 9, 0)
BASE_URL = "https://impact.wessex.example.nhs.uk"


class Clock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)


class Inbox:
    """What the local SMTP server received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted for delivery"

    def last_link(self) -> str:
        body = self.messages[-1].get_content()
        return re.search(r"https?://\S+", body).group(0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(csrf_app):
    """A real SMTP server on 127.0.0.1 (aiosmtpd), with the app's MAIL_* settings pointing at it."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    csrf_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_DEFAULT_SENDER="impact@wessex.example.nhs.uk",
                           PUBLIC_BASE_URL=BASE_URL)
    yield inbox
    controller.stop()


@pytest.fixture
def clock(csrf_app):
    clock = Clock(START)
    csrf_app.config["CLOCK"] = clock
    return clock


@pytest.fixture
def admin_client(csrf_app, csrf_db):
    admin = make_user(csrf_db, Role.admin, email="admin@example.nhs.uk", name="Ada Admin")
    client = CsrfClient(csrf_app)
    assert client.sign_in(admin).status_code == 302
    client.admin = admin
    return client


def _path(link: str) -> str:
    assert link.startswith(BASE_URL + "/"), link
    return link.removeprefix(BASE_URL)


def test_only_administrators_manage_users(csrf_client, csrf_db):
    viewer = make_user(csrf_db, Role.viewer, email="viewer@example.nhs.uk")
    csrf_client.sign_in(viewer)
    for url in ("/admin/users", "/admin/users/invite", f"/admin/users/{viewer.id}", "/admin/sign-ins"):
        assert csrf_client.get(url).status_code == 403, url


def test_invite_sends_a_one_time_link_that_sets_the_password(csrf_app, admin_client, csrf_db, inbox, clock):
    response = admin_client.submit("/admin/users/invite", data={
        "email": "New.Nurse@Example.nhs.uk", "name": "Nia Nurse", "role": "viewer", "trust": ""})
    assert response.status_code == 302
    user = csrf_db.exec(select(User).where(User.email == "new.nurse@example.nhs.uk")).one()
    assert user.role == Role.viewer and user.active

    message = inbox.messages[-1]
    assert message["To"] == "new.nurse@example.nhs.uk"
    assert message["From"] == "impact@wessex.example.nhs.uk"
    assert "You have an account on Appraisal Impact" == message["Subject"]
    assert "within 72 hours" in message.get_content()
    link = _path(inbox.last_link())  # built on PUBLIC_BASE_URL, not the address the admin used

    newcomer = CsrfClient(csrf_app)
    weak = newcomer.submit(link, data={"new_password": "password1234", "confirm_password": "password1234"})
    assert weak.status_code == 400
    page = weak.get_data(as_text=True)
    assert "There is a problem" in page and "too common" in page and 'href="#new_password"' in page
    mismatch = newcomer.submit(link, data={"new_password": "violet harbour tandem", "confirm_password": "violet harbour"})
    assert mismatch.status_code == 400 and "not the same" in mismatch.get_data(as_text=True)

    done = newcomer.submit(link, data={"new_password": "violet harbour tandem", "confirm_password": "violet harbour tandem"})
    assert done.status_code == 302 and done.headers["Location"] == "/sign-in"
    assert newcomer.get(link).status_code == 410  # once only
    assert newcomer.sign_in(user, password="violet harbour tandem").status_code == 302


def test_an_invitation_expires(csrf_app, admin_client, csrf_db, inbox, clock):
    admin_client.submit("/admin/users/invite", data={"email": "late@example.nhs.uk", "name": "Lee Late", "role": "viewer"})
    link = _path(inbox.last_link())
    clock.advance(hours=71, minutes=59)
    assert CsrfClient(csrf_app).get(link).status_code == 200
    clock.advance(minutes=1)  # 72 hours after it was sent
    response = CsrfClient(csrf_app).get(link)
    assert response.status_code == 410 and "This link no longer works" in response.get_data(as_text=True)


def test_invite_form_errors_save_nothing(admin_client, csrf_db, inbox):
    response = admin_client.submit("/admin/users/invite", data={"email": "not an address", "name": "", "role": "pharmacist"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<title>Error: Invite someone" in page
    for field_id in ("email", "name", "trust"):
        assert f'href="#{field_id}"' in page and f'id="{field_id}-error"' in page
    assert 'value="not an address"' in page  # input kept
    assert len(csrf_db.exec(select(User)).all()) == 1  # only the administrator
    assert inbox.messages == []
    taken = admin_client.submit("/admin/users/invite", data={"email": "admin@example.nhs.uk", "name": "Again", "role": "viewer"})
    assert taken.status_code == 400 and "already has an account" in taken.get_data(as_text=True)


def test_reset_link_sets_a_new_password_and_ends_the_users_sessions(csrf_app, admin_client, csrf_db, inbox, clock):
    viewer = make_user(csrf_db, Role.viewer, email="viewer@example.nhs.uk", name="Vera Viewer")
    their_browser = CsrfClient(csrf_app)
    their_browser.sign_in(viewer)

    response = admin_client.submit(f"/admin/users/{viewer.id}", f"/admin/users/{viewer.id}/reset")
    assert response.status_code == 302
    assert inbox.messages[-1]["Subject"] == "Reset your Appraisal Impact password"
    assert "within 24 hours" in inbox.messages[-1].get_content()
    link = _path(inbox.last_link())
    assert their_browser.get("/pipeline").status_code == 200  # the old password works until the link is used

    anyone = CsrfClient(csrf_app)
    assert anyone.submit(link, data={"new_password": "saffron ladder quiet", "confirm_password": "saffron ladder quiet"}).status_code == 302
    assert their_browser.get("/pipeline").status_code == 302
    assert anyone.sign_in(viewer).status_code == 400  # old password
    assert anyone.sign_in(viewer, password="saffron ladder quiet").status_code == 302
    audit = csrf_db.exec(select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.field == "password")).all()
    assert [a.new_value for a in audit] == ["set from a reset link"]
    assert all("saffron" not in a.new_value and "pbkdf2" not in a.old_value for a in audit)


def test_a_newer_link_retires_the_older_one(csrf_app, admin_client, csrf_db, inbox, clock):
    viewer = make_user(csrf_db, Role.viewer, email="viewer@example.nhs.uk", name="Vera Viewer")
    admin_client.submit(f"/admin/users/{viewer.id}", f"/admin/users/{viewer.id}/reset")
    first = _path(inbox.last_link())
    admin_client.submit(f"/admin/users/{viewer.id}", f"/admin/users/{viewer.id}/reset")
    second = _path(inbox.last_link())
    assert CsrfClient(csrf_app).get(first).status_code == 410
    assert CsrfClient(csrf_app).get(second).status_code == 200
    links = csrf_db.exec(select(AccountLink).where(AccountLink.user_id == viewer.id)).all()
    assert all(len(link.token_hash) == 64 and link.token_hash not in second for link in links)  # only hashes kept


def test_an_administrator_changes_a_role_and_it_is_recorded(admin_client, csrf_db):
    from appraisal_impact.models import Icb, Trust

    icb = Icb(ods_code="QVV", name="NHS Dorset ICB")
    csrf_db.add(icb)
    csrf_db.commit()
    csrf_db.add(Trust(ods_code="RDZ", name="University Hospitals Dorset", icb_id=icb.id))
    csrf_db.commit()
    viewer = make_user(csrf_db, Role.viewer, email="viewer@example.nhs.uk", name="Vera Viewer")
    response = admin_client.submit(f"/admin/users/{viewer.id}", data={
        "role": "pharmacist", "trust": "RDZ", "confidential": "yes", "version": "1"})
    assert response.status_code == 302
    csrf_db.expire_all()
    saved = csrf_db.get(User, viewer.id)
    assert (saved.role, saved.can_see_confidential_prices, saved.version) == (Role.pharmacist, True, 2)
    changes = {(a.field, a.old_value, a.new_value) for a in csrf_db.exec(select(AuditEntry).where(AuditEntry.entity == "user"))}
    assert ("role", "viewer", "pharmacist") in changes and ("can_see_confidential_prices", "no", "yes") in changes


def test_two_administrators_never_overwrite_each_other(csrf_app, admin_client, csrf_db):
    viewer = make_user(csrf_db, Role.viewer, email="viewer@example.nhs.uk", name="Vera Viewer")
    second_admin = make_user(csrf_db, Role.admin, email="admin2@example.nhs.uk", name="Abe Admin")
    other = CsrfClient(csrf_app)
    other.sign_in(second_admin)
    # both open the page at version 1
    assert admin_client.submit(f"/admin/users/{viewer.id}", data={"role": "lead", "version": "1"}).status_code == 302
    late = other.submit(f"/admin/users/{viewer.id}", data={"role": "alliance", "version": "1"})
    assert late.status_code == 409
    assert "Another administrator changed this account" in late.get_data(as_text=True)
    csrf_db.expire_all()
    assert csrf_db.get(User, viewer.id).role == Role.lead


def test_an_administrator_cannot_lock_themselves_out(admin_client, csrf_db):
    me = admin_client.admin
    assert admin_client.submit(f"/admin/users/{me.id}", f"/admin/users/{me.id}/active", data={"active": "no", "version": "1"}).status_code == 400
    assert admin_client.submit(f"/admin/users/{me.id}", data={"role": "viewer", "version": "1"}).status_code == 400
    csrf_db.expire_all()
    assert csrf_db.get(User, me.id).active and csrf_db.get(User, me.id).role == Role.admin


def test_a_deactivated_user_can_be_let_back_in(csrf_app, admin_client, csrf_db):
    viewer = make_user(csrf_db, Role.viewer, email="viewer@example.nhs.uk", name="Vera Viewer")
    admin_client.submit(f"/admin/users/{viewer.id}", f"/admin/users/{viewer.id}/active", data={"active": "no", "version": "1"})
    assert CsrfClient(csrf_app).sign_in(viewer).status_code == 400
    admin_client.submit(f"/admin/users/{viewer.id}", f"/admin/users/{viewer.id}/active", data={"active": "yes", "version": "2"})
    assert CsrfClient(csrf_app).sign_in(viewer).status_code == 302


def test_when_the_mail_server_is_down_the_admin_is_told(csrf_app, admin_client, csrf_db):
    csrf_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_TIMEOUT=2)  # nothing listens there
    viewer = make_user(csrf_db, Role.viewer, email="viewer@example.nhs.uk", name="Vera Viewer")
    response = admin_client.submit(f"/admin/users/{viewer.id}", f"/admin/users/{viewer.id}/reset")
    assert response.status_code == 503
    assert "The email could not be sent" in response.get_data(as_text=True)


def test_changing_your_own_password(csrf_client, csrf_db):
    viewer = make_user(csrf_db, Role.viewer, email="viewer@example.nhs.uk", name="Vera Viewer")
    csrf_client.sign_in(viewer)
    wrong = csrf_client.submit("/account/password", data={
        "current_password": "not it", "new_password": "lantern pebble meadow", "confirm_password": "lantern pebble meadow"})
    assert wrong.status_code == 400 and "Your current password is not right" in wrong.get_data(as_text=True)
    short = csrf_client.submit("/account/password", data={
        "current_password": PASSWORD, "new_password": "short", "confirm_password": "short"})
    assert short.status_code == 400 and "12 characters or more" in short.get_data(as_text=True)
    csrf_db.expire_all()
    assert csrf_db.get(User, viewer.id).password_hash == viewer.password_hash  # nothing saved
    done = csrf_client.submit("/account/password", data={
        "current_password": PASSWORD, "new_password": "lantern pebble meadow", "confirm_password": "lantern pebble meadow"})
    assert done.status_code == 302
    assert "Your password has been changed" in csrf_client.get("/account").get_data(as_text=True)
    csrf_client.sign_out()
    assert csrf_client.sign_in(viewer).status_code == 400
    assert csrf_client.sign_in(viewer, password="lantern pebble meadow").status_code == 302


def test_guessing_your_own_current_password_is_throttled(csrf_client, csrf_db):
    viewer = make_user(csrf_db, Role.viewer, email="viewer@example.nhs.uk", name="Vera Viewer")
    csrf_client.sign_in(viewer)
    for _ in range(10):
        csrf_client.submit("/account/password", data={"current_password": "guess", "new_password": "lantern pebble meadow",
                                                      "confirm_password": "lantern pebble meadow"})
    response = csrf_client.submit("/account/password", data={
        "current_password": PASSWORD, "new_password": "lantern pebble meadow", "confirm_password": "lantern pebble meadow"})
    assert response.status_code == 429


def test_account_pages_are_never_cached(csrf_client, csrf_db):
    viewer = make_user(csrf_db, Role.viewer, email="viewer@example.nhs.uk", name="Vera Viewer")
    csrf_client.sign_in(viewer)
    for url in ("/account", "/account/password"):
        assert csrf_client.get(url).headers["Cache-Control"] == "no-store"
    assert CsrfClient(csrf_client.app).get("/account/set-password/not-a-real-token").headers["Cache-Control"] == "no-store"
