"""Uploads that could stall the service: a request too big to read, a small .xlsx that expands to tens of
megabytes of XML, an XML bomb, too many rows or columns. Each is refused with a page a person can act on,
before the work is done."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from appraisal_impact import importing
from appraisal_impact.importing import PRICE_COLUMNS
from tests.editing_support import people, signed_in, text_of  # noqa: F401

NHS_LAYOUT = "Appraisal Impact – NHS"


def upload(client, content: bytes, filename: str = "prices.xlsx"):
    return client.post("/imports/preview", data={"kind": "prices", "upload": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def replace_part(content: bytes, part: str, writer) -> bytes:
    """The same workbook with one part (zip entry) written anew by `writer(file)`, streamed."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename == part:
                info = zipfile.ZipInfo(part)
                info.compress_type = zipfile.ZIP_DEFLATED
                with target.open(info, "w", force_zip64=True) as handle:
                    writer(handle)
            else:
                target.writestr(item, source.read(item.filename))
    return out.getvalue()


GOOD_ROW = ["Pembrolizumab", "100 mg vial", 100, 2630, "NICE TA830", "", "false"]


def test_a_request_bigger_than_the_limit_is_refused_with_a_styled_page(app):
    fifty_megabytes = b"x" * (50 * 1024 * 1024)
    response = app.test_client().post("/sign-in", data={"email": "a@b.c", "password": fifty_megabytes.decode()})
    assert response.status_code == 413
    html = text_of(response)
    assert "What you sent is too large" in html and "at most 8 MB" in html and NHS_LAYOUT in html


def test_the_limit_is_a_setting(monkeypatch, tmp_path):
    from pathlib import Path

    from appraisal_impact.config import from_environment

    monkeypatch.setenv("MAX_UPLOAD_MB", "3")
    assert from_environment(Path(tmp_path))["MAX_CONTENT_LENGTH"] == 3 * 1024 * 1024


def test_a_small_xlsx_that_expands_hugely_is_refused_before_it_is_parsed(app, people, monkeypatch):
    sixty_megabytes_of_sheet = 60 * 1024 * 1024
    header = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
              'spreadsheetml/2006/main"><sheetData>').encode()

    def write_sheet(handle):
        handle.write(header)
        row = b'<row><c t="inlineStr"><is><t>Pembrolizumab</t></is></c></row>'
        chunk = row * (1024 * 1024 // len(row))
        for _ in range(sixty_megabytes_of_sheet // len(chunk)):
            handle.write(chunk)
        handle.write(b"</sheetData></worksheet>")

    bomb = replace_part(workbook([PRICE_COLUMNS, GOOD_ROW]), "xl/worksheets/sheet1.xml", write_sheet)
    assert len(bomb) < importing.MAX_BYTES  # small enough to be accepted as an upload
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist()) > 50 * 1024 * 1024

    def must_not_parse(*_args, **_kwargs):
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(importing.openpyxl, "load_workbook", must_not_parse)
    response = upload(signed_in(app, people["lead"]), bomb)
    assert response.status_code == 400
    html = text_of(response)
    assert "There is a problem" in html and "MB of data once opened" in html


def test_an_xml_bomb_is_refused_by_the_defused_parser(app, people):
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row><c t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>'
    )
    bomb = replace_part(workbook([PRICE_COLUMNS, GOOD_ROW]), "xl/worksheets/sheet1.xml", lambda h: h.write(laughs.encode()))
    response = upload(signed_in(app, people["lead"]), bomb)
    assert response.status_code == 400
    html = text_of(response)
    assert "could not be read as Excel" in html
    assert "lollollol" not in html


def test_too_many_rows_or_columns_are_refused_while_reading(app, people):
    client = signed_in(app, people["lead"])
    many_rows = workbook([PRICE_COLUMNS] + [GOOD_ROW[:1] + [f"vial {n}"] + GOOD_ROW[2:] for n in range(importing.MAX_ROWS + 5)])
    response = upload(client, many_rows)
    assert response.status_code == 400 and "more than 2,000 rows" in text_of(response)
    wide = workbook([PRICE_COLUMNS, GOOD_ROW + ["x"] * 100])
    response = upload(client, wide)
    assert response.status_code == 400 and "more than 60 columns" in text_of(response)
    wide_csv = (",".join(PRICE_COLUMNS + [f"extra{n}" for n in range(100)]) + "\n" + ",".join(map(str, GOOD_ROW)) + "\n").encode()
    response = upload(client, wide_csv, "prices.csv")
    assert response.status_code == 400 and "more than 60 columns" in text_of(response)


def test_a_sheet_that_claims_to_be_huge_is_read_by_its_real_rows(app, people):
    """The <dimension> a file declares (here the whole grid) is not trusted: only the rows present are read."""
    def write_sheet(handle):
        handle.write((
            '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<dimension ref="A1:XFD1048576"/><sheetData>'
            + "<row>" + "".join(f'<c t="inlineStr"><is><t>{c}</t></is></c>' for c in PRICE_COLUMNS) + "</row>"
            + "<row>" + "".join(f'<c t="inlineStr"><is><t>{c}</t></is></c>' for c in GOOD_ROW[:2])
            + '<c><v>100</v></c><c><v>2630</v></c><c t="inlineStr"><is><t>NICE TA830</t></is></c><c/>'
            '<c t="inlineStr"><is><t>false</t></is></c></row></sheetData></worksheet>').encode())

    claims_huge = replace_part(workbook([["placeholder"]]), "xl/worksheets/sheet1.xml", write_sheet)
    rows = importing.read_table("prices.xlsx", claims_huge, "prices")
    assert rows == [{"drug": "Pembrolizumab", "pack": "100 mg vial", "pack_mg": "100", "list_price": "2630",
                     "price_source": "NICE TA830", "price_date": "", "is_estimate": "false"}]


@pytest.mark.parametrize("cell, text", [(100.0, "100"), (2.5, "2.5"), (None, ""), ("  a ", "  a ")])
def test_cells_read_as_a_person_sees_them(cell, text):
    assert importing._cell_text(cell) == text
