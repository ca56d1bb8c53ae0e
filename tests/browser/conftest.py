"""Real-browser fixtures: the seeded app served on 127.0.0.1, Playwright driving Debian's Chromium, axe.

The app runs in a thread with its own SQLite file (the example data, dates relative to 1 June 2026),
one app per test module. Playwright's own browser download is never used: Debian's /usr/bin/chromium is.
"""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import Session
from werkzeug.serving import make_server

from appraisal_impact import create_app
from appraisal_impact.db import create_schema, engine
from appraisal_impact.models import Role
from tests.conftest import PASSWORD, make_user

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

ROLE_USERS = {
    "viewer": dict(role=Role.viewer),
    "pharmacist": dict(role=Role.pharmacist, trust_ods="RHM", confidential=True),
    "other_pharmacist": dict(role=Role.pharmacist, trust_ods="R0D", confidential=True),
    "lead": dict(role=Role.lead, confidential=True),
    "alliance": dict(role=Role.alliance),
    "admin": dict(role=Role.admin, confidential=True),
}


@dataclass
class LiveServer:
    url: str
    app: object
    users: dict


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    database = tmp_path_factory.mktemp("live") / "live.sqlite"
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "browser-test-key", "TESTING": False}
    )
    with app.app_context():
        from appraisal_impact.seeding import seed_database

        create_schema(engine())
        with Session(engine(), expire_on_commit=False) as session:
            seed_database(session, None, today=date(2026, 6, 1))
            session.commit()
            users = {
                key: make_user(session, spec["role"], email=f"{key}@example.nhs.uk", name=f"{key.replace('_', ' ').title()} Tester",
                               trust_ods=spec.get("trust_ods"), confidential=spec.get("confidential", False))
                for key, spec in ROLE_USERS.items()
            }
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", app, users)
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def sign_in_as(live_server):
    """Sign `page` in as one of the test users: viewer, pharmacist, other_pharmacist, lead, alliance, admin."""

    def _sign_in(page, role_key: str):
        user = live_server.users[role_key]
        page.goto(f"{live_server.url}/sign-in")
        page.get_by_label("Email address").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        assert "/sign-in" not in page.url, "sign-in failed"
        return user

    return _sign_in


def assert_accessible(page, context: str = "") -> None:
    """axe-core finds no WCAG 2.x A/AA violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}},
    )
    violations = results.response["violations"]
    assert not violations, f"axe violations {context or page.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:5]}" for v in violations
    )
