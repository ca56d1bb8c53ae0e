"""The foundation: health, errors, sign-in and roles, CSRF, the NHS look, vendored files, migrations."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import inspect

from appraisal_impact import PROJECT_ROOT
from appraisal_impact.web import public
from appraisal_impact.models import AuditEntry, Role, User
from tests.conftest import PASSWORD, make_user, sign_in


def test_health_answers_without_sign_in(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_pages_need_sign_in(client):
    response = client.get("/pipeline")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


def test_not_found_is_an_nhs_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html
    assert "nhsuk-header" in html


def test_server_error_shows_no_trace(app):
    @app.route("/boom")
    @public
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in html
    assert "secret internals" not in html and "Traceback" not in html


def test_sign_in_and_out(client, users):
    response = sign_in(client, users["viewer"])
    assert response.headers["Location"] == "/pipeline"
    assert client.get("/pipeline").status_code == 200
    assert client.post("/sign-out").status_code == 302
    assert client.get("/pipeline").status_code == 302


def test_wrong_password_is_refused_with_message_beside_field(client, users):
    response = client.post("/sign-in", data={"email": users["viewer"].email, "password": "wrong"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "<title>Error: Sign in" in html
    assert "There is a problem" in html
    assert 'href="#email"' in html
    assert 'id="email-error"' in html
    assert users["viewer"].email in html  # the user's input is kept


def test_sign_in_refuses_an_open_redirect(client, users):
    response = client.post("/sign-in?next=//evil.example.com/", data={"email": users["viewer"].email, "password": PASSWORD})
    assert response.headers["Location"] == "/pipeline"


def test_inactive_user_cannot_sign_in(client, db, users):
    user = users["viewer"]
    user.active = False
    db.add(user)
    db.commit()
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400


def test_every_post_route_needs_a_csrf_token(csrf_app):
    """Sweep: every route that takes POST refuses a request without the CSRF token (except the token-authenticated API)."""
    from sqlmodel import Session

    from appraisal_impact.seeding import seed_database

    with Session(csrf_app.extensions["appraisal_impact.engine"], expire_on_commit=False) as db:
        seed_database(db, None)
        db.commit()
        user = make_user(db, Role.admin)
    client = csrf_app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/sign-in", data={"email": user.email, "password": PASSWORD}).status_code == 400
    assert client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    checked = 0
    for rule in csrf_app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        url = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
        response = client.post(url, data={"anything": "1"})
        assert response.status_code == 400, f"{rule.rule} accepted a POST without a CSRF token"
        checked += 1
    assert checked >= 2


def test_htmx_requests_carry_the_csrf_token_header():
    script = (PROJECT_ROOT / "appraisal_impact/static/app.js").read_text()
    assert "htmx:configRequest" in script and "X-CSRFToken" in script


def test_layout_is_nhs_with_skip_link_and_no_external_assets(client, users):
    sign_in(client, users["viewer"])
    html = client.get("/pipeline").get_data(as_text=True)
    assert 'href="#maincontent"' in html and "Skip to main content" in html
    assert "nhsuk-header" in html and "nhsuk-footer" in html
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', html)
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in html


def test_vendored_files_match_their_recorded_checksums():
    vendor = PROJECT_ROOT / "appraisal_impact/static/vendor"
    table = (vendor / "VENDOR.md").read_text()
    rows = re.findall(r"\| ([\w./-]+\.(?:css|js)) \| ([0-9a-f]{64}) \|", table)
    assert len(rows) == 3
    for name, checksum in rows:
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == checksum, name
    css = (vendor / "nhsuk-frontend-10.6.1/nhsuk-frontend.min.css").read_text()
    assert "@font-face" not in css and "Frutiger" in css  # the family is named, no font file is loaded


def test_navigation_follows_the_role(client, users):
    sign_in(client, users["viewer"])
    html = client.get("/pipeline").get_data(as_text=True)
    assert "Test viewer (Viewer)" in html
    assert ">Pipeline<" in html or "Pipeline</" in html


def test_users_create_command(runner, seeded):
    result = runner.invoke(args=["users", "create", "--email", "New.Person@example.nhs.uk", "--name", "New Person",
                                 "--role", "pharmacist", "--trust", "RHU"], input="amber kettle orbit\namber kettle orbit\n")
    assert result.exit_code == 0, result.output
    user = seeded.exec(__import__("sqlmodel").select(User).where(User.email == "new.person@example.nhs.uk")).one()
    assert user.role == Role.pharmacist and user.password_hash != "amber kettle orbit"
    assert user.password_hash.startswith("scrypt:")


def test_users_create_needs_a_trust_for_a_pharmacist(runner, seeded):
    result = runner.invoke(args=["users", "create", "--email", "p@example.nhs.uk", "--name", "P", "--role", "pharmacist"],
                           input="pw\npw\n")
    assert result.exit_code != 0
    assert "belongs to a trust" in result.output


def test_audit_record_cannot_be_changed(db, seeded):
    from appraisal_impact.db import AuditRecordIsAppendOnly

    entry = db.exec(__import__("sqlmodel").select(AuditEntry)).first()
    entry.new_value = "tampered"
    with pytest.raises(AuditRecordIsAppendOnly):
        db.commit()
    db.rollback()
    db.delete(db.get(AuditEntry, entry.id))
    with pytest.raises(AuditRecordIsAppendOnly):
        db.commit()
    db.rollback()


def test_migrations_build_the_same_schema_as_the_models(tmp_path, database_url):
    """Alembic's migrations create every table and column the models define (and autogenerate finds nothing to add)."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from appraisal_impact.db import make_engine

    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        migrated = make_engine(url)
    else:
        from sqlalchemy import text

        from tests.conftest import TEST_DATABASE_URL

        admin = make_engine(TEST_DATABASE_URL)
        with admin.begin() as connection:
            connection.execute(text('DROP SCHEMA IF EXISTS "migration_check" CASCADE'))
            connection.execute(text('CREATE SCHEMA "migration_check"'))
        admin.dispose()
        separator = "&" if "?" in TEST_DATABASE_URL else "?"
        migrated = make_engine(f"{TEST_DATABASE_URL}{separator}options=-csearch_path%3Dmigration_check")
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["engine"] = migrated
    command.upgrade(config, "head")
    tables = set(inspect(migrated).get_table_names())
    assert {t.name for t in SQLModel.metadata.sorted_tables} <= tables
    with migrated.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert [d for d in diff if d[0] in ("add_table", "add_column", "remove_column")] == []
    migrated.dispose()


def test_security_headers_and_a_script_policy_with_a_nonce(client, users):
    sign_in(client, users["viewer"])
    response = client.get("/pipeline")
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    html = response.get_data(as_text=True)
    # every inline script carries the nonce; every other script comes from this site
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline and all(f'nonce="{nonce}"' in attributes for attributes in inline)
    assert "frame-ancestors 'none'" in policy and "unsafe-eval" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert re.search(r"'nonce-([^']+)'", client.get("/pipeline").headers["Content-Security-Policy"]).group(1) != nonce
    assert "hx-on" not in html


def test_every_module_of_pages_is_listed_and_registered(app):
    """Blueprints are listed in views/__init__.py, not discovered: a new module of pages must be added there."""
    import importlib
    import pkgutil

    from appraisal_impact import views

    with_pages = {
        info.name for info in pkgutil.iter_modules(views.__path__)
        if hasattr(importlib.import_module(f"appraisal_impact.views.{info.name}"), "bp")
    }
    assert with_pages == set(views.BLUEPRINT_MODULES)
    registered = set(app.blueprints)
    for name in views.BLUEPRINT_MODULES:
        assert importlib.import_module(f"appraisal_impact.views.{name}").bp.name in registered
