"""Alliance staff read a NICE page they saved from their browser (the fallback when NICE refuses the tool):
an error first, then the check page, then confirm. No network: the page is pasted. axe finds nothing."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.nice.nice_support import recommendations_chapter

pytestmark = pytest.mark.browser

TITLE = ("Lu vipivotide tetraxetan for treating PSMA-positive hormone-relapsed metastatic prostate cancer after 2 or "
         "more therapies")


def test_alliance_staff_read_a_saved_page_check_it_and_add_it(page, live_server, sign_in_as):
    sign_in_as(page, "alliance")
    page.goto(f"{live_server.url}/nice")
    expect(page.get_by_role("heading", name="Read a saved NICE page")).to_be_visible()
    assert_accessible(page, "NICE updates")

    page.get_by_role("button", name="Read the saved page").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    assert_accessible(page, "saved page, error")

    page.get_by_label("The page’s address on nice.org.uk (optional)").fill(
        "https://www.nice.org.uk/guidance/ta1200/chapter/1-Recommendations")
    page.get_by_label("Or paste the page’s HTML").fill(recommendations_chapter(
        TITLE, "TA1200",
        ["1.1 Lutetium-177 vipivotide tetraxetan can be used, within its marketing authorisation, as an option to "
         "treat PSMA-positive hormone-relapsed metastatic prostate cancer in adults after 2 or more therapies."],
        published="2026-01-14"))
    page.get_by_role("button", name="Read the saved page").click()
    expect(page.get_by_role("heading", name="Check what was read from NICE")).to_be_visible()
    expect(page.get_by_text("Recommended: “1.1 Lutetium-177")).to_be_visible()
    assert_accessible(page, "check page for a saved page")

    page.get_by_role("button", name="Confirm and add").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lu vipivotide tetraxetan")
    expect(page.get_by_text("Added TA1200")).to_be_visible()
