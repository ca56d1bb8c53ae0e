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


def test_account_pages_are_accessible_and_an_administrator_invites(page, live_server, sign_in_as):
    from tests.browser.conftest import assert_accessible

    sign_in_as(page, "admin")
    page.get_by_role("link", name="Admin Tester (Administrator)").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    assert_accessible(page, "your account")
    page.get_by_role("link", name="Change your password").click()
    page.get_by_role("button", name="Change your password").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    assert page.title().startswith("Error: ")
    assert_accessible(page, "change password with errors")

    page.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    assert_accessible(page, "users")
    page.get_by_role("link", name="Invite someone").click()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    assert_accessible(page, "invite with errors")
    page.get_by_role("link", name="Users").first.click()
    page.get_by_role("link", name="Viewer Tester").click()
    expect(page.get_by_role("heading", name="Viewer Tester")).to_be_visible()
    assert_accessible(page, "a user's page")
