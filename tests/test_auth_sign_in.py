"""Sign-in: throttled per account and per address (counted in the shared database, so every gunicorn worker
sees one count), the same work for an unknown address, every attempt on the record, a password policy."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from appraisal_impact import create_app
from appraisal_impact.db import create_schema
from appraisal_impact.models import Role, SignInEvent, User
from appraisal_impact.passwords import password_problem
from tests.conftest import PASSWORD, CsrfClient, make_user


@pytest.fixture
def viewer(csrf_db):
    return make_user(csrf_db, Role.viewer, email="viewer@example.nhs.uk", name="Vera Viewer")


def events(session) -> list[tuple[str, str]]:
    session.expire_all()
    return [(e.outcome, e.email) for e in session.exec(select(SignInEvent).order_by(SignInEvent.id))]


def test_ten_wrong_passwords_and_then_even_the_right_one_is_refused(csrf_client, csrf_db, viewer):
    for _ in range(10):
        assert csrf_client.sign_in(viewer, password="not the password").status_code == 400
    response = csrf_client.sign_in(viewer)  # the right password, too late
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "too many failed attempts to sign in" in page
    assert csrf_client.get("/pipeline").status_code == 302  # not signed in
    assert events(csrf_db)[-1] == ("too many attempts", "viewer@example.nhs.uk")
    assert events(csrf_db).count(("wrong password", "viewer@example.nhs.uk")) == 10


def test_the_account_limit_does_not_lock_out_colleagues_at_the_same_address(csrf_client, csrf_db, viewer):
    colleague = make_user(csrf_db, Role.viewer, email="colleague@example.nhs.uk", name="Colin Colleague")
    for _ in range(11):
        csrf_client.sign_in(viewer, password="not the password")
    assert csrf_client.sign_in(colleague).status_code == 302


def test_typos_in_the_form_do_not_count_against_the_account(csrf_client, viewer):
    for _ in range(12):
        assert csrf_client.submit("/sign-in", data={"email": viewer.email, "password": ""}).status_code == 400
    assert csrf_client.sign_in(viewer).status_code == 302


def test_one_address_trying_many_accounts_is_throttled(csrf_app, csrf_client, csrf_db, viewer):
    csrf_app.config["SIGN_IN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    for n in range(3):
        assert csrf_client.submit("/sign-in", data={"email": f"guess{n}@example.nhs.uk", "password": "password1"}).status_code == 400
    assert csrf_client.sign_in(viewer).status_code == 429
    # another address is not held back (werkzeug's test client lets us say where a request comes from)
    other = CsrfClient(csrf_app)
    token = other.token_from("/sign-in")
    response = other.client.post("/sign-in", data={"email": viewer.email, "password": PASSWORD, "csrf_token": token},
                                 environ_base={"REMOTE_ADDR": "192.0.2.44"})
    assert response.status_code == 302


def test_the_count_is_shared_by_every_worker(tmp_path, database_url):
    """Two apps on one database stand for two gunicorn workers: failures on either count for both."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}" if database_url.startswith("sqlite") else database_url
    config = {"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret-key", "SERVER_NAME": "localhost"}
    worker_one, worker_two = create_app(dict(config)), create_app(dict(config))
    engine = worker_one.extensions["appraisal_impact.engine"]
    if url.startswith("sqlite"):
        create_schema(engine)
    with Session(engine, expire_on_commit=False) as session:
        user = make_user(session, Role.viewer, email="shared@example.nhs.uk")
    try:
        one, two = CsrfClient(worker_one), CsrfClient(worker_two)
        for _ in range(5):
            assert one.sign_in(user, password="wrong guess").status_code == 400
            assert two.sign_in(user, password="wrong guess").status_code == 400
        assert one.sign_in(user).status_code == 429
        assert two.sign_in(user).status_code == 429
    finally:
        if not url.startswith("sqlite"):
            from tests.conftest import _empty_postgres_tables

            _empty_postgres_tables(engine)
        for app in (worker_one, worker_two):
            app.extensions["appraisal_impact.engine"].dispose()


def test_an_unknown_address_costs_the_same_password_check_as_a_known_one(csrf_client, viewer, monkeypatch):
    """Timing cannot tell whether an address has an account: a wrong password and an unknown address each
    run exactly one password-hash check, with the app's own (slow) hashing method."""
    from appraisal_impact import passwords

    checked: list[str] = []
    real_check = passwords.check_password_hash

    def recording_check(password_hash, password):
        checked.append(password_hash.split("$")[0])
        return real_check(password_hash, password)

    monkeypatch.setattr(passwords, "check_password_hash", recording_check)
    csrf_client.submit("/sign-in", data={"email": "nobody@example.nhs.uk", "password": "a guess at a password"})
    assert checked == ["scrypt:32768:8:1"]  # werkzeug's default method, as real users' hashes use
    checked.clear()
    csrf_client.sign_in(viewer, password="a guess at a password")
    assert len(checked) == 1


def test_a_deactivated_account_is_refused_like_a_wrong_password(csrf_client, csrf_db, viewer):
    user = csrf_db.get(User, viewer.id)
    user.active = False
    csrf_db.add(user)
    csrf_db.commit()
    response = csrf_client.sign_in(viewer)
    assert response.status_code == 400
    assert "The email address or password is not right" in response.get_data(as_text=True)
    assert events(csrf_db)[-1] == ("deactivated", "viewer@example.nhs.uk")


def test_every_attempt_is_on_the_record_with_its_address(csrf_client, csrf_db, viewer):
    csrf_client.submit("/sign-in", data={"email": "Nobody@Example.nhs.uk", "password": "whatever it is"})
    csrf_client.sign_in(viewer, password="not the password")
    csrf_client.sign_in(viewer)
    csrf_client.sign_out()
    assert events(csrf_db) == [
        ("unknown address", "nobody@example.nhs.uk"),
        ("wrong password", "viewer@example.nhs.uk"),
        ("signed in", "viewer@example.nhs.uk"),
        ("signed out", "viewer@example.nhs.uk"),
    ]
    rows = csrf_db.exec(select(SignInEvent)).all()
    assert {r.address for r in rows} == {"127.0.0.1"}
    assert [r.user_id for r in rows] == [None, viewer.id, viewer.id, viewer.id]


def test_administrators_read_the_sign_in_record_and_nobody_else(csrf_client, csrf_db, viewer):
    admin = make_user(csrf_db, Role.admin, email="admin@example.nhs.uk", name="Ada Admin")
    csrf_client.submit("/sign-in", data={"email": "intruder@example.org", "password": "letmein please"})
    csrf_client.sign_in(viewer)
    assert csrf_client.get("/admin/sign-ins").status_code == 403
    csrf_client.sign_out()
    csrf_client.sign_in(admin)
    page = csrf_client.get("/admin/sign-ins").get_data(as_text=True)
    assert "intruder@example.org" in page and "Unknown address" in page


@pytest.mark.parametrize(("password", "problem"), [
    ("a", "12 characters or more"),
    ("elevenchars", "12 characters or more"),
    ("password1234", "too common"),
    ("Password1234!", "too common"),  # a common password with digits and a symbol tacked on
    ("qwertyuiop12", "too common"),
    ("zzzzzzzzzzzzzzzz", "too common"),
    ("AppraisalImpact2026", "name of this service"),
    ("Wessex NHS 2026!!", "name of this service"),
    ("vera.viewer.2026", "must not contain your email address"),
    ("correct horse battery staple", None),
    ("lantern pebble meadow", None),
])
def test_the_password_policy(password, problem):
    found = password_problem(password, min_length=12, email="vera.viewer@example.nhs.uk", name="Vera Viewer")
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_the_minimum_length_is_a_setting():
    assert password_problem("lantern pebble", min_length=16) is not None
    assert password_problem("lantern pebble", min_length=14) is None


def test_users_create_refuses_a_weak_password(runner, db):
    result = runner.invoke(args=["users", "create", "--email", "weak@example.nhs.uk", "--name", "Wendy Weak",
                                 "--role", "viewer", "--password", "a"])
    assert result.exit_code != 0
    assert "12 characters or more" in result.output
    assert db.exec(select(User).where(User.email == "weak@example.nhs.uk")).first() is None
    result = runner.invoke(args=["users", "create", "--email", "weak@example.nhs.uk", "--name", "Wendy Weak",
                                 "--role", "viewer", "--password", "password123456"])
    assert result.exit_code != 0 and "too common" in result.output

