"""Signing out in a real browser: the header's Sign out button (a form with its CSRF token) ends the session."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_sign_out_by_clicking_the_header_button(page, live_server, sign_in_as):
    sign_in_as(page, "viewer")
    page.goto(f"{live_server.url}/pipeline")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    session_cookie = next(c for c in page.context.cookies() if c["name"] == "session")

    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_text("You have signed out.")).to_be_visible()
    assert page.url.endswith("/sign-in")
    page.goto(f"{live_server.url}/pipeline")
    expect(page.get_by_role("heading", name="Sign in to Appraisal Impact")).to_be_visible()

    # The old cookie, put back by hand, no longer signs anyone in: the session ended on the server.
    page.context.add_cookies([{k: session_cookie[k] for k in ("name", "value", "domain", "path", "secure", "httpOnly")}])
    page.goto(f"{live_server.url}/pipeline")
    expect(page.get_by_role("heading", name="Sign in to Appraisal Impact")).to_be_visible()
