"""The demand-and-capacity return: sheets, cells worked by hand, prices statement, who may have confidential prices."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from appraisal_impact import impact_service
from appraisal_impact.models import ConfidentialPrice, DrugPack, Role
from tests.conftest import make_user, sign_in
from tests.test_trust_view import TODAY, build_tiny_alliance

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _fresh_impact_cache():
    impact_service.clear_cache()
    yield
    impact_service.clear_cache()


@pytest.fixture
def tiny(app, db):
    app.config["TODAY"] = TODAY
    data = build_tiny_alliance(db)
    pack = db.exec(DrugPack.__table__.select()).first()
    db.add(ConfidentialPrice(drug_pack_id=pack.id, price=600.0, note="PAS"))  # alliance-wide confidential price
    db.commit()
    data["lead"] = make_user(db, Role.lead, confidential=True)
    data["viewer"] = make_user(db, Role.viewer)
    return data


def _workbook(client, url="/dashboard/return.xlsx"):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == XLSX
    return response, load_workbook(io.BytesIO(response.data), data_only=True)


def _block(sheet, title: str) -> dict[str, dict[str, object]]:
    """{measure label: {period label: value}} for the block headed `title`."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[0] == title)
    header = rows[start + 1]
    block = {}
    for row in rows[start + 2:]:
        if row[0] is None:
            break
        block[row[0]] = {header[c]: row[c] for c in range(2, len(header)) if header[c] is not None}
    return block


def _rows_block(sheet, title: str) -> dict[str, dict[str, object]]:
    """{row label: {column heading: value}} for a block headed `title` with one row per period."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[0] == title)
    header = rows[start + 1]
    block = {}
    for row in rows[start + 2:]:
        if row[0] is None:
            break
        block[row[0]] = {header[c]: row[c] for c in range(1, len(header)) if header[c] is not None}
    return block


def _facts(book) -> dict[str, object]:
    """The label/value pairs at the top of the sources sheet (first occurrence of each label)."""
    facts: dict[str, object] = {}
    for row in book["Assumptions and sources"].iter_rows(values_only=True):
        if row[0]:
            facts.setdefault(row[0], row[1])
    return facts


def test_one_sheet_per_trust_and_a_sources_sheet(client, tiny):
    sign_in(client, tiny["viewer"])
    response, book = _workbook(client)
    assert book.sheetnames == ["Summary", "Assumptions and sources", "ICB QXX", "TST"]
    assert "attachment" in response.headers["Content-Disposition"]
    assert "demand-and-capacity-return" in response.headers["Content-Disposition"]


def test_figures_by_financial_year_and_quarter_match_the_hand_worked_case(client, tiny):
    sign_in(client, tiny["viewer"])
    _, book = _workbook(client)
    sheet = book["TST"]
    assert sheet["A1"].value == "Test Hospital NHS Trust (TST)"
    years = _block(sheet, "By financial year (April to March)")
    quarters = _rows_block(sheet, "By quarter of the financial year")
    # Grid: 260 Mondays from 1 June 2026. The figures layer counts a financial year by days: 2026/27 is on the
    # grid from 1 June 2026 to 31 March 2027, 304 days = 43.43 weeks (a part-year, labelled so).
    part = "2026/27 (from 1 June 2026)"
    assert years["Weeks in the period"][part] == pytest.approx(304 / 7, abs=0.005)
    # 10 patients a week start from 10 August 2026: to 31 March 2027 is 234 days = 33.43 weeks → 334.29
    # patients, each one 1-hour attendance in the week they start.
    starting = 10 * 234 / 7
    assert years["New patients starting treatment"][part] == pytest.approx(starting, abs=0.01)
    # chair time is shown a week (the period's mean week): 334.29 hours over 43.43 weeks
    assert years["Chair time a week"][part] == pytest.approx(starting / (304 / 7), abs=0.01)
    assert years["Aseptic staff time a week"][part] == pytest.approx(starting / (304 / 7) * 51 / 60, abs=0.01)
    # A whole year, 2027/28: 1 April 2027 to 31 March 2028, 366 days (29 February 2028) → 522.86 patients,
    # 10 chair hours every week.
    assert years["New patients starting treatment"]["2027/28"] == pytest.approx(10 * 366 / 7, abs=0.01)
    assert years["Chair time a week"]["2027/28"] == pytest.approx(10, abs=0.005)
    # 2026/27 Q2 (July–September: 92 days), from 10 August: 52 days → 74.29 patients
    assert quarters["2026/27 Q2"]["Weeks in the quarter"] == pytest.approx(92 / 7, abs=0.005)
    assert quarters["2026/27 Q2"]["New patients starting (patients)"] == pytest.approx(10 * 52 / 7, abs=0.01)
    assert quarters["2026/27 Q1 (from 1 June 2026)"]["Chair time a week (chair hours a week)"] == 0  # before the start
    # List prices: £1,000 a vial + £174 SB12Z delivery per patient.
    assert years["Drug cost (net)"]["2027/28"] == pytest.approx(10 * 366 / 7 * 1000, abs=0.01)
    assert years["Total cost (net)"]["2027/28"] == pytest.approx(10 * 366 / 7 * 1174, abs=0.01)


def test_sources_sheet_says_list_prices_and_names_the_assumptions(client, tiny):
    sign_in(client, tiny["lead"])  # even someone allowed confidential prices gets list prices by default
    _, book = _workbook(client)
    cells = _facts(book)
    assert cells["Prices"] == "List prices only (no confidential PAS prices)"
    assert "7% a year" in cells["Baseline growth"]
    text = " ".join(str(v) for row in book["Assumptions and sources"].iter_rows(values_only=True) for v in row if v)
    assert "Testumab for testing" in text and "hand-worked test case" in text
    assert "interim funding" in text  # the rule behind the effective start
    # 366 days of 10 patients a week at £1,000 (list price) each
    assert _block(book["TST"], "By financial year (April to March)")["Drug cost (net)"]["2027/28"] == pytest.approx(10 * 366 / 7 * 1000, abs=0.01)


def test_confidential_prices_only_on_request_by_someone_allowed(client, tiny):
    sign_in(client, tiny["lead"])
    response, book = _workbook(client, "/dashboard/return.xlsx?prices=confidential")
    assert "CONFIDENTIAL" in response.headers["Content-Disposition"]
    cells = _facts(book)
    assert cells["Prices"].startswith("CONFIDENTIAL prices included")
    # at the confidential £600 a vial
    assert _block(book["TST"], "By financial year (April to March)")["Drug cost (net)"]["2027/28"] == pytest.approx(10 * 366 / 7 * 600, abs=0.01)


def test_viewer_may_not_download_confidential_prices(client, tiny):
    sign_in(client, tiny["viewer"])
    assert client.get("/dashboard/return.xlsx?prices=confidential").status_code == 403


def test_seeded_return_for_one_icb(client, users, app):
    app.config["TODAY"] = date(2026, 6, 1)
    sign_in(client, users["alliance"])
    _, book = _workbook(client, "/dashboard/return.xlsx?icb=QVV")
    assert book.sheetnames == ["Summary", "Assumptions and sources", "ICB QVV", "RBD", "R0D"]  # trusts by name
    cells = _facts(book)
    assert cells["Trusts"] == "the trusts of NHS Dorset Integrated Care Board"
    by_appraisal = list(book["R0D"].iter_rows(values_only=True))
    start = next(i for i, row in enumerate(by_appraisal) if row[0] and str(row[0]).startswith("By appraisal"))
    assert len([row for row in by_appraisal[start + 2:] if row[0]]) == 8


def test_a_rule_that_waits_on_another_says_not_yet_known_once(client, users, app):
    # TA1097's publication date is TBC, so its funding deadline is not known, and its effective start
    # (which follows the funding deadline) quotes that rule: the tester saw "not yet known: not yet known: …".
    app.config["TODAY"] = date(2026, 6, 1)
    sign_in(client, users["alliance"])
    _, book = _workbook(client)
    rows = list(book["Assumptions and sources"].iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row[0] == "Appraisal")
    ta1097 = next(row for row in rows[header + 1:] if row[1] == "TA1097")
    effective_start_rule, funding_rule = ta1097[6], ta1097[8]
    assert effective_start_rule == "not yet known: publication date not known (TBC)"
    for row in rows[header + 1:]:
        for cell in row:
            assert "not yet known: not yet known" not in str(cell)
    assert funding_rule.startswith("not yet known")
