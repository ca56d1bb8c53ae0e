"""The pipeline in a real browser: a viewer signs in, sees the example pipeline, filters it; axe finds nothing."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_sign_in_page_is_accessible(page, live_server):
    page.goto(f"{live_server.url}/sign-in")
    assert page.title().startswith("Sign in")
    assert_accessible(page)


def test_viewer_sees_and_filters_the_pipeline(page, live_server, sign_in_as):
    sign_in_as(page, "viewer")
    page.goto(f"{live_server.url}/pipeline")
    expect(page.get_by_role("heading", name="Appraisal pipeline")).to_be_visible()
    expect(page.get_by_text("Example data").first).to_be_visible()
    rows_before = page.locator("#pipeline-table tbody tr").count()
    assert rows_before >= 5
    assert_accessible(page, "pipeline")

    # htmx replaces the table in place and keeps the filter in the address bar
    first_site = page.locator("#site option").nth(1).get_attribute("value")
    page.select_option("#site", first_site)
    page.wait_for_url(lambda url: "site=" in url)
    page.wait_for_function("document.querySelectorAll('#pipeline-table tbody tr').length < %d" % rows_before)
    sites = page.locator("#pipeline-table tbody tr td:nth-child(2)").all_inner_texts()
    assert sites and all(first_site in s for s in sites)
    assert_accessible(page, "filtered pipeline")


def test_error_summary_on_bad_sign_in_is_accessible(page, live_server):
    page.goto(f"{live_server.url}/sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    expect(page.get_by_role("link", name="Enter your email address")).to_be_visible()
    assert_accessible(page, "sign-in errors")
