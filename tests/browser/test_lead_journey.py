"""A SACT lead's journey in a real browser: filter the dashboard to one ICB, open a trust, see the week
its chairs run out, mark the trust ready for an appraisal. axe finds nothing on any page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_lead_filters_to_an_icb_opens_a_trust_and_marks_it_ready(page, live_server, sign_in_as):
    sign_in_as(page, "lead")
    page.get_by_role("link", name="Dashboard").first.click()
    expect(page.get_by_role("heading", name="Pipeline dashboard")).to_be_visible()
    assert page.locator("#dashboard-table tbody tr[data-appraisal]").count() == 8
    assert_accessible(page, "dashboard")

    # htmx swaps the table in place and keeps the filter in the address bar
    page.select_option("#icb", label="NHS Dorset Integrated Care Board")
    page.wait_for_url(re.compile(r"icb=QVV"))
    expect(page.locator("#dashboard-table")).to_contain_text("the trusts of NHS Dorset Integrated Care Board")
    trust_links = page.locator("#dashboard-table > p.app-source a").all_inner_texts()
    assert [re.sub(r"\s+.*", "", t) for t in trust_links] == ["RBD", "R0D"]  # Dorset's two trusts, by name
    assert_accessible(page, "dashboard filtered to Dorset")

    # open University Hospitals Dorset
    page.locator("#dashboard-table > p.app-source a", has_text="R0D").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Impact of the pipeline on University Hospitals Dorset NHS Foundation Trust")
    chairs = page.locator('#run-out tr[data-resource="chair_hours"]')
    expect(chairs.locator("td.app-run-out")).to_have_text(re.compile(r"^Week of \d{1,2} [A-Z][a-z]+ \d{4}$"))
    # the chart says the same in words, and its figures are one click away
    expect(page.locator("#chart-chair-hours-figure figcaption")).to_contain_text(re.compile("demand first exceeds capacity with the pipeline in the week of", re.I))
    page.get_by_text("Show the figures as a table").first.click()
    expect(page.locator("details table").first).to_be_visible()
    assert_accessible(page, "trust impact")

    # mark the trust ready for the first appraisal listed
    first_row = page.locator("#readiness ~ div table tbody tr").first
    title = first_row.locator("td").first.inner_text().split("\n")[0]
    first_row.get_by_role("link", name=re.compile("^Change")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Readiness for")
    assert_accessible(page, "readiness form")
    page.get_by_label("Ready", exact=True).check()
    page.get_by_label("Note (optional)").fill("Chairs and aseptic slots agreed")
    page.get_by_role("button", name="Save readiness").click()

    expect(page).to_have_url(re.compile(r"/trusts/R0D/impact#readiness$"))
    expect(page.get_by_role("status")).to_contain_text("marked as 'ready'")
    row = page.locator("#readiness ~ div table tbody tr", has_text=title).first
    expect(row).to_contain_text("Ready")
    expect(row).to_contain_text("Chairs and aseptic slots agreed")
    expect(row).to_contain_text("Lead Tester")
    assert_accessible(page, "trust impact after marking ready")


def test_readiness_form_errors_are_accessible(page, live_server, sign_in_as):
    sign_in_as(page, "lead")
    page.goto(f"{live_server.url}/trusts/RBD/impact")
    page.locator("#readiness ~ div table tbody tr").first.get_by_role("link", name=re.compile("^Change")).click()
    page.get_by_label("Note (optional)").fill("x" * 2001)
    page.get_by_role("button", name="Save readiness").click()
    expect(page).to_have_title(re.compile(r"^Error: Readiness"))
    expect(page.get_by_role("link", name="The note must be 2,000 characters or fewer")).to_be_visible()
    assert_accessible(page, "readiness errors")


def test_appraisal_impact_page_is_accessible(page, live_server, sign_in_as):
    sign_in_as(page, "viewer")
    page.goto(f"{live_server.url}/dashboard")
    page.locator("#dashboard-table tbody tr[data-appraisal] td a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Impact of")
    expect(page.locator("#by-trust tbody tr")).to_have_count(6)
    expect(page.locator("#chart-trusts-over-time-figure svg title")).to_contain_text("at each trust over the years modelled")
    expect(page.locator("#deadlines")).to_contain_text("Rule:")
    assert_accessible(page, "appraisal impact")


def test_what_changed_with_htmx_shows_the_error_in_place(page, live_server, sign_in_as):
    sign_in_as(page, "lead")
    page.goto(f"{live_server.url}/dashboard")
    page.get_by_label("Show changes since").fill("last week")
    page.get_by_role("button", name="Show changes").click()
    expect(page.locator("#what-changed")).to_contain_text("Enter a date in the format 2026-05-31")
    page.get_by_label("Show changes since").fill("2020-01-01")
    page.get_by_role("button", name="Show changes").click()
    expect(page.locator("#what-changed")).to_contain_text("Changes since 1 January 2020")
    expect(page.locator("#what-changed")).to_contain_text("New appraisals (8)")  # the seeded examples
    assert_accessible(page, "dashboard with changes since 2020")


# nhsuk-table sets a 2px negative margin each side (room for focus outlines), so a table that fits its
# column is 4px wider than the column: anything more is a table the lead must scroll sideways.
TABLES_THAT_OVERFLOW = """() => [...document.querySelectorAll("main table")]
    .filter(table => table.offsetParent !== null)
    .map(table => [table.id || table.caption?.innerText || "", Math.round(table.getBoundingClientRect().width),
                   table.parentElement.clientWidth])
    .filter(([name, width, column]) => width > column + 4)"""


@pytest.mark.parametrize("path", ["/dashboard", "/appraisals/{TA1037}/impact", "/trusts/RHM/impact"])
def test_lead_tables_and_charts_fit_a_1280px_screen(page, live_server, sign_in_as, path):
    sign_in_as(page, "lead")
    if "{TA1037}" in path:
        page.goto(f"{live_server.url}/dashboard")
        page.locator("#dashboard-table tbody tr[data-appraisal]", has_text="TA1037").locator("td a").first.click()
        expect(page.locator("#by-trust")).to_be_visible()
    else:
        page.goto(f"{live_server.url}{path}")
    assert page.viewport_size["width"] == 1280
    for summary in page.locator("details summary").all():  # the tables behind the charts too
        summary.click()
    assert page.evaluate(TABLES_THAT_OVERFLOW) == []
    # every caption wraps whole words inside its table: none is cut off
    cut = page.evaluate("""() => [...document.querySelectorAll("main caption")]
        .filter(c => c.offsetParent !== null && !c.classList.contains("nhsuk-u-visually-hidden"))
        .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.innerText)""")
    assert cut == []
    # cost is on screen without scrolling sideways
    for cost in page.locator("th", has_text=re.compile(r"^Cost")).all():
        box = cost.bounding_box()
        assert box["x"] + box["width"] <= 1280, cost.inner_text()
    # each chart's legend sits inside the chart
    for svg in page.locator("figure.app-chart svg").all():
        outside = svg.evaluate("""svg => { const frame = svg.getBoundingClientRect();
            return [...svg.querySelectorAll("text")].map(t => t.getBoundingClientRect())
              .filter(r => r.width && (r.left < frame.left - 1 || r.right > frame.right + 1)).length }""")
        assert outside == 0
    assert_accessible(page, path)
