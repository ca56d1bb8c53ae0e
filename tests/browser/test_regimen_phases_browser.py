"""A regimen given in phases in a real browser: its page lists the phases, a pharmacist adds one, and axe
finds nothing on either page (issue #11)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_pharmacist_reads_and_adds_a_phase(page, live_server, sign_in_as):
    sign_in_as(page, "pharmacist")
    page.goto(f"{live_server.url}/regimens")
    page.get_by_role("link", name="Durvalumab 1500 mg perioperative (4 x q3w then up to 12 x q4w)").click()
    phases = page.get_by_role("region", name="Later phases of Durvalumab 1500 mg perioperative (4 x q3w then up to 12 x q4w)")
    expect(phases).to_contain_text("Durvalumab 1500 mg q4w adjuvant after surgery (12 cycles)")
    expect(phases).to_contain_text("66%")
    assert_accessible(page, "regimen in phases")

    page.goto(f"{live_server.url}/regimens")
    page.get_by_role("link", name="Atezolizumab 1200 mg q3w adjuvant (1 year)").click()
    page.get_by_role("link", name="Add a later phase").click()
    expect(page.get_by_role("heading", name="Add phase 2")).to_be_visible()
    page.get_by_role("button", name="Add phase").click()  # nothing chosen: the error summary points to it
    expect(page.get_by_text("There is a problem")).to_be_visible()
    assert_accessible(page, "phase form with errors")
    page.get_by_label("Regimen given in this phase").select_option(label="Atezolizumab 1200 mg q3w")
    page.get_by_label("Patients who go on to this phase").fill("40")
    page.get_by_label("Gap before this phase").fill("0")
    page.get_by_role("button", name="Add phase").click()
    expect(page.get_by_text("Phase 2 is added.")).to_be_visible()
    region = page.get_by_role("region", name="Later phases of Atezolizumab 1200 mg q3w adjuvant (1 year)")
    expect(region).to_contain_text("40%")
