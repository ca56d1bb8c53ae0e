"""Fixtures: an app on a fresh database per test (in-memory SQLite, or PostgreSQL when
TEST_DATABASE_URL is set), a client, a CLI runner, users of every role, and the seeded example data."""

from __future__ import annotations

import os
import re
import uuid
from datetime import date
from urllib.parse import quote

import pytest
from sqlalchemy import Enum as SqlEnum
from sqlalchemy import text
from sqlmodel import Session, SQLModel
from werkzeug.security import generate_password_hash

from appraisal_impact import create_app
from appraisal_impact.db import create_schema, make_engine
from appraisal_impact.models import Role, Trust, User

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
# The app's clock in every test: the seeded example's dates count from this day, and every page, file and
# check reads it (the `TODAY` setting), so no test depends on the date or the time of day it runs.
TEST_TODAY = date(2026, 6, 1)
PASSWORD = "correct horse battery staple"
# Fast hashing for test users only: the app itself uses werkzeug's (slow, strong) default.
_TEST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing_for_seeded_users():
    """Seeding hashes the example users' passwords with scrypt (about 0.25 s each); tests don't need
    that strength, so the seed loader gets a quick hash here. The app itself is unchanged."""
    from appraisal_impact import seeding

    original = seeding.generate_password_hash
    seeding.generate_password_hash = lambda password: generate_password_hash(password, method="pbkdf2:sha256:1000")
    yield
    seeding.generate_password_hash = original


@pytest.fixture(scope="session")
def database_url(worker_id: str):
    """SQLite in memory, or a PostgreSQL schema of this test run's worker alone (dropped afterwards)."""
    if not TEST_DATABASE_URL:
        yield "sqlite://"
        return
    schema = f"test_{worker_id}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(TEST_DATABASE_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in TEST_DATABASE_URL else "?"
    url = f"{TEST_DATABASE_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    schema_engine = make_engine(url)
    create_schema(schema_engine)
    schema_engine.dispose()
    yield url
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def _empty_postgres_tables(db_engine) -> None:
    """Delete every row and restart the id sequences (DELETE on these small tables is far quicker than
    TRUNCATE, which rewrites files)."""
    statements = [f'DELETE FROM "{table.name}"' for table in reversed(SQLModel.metadata.sorted_tables)]
    statements += [
        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), 1, false)"
        for table in SQLModel.metadata.sorted_tables if _has_serial_id(table)
    ]
    with db_engine.begin() as connection:
        connection.execute(text("; ".join(statements)))


def _has_serial_id(table) -> bool:
    return "id" in table.c and table.c.id.primary_key and table.c.id.type.python_type is int


def _make_app(database_url: str, **overrides):
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "localhost",
        "TODAY": TEST_TODAY,
    }
    config.update(overrides)
    return create_app(config)


def _app_engine(app):
    return app.extensions["appraisal_impact.engine"]


def _prepared(app, database_url):
    if database_url.startswith("sqlite"):
        create_schema(_app_engine(app))
    return app


def _cleaned(app, database_url):
    if not database_url.startswith("sqlite"):
        _empty_postgres_tables(_app_engine(app))
    _app_engine(app).dispose()


# No app context stays pushed during a test: each request gets its own, as in production, so the
# per-request database session really is per request (and two clients really are two editors).
@pytest.fixture
def app(database_url):
    app = _prepared(_make_app(database_url), database_url)
    yield app
    _cleaned(app, database_url)


@pytest.fixture
def csrf_app(database_url):
    """The app with CSRF protection on, as in production. Its database is its own: arrange data with
    `Session(csrf_app.extensions["appraisal_impact.engine"])`, not the `db` fixture."""
    app = _prepared(_make_app(database_url, WTF_CSRF_ENABLED=True), database_url)
    yield app
    _cleaned(app, database_url)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A session on the test database, for arranging data and checking what was saved."""
    with Session(_app_engine(app), expire_on_commit=False) as session:
        yield session


@pytest.fixture(scope="session")
def seeded_template(database_url, _fast_password_hashing_for_seeded_users):
    """The repository's seeds, loaded once per test process into a database of their own; `seeded` copies
    it into each test's database (a copy takes milliseconds, loading the seeds about 1.5 s)."""
    from appraisal_impact.seeding import seed_database

    if database_url.startswith("sqlite"):
        template = make_engine("sqlite://")
        create_schema(template)
    else:
        schema = f"seed_{uuid.uuid4().hex[:12]}"
        admin = make_engine(TEST_DATABASE_URL)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in TEST_DATABASE_URL else "?"
        template = make_engine(f"{TEST_DATABASE_URL}{separator}options={quote(f'-csearch_path={schema}')}")
        create_schema(template)
    with Session(template) as session:
        seed_database(session, None, today=TEST_TODAY)
        session.commit()
    yield template
    template.dispose()
    if not database_url.startswith("sqlite"):
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _copy_database(template, target) -> None:
    """Every row of `template` into the (empty) database of `target`, with its id sequences moved on."""
    if target.dialect.name == "sqlite":
        source, destination = template.raw_connection(), target.raw_connection()
        try:
            source.driver_connection.backup(destination.driver_connection)
        finally:
            source.close()
            destination.close()
        return
    template_schema = template.url.query["options"].split("search_path=")[1]
    with target.begin() as connection:
        for table in SQLModel.metadata.sorted_tables:
            # enum types belong to a schema: carry enum values across as text
            columns = ", ".join(f'"{c.name}"' for c in table.columns)
            values = ", ".join(
                f'"{c.name}"::text::"{c.type.name}"' if isinstance(c.type, SqlEnum) and c.type.name else f'"{c.name}"'
                for c in table.columns
            )
            connection.execute(text(
                f'INSERT INTO "{table.name}" ({columns}) SELECT {values} FROM "{template_schema}"."{table.name}"'
            ))
            if _has_serial_id(table):
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                    f'COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM "{table.name}"'
                ))


@pytest.fixture
def seeded(app, db, seeded_template):
    """The repository's reference and example data (example dates count from 1 June 2026), copied into
    this test's database from the one load per test process."""
    _copy_database(seeded_template, _app_engine(app))
    return db


def make_user(session: Session, role: Role, *, email: str | None = None, trust_ods: str | None = None,
              confidential: bool = False, name: str | None = None) -> User:
    trust_id = None
    if trust_ods:
        from appraisal_impact import queries

        trust: Trust | None = queries.get_trust_by_ods(session=session, ods_code=trust_ods)
        assert trust is not None, f"no trust {trust_ods} in the test data"
        trust_id = trust.id
    user = User(
        email=(email or f"{role.value}-{trust_ods or 'all'}@example.nhs.uk").lower(),
        name=name or f"Test {role.value}",
        role=role,
        trust_id=trust_id,
        can_see_confidential_prices=confidential,
        password_hash=_TEST_HASH,
    )
    session.add(user)
    session.commit()
    return user


def sign_in(client, user: User):
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def users(seeded):
    """One user of each kind, on the seeded data."""
    return {
        "viewer": make_user(seeded, Role.viewer),
        "pharmacist": make_user(seeded, Role.pharmacist, trust_ods="RHM", confidential=True),
        "other_pharmacist": make_user(seeded, Role.pharmacist, trust_ods="R0D", confidential=True),
        "lead": make_user(seeded, Role.lead, confidential=True),
        "alliance": make_user(seeded, Role.alliance),
        "admin": make_user(seeded, Role.admin, confidential=True),
    }


# --- CSRF on, as in production: a client that submits the real tokens of the pages it is given -------

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_SIGN_OUT_FORM = re.compile(r'<form[^>]*action="/sign-out"[^>]*>\s*<input type="hidden" name="csrf_token" value="([^"]+)"')


class CsrfClient:
    """A test client on the CSRF-protected app that posts forms the way a browser does: with the token
    of the page the form is on (read from that page's HTML, never made up)."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def token_from(self, url: str) -> str:
        page = self.client.get(url).get_data(as_text=True)
        match = _CSRF_FIELD.search(page)
        assert match, f"no CSRF token on {url}"
        return match.group(1)

    def submit(self, page_url: str, action: str | None = None, data: dict | None = None, **kwargs):
        """Open `page_url`, then post `data` with that page's CSRF token to `action` (default: the page)."""
        token = self.token_from(page_url)
        return self.client.post(action or page_url, data={**(data or {}), "csrf_token": token}, **kwargs)

    def sign_in(self, user: User, password: str = PASSWORD, next_url: str | None = None):
        url = "/sign-in" + (f"?next={quote(next_url, safe='')}" if next_url else "")
        return self.submit(url, data={"email": user.email, "password": password})

    def sign_out(self, from_page: str = "/pipeline"):
        """Press the header's Sign out button: post its own form, with the token that form carries."""
        page = self.client.get(from_page).get_data(as_text=True)
        match = _SIGN_OUT_FORM.search(page)
        assert match, "the header's sign-out form carries no CSRF token"
        return self.client.post("/sign-out", data={"csrf_token": match.group(1)})


@pytest.fixture
def csrf_client(csrf_app):
    """A CsrfClient on `csrf_app` (CSRF on, as in production)."""
    return CsrfClient(csrf_app)


@pytest.fixture
def csrf_db(csrf_app):
    """A session on `csrf_app`'s database, for arranging data and checking what was saved."""
    with Session(_app_engine(csrf_app), expire_on_commit=False) as session:
        yield session
