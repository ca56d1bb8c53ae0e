"""The demand-and-capacity return as NHS England would receive it: opened with openpyxl (sheets, real dates,
number formats, blanks with reasons, A4 landscape fitted to width, print titles, frozen panes, no formulas),
capacity worked by hand, and printed by LibreOffice on A4 landscape within a sensible page count."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from appraisal_impact import impact_service
from appraisal_impact.models import Appraisal
from tests.conftest import sign_in

TODAY = date(2026, 6, 1)
TRUSTS = ["RBD", "RN5", "R1F", "RHU", "RHM", "R0D"]  # by trust name


@pytest.fixture(autouse=True)
def _fresh_impact_cache():
    impact_service.clear_cache()
    yield
    impact_service.clear_cache()


@pytest.fixture
def return_file(app, client, seeded, users):
    app.config["TODAY"] = TODAY
    sign_in(client, users["lead"])
    response = client.get("/dashboard/return.xlsx")
    assert response.status_code == 200
    return response.data


def _summary_rows(book) -> dict[tuple[str, str], tuple]:
    rows = list(book["Summary"].iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row[0] == "Area")
    return {(row[0], row[1]): row for row in rows[header + 1:] if row[0]}


def test_sheets_and_print_setup(return_file):
    book = load_workbook(io.BytesIO(return_file))
    assert book.sheetnames == ["Summary", "Assumptions and sources", "Alliance", "ICB QVV", "ICB QRL", *TRUSTS]
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert setup.orientation == "landscape" and int(setup.paperSize) == 9, sheet.title  # A4
        # fit to 1 page wide (1 is the default OOXML leaves out), as many pages down as it needs
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth in (None, 1) and setup.fitToHeight == 0, sheet.title
        assert sheet.print_title_rows, sheet.title
        assert sheet.freeze_panes, sheet.title
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)  # no formulas anywhere


def test_summary_capacity_headroom_and_run_out_worked_by_hand(return_file):
    book = load_workbook(io.BytesIO(return_file))
    facts = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert facts["Figures as at"] == datetime(2026, 6, 1)  # a real date, not text
    assert book["Summary"]["B5"].number_format == "d mmm yyyy"
    rows = _summary_rows(book)
    rhm = rows[("University Hospital Southampton NHS Foundation Trust (RHM)", "Chair time")]
    # 40 chairs × 10 hours × 5 days × 85% = 1,700 chair-hours a week; 1,600 in use today
    assert rhm[3] == pytest.approx(1700) and rhm[4] == pytest.approx(1600)
    assert isinstance(rhm[8], datetime) and rhm[8].weekday() == 0  # runs out with the pipeline: a Monday
    assert rhm[7] is None or rhm[8] <= rhm[7]  # never later with the pipeline than without
    alliance = rows[("All 6 trusts in the alliance", "Chair time")]
    # R0D 1,292 + R1F 272 + RBD 459 + RHM 1,700 + RHU 1,147.5 + RN5 688.5 = 5,559
    assert alliance[3] == pytest.approx(5559)
    assert alliance[9] in TRUSTS  # the first trust to run out
    aseptic = rows[("All 6 trusts in the alliance", "Aseptic pharmacy time")]
    assert aseptic[3] == pytest.approx(1270)  # R1F has no aseptic capacity entered: the other five
    assert "1 of 6 trusts not yet known" in aseptic[10]
    r1f = rows[("Isle of Wight NHS Trust (R1F)", "Aseptic pharmacy time")]
    assert r1f[3] is None and "aseptic pharmacy capacity is not entered" in r1f[10]  # blank, never "not entered"


def test_trust_sheet_capacity_by_quarter_and_number_formats(return_file):
    book = load_workbook(io.BytesIO(return_file))
    sheet = book["RHM"]
    rows = list(sheet.iter_rows())
    start = next(i for i, row in enumerate(rows) if str(row[0].value).startswith("Chair time: capacity and demand by quarter"))
    header = [c.value for c in rows[start + 1]]
    assert header[:3] == ["Financial quarter", "Quarter from", "Capacity"]
    q2 = rows[start + 3]
    assert q2[0].value == "2026/27 Q2" and q2[1].value == datetime(2026, 7, 1) and q2[1].number_format == "d mmm yyyy"
    capacity, baseline, pipeline, with_pipeline, headroom_without, headroom_with, use = (c.value for c in q2[2:9])
    assert capacity == pytest.approx(1700)
    assert with_pipeline == pytest.approx(baseline + pipeline)
    assert headroom_with == pytest.approx(1700 - with_pipeline) and headroom_without == pytest.approx(1700 - baseline)
    assert use == pytest.approx(with_pipeline / 1700) and q2[8].number_format == "0.0%"
    assert q2[2].number_format == "#,##0.0"
    sources = book["Assumptions and sources"]
    cells = {c.value: c for row in sources.iter_rows() for c in row if c.value is not None}
    utilisation = next(c for row in sources.iter_rows() for c in row if c.value == 0.85)
    assert utilisation.number_format == "0.0%"  # 85.0%, not 0.85
    assert not [v for v in cells if isinstance(v, str) and v == "not entered"]
    starts = [row[5] for row in sources.iter_rows(values_only=True) if isinstance(row[5], datetime)]
    assert starts, "effective starts are dates, not ISO text"


def test_text_that_looks_like_a_formula_stays_text(app, client, seeded, users):
    appraisal = seeded.exec(select(Appraisal).order_by(Appraisal.id)).first()
    appraisal.source = '=HYPERLINK("http://evil.example","click")'
    seeded.add(appraisal)
    seeded.commit()
    app.config["TODAY"] = TODAY
    sign_in(client, users["lead"])
    book = load_workbook(io.BytesIO(client.get("/dashboard/return.xlsx").data))
    texts = [c.value for row in book["Assumptions and sources"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("'=HYPERLINK") for t in texts)


def test_libreoffice_prints_it_on_a4_landscape_within_a_sensible_page_count(return_file, tmp_path):
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (libreoffice-calc-nogui) is installed on this machine for this check"
    source = tmp_path / "return.xlsx"
    source.write_bytes(return_file)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=240)
    info = subprocess.run(["pdfinfo", str(tmp_path / "return.pdf")], check=True, capture_output=True, text=True).stdout
    pages = int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])
    size = next(line for line in info.splitlines() if line.startswith("Page size:"))
    assert "(A4)" in size and float(size.split()[2]) > float(size.split()[4])  # landscape: wider than tall
    # 12 sheets: summary and sources 2 each, alliance and ICBs 2 each, each trust 4 (measured 33; was 66 with cut text)
    assert pages <= 40
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(tmp_path / "return.pdf"), "-"],
                          check=True, capture_output=True, text=True).stdout
    assert "Demand-and-capacity return" in text and "Example data" in text
