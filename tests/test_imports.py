"""Bulk import of regimens and prices from CSV or Excel: a template, a preview, a row-by-row error report,
and all or nothing."""

from __future__ import annotations

import base64
import io
import re

import openpyxl
import pandas as pd
import pytest
from sqlmodel import select

from appraisal_impact.importing import REGIMEN_COLUMNS, TEMPLATE_ROWS
from appraisal_impact.models import AuditEntry, Drug, DrugPack, Regimen, RegimenComponent
from tests.editing_support import count, people, regimen_named, signed_in, text_of  # noqa: F401


def csv_bytes(rows: list[dict], columns=None) -> bytes:
    return pd.DataFrame(rows, columns=columns).to_csv(index=False).encode()


def xlsx_bytes(rows: list[dict]) -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame(rows).to_excel(buffer, index=False)
    return buffer.getvalue()


def upload(client, kind: str, content: bytes, filename: str):
    return client.post("/imports/preview", data={"kind": kind, "upload": (io.BytesIO(content), filename)}, content_type="multipart/form-data")


def confirm_fields(html: str) -> dict[str, str]:
    form = re.search(r'<form method="post" action="/imports/confirm">.*?</form>', html, re.S).group(0)
    return dict(re.findall(r'name="([^"]+)" type="hidden" value="([^"]*)"', form)) | dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))


def two_regimens() -> list[dict]:
    """Two regimens: EV + pembrolizumab (two rows) and a new one-drug regimen."""
    rows = [dict(row) for row in TEMPLATE_ROWS["regimens"]]
    for row in rows:
        row["regimen"] = "Imported EV + pembrolizumab"
    single = dict(rows[1]) | {"regimen": "Imported pembrolizumab q6w", "cycle_length_days": "42", "attendance_days": "1", "dose": "400",
                              "median_time_on_treatment_days": "", "max_cycles": "18", "max_years": "2", "drug": "Pembrolizumab"}
    return rows + [single]


# --- templates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["regimens", "prices"])
def test_the_templates_download_with_their_columns(app, people, kind):
    client = signed_in(app, people["pharmacist"])
    csv = client.get(f"/imports/template/{kind}.csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["Content-Disposition"]
    header = csv.get_data(as_text=True).splitlines()[0].split(",")
    assert header[0] == ("regimen" if kind == "regimens" else "drug")
    excel = client.get(f"/imports/template/{kind}.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(excel.data))
    assert workbook.sheetnames == [kind.capitalize(), "Notes"]
    assert [c.value for c in workbook.worksheets[0][1]] == header


def test_the_template_itself_imports_cleanly(app, db, people):
    client = signed_in(app, people["pharmacist"])
    content = client.get("/imports/template/regimens.xlsx").data
    response = upload(client, "regimens", content, "template.xlsx")
    assert response.status_code == 200, text_of(response)[:3000]
    assert "no problems" in text_of(response)


# --- regimens ----------------------------------------------------------------------------------------


def test_regimens_preview_then_confirm_imports_everything_in_one_go(app, db, people):
    client = signed_in(app, people["pharmacist"])
    before = count(db, Regimen)
    response = upload(client, "regimens", csv_bytes(two_regimens(), REGIMEN_COLUMNS), "regimens.csv")
    html = text_of(response)
    assert response.status_code == 200 and "3 rows, no problems" in html and "2 regimens will be added" in html
    assert "New regimen" in html and "(same regimen)" in html
    assert count(db, Regimen) == before  # nothing saved by the preview
    response = client.post("/imports/confirm", data=confirm_fields(html))
    assert response.status_code == 302
    assert count(db, Regimen) == before + 2
    ev = regimen_named(db, "Imported EV + pembrolizumab")
    components = db.exec(select(RegimenComponent).where(RegimenComponent.regimen_id == ev.id).order_by(RegimenComponent.position)).all()
    assert [(c.dose, c.days, c.dose_cap_mg) for c in components] == [(1.25, "1,8", 125), (200, "1", None)]
    assert ev.attendance_days == "1,8" and ev.median_time_on_treatment_days == 280 and ev.is_estimate
    created = db.exec(select(AuditEntry).where(AuditEntry.entity == "regimen", AuditEntry.entity_id == ev.id, AuditEntry.action == "create")).one()
    assert (created.origin, created.user_name) == ("import", "Pharmacist")


def test_an_excel_file_works_like_a_csv(app, db, people):
    client = signed_in(app, people["pharmacist"])
    response = upload(client, "regimens", xlsx_bytes(two_regimens()), "regimens.xlsx")
    assert response.status_code == 200 and "no problems" in text_of(response)


def test_every_problem_is_reported_by_row_and_nothing_is_imported(app, db, people):
    rows = two_regimens()
    rows[0]["cycle_length_days"] = "400"
    rows[1]["cycle_length_days"] = "400"
    rows[1]["dose"] = "-200"
    rows[2]["clinic_type"] = "telephone"
    rows[2]["chair_minutes_first_cycle"] = "lots"
    client = signed_in(app, people["pharmacist"])
    before = (count(db, Regimen), count(db, AuditEntry), count(db, Drug))
    response = upload(client, "regimens", csv_bytes(rows, REGIMEN_COLUMNS), "regimens.csv")
    html = text_of(response)
    assert response.status_code == 400 and "There is a problem" in html and "Nothing has been imported" in html
    assert "Row 2, cycle_length_days: The cycle length must be between 1 and 365 days" in html
    assert "Row 3, dose: The dose must be more than 0" in html
    assert "Row 4, clinic_type: &#39;telephone&#39; is not one of" in html
    assert 'href="#row-3"' in html and 'id="row-3"' in html
    assert "/imports/confirm" not in html  # no way to import a file with problems
    assert (count(db, Regimen), count(db, AuditEntry), count(db, Drug)) == before


def test_rows_of_one_regimen_must_agree(app, people):
    rows = two_regimens()
    rows[1]["cycle_length_days"] = "28"
    html = text_of(upload(signed_in(app, people["pharmacist"]), "regimens", csv_bytes(rows, REGIMEN_COLUMNS), "r.csv"))
    assert "Row 3, cycle_length_days: Differs from row 2 of the same regimen" in html


def test_a_regimen_already_in_the_library_is_a_problem(app, db, people):
    rows = two_regimens()
    rows[2]["regimen"] = "Pembrolizumab 200 mg q3w"
    html = text_of(upload(signed_in(app, people["pharmacist"]), "regimens", csv_bytes(rows, REGIMEN_COLUMNS), "r.csv"))
    assert "A regimen called &#39;Pembrolizumab 200 mg q3w&#39; is already in the library" in html


def test_confirm_checks_the_file_again_and_imports_all_or_nothing(app, db, people):
    """A tampered confirmation (a bad row slipped in after the preview) imports nothing at all."""
    client = signed_in(app, people["pharmacist"])
    html = text_of(upload(client, "regimens", csv_bytes(two_regimens(), REGIMEN_COLUMNS), "regimens.csv"))
    fields = confirm_fields(html)
    rows = two_regimens()
    rows[2]["dose"] = "0"
    fields["content"] = base64.b64encode(csv_bytes(rows, REGIMEN_COLUMNS)).decode()
    before = (count(db, Regimen), count(db, Drug), count(db, AuditEntry))
    response = client.post("/imports/confirm", data=fields)
    assert response.status_code == 400 and "Row 4, dose" in text_of(response)
    assert (count(db, Regimen), count(db, Drug), count(db, AuditEntry)) == before


def test_a_failure_while_importing_rolls_everything_back(app, db, people, monkeypatch):
    from appraisal_impact import importing

    real_record = importing.audit.record
    calls = {"n": 0}

    def failing_record(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # part-way through the second regimen's components
            raise RuntimeError("disk full")
        return real_record(*args, **kwargs)

    client = signed_in(app, people["pharmacist"])
    html = text_of(upload(client, "regimens", csv_bytes(two_regimens(), REGIMEN_COLUMNS), "regimens.csv"))
    monkeypatch.setattr(importing.audit, "record", failing_record)
    before = (count(db, Regimen), count(db, RegimenComponent), count(db, AuditEntry))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.post("/imports/confirm", data=confirm_fields(html))
    assert response.status_code == 500
    assert (count(db, Regimen), count(db, RegimenComponent), count(db, AuditEntry)) == before


@pytest.mark.parametrize("content, filename, message", [
    (b"", "empty.csv", "The selected file is empty"),
    (b"name,colour\nx,blue\n", "wrong.csv", "The file has no regimen, cycle_length_days"),
    (b"regimen,cycle_length_days,drug,dose,chair_minutes_first_cycle,colour\nx,21,y,1,1,blue\n", "extra.csv", "columns this import does not know: colour"),
    (b"hello", "notes.txt", "must be a CSV or an Excel file"),
    (b"not a spreadsheet", "broken.xlsx", "could not be read as Excel"),
])
def test_files_that_cannot_be_read_are_refused_plainly(app, db, people, content, filename, message):
    response = upload(signed_in(app, people["pharmacist"]), "regimens", content, filename)
    assert response.status_code == 400 and message in text_of(response) and "There is a problem" in text_of(response)


def test_no_file_is_an_error_beside_the_field(app, people):
    response = signed_in(app, people["pharmacist"]).post("/imports/preview", data={"kind": "regimens"}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Select a CSV or Excel file" in text_of(response)


# --- prices ------------------------------------------------------------------------------------------


def test_prices_add_new_packs_and_update_existing_list_prices_on_the_record(app, db, people):
    rows = [
        {"drug": "Pembrolizumab", "pack": "100 mg vial", "pack_mg": "100", "list_price": "2700", "price_source": "BNF May 2026", "price_date": "2026-05-01", "is_estimate": "false"},
        {"drug": "Newdrugumab", "pack": "50 mg vial", "pack_mg": "50", "list_price": "800", "price_source": "Company price list", "price_date": "01/04/2026", "is_estimate": "true"},
    ]
    client = signed_in(app, people["pharmacist"])
    html = text_of(upload(client, "prices", csv_bytes(rows), "prices.csv"))
    assert "List price £2,630.00 → £2,700.00" in html and "New drug and pack" in html
    assert client.post("/imports/confirm", data=confirm_fields(html)).status_code == 302
    pembro = db.exec(select(Drug).where(Drug.name == "Pembrolizumab")).one()
    pack = db.exec(select(DrugPack).where(DrugPack.drug_id == pembro.id, DrugPack.description == "100 mg vial")).one()
    assert (pack.list_price, pack.price_source, str(pack.price_date)) == (2700, "BNF May 2026", "2026-05-01")
    change = db.exec(select(AuditEntry).where(AuditEntry.entity == "drugpack", AuditEntry.entity_id == pack.id, AuditEntry.field == "list_price")).one()
    assert (change.old_value, change.new_value, change.origin) == ("2630", "2700", "import")
    new_pack = db.exec(select(DrugPack).join(Drug, Drug.id == DrugPack.drug_id).where(Drug.name == "Newdrugumab")).one()
    assert new_pack.is_estimate and str(new_pack.price_date) == "2026-04-01"


def test_price_rows_are_checked_like_the_pack_form(app, db, people):
    rows = [
        {"drug": "Pembrolizumab", "pack": "100 mg vial", "pack_mg": "0", "list_price": "10", "price_source": "x", "price_date": "", "is_estimate": ""},
        {"drug": "Pembrolizumab", "pack": "100 mg vial", "pack_mg": "100", "list_price": "10", "price_source": "", "price_date": "31/02/2026", "is_estimate": "maybe"},
    ]
    html = text_of(upload(signed_in(app, people["pharmacist"]), "prices", csv_bytes(rows), "prices.csv"))
    for expected in ("Row 2, pack_mg: The milligrams in one pack must be between 0.01 and 1,000,000 mg", "Row 3, pack: The same pack as row 2",
                     "Row 3, price_date: Enter the date as 2026-03-15 or 15/03/2026", "Row 3, is_estimate: Enter true or false",
                     "Row 3, price_source: Enter where the list price comes from"):
        assert expected in html, expected
