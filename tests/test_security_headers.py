"""Headers and files: no caching of signed-in pages, Secure cookie, HSTS, Permissions-Policy, a private
SQLite file, API tokens and CSRF tokens that expire, trusted proxies and links built on PUBLIC_BASE_URL."""

from __future__ import annotations

import os
import re
import stat
from datetime import datetime, timedelta

import pytest

from appraisal_impact.config import _private_instance_folder
from appraisal_impact.models import Role, SignInEvent
from tests.conftest import PASSWORD, _cleaned, _make_app, _prepared, make_user, sign_in

START = datetime(2026, 6, 1, 9, 0)


class Clock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def make_app(database_url):
    """Apps with settings of the test's own (cleaned up afterwards)."""
    made = []

    def _make(**overrides):
        app = _prepared(_make_app(database_url, **overrides), database_url)
        made.append(app)
        return app

    yield _make
    for app in made:
        _cleaned(app, database_url)


def _user(app, role=Role.admin, email="admin@example.nhs.uk"):
    from sqlmodel import Session

    with Session(app.extensions["appraisal_impact.engine"], expire_on_commit=False) as session:
        return make_user(session, role, email=email)


def test_signed_in_pages_are_never_cached(client, db):
    viewer = make_user(db, Role.viewer)
    sign_in(client, viewer)
    for url in ("/pipeline", "/trusts", "/account"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url
    with client.get("/static/app.css") as static_file:
        assert "no-store" not in static_file.headers.get("Cache-Control", "")


def test_hsts_and_permissions_policy_on_every_page(client):
    response = client.get("/sign-in")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    policy = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy


def test_the_session_cookie_is_secure_by_default(client, db):
    response = sign_in(client, make_user(db, Role.viewer))
    cookie = response.headers["Set-Cookie"]
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_development_turns_off_the_secure_cookie_and_hsts(make_app, monkeypatch):
    monkeypatch.setenv("APP_ENV", "development")
    app = make_app()
    user = _user(app, Role.viewer, "viewer@example.nhs.uk")
    client = app.test_client()
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert "Secure" not in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers


def test_the_sqlite_file_and_instance_folder_are_private(tmp_path):
    from sqlalchemy import text

    from appraisal_impact.db import create_schema, make_engine

    database = tmp_path / "data" / "impact.sqlite"
    engine = make_engine(f"sqlite:///{database}")
    create_schema(engine)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO icb (ods_code, name, population_source) VALUES ('QVV', 'Dorset', '')"))
    for path in (database, database.with_name("impact.sqlite-wal")):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    assert stat.S_IMODE(os.stat(database.parent).st_mode) == 0o700
    engine.dispose()

    # an existing world-readable file (made before this change) is made private when the app opens it
    old = tmp_path / "old.sqlite"
    old.touch(mode=0o644)
    os.chmod(old, 0o644)
    make_engine(f"sqlite:///{old}").dispose()
    assert stat.S_IMODE(os.stat(old).st_mode) == 0o600

    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    os.chmod(instance, 0o755)
    _private_instance_folder(instance)
    assert stat.S_IMODE(os.stat(instance).st_mode) == 0o700


def test_api_tokens_expire_and_show_when(app, client, seeded):
    app.config["CLOCK"] = clock = Clock(START)
    admin = make_user(seeded, Role.admin, confidential=True)
    sign_in(client, admin)
    made = client.post("/admin/api-tokens", data={"label": "Alliance dashboard"})
    assert made.status_code == 201
    page = made.get_data(as_text=True)
    token = re.search(r'id="api-token"[^>]*value="([^"]+)"', page).group(1)
    assert "1 June 2027 at 09:00 UTC" in page  # 365 days (API_TOKEN_DAYS) after 1 June 2026 09:00
    assert "1 June 2027 at 09:00 UTC" in client.get("/admin/api-tokens").get_data(as_text=True)

    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    clock.moment = START + timedelta(days=364, hours=23)
    assert api.get("/api/v1/pipeline", headers=headers).status_code == 200
    clock.moment = START + timedelta(days=365)
    refused = api.get("/api/v1/pipeline", headers=headers)
    assert refused.status_code == 401 and "expired" in refused.get_json()["error"]
    sign_in(client, admin)  # a year on, the old session has long ended
    assert "Expired" in client.get("/admin/api-tokens").get_data(as_text=True)


def test_csrf_tokens_expire_after_the_time_limit(csrf_app, csrf_client, csrf_db, monkeypatch):
    """WTF_CSRF_TIME_LIMIT (an hour by default): a form opened longer ago than that is refused."""
    from itsdangerous.timed import TimestampSigner

    assert csrf_app.config["WTF_CSRF_TIME_LIMIT"] == 3600
    moment = [1_780_000_000]
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: moment[0])
    viewer = make_user(csrf_db, Role.viewer, email="viewer@example.nhs.uk")
    token = csrf_client.token_from("/sign-in")
    moment[0] += 3601
    late = csrf_client.client.post("/sign-in", data={"email": viewer.email, "password": PASSWORD, "csrf_token": token})
    assert late.status_code == 400
    token = csrf_client.token_from("/sign-in")
    moment[0] += 3599
    in_time = csrf_client.client.post("/sign-in", data={"email": viewer.email, "password": PASSWORD, "csrf_token": token})
    assert in_time.status_code == 302


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "impact.wessex.example.nhs.uk"}


def _token_page_example_url(app) -> str:
    admin = _user(app)
    client = app.test_client()
    client.post("/sign-in", data={"email": admin.email, "password": PASSWORD}, headers=FORWARDED)
    page = client.post("/admin/api-tokens", data={"label": "Dashboard"}, headers=FORWARDED).get_data(as_text=True)
    return re.search(r"(https?://\S+)</code>", page).group(1)


def test_without_trusted_proxies_forwarded_headers_are_ignored(make_app):
    app = make_app()
    assert _token_page_example_url(app) == "http://localhost/api/v1/pipeline"
    from sqlmodel import Session, select

    with Session(app.extensions["appraisal_impact.engine"]) as session:
        assert {e.address for e in session.exec(select(SignInEvent))} == {"127.0.0.1"}


def test_behind_one_trusted_proxy_its_headers_are_used(make_app):
    app = make_app(PROXY_COUNT=1, SERVER_NAME=None)  # as deployed: the host comes from the request
    assert _token_page_example_url(app) == "https://impact.wessex.example.nhs.uk/api/v1/pipeline"
    from sqlmodel import Session, select

    with Session(app.extensions["appraisal_impact.engine"]) as session:
        assert {e.address for e in session.exec(select(SignInEvent))} == {"203.0.113.7"}


def test_links_for_outside_use_are_built_on_the_public_base_url(make_app):
    app = make_app(PUBLIC_BASE_URL="https://impact.wessex.example.nhs.uk")
    assert _token_page_example_url(app) == "https://impact.wessex.example.nhs.uk/api/v1/pipeline"
    from appraisal_impact.web import external_url

    app.config["PUBLIC_BASE_URL"] = "https://apps.example.nhs.uk/impact"
    with app.test_request_context("/"):
        assert external_url("sharing.shared", token="abc123") == "https://apps.example.nhs.uk/impact/s/abc123"
