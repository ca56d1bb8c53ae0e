"""A summary (the dict from `summaries.*.to_dict()`) as files: Excel, CSV and PDF.

Every file is made from the same dict the page shows, so a board paper matches the screen. Summaries only
ever hold list prices (see `summaries.py`), so neither can a file made from one. The figures are the
figures layer's (`appraisal_impact.figures`): a figure not yet known is a blank cell, and the row's
"Not yet known because" column (CSV: the figure's own) gives the reason.

Formula injection: every file is written through `exports.safe_writer` (text never becomes a formula;
text that begins like one is prefixed with a quote). Numbers are written as numbers.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .safe_writer import FORMULA_PREFIXES, csv_writer, neutralise, workbook as safe_workbook  # noqa: F401

PDF_FONTS = '"Liberation Sans", "DejaVu Sans", Arial, sans-serif'


# --- the summary as tables ------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column: where its value comes from, its heading (with the unit) and how to show it."""

    key: str | Callable[[dict], Any]
    heading: str
    kind: str = "text"  # text, number, money, date, percent, yes/no

    def reason(self, row: dict) -> str:
        """Why this figure of ``row`` is not (wholly) known, from the summary's ``not_yet_known``."""
        if callable(self.key):
            return ""
        return (row.get("not_yet_known") or {}).get(self.key, "")

    def value(self, row: dict) -> Any:
        raw = self.key(row) if callable(self.key) else row.get(self.key)
        if self.kind == "yes/no":
            return "yes" if raw else "no"
        if self.kind == "date" and raw:
            return date.fromisoformat(str(raw)[:10])
        return raw


@dataclass(frozen=True)
class Table:
    name: str  # sheet name (31 characters at most)
    title: str
    columns: tuple[Column, ...]
    rows: tuple[dict, ...]
    label_columns: int = 1  # how many leading columns name the row (for the CSV)

    def reasons(self, row: dict) -> str:
        """"Heading: reason" for each figure of ``row`` not (wholly) known."""
        return "; ".join(f"{c.heading}: {c.reason(row)}" for c in self.columns if c.reason(row))

    @property
    def has_reasons(self) -> bool:
        return any("not_yet_known" in row for row in self.rows)


def _about(summary: dict) -> Table:
    rows: list[tuple] = []  # (item, value) or (item, value, why it is not yet known)
    if summary["kind"] == "appraisal":
        appraisal, patients = summary["appraisal"], summary["patients"]
        rows += [
            ("Summary", "Appraisal summary"),
            ("Appraisal", appraisal["title"]),
            ("NICE reference", appraisal["nice_reference"]),
            ("Medicine", appraisal["medicine"]),
            ("What it treats", appraisal["indication"]),
            ("Tumour site", appraisal["tumour_site"]),
            ("Status", appraisal["status"]),
            ("Recommendation", appraisal["recommendation"] or "not yet made"),
            ("NICE page", appraisal["nice_url"]),
        ]
    else:
        icb = summary["icb"]
        rows += [
            ("Summary", "ICB summary"),
            ("ICB", f"{icb['name']} ({icb['ods_code']})"),
            ("Trusts", "; ".join(icb["trusts"])),
        ]
    rows += [
        ("Figures as at", date.fromisoformat(summary["figures_as_at"])),
        ("Prices", summary["price_basis"]),
    ]
    if summary["kind"] == "appraisal":
        rows += [
            ("Eligible people a year in England", patients["national_eligible_per_year"]),
            ("Source of eligible people", patients["national_eligible_source"]),
            ("Uptake by year from the start (%)", ", ".join(f"{p:g}" for p in patients["uptake_percent_by_year"])),
            ("Source of uptake", patients["uptake_source"]),
            ("Deadline note", summary["deadline_note"]),
        ]
    else:
        head = summary["headline"]
        why = head.get("not_yet_known") or {}
        rows += [
            ("Appraisals with a funding requirement", head["appraisals"]),
            *((label, head[key], why.get(key, "")) for label, key in (
                ("New patients in the next 12 months", "new_patients_next_12_months"),
                ("Patients on treatment once fully running", "patients_on_treatment"),
                ("Chair hours a week once fully running", "chair_hours_per_week"),
                ("Chairs needed once fully running", "chairs_needed"),
                ("Aseptic staff hours a week once fully running", "aseptic_hours_per_week"),
                ("Clinic appointments a week once fully running", "clinic_appointments_per_week"),
                ("Cost in the next 12 months (£, list prices)", "cost_next_12_months"),
            )),
            ("Next funding deadline", date.fromisoformat(head["next_deadline"]) if head["next_deadline"] else "none to come"),
            ("Next deadline is for", head["next_deadline_appraisal"]),
        ]
    rows += [(f"Note {i}", note) for i, note in enumerate(summary["notes"], 1)]
    rows += [(f"Source {i}", source) for i, source in enumerate(summary["sources"], 1)]
    return Table(
        "About", "About this summary",
        (Column("item", "Item"), Column("value", "Value")),
        tuple({"item": row[0], "value": row[1], "not_yet_known": {"value": row[2]} if len(row) > 2 and row[2] else {},
               "reason": row[2] if len(row) > 2 else ""} for row in rows),
    )


def _assumptions(summary: dict) -> Table:
    return Table(
        "Assumptions", "Key assumptions",
        (Column("label", "Assumption"), Column("value", "Value"), Column("is_estimate", "Planning estimate", "yes/no"),
         Column("source", "Source")),
        tuple(summary["assumptions"]),
    )


_TRUST_IMPACT_COLUMNS = (
    Column("ods_code", "ODS code"),
    Column("name", "Trust"),
    Column("eligible_per_year", "Eligible people a year (year 1)", "number"),
    Column("new_patients_year1", "New patients in year 1", "number"),
    Column("new_patients_year2", "New patients in year 2", "number"),
    Column("net_change_in_patients_year1", "Net change in patients starting in year 1 (less displaced)", "number"),
    Column("people_treated_year1", "People treated in year 1 (at least one cycle)", "number"),
    Column("patients_on_treatment", "Patients on treatment once fully running", "number"),
    Column("chair_hours_per_week", "Chair hours a week", "number"),
    Column("chairs_needed", "Chairs needed", "number"),
    Column("aseptic_hours_per_week", "Aseptic staff hours a week", "number"),
    Column("verification_hours_per_week", "Pharmacist verification hours a week", "number"),
    Column("clinic_appointments_per_week", "Clinic appointments a week", "number"),
    Column("clinic_hours_per_week", "Clinic hours a week", "number"),
    Column("cost_drug_year1", "Drug cost in year 1 (£)", "money"),
    Column("cost_delivery_year1", "Delivery cost in year 1 (£)", "money"),
    Column("cost_clinic_year1", "Clinic cost in year 1 (£)", "money"),
    Column("cost_total_year1", "Total cost in year 1 (£)", "money"),
    Column("cost_total_year2", "Total cost in year 2 (£)", "money"),
    Column("share_source", "How the trust's share of patients was found"),
)


def _appraisal_tables(summary: dict) -> list[Table]:
    by_trust = [*summary["trusts"], summary["total"]]
    if summary["displaced_total"]:
        by_trust.append(summary["displaced_total"])
    return [
        _about(summary),
        Table("Deadlines", "When it must be funded",
              (Column("label", "Date"), Column("date", "Date", "date"),
               Column("days_from_figures_date", "Days from the figures date", "number"),
               Column("rule", "Rule"), Column("source", "Source")),
              tuple(summary["deadlines"])),
        Table("By trust", "Patients, time and cost by trust (net of displaced treatments)",
              _TRUST_IMPACT_COLUMNS, tuple(by_trust), label_columns=2),
        Table("Treatments", "Treatments brought in and displaced",
              (Column("regimen", "Regimen"), Column("role", "Brings in or displaces"),
               Column("share_percent", "Share of patients (%)", "number"), Column("source", "Source")),
              tuple(summary["treatments"]), label_columns=2),
        _assumptions(summary),
    ]


def _icb_tables(summary: dict) -> list[Table]:
    return [
        _about(summary),
        Table("Appraisals", "Each appraisal's impact on the ICB's trusts (net, once fully running)",
              (Column("nice_reference", "NICE reference"), Column("title", "Appraisal"),
               Column("medicine", "Medicine"), Column("tumour_site", "Tumour site"), Column("status", "Status"),
               Column(lambda r: r["funding_deadline"]["date"], "Funding deadline", "date"),
               Column(lambda r: r["funding_deadline"]["rule"], "How the deadline is set"),
               Column(lambda r: r["effective_start"]["date"], "Trusts may first be asked to treat from", "date"),
               Column("new_patients_year1", "New patients in year 1", "number"),
               Column("patients_on_treatment", "Patients on treatment", "number"),
               Column("chair_hours_per_week", "Chair hours a week", "number"),
               Column("aseptic_hours_per_week", "Aseptic staff hours a week", "number"),
               Column("clinic_appointments_per_week", "Clinic appointments a week", "number"),
               Column("cost_total_year1", "Total cost in year 1 (£)", "money")),
              tuple(summary["appraisals"]), label_columns=2),
        Table("Trusts", "The whole pipeline at each trust (net, once fully running)",
              (Column("ods_code", "ODS code"), Column("name", "Trust"),
               Column("patients_on_treatment", "Patients on treatment", "number"),
               Column("chair_hours_per_week", "Chair hours a week", "number"),
               Column("chairs_needed", "Chairs needed", "number"),
               Column("aseptic_hours_per_week", "Aseptic staff hours a week", "number"),
               Column("clinic_appointments_per_week", "Clinic appointments a week", "number"),
               Column("cost_next_12_months", "Cost in the next 12 months (£)", "money")),
              tuple(summary["trusts"]), label_columns=2),
        Table("Capacity", "Capacity headroom: capacity minus demand on the date shown (12 months from the figures date)",
              (Column("ods_code", "ODS code"), Column("trust", "Trust"), Column("resource", "Resource"),
               Column("unit", "Unit"),
               Column("at", "Date", "date"),
               Column("capacity_per_week", "Capacity a week", "number"),
               Column("demand_today_per_week", "Demand today a week", "number"),
               Column("demand_at_date_without_pipeline_per_week", "Demand a week on the date, without the pipeline", "number"),
               Column("pipeline_at_date_per_week", "Pipeline demand a week on the date", "number"),
               Column("headroom_at_date_without_pipeline", "Headroom on the date without the pipeline", "number"),
               Column("headroom_at_date_with_pipeline", "Headroom on the date with the pipeline", "number"),
               Column("first_week_over_without_pipeline", "First week over capacity without the pipeline", "date"),
               Column("first_week_over_with_pipeline", "First week over capacity with the pipeline", "date"),
               Column("is_estimate", "Planning estimate", "yes/no"), Column("source", "Source")),
              tuple(summary["capacity"]), label_columns=3),
        _assumptions(summary),
    ]


def summary_tables(summary: dict) -> list[Table]:
    """The summary as tables, in the order a reader wants them."""
    return _appraisal_tables(summary) if summary["kind"] == "appraisal" else _icb_tables(summary)


def file_name(summary: dict, extension: str) -> str:
    """e.g. 'appraisal-summary-TA823-2026-06-01.xlsx', 'icb-summary-QVV-2026-06-01.pdf'."""
    if summary["kind"] == "appraisal":
        reference = summary["appraisal"]["nice_reference"] if summary["appraisal"]["nice_reference"].isascii() else ""
        name = "".join(ch for ch in reference if ch.isalnum()) or f"appraisal-{summary['appraisal']['id']}"
    else:
        name = "".join(ch for ch in summary["icb"]["ods_code"] if ch.isalnum())
    return f"{summary['kind']}-summary-{name}-{summary['figures_as_at']}.{extension}"


# --- CSV ------------------------------------------------------------------------------------------


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return neutralise(value)


def to_csv(summary: dict) -> bytes:
    """One row per figure: section, what the row is, which figure, its value (blank when not yet known) and
    why it is not yet known. UTF-8 with a BOM (for Excel)."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow(["Section", "Row", "Figure", "Value", "Not yet known because"])
    for table in summary_tables(summary):
        if table.name == "About":
            for row in table.rows:
                writer.writerow([_csv_value(table.title), "", _csv_value(row["item"]), _csv_value(row["value"]),
                                 _csv_value(row.get("reason", ""))])
            continue
        for row in table.rows:
            label = " ".join(str(table.columns[i].value(row)) for i in range(table.label_columns)
                             if table.columns[i].value(row) not in (None, ""))
            for column in table.columns[table.label_columns:]:
                writer.writerow([_csv_value(table.title), _csv_value(label), _csv_value(column.heading),
                                 _csv_value(column.value(row)), _csv_value(column.reason(row))])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- Excel ----------------------------------------------------------------------------------------


def to_xlsx(summary: dict) -> bytes:
    """One sheet per table, headings bold, units in the headings, numbers as numbers, text never a formula."""
    buffer = io.BytesIO()
    workbook = safe_workbook(buffer)
    workbook.set_properties({"title": _title(summary), "subject": "Appraisal Impact summary",
                             "comments": summary["price_basis"]})
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    title_format = workbook.add_format({"bold": True, "font_size": 14})
    formats = {
        "number": workbook.add_format({"num_format": "#,##0.0"}),
        "money": workbook.add_format({"num_format": "£#,##0"}),
        "date": workbook.add_format({"num_format": "d mmmm yyyy"}),
        "text": workbook.add_format({"text_wrap": False}),
    }
    for table in summary_tables(summary):
        sheet = workbook.add_worksheet(table.name[:31])
        sheet.write_string(0, 0, neutralise(table.title), title_format)
        sheet.write_string(1, 0, neutralise(f"Figures as at {summary['figures_as_at']}. {summary['price_basis']}"))
        header_row = 3
        reasons = table.has_reasons
        for c, column in enumerate(table.columns):
            sheet.write_string(header_row, c, neutralise(column.heading), bold)
            sheet.set_column(c, c, 14 if column.kind in ("number", "money", "date") else 28)
        if reasons:
            sheet.write_string(header_row, len(table.columns), "Not yet known because", bold)
            sheet.set_column(len(table.columns), len(table.columns), 40)
        for r, row in enumerate(table.rows, start=header_row + 1):
            for c, column in enumerate(table.columns):
                _write_cell(sheet, r, c, column.value(row), formats, column.kind)
            if reasons:
                _write_cell(sheet, r, len(table.columns), table.reasons(row), formats, "text")
        sheet.freeze_panes(header_row + 1, table.label_columns)
    workbook.close()
    return buffer.getvalue()


def _write_cell(sheet, row: int, col: int, value: Any, formats: dict, kind: str) -> None:
    if value is None or value == "":
        sheet.write_blank(row, col, None)
    elif isinstance(value, bool):
        sheet.write_string(row, col, "yes" if value else "no")
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value, formats.get(kind, formats["number"]))
    elif isinstance(value, date):
        sheet.write_datetime(row, col, value, formats["date"])
    else:
        sheet.write_string(row, col, neutralise(str(value)))


def _title(summary: dict) -> str:
    if summary["kind"] == "appraisal":
        return f"Appraisal summary: {summary['appraisal']['title']}"
    return f"ICB summary: {summary['icb']['name']}"


# --- PDF ------------------------------------------------------------------------------------------


def _no_fetching(url: str, *args, **kwargs):
    """WeasyPrint may fetch nothing: the print template carries everything it needs."""
    raise ValueError(f"the PDF renderer does not fetch {url!r}")


def to_pdf(html: str) -> bytes:
    """The print document's HTML (styles inlined) as a tagged PDF (WeasyPrint, PDF/UA-1), in local fonts, A4."""
    from weasyprint import CSS, HTML

    fonts = CSS(string=f"body {{ font-family: {PDF_FONTS}; }}")
    # tagged (PDF/UA-1): headings, tables, lists and figures are in the structure tree screen readers read
    return HTML(string=html, url_fetcher=_no_fetching).write_pdf(stylesheets=[fonts], pdf_variant="pdf/ua-1", pdf_tags=True)


def pdf_text(pdf_html: str) -> str:
    """All the text WeasyPrint lays out for a PDF (for checks on what a PDF says)."""
    from weasyprint import HTML

    document = HTML(string=pdf_html, url_fetcher=_no_fetching).render()
    texts: list[str] = []

    def walk(box):
        text = getattr(box, "text", None)
        if isinstance(text, str):
            texts.append(text)
        for child in getattr(box, "children", []) or []:
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return " ".join(texts)
