"""Running for real: the production configuration refuses to start when unsafe, and the readiness
check says whether the database answers and is migrated to the head."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from appraisal_impact import create_app
from appraisal_impact.config import UnsafeProductionSettings
from appraisal_impact.db import create_schema
from appraisal_impact.models import Role, User
from tests.conftest import make_user

GOOD_KEY = "a3f1" * 16  # 64 characters, not a public example


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "FLASK_DEBUG", "APPRAISAL_IMPACT_MAINTENANCE", "APP_ENV"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def production_app(tmp_path, **config):
    return create_app({"APP_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite'}", **config})


def test_production_starts_with_a_real_secret_and_no_example_users(clean_environment):
    app = production_app(clean_environment, SECRET_KEY=GOOD_KEY)
    assert app.config["APP_ENV"] == "production" and not app.debug


@pytest.mark.parametrize("key, reason", [
    ("", "SECRET_KEY is not set in the environment"),
    ("test-secret-key", "SECRET_KEY is a public example"),
    ("short-but-private", "SECRET_KEY is a public example or shorter than 32 characters"),
])
def test_production_refuses_a_missing_public_or_short_secret(clean_environment, key, reason):
    with pytest.raises(UnsafeProductionSettings) as refused:
        production_app(clean_environment, SECRET_KEY=key)
    assert reason in str(refused.value)


def test_production_refuses_the_generated_development_secret(clean_environment, monkeypatch):
    """With no SECRET_KEY in the environment the app generates one into instance/: fine for a laptop, not for production."""
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{clean_environment / 'prod.sqlite'}")
    with pytest.raises(UnsafeProductionSettings) as refused:
        create_app()
    assert "SECRET_KEY is not set in the environment" in str(refused.value)
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    assert create_app().config["SECRET_KEY"] == GOOD_KEY


def test_production_refuses_debug_and_testing(clean_environment, monkeypatch):
    with pytest.raises(UnsafeProductionSettings) as refused:
        production_app(clean_environment, SECRET_KEY=GOOD_KEY, DEBUG=True, TESTING=True)
    assert "Debug mode is on" in str(refused.value) and "TESTING is on" in str(refused.value)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(UnsafeProductionSettings, match="Debug mode is on"):
        production_app(clean_environment, SECRET_KEY=GOOD_KEY)


def test_production_refuses_to_start_while_example_users_can_sign_in(clean_environment, monkeypatch):
    development = create_app({"DATABASE_URL": f"sqlite:///{clean_environment / 'prod.sqlite'}", "SECRET_KEY": GOOD_KEY})
    create_schema(development.extensions["appraisal_impact.engine"])
    with Session(development.extensions["appraisal_impact.engine"]) as session:
        make_user(session, Role.admin, email="real.admin@example.nhs.uk")
        example = make_user(session, Role.lead, email="example.lead@example.nhs.uk")
        example.is_example = True
        session.commit()

    with pytest.raises(UnsafeProductionSettings, match=r"1 example user\(s\) can sign in \(example.lead@example.nhs.uk\)"):
        production_app(clean_environment, SECRET_KEY=GOOD_KEY)

    # The way out the message gives: deactivate them (audited), in a maintenance run of the command line.
    monkeypatch.setenv("APPRAISAL_IMPACT_MAINTENANCE", "1")
    maintenance = production_app(clean_environment, SECRET_KEY=GOOD_KEY)
    result = maintenance.test_cli_runner().invoke(args=["production", "deactivate-example-users"])
    assert "Deactivated 1 example user(s)." in result.output
    monkeypatch.delenv("APPRAISAL_IMPACT_MAINTENANCE")
    app = production_app(clean_environment, SECRET_KEY=GOOD_KEY)
    with Session(app.extensions["appraisal_impact.engine"]) as session:
        from sqlmodel import select

        assert [(u.email, u.active) for u in session.exec(select(User).order_by(User.email))] == [
            ("example.lead@example.nhs.uk", False), ("real.admin@example.nhs.uk", True)]
    check = app.test_cli_runner().invoke(args=["production", "check"])
    assert check.exit_code == 0 and "no problem found" in check.output


def test_production_check_lists_every_problem(clean_environment, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")  # the command line takes debug from here
    app = create_app({"DATABASE_URL": f"sqlite:///{clean_environment / 'dev.sqlite'}", "SECRET_KEY": "dev"})
    result = app.test_cli_runner().invoke(args=["production", "check"])
    assert result.exit_code == 1
    assert "SECRET_KEY is a public example" in result.output and "Debug mode is on" in result.output


# --- readiness -----------------------------------------------------------------------------------


def test_ready_only_when_the_database_is_migrated_to_the_head(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'ready.sqlite'}", "SECRET_KEY": GOOD_KEY, "TESTING": True})
    client = app.test_client()
    not_yet = client.get("/health/ready")
    assert not_yet.status_code == 503
    assert not_yet.json == {"status": "error", "database": "ok", "migrations": "not applied", "current": [],
                            "expected": sorted(not_yet.json["expected"])}
    assert not_yet.json["expected"]  # at least one head

    assert app.test_cli_runner().invoke(args=["db-upgrade"]).exit_code == 0
    ready = client.get("/health/ready")
    assert (ready.status_code, ready.json) == (200, {"status": "ok", "database": "ok", "migrations": "at head"})


def test_not_ready_when_the_database_is_unreachable(tmp_path):
    # nothing listens on port 1: the connection is refused at once
    app = create_app({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nothing",
                      "SECRET_KEY": GOOD_KEY, "TESTING": True})
    response = app.test_client().get("/health/ready")
    assert (response.status_code, response.json) == (503, {"status": "error", "database": "unreachable"})
