"""Alliance staff share a summary with an ICB: make a link, open it signed out, print it to PDF, withdraw it.
axe finds nothing on any page on the way."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

LABEL = "Dorset ICB board paper"


def test_alliance_staff_share_a_summary_then_withdraw_it(browser, page, live_server, sign_in_as):
    sign_in_as(page, "alliance")

    # find the ICB's summary and check it reads well before sharing it
    page.get_by_role("link", name="Sharing").click()
    assert_accessible(page, "sharing, no links yet")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Summaries").click()
    page.get_by_role("link", name="NHS Dorset Integrated Care Board").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("NHS Dorset Integrated Care Board")
    expect(page.get_by_text("Figures as at")).to_be_visible()
    assert_accessible(page, "ICB summary")

    # make a frozen link
    page.get_by_role("link", name="Share this summary").click()
    assert page.get_by_label("Summary to share").input_value().startswith("icb:")
    assert_accessible(page, "share form")
    page.get_by_label("Label").fill(LABEL)
    page.get_by_label("Freeze the figures as they are now").check()
    page.get_by_role("button", name="Create the link").click()
    expect(page.get_by_role("heading", name="Share link created")).to_be_visible()
    assert_accessible(page, "link created")
    link = page.locator("#share-url").input_value()
    assert "/s/" in link

    # a commissioner opens it, signed out, in a browser of their own
    reader_context = browser.new_context(viewport={"width": 1280, "height": 900})
    reader = reader_context.new_page()
    response = reader.goto(link)
    assert response.status == 200
    assert "noindex" in response.headers["x-robots-tag"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert reader.locator('meta[name="robots"]').get_attribute("content").startswith("noindex")
    expect(reader.get_by_role("heading", level=1)).to_contain_text("NHS Dorset Integrated Care Board")
    expect(reader.get_by_text("Figures as at").first).to_be_visible()
    assert reader.get_by_role("link", name="Sign in").count() == 0
    assert reader.get_by_role("link", name="Pipeline").count() == 0
    assert_accessible(reader, "shared summary")

    # ... and prints it
    pdf = reader.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000

    # the list shows that it was opened
    page.goto(f"{live_server.url}/sharing")
    row = page.locator("#share-links tbody tr", has_text=LABEL)
    assert row.get_by_text("Not opened yet").count() == 0
    assert row.locator("td.app-numeric").inner_text() == "1"

    # withdraw it (htmx replaces the list in place): the reader now sees that the link no longer works
    row.get_by_role("button", name=f"Withdraw the link '{LABEL}'").click()
    page.get_by_text("has been withdrawn").wait_for()
    assert page.url == f"{live_server.url}/sharing"
    expect(page.locator("#share-links tbody tr", has_text=LABEL).get_by_text("Withdrawn")).to_be_visible()
    assert_accessible(page, "sharing, link withdrawn")

    gone = reader.goto(link)
    assert gone.status == 410
    expect(reader.get_by_role("heading", name="This link no longer works")).to_be_visible()
    assert reader.get_by_role("link", name="Sign in").count() == 0
    assert_accessible(reader, "410 page")
    reader_context.close()


def test_an_appraisal_summary_and_its_errors_are_accessible(page, live_server, sign_in_as):
    sign_in_as(page, "alliance")
    page.goto(f"{live_server.url}/summaries")
    assert_accessible(page, "summaries index")
    page.get_by_role("link", name="Atezolizumab for adjuvant treatment of resected non-small-cell lung cancer").click()
    expect(page.get_by_text("Figures as at")).to_be_visible()
    expect(page.get_by_role("heading", name="Cost by trust and in total")).to_be_visible()
    assert_accessible(page, "appraisal summary")

    # a share form sent empty: the error summary links to each field
    page.get_by_role("link", name="Share this summary").click()
    page.get_by_role("button", name="Create the link").click()
    assert page.title().startswith("Error:")
    page.get_by_role("link", name="Enter a label, so that you know the link again").click()
    assert page.evaluate("document.activeElement.id") == "label"
    assert_accessible(page, "share form with errors")


def test_an_admin_makes_an_api_token_that_the_api_accepts(page, live_server, sign_in_as):
    sign_in_as(page, "admin")
    page.get_by_role("link", name="Sharing").click()
    page.get_by_role("link", name="API tokens").click()
    assert_accessible(page, "API tokens")
    page.get_by_label("Label").fill("Alliance dashboard")
    page.get_by_role("button", name="Create a token").click()
    token = page.locator("#api-token").input_value()
    assert_accessible(page, "API token created")
    api = page.context.request
    assert api.get(f"{live_server.url}/api/v1/pipeline").status == 401
    answered = api.get(f"{live_server.url}/api/v1/pipeline", headers={"Authorization": f"Bearer {token}"})
    assert answered.status == 200 and answered.json()["kind"] == "pipeline"
