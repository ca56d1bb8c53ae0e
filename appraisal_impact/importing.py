"""Bulk import of regimens and list prices from CSV or Excel: read, check row by row, then add all or nothing.

Checks are the editing forms' own (`forms.RegimenForm`, `forms.PackForm`), run on each row, so a figure
refused on a page is refused in a file with the same message. A problem is reported with the row number
a person sees in their spreadsheet (the header is row 1).

Regimens: one row per component; the regimen's columns repeat on each of its rows and must agree. An
import only adds regimens: a name already in the library is a problem (change those on their page).
Prices: one row per pack; a pack already in the library (same drug and description) has its list price,
source and date updated; a drug or pack not yet there is added. Confidential prices are never imported.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import openpyxl
import pandas as pd
from werkzeug.datastructures import MultiDict

from . import audit
from .audit import Actor, as_text
from .exports import safe_writer
from .forms.fields import format_number
from .forms.regimens import CLINIC_TYPES, DOSE_BASES, HRG_FIRST, ROUTES, ComponentForm, PackForm, RegimenForm
from .models import DoseBasis, Drug, DrugPack, Regimen, RegimenComponent

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
# An .xlsx is a zip of XML: a small file can expand a thousandfold. These limits are checked on the zip's
# own directory before any XML is parsed, and the sheet is then read streaming, row by row.
MAX_UNCOMPRESSED_BYTES = 25 * 1024 * 1024  # a full 2,000-row import is about 3 MB of sheet XML
MAX_ZIP_ENTRIES = 200
MAX_COLUMNS = 60

REGIMEN_COLUMNS = [
    "regimen", "indication", "tumour_site", "cycle_length_days", "attendance_days", "is_oral", "max_cycles",
    "median_time_on_treatment_days", "max_years", "verification_minutes_per_cycle", "clinic_type", "clinic_minutes",
    "clinic_every_n_cycles", "delivery_hrg_first", "source", "is_estimate",
    "drug", "dose", "dose_basis", "dose_cap_mg", "route", "days", "chair_minutes_first_cycle",
    "chair_minutes_later_cycles", "aseptic_items", "aseptic_minutes_per_item",
]
REGIMEN_LEVEL = REGIMEN_COLUMNS[: REGIMEN_COLUMNS.index("drug")]
COMPONENT_LEVEL = REGIMEN_COLUMNS[REGIMEN_COLUMNS.index("drug") :]
REGIMEN_REQUIRED = ["regimen", "cycle_length_days", "drug", "dose", "chair_minutes_first_cycle"]
PRICE_COLUMNS = ["drug", "pack", "pack_mg", "list_price", "price_source", "price_date", "is_estimate"]
PRICE_REQUIRED = ["drug", "pack", "pack_mg"]
COLUMNS = {"regimens": REGIMEN_COLUMNS, "prices": PRICE_COLUMNS}
REQUIRED = {"regimens": REGIMEN_REQUIRED, "prices": PRICE_REQUIRED}

# Defaults for columns left blank, as the editor's form has them.
REGIMEN_DEFAULTS = {
    "attendance_days": "1", "verification_minutes_per_cycle": "10", "clinic_type": "nurse-led review",
    "clinic_minutes": "20", "clinic_every_n_cycles": "1", "delivery_hrg_first": "SB12Z",
    "dose_basis": "mg", "route": "IV", "days": "1", "aseptic_items": "1", "aseptic_minutes_per_item": "51",
}
CHOICES = {
    "clinic_type": list(CLINIC_TYPES),
    "delivery_hrg_first": [choice.value for choice in HRG_FIRST],
    "dose_basis": [choice.value for choice in DOSE_BASES],
    "route": [choice.value for choice in ROUTES],
}
TRUE_WORDS = {"true", "yes", "y", "1"}
FALSE_WORDS = {"false", "no", "n", "0", ""}


class ImportFileError(ValueError):
    """The file cannot be read at all (wrong type, empty, too big, missing columns)."""


@dataclass(frozen=True)
class Problem:
    row: int  # as numbered in the spreadsheet: the header is row 1
    column: str
    message: str


@dataclass
class RegimenImport:
    name: str
    rows: list[int]
    values: dict[str, Any]
    components: list[tuple[str, dict[str, Any]]]  # (drug name, component values)


@dataclass
class PriceImport:
    row: int
    drug: str
    values: dict[str, Any]
    existing_pack_id: int | None = None
    existing_price: float | None = None
    new_drug: bool = False

    @property
    def action(self) -> str:
        if self.existing_pack_id is None:
            return "new drug and pack" if self.new_drug else "new pack"
        old, new = self.existing_price, self.values.get("list_price")
        if as_text(old) == as_text(new):
            return "no change to the list price"
        money = (lambda v: "not published" if v is None else f"£{v:,.2f}")
        return f"list price {money(old)} → {money(new)}"


@dataclass
class ParsedImport:
    kind: str
    filename: str
    table: list[dict[str, str]]  # the rows as read, for the preview table
    problems: list[Problem] = field(default_factory=list)
    regimens: list[RegimenImport] = field(default_factory=list)
    prices: list[PriceImport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.table) and not self.problems

    def problems_by_row(self) -> dict[int, list[Problem]]:
        out: dict[int, list[Problem]] = {}
        for problem in self.problems:
            out.setdefault(problem.row, []).append(problem)
        return out


# --- reading ------------------------------------------------------------------------------------------


def read_table(filename: str, content: bytes, kind: str) -> list[dict[str, str]]:
    """The file's rows as text, columns named as in the template; comment lines (#) and blank rows skipped."""
    if not content:
        raise ImportFileError("The selected file is empty")
    if len(content) > MAX_BYTES:
        raise ImportFileError("The selected file must be smaller than 2 MB")
    name = (filename or "").lower()
    try:
        if name.endswith(".csv"):
            frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False, comment="#", skip_blank_lines=True, encoding="utf-8-sig")
        elif name.endswith(".xlsx"):
            frame = _read_xlsx(content)
        else:
            raise ImportFileError("The selected file must be a CSV or an Excel file (.csv or .xlsx)")
    except ImportFileError:
        raise
    except Exception as error:  # noqa: BLE001 - pandas raises many kinds; the user needs one message
        raise ImportFileError(f"The selected file could not be read as {'CSV' if name.endswith('.csv') else 'Excel'}: {error}") from None
    if len(frame.columns) > MAX_COLUMNS:
        raise ImportFileError(f"The selected file has more than {MAX_COLUMNS} columns: download the template to see the columns")
    frame.columns = [str(c).strip().lower().replace(" ", "_") for c in frame.columns]
    missing = [c for c in REQUIRED[kind] if c not in frame.columns]
    if missing:
        raise ImportFileError(f"The file has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}: download the template to see the columns")
    unknown = [c for c in frame.columns if c not in COLUMNS[kind] and not c.startswith("unnamed")]
    if unknown:
        raise ImportFileError(f"The file has columns this import does not know: {', '.join(unknown)}. Download the template to see the columns")
    rows = []
    for record in frame.to_dict("records"):
        row = {column: _text(record.get(column, "")) for column in COLUMNS[kind]}
        if any(row.values()):
            rows.append(row)
    if not rows:
        raise ImportFileError("The file has no rows under its header")
    if len(rows) > MAX_ROWS:
        raise ImportFileError(f"The file has {len(rows):,} rows: import at most {MAX_ROWS:,} at a time")
    return rows


def _check_xlsx_size(content: bytes) -> None:
    """Refuse a workbook whose XML would expand beyond the limits, from the zip's directory alone."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise ImportFileError("The selected file could not be read as Excel: save it again as an Excel workbook (.xlsx)") from None
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise ImportFileError("The selected Excel file has too many parts to be a simple table: save it as a CSV file and upload that")
    expanded = sum(entry.file_size for entry in entries)
    if expanded > MAX_UNCOMPRESSED_BYTES:
        raise ImportFileError(
            f"The selected Excel file holds about {expanded / 1024 / 1024:,.0f} MB of data once opened: import at most "
            f"{MAX_ROWS:,} rows of the template's columns at a time, or save it as a CSV file")


def _cell_text(value: Any) -> str:
    """A cell as the text a person sees: 100.0 → '100', a date → '2026-03-15 00:00:00', blank → ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(content: bytes) -> pd.DataFrame:
    """The first sheet, read streaming (openpyxl read-only mode; XML parsed with defusedxml), with limits
    on rows and columns checked as it is read."""
    _check_xlsx_size(content)
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the file's own claim of its size is not trusted: rows come as they are
        header: list[str] | None = None
        records: list[list[str]] = []
        for values in sheet.iter_rows(values_only=True):
            cells = [_cell_text(v) for v in values]
            while cells and cells[-1] == "":
                cells.pop()
            if len(cells) > MAX_COLUMNS:
                raise ImportFileError(f"The selected file has more than {MAX_COLUMNS} columns: download the template to see the columns")
            if header is None:
                if cells:
                    header = [c if c else f"unnamed: {i}" for i, c in enumerate(cells)]
                continue
            if len(records) > MAX_ROWS:
                raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows: import at most {MAX_ROWS:,} at a time")
            records.append(cells)
    finally:
        workbook.close()
    if header is None:
        raise ImportFileError("The selected file is empty")
    width = max([len(header), *(len(r) for r in records)])
    header += [f"unnamed: {i}" for i in range(len(header), width)]
    return pd.DataFrame([r + [""] * (width - len(r)) for r in records], columns=header, dtype=str)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _boolean(value: str) -> bool | None:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _date_parts(value: str) -> dict[str, str] | None:
    """'2026-03-15', '2026-03-15 00:00:00' (Excel) or '15/03/2026' as day, month, year boxes."""
    text = value.strip()
    if not text:
        return {"day": "", "month": "", "year": ""}
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            parsed = datetime.strptime(text, pattern).date()
            return {"day": str(parsed.day), "month": str(parsed.month), "year": str(parsed.year)}
        except ValueError:
            continue
    return None


# --- checking -----------------------------------------------------------------------------------------


def _form_errors(form) -> list[tuple[str, str]]:
    out = []
    for f in form:
        if f.type == "FieldList":
            continue
        if f.errors and isinstance(f.errors[0], str):
            out.append((f.short_name, f.errors[0]))
    return out


def _check_choices(row: dict[str, str], row_number: int, columns: list[str], problems: list[Problem]) -> bool:
    ok = True
    for column in columns:
        allowed = CHOICES.get(column)
        if allowed and row.get(column) and row[column] not in allowed:
            problems.append(Problem(row_number, column, f"'{row[column]}' is not one of: {', '.join(allowed)}"))
            ok = False
    return ok


def _normalise_regimen_row(row: dict[str, str]) -> dict[str, str]:
    out = dict(row)
    for column, default in REGIMEN_DEFAULTS.items():
        if not out.get(column):
            out[column] = default
    basis = out["dose_basis"].replace("²", "2").replace(" ", "")
    out["dose_basis"] = {"mg/m^2": "mg/m2"}.get(basis, basis)
    route = out["route"]
    out["route"] = "oral" if route.lower() == "oral" else route.upper()
    if not out.get("chair_minutes_later_cycles"):
        out["chair_minutes_later_cycles"] = out.get("chair_minutes_first_cycle", "")
    return out


def check_regimens(rows: list[dict[str, str]], *, existing_names: set[str], filename: str = "") -> ParsedImport:
    """Group the rows into regimens and check each with the regimen editor's form."""
    parsed = ParsedImport("regimens", filename, rows)
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for number, raw in enumerate(rows, start=2):
        row = _normalise_regimen_row(raw)
        if not row["regimen"]:
            parsed.problems.append(Problem(number, "regimen", "Enter the regimen's name"))
            continue
        groups.setdefault(row["regimen"].lower(), []).append((number, row))
    for group in groups.values():
        first_number, first = group[0]
        name = first["regimen"]
        problems_before = len(parsed.problems)
        if name.lower() in existing_names:
            parsed.problems.append(Problem(first_number, "regimen", f"A regimen called '{name}' is already in the library: change it on its page"))
        for number, row in group[1:]:
            for column in REGIMEN_LEVEL:
                if column != "regimen" and row[column] != first[column]:
                    parsed.problems.append(Problem(number, column, f"Differs from row {first_number} of the same regimen ('{row[column]}' and '{first[column]}')"))
        booleans = {}
        for column in ("is_oral", "is_estimate"):
            value = _boolean(first[column])
            if value is None:
                parsed.problems.append(Problem(first_number, column, "Enter true or false"))
            booleans[column] = value
        choices_ok = _check_choices(first, first_number, REGIMEN_LEVEL, parsed.problems)
        for number, row in group:
            choices_ok = _check_choices(row, number, COMPONENT_LEVEL, parsed.problems) and choices_ok
        if not choices_ok or len(parsed.problems) > problems_before:
            continue
        formdata = MultiDict({"name": name, **{c: first[c] for c in REGIMEN_LEVEL if c not in ("regimen", "is_oral", "is_estimate")}})
        for column, value in booleans.items():
            if value:
                formdata[column] = "y"
        for index, (_number, row) in enumerate(group):
            for column in COMPONENT_LEVEL:
                formdata[f"components-{index}-{column}"] = row[column]
        form = RegimenForm(formdata=formdata, meta={"csrf": False})
        form.validate()
        for column, message in _form_errors(form):
            parsed.problems.append(Problem(first_number, "regimen" if column == "name" else column, message))
        for index, entry in enumerate(form.components.entries):
            number = group[index][0]
            for column, message in _form_errors(entry.form):
                parsed.problems.append(Problem(number, column, message))
        if len(parsed.problems) > problems_before:
            continue
        values = {c: getattr(form, c).data for c in REGIMEN_LEVEL if c != "regimen"}
        values["name"] = name
        values["is_oral"], values["is_estimate"] = bool(booleans["is_oral"]), bool(booleans["is_estimate"])
        for text_column in ("indication", "tumour_site", "source"):
            values[text_column] = (values[text_column] or "").strip()
        components = []
        for entry in form.components.entries:
            component_values = {c: getattr(entry.form, c).data for c in COMPONENT_LEVEL if c != "drug"}
            component_values["dose_basis"] = DoseBasis(component_values["dose_basis"])
            components.append((entry.form.drug.data.strip(), component_values))
        parsed.regimens.append(RegimenImport(name, [n for n, _ in group], values, components))
    parsed.problems.sort(key=lambda p: (p.row, REGIMEN_COLUMNS.index(p.column) if p.column in REGIMEN_COLUMNS else 99))
    return parsed


def check_prices(rows: list[dict[str, str]], *, drugs: dict[str, Drug], packs: dict[tuple[int, str], DrugPack], filename: str = "") -> ParsedImport:
    """Check each pack row with the pack form; say what will happen to each (new, or the price changes)."""
    parsed = ParsedImport("prices", filename, rows)
    seen: dict[tuple[str, str], int] = {}
    for number, row in enumerate(rows, start=2):
        problems_before = len(parsed.problems)
        if not row["drug"]:
            parsed.problems.append(Problem(number, "drug", "Enter the drug's name"))
        key = (row["drug"].lower(), row["pack"].lower())
        if key in seen and row["drug"]:
            parsed.problems.append(Problem(number, "pack", f"The same pack as row {seen[key]}: give each pack one row"))
        seen.setdefault(key, number)
        estimate = _boolean(row["is_estimate"])
        if estimate is None:
            parsed.problems.append(Problem(number, "is_estimate", "Enter true or false"))
        parts = _date_parts(row["price_date"])
        if parts is None:
            parsed.problems.append(Problem(number, "price_date", "Enter the date as 2026-03-15 or 15/03/2026"))
            parts = {"day": "", "month": "", "year": ""}
        formdata = MultiDict({
            "description": row["pack"], "pack_mg": row["pack_mg"], "list_price": row["list_price"], "price_source": row["price_source"],
            **{f"price_date-{part}": value for part, value in parts.items()},
        })
        if estimate:
            formdata["is_estimate"] = "y"
        form = PackForm(formdata=formdata, meta={"csrf": False})
        form.validate()
        names = {"description": "pack", "price_date": "price_date"}
        for column, message in _form_errors(form):
            if column not in ("version", "opened_at"):
                parsed.problems.append(Problem(number, names.get(column, column), message))
        if len(parsed.problems) > problems_before:
            continue
        drug = drugs.get(row["drug"].lower())
        existing = packs.get((drug.id, row["pack"].lower())) if drug else None
        values = {name: getattr(form, name).data for name in ("description", "pack_mg", "list_price", "price_source", "price_date")}
        values["description"] = values["description"].strip()
        values["price_source"] = (values["price_source"] or "").strip()
        values["is_estimate"] = bool(estimate)
        parsed.prices.append(PriceImport(
            number, drug.name if drug else row["drug"], values,
            existing_pack_id=existing.id if existing else None,
            existing_price=existing.list_price if existing else None,
            new_drug=drug is None,
        ))
    parsed.problems.sort(key=lambda p: (p.row, PRICE_COLUMNS.index(p.column) if p.column in PRICE_COLUMNS else 99))
    return parsed


# --- importing ----------------------------------------------------------------------------------------


def _drug(session, actor: Actor, name: str, drugs: dict[str, Drug], *, is_oral: bool = False) -> Drug:
    key = name.lower()
    if key not in drugs:
        drug = Drug(name=name, is_oral=is_oral)
        session.add(drug)
        audit.record_created(session, actor, drug)
        drugs[key] = drug
    return drugs[key]


def apply(session, actor: Actor, parsed: ParsedImport, *, drugs: dict[str, Drug]) -> int:
    """Add everything in a checked import to the session (the caller commits once: all or nothing).

    Returns the number of regimens or packs added or changed. Refuses an import with problems.
    """
    if not parsed.ok:
        raise ValueError("an import with problems cannot be applied")
    count = 0
    if parsed.kind == "regimens":
        for item in parsed.regimens:
            regimen = Regimen(**item.values)
            session.add(regimen)
            audit.record_created(session, actor, regimen)
            for position, (drug_name, values) in enumerate(item.components, start=1):
                drug = _drug(session, actor, drug_name, drugs, is_oral=values["route"] == "oral")
                component = RegimenComponent(regimen_id=regimen.id, position=position, drug_id=drug.id, **values)
                session.add(component)
                basis = values["dose_basis"].value
                audit.record(session, actor, regimen, "update", f"component {position} added", None,
                             f"{drug.name} {format_number(values['dose'])} {basis} {values['route']} day {values['days']}")
            count += 1
        return count
    for item in parsed.prices:
        if item.existing_pack_id is not None:
            pack = session.get(DrugPack, item.existing_pack_id)
            changes = audit.apply_changes(session, actor, pack, {k: v for k, v in item.values.items() if k != "description"})
            count += bool(changes)
            continue
        drug = _drug(session, actor, item.drug, drugs)
        pack = DrugPack(drug_id=drug.id, **item.values)
        session.add(pack)
        audit.record_created(session, actor, pack, f"{drug.name} {pack.description}: {as_text(pack.list_price) or 'no list price'}")
        count += 1
    return count


# --- templates ----------------------------------------------------------------------------------------

TEMPLATE_ROWS = {
    "regimens": [
        {"regimen": "Enfortumab vedotin + pembrolizumab q21d (example)", "indication": "Urothelial cancer, until progression", "tumour_site": "Urological",
         "cycle_length_days": "21", "attendance_days": "1,8", "is_oral": "false", "max_cycles": "", "median_time_on_treatment_days": "280", "max_years": "",
         "verification_minutes_per_cycle": "14", "clinic_type": "consultant or nurse-led review", "clinic_minutes": "20", "clinic_every_n_cycles": "1",
         "delivery_hrg_first": "SB13Z", "source": "NICE TA1097; median time on treatment is an estimate", "is_estimate": "true",
         "drug": "Enfortumab vedotin", "dose": "1.25", "dose_basis": "mg/kg", "dose_cap_mg": "125", "route": "IV", "days": "1,8",
         "chair_minutes_first_cycle": "50", "chair_minutes_later_cycles": "50", "aseptic_items": "1", "aseptic_minutes_per_item": "51"},
        {"regimen": "Enfortumab vedotin + pembrolizumab q21d (example)", "indication": "Urothelial cancer, until progression", "tumour_site": "Urological",
         "cycle_length_days": "21", "attendance_days": "1,8", "is_oral": "false", "max_cycles": "", "median_time_on_treatment_days": "280", "max_years": "",
         "verification_minutes_per_cycle": "14", "clinic_type": "consultant or nurse-led review", "clinic_minutes": "20", "clinic_every_n_cycles": "1",
         "delivery_hrg_first": "SB13Z", "source": "NICE TA1097; median time on treatment is an estimate", "is_estimate": "true",
         "drug": "Pembrolizumab", "dose": "200", "dose_basis": "mg", "dose_cap_mg": "", "route": "IV", "days": "1",
         "chair_minutes_first_cycle": "30", "chair_minutes_later_cycles": "30", "aseptic_items": "1", "aseptic_minutes_per_item": "51"},
    ],
    "prices": [
        {"drug": "Pembrolizumab", "pack": "100 mg vial", "pack_mg": "100", "list_price": "2630", "price_source": "NICE TA830 section 2", "price_date": "2026-01-15", "is_estimate": "false"},
        {"drug": "Osimertinib", "pack": "30 x 80 mg tablets", "pack_mg": "2400", "list_price": "5770", "price_source": "NICE TA621", "price_date": "", "is_estimate": "false"},
    ],
}

COLUMN_NOTES = {
    "regimens": [
        ("regimen", "Name of the regimen. One row per drug: repeat the regimen's columns on each of its rows."),
        ("cycle_length_days", "1 to 365"),
        ("attendance_days", "Days of the cycle the patient attends, like 1 or 1,8 (default 1)"),
        ("is_oral / is_estimate", "true or false"),
        ("max_cycles, max_years, median_time_on_treatment_days", "The stop rule: fill in at least one"),
        ("clinic_type", ", ".join(CLINIC_TYPES)),
        ("delivery_hrg_first", ", ".join(CHOICES["delivery_hrg_first"])),
        ("dose_basis", "mg, mg/kg or mg/m2"),
        ("route", ", ".join(CHOICES["route"])),
        ("days", "Days of the cycle this drug is given, within the attendance days"),
        ("chair_minutes_*", "0 to 1,440 minutes; later cycles default to the first"),
    ],
    "prices": [
        ("drug", "Generic name; a drug not in the library is added"),
        ("pack", "Like 100 mg vial; a pack already in the library has its list price, source and date updated"),
        ("pack_mg", "Milligrams in one pack (30 x 80 mg tablets = 2400)"),
        ("list_price", "Pounds excluding VAT; blank if not published. Never a confidential (PAS) price."),
        ("price_source", "Needed when there is a list price"),
        ("price_date", "2026-03-15 or 15/03/2026"),
        ("is_estimate", "true or false"),
    ],
}


def template(kind: str, fmt: str) -> bytes:
    """A file to fill in: the columns, two example rows and (Excel) a sheet of notes."""
    rows = [[row.get(column, "") for column in COLUMNS[kind]] for row in TEMPLATE_ROWS[kind]]
    if fmt == "csv":
        out = io.StringIO()
        writer = safe_writer.csv_writer(out, lineterminator="\n")
        writer.writerow(COLUMNS[kind])
        writer.writerows(rows)
        return out.getvalue().encode("utf-8")
    buffer = io.BytesIO()
    book = safe_writer.workbook(buffer)
    bold = book.add_format({"bold": True})
    for name, header, body in ((kind.capitalize(), COLUMNS[kind], rows), ("Notes", ["column", "what to enter"], COLUMN_NOTES[kind])):
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, header, bold)
        for number, row in enumerate(body, start=1):
            sheet.write_row(number, 0, row)
    book.close()
    return buffer.getvalue()
