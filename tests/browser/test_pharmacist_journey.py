"""A trust pharmacist's journey in a real browser: sign in, add a regimen with two components (the second row
added in place by htmx), fix a mistake the error summary points to, watch the preview, save; set their trust's
local chair minutes and see the preview change before saving; then find the change in the history. axe checks
each step. The same editor also works with JavaScript switched off."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, assert_accessible  # noqa: F401

pytestmark = pytest.mark.browser

REGIMEN = "Journey pembrolizumab + gemcitabine q3w"


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text))


def _preview_cell(page, measure: str, line: str) -> float:
    return _number(page.locator(f'#preview td[data-measure="{measure}"][data-line="{line}"]').inner_text())


def test_pharmacist_adds_a_regimen_sets_local_chair_minutes_and_finds_the_change_in_the_history(page, live_server, sign_in_as):
    started = time.monotonic()
    sign_in_as(page, "pharmacist")

    # the regimen library, then the editor
    page.get_by_role("link", name="Regimens", exact=True).click()
    page.get_by_role("button", name="Add a regimen").click()
    expect(page.get_by_role("heading", name="Add a regimen")).to_be_visible()
    assert_accessible(page, "empty regimen editor")

    page.get_by_label("Regimen name").fill(REGIMEN)
    page.get_by_label("Indication").fill("Journey test, until progression")
    page.get_by_label("Tumour site").fill("Lung")
    page.get_by_label("Cycle length").fill("400")  # a slip: days of a year, not of a cycle
    page.get_by_label("Attendance days").fill("1,8")
    page.get_by_label("Stop after").fill("2")
    page.get_by_label("Median time on treatment").fill("200")

    first = page.locator("#components-0")
    first.get_by_label("Drug").fill("Pembrolizumab")
    first.get_by_label("Dose", exact=True).fill("200")
    first.get_by_label("Days of the cycle it is given").fill("1")
    first.get_by_label("Chair minutes, first cycle").fill("60")
    first.get_by_label("Chair minutes, later cycles").fill("30")

    # a second component row, added in place (no page load)
    page.evaluate("window.__samePage = true")
    page.get_by_role("button", name="Add another component").click()
    second = page.locator("#components-1")
    second.get_by_label("Drug").wait_for()
    assert page.evaluate("window.__samePage") is True
    assert first.get_by_label("Drug").input_value() == "Pembrolizumab"  # nothing typed was lost
    second.get_by_label("Drug").fill("Gemcitabine")
    second.get_by_label("Dose", exact=True).fill("1000")
    second.get_by_label("Dose unit").select_option("mg/m2")
    second.get_by_label("Days of the cycle it is given").fill("1,8")
    second.get_by_label("Chair minutes, first cycle").fill("45")
    second.get_by_label("Chair minutes, later cycles").fill("45")

    # the preview waits for a complete form, and says why
    expect_text(page, "#preview", "The cycle length must be between 1 and 365 days")

    page.get_by_role("button", name="Add regimen", exact=True).click()
    assert page.title().startswith("Error:")
    page.get_by_role("link", name="The cycle length must be between 1 and 365 days").click()
    assert page.evaluate("document.activeElement.id") == "cycle_length_days"
    assert page.locator("#components-1-drug").input_value() == "Gemcitabine"  # kept after the refusal
    assert_accessible(page, "regimen editor with an error")
    page.get_by_label("Cycle length").fill("21")

    # the preview now shows the impact of the unsaved regimen
    page.locator("#preview td[data-measure=chair_hours_per_week]").first.wait_for()
    assert _preview_cell(page, "chair_hours_per_week", "10 new patients a year") > 0
    assert_accessible(page, "regimen editor with its preview")
    page.get_by_role("button", name="Add regimen", exact=True).click()

    # the regimen's page
    expect(page.get_by_role("heading", name=REGIMEN)).to_be_visible()
    components = page.locator("table").filter(has_text="Chair minutes, first cycle").first
    assert "Pembrolizumab" in components.inner_text() and "Gemcitabine" in components.inner_text()
    assert_accessible(page, "the new regimen")

    # the trust's own chair minutes, with the preview changing before anything is saved
    page.get_by_role("button", name="Set local timings for RHM").click()
    page.wait_for_load_state()
    # (60 on day 1 + 45 on days 1 and 8) / 2 attendances
    expect(page.locator("#chair_minutes_first_cycle-note")).to_have_text("Alliance figure: 75 minutes")
    page.locator("#preview td[data-measure=chair_hours_per_week]").first.wait_for()
    alliance = _preview_cell(page, "chair_hours_per_week", "Alliance figures")
    before = _preview_cell(page, "chair_hours_per_week", "Your figures")
    assert before == alliance
    page.get_by_label("Chair minutes an attendance, first cycle").fill("150")
    page.get_by_label("Chair minutes an attendance, later cycles").fill("120")
    page.wait_for_function(
        """([before]) => {
             const cell = document.querySelector('#preview td[data-measure="chair_hours_per_week"][data-line="Your figures"]');
             return cell && parseFloat(cell.textContent.replace(/[^0-9.]/g, '')) > before;
           }""",
        arg=[before],
    )
    after = _preview_cell(page, "chair_hours_per_week", "Your figures")
    assert after > alliance and _preview_cell(page, "chair_hours_per_week", "Alliance figures") == alliance
    page.get_by_label("Where these figures come from").fill("Day unit audit, May 2026")
    assert_accessible(page, "local timings with the preview")
    page.get_by_role("button", name="Save local timings").click()
    expect(page.get_by_text("Your trust's local figures for")).to_be_visible()
    # the page comes back with the saved figures in the preview, no longer marked "Not saved"
    expect(page.locator("#preview")).not_to_contain_text("Not saved")
    page.locator('#preview td[data-measure=chair_hours_per_week][data-line="Your saved figures"]').wait_for()
    assert _preview_cell(page, "chair_hours_per_week", "Your saved figures") == after
    assert_accessible(page, "local timings just saved")

    # the change, in the history of the override and of the trust
    history = page.locator("table").filter(has_text="History of changes")
    assert "chair minutes, first cycle" in history.inner_text() and "150" in history.inner_text()
    page.goto(f"{live_server.url}/trusts/RHM")
    trust_history = page.locator("table").filter(has_text="History of changes").inner_text()
    assert "Pharmacist Tester" in trust_history and "150" in trust_history and REGIMEN.lower() in trust_history.lower()
    assert_accessible(page, "the trust page with its history")
    print(f"\njourney (machine time): {time.monotonic() - started:.1f} s")


def expect_text(page, selector: str, text: str, timeout: float = 10_000) -> None:
    page.wait_for_function(
        "([selector, text]) => { const el = document.querySelector(selector); return el && el.textContent.includes(text); }",
        arg=[selector, text], timeout=timeout,
    )


def test_the_regimen_editor_works_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        user = live_server.users["pharmacist"]
        page.goto(f"{live_server.url}/sign-in")
        page.get_by_label("Email address").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_server.url}/regimens/new")
        page.get_by_label("Regimen name").fill("No-script regimen")
        page.get_by_label("Cycle length").fill("28")
        page.get_by_label("Maximum number of cycles").fill("6")
        page.locator("#components-0-drug").fill("Carboplatin")
        page.locator("#components-0-dose").fill("400")
        page.locator("#components-0-chair_minutes_first_cycle").fill("60")
        page.locator("#components-0-chair_minutes_later_cycles").fill("60")
        page.get_by_role("button", name="Add another component").click()  # a full round trip
        page.locator("#components-1-drug").fill("Paclitaxel")
        assert page.locator("#components-0-drug").input_value() == "Carboplatin"
        page.locator("#components-1-dose").fill("175")
        page.locator("#components-1-dose_basis").select_option("mg/m2")
        page.locator("#components-1-chair_minutes_first_cycle").fill("210")
        page.locator("#components-1-chair_minutes_later_cycles").fill("210")
        page.get_by_role("button", name="Update the preview").click()
        expect(page.locator("#preview-table")).to_be_visible()
        page.get_by_role("button", name="Add regimen", exact=True).click()
        expect(page.get_by_role("heading", name="No-script regimen")).to_be_visible()
        assert "Paclitaxel" in page.content() and "Carboplatin" in page.content()
    finally:
        context.close()
