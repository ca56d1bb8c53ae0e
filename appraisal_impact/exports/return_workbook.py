"""The demand-and-capacity return: an Excel workbook, one sheet per trust, of the pipeline's net
impact by financial year and by quarter, with assumptions and sources on a sheet of their own.

Pure apart from the rows it is given: no Flask, no queries. Every figure is chosen from the figures layer
(`appraisal_impact.figures`): periods are its financial years and quarters (counted by days; a part-period
at either end of the years modelled says so), a figure not yet known is a blank cell with the reason in
the row's last column. Prices are whatever the figures were computed with; `confidential` says which, and
the first sheet states it in words.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime, timedelta

from ..core import impact as core
from ..formatting import source_words
from . import safe_writer

# (figure, label, unit): flows are totals over the period, "a week" figures its mean week.
ROWS = (
    ("new_patients", "New patients starting treatment", "patients"),
    ("net_change_in_patients", "Net change in patients starting (less those no longer starting a displaced treatment)", "patients"),
    ("people_treated", "People treated (at least one cycle in the period)", "patients"),
    ("patients_on_treatment", "Patients on treatment (mean)", "patients"),
    ("attendances_per_week", "Day-unit attendances a week", "attendances a week"),
    ("chair_hours_per_week", "Chair time a week", "chair hours a week"),
    ("aseptic_hours_per_week", "Aseptic staff time a week", "staff hours a week"),
    ("verification_hours_per_week", "Clinical verification a week", "pharmacist hours a week"),
    ("clinic_appointments_per_week", "Clinic appointments a week", "appointments a week"),
    ("clinic_hours_per_week", "Clinic time a week", "hours a week"),
    ("drug_cost", "Drug cost", "£"),
    ("delivery_cost", "Delivery (HRG) cost", "£"),
    ("clinic_cost", "Clinic cost", "£"),
    ("total_cost_gross", "Cost of the new treatments", "£"),
    ("total_cost_displaced", "Saved on displaced treatments", "£"),
)
TOTAL_COST = ("total_cost", "Total cost (net)", "£")
REASON_HEADER = "Not yet known because"
SOURCES_SHEET = "Assumptions and sources"


def quarter_label(day) -> str:
    """"2026/27 Q1" for April–June 2026 (NHS financial year, April–March)."""
    return f"{core.financial_year_label(day)} Q{(day.month - 4) % 12 // 3 + 1}"


def build(
    *,
    figures,
    loaded,
    trusts: list,
    icbs: Mapping[int, object],
    deadlines: Mapping[int, object],
    growth_percent: float,
    reference_values: Mapping[str, object],
    trust_sources: Mapping[int, Mapping[str, object]],
    confidential: bool,
    prepared_by: str,
    prepared_at: datetime,
    scope: str,
) -> io.BytesIO:
    """The workbook as bytes, ready to send."""
    buffer = io.BytesIO()
    book = safe_writer.workbook(buffer)
    fmt = {
        "title": book.add_format({"bold": True, "font_size": 14}),
        "bold": book.add_format({"bold": True}),
        "header": book.add_format({"bold": True, "bg_color": "#E8EDEE", "border": 1, "text_wrap": True}),
        "number": book.add_format({"num_format": "#,##0.0"}),
        "money": book.add_format({"num_format": "£#,##0"}),
        "date": book.add_format({"num_format": "d mmmm yyyy"}),
        "warning": book.add_format({"bold": True, "font_color": "#D5281B"}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
    }
    prices_text = (
        "CONFIDENTIAL prices included where the person who downloaded this may see them (commercial in confidence: "
        "do not share or publish this workbook)"
        if confidential
        else "List prices only (no confidential PAS prices)"
    )
    first_week = figures.grid_start
    last_week = figures.horizon_end - timedelta(days=1)

    _sources_sheet(book, fmt, figures, loaded, trusts, icbs, deadlines, growth_percent, reference_values,
                   trust_sources, prices_text, confidential, prepared_by, prepared_at, scope, first_week, last_week)

    for trust in trusts:
        _trust_sheet(book, fmt, figures, loaded, trust, icbs, deadlines, prices_text, confidential, first_week, last_week)
    book.close()
    buffer.seek(0)
    return buffer


def _number(sheet, row: int, col: int, figure, style) -> None:
    """A figure as a number, or a blank cell when not yet known."""
    if figure.value is None:
        sheet.write_blank(row, col, None)
    else:
        sheet.write_number(row, col, round(figure.value, 2) + 0.0, style)


def _write_period_block(sheet, fmt, row: int, title: str, periods: dict) -> int:
    """A block of the figures layer's periods (``{key: PeriodFigures}``), one column each."""
    sheet.write(row, 0, title, fmt["bold"])
    row += 1
    sheet.write(row, 0, "Measure", fmt["header"])
    sheet.write(row, 1, "Unit", fmt["header"])
    for col, label in enumerate(periods, start=2):
        sheet.write(row, col, label, fmt["header"])
    reason_col = 2 + len(periods)
    sheet.write(row, reason_col, REASON_HEADER, fmt["header"])
    row += 1
    sheet.write(row, 0, "Weeks in the period")
    sheet.write(row, 1, "weeks")
    for col, period in enumerate(periods.values(), start=2):
        sheet.write_number(row, col, round(period.weeks, 2))
    row += 1
    for name, label, unit in (*ROWS, TOTAL_COST):
        sheet.write(row, 0, label, fmt["bold"] if name == TOTAL_COST[0] else None)
        sheet.write(row, 1, unit)
        style = fmt["money"] if unit == "£" else fmt["number"]
        notes = {}
        for col, (key, period) in enumerate(periods.items(), start=2):
            figure = getattr(period, name)
            _number(sheet, row, col, figure, style)
            if figure.note:
                notes.setdefault(figure.note, []).append(key)
        if notes:
            sheet.write(row, reason_col, "; ".join(f"{', '.join(keys)}: {note}" for note, keys in notes.items()))
        row += 1
    parts = [k for k, p in periods.items() if not p.whole]
    if parts:
        sheet.write(row, 0, f"Part-periods (the years modelled begin or end within them): {', '.join(parts)}.")
        row += 1
    return row + 1


def _trust_sheet(book, fmt, figures, loaded, trust, icbs, deadlines, prices_text, confidential, first_week, last_week) -> None:
    sheet = book.add_worksheet(trust.ods_code[:31])
    sheet.set_column(0, 0, 42)
    sheet.set_column(1, 1, 16)
    sheet.set_column(2, 40, 14)
    icb = icbs.get(trust.icb_id)
    sheet.write(0, 0, f"{trust.name} ({trust.ods_code})", fmt["title"])
    sheet.write(1, 0, f"ICB: {icb.name} ({icb.ods_code})" if icb else "ICB: not recorded")
    sheet.write(2, 0, "Net impact of the appraisal pipeline (regimens brought in minus those displaced), central estimate.")
    sheet.write(3, 0, f"Prices: {prices_text}", fmt["warning"] if confidential else None)
    sheet.write(4, 0, f"Weeks from {first_week:%d %B %Y} to {last_week:%d %B %Y}; a period only partly within them is marked "
                      f"(see 'Weeks in the period'). Sources and assumptions: sheet '{SOURCES_SHEET}'.")
    pipeline = figures.trusts[trust.ods_code].pipeline
    labels = {p.key: p.label for p in figures.periods}  # a part-period's label says from or to when

    def labelled(periods: dict) -> dict:
        return {labels[key]: period for key, period in periods.items()}

    row = _write_period_block(sheet, fmt, 6, "By financial year (April to March)", labelled(pipeline.financial_years(whole_only=False)))
    row = _write_period_block(sheet, fmt, row, "By quarter of the financial year", labelled(pipeline.financial_quarters()))

    sheet.write(row, 0, "By appraisal, once fully running (the average week of the last year modelled)", fmt["bold"])
    row += 1
    headers = ("Appraisal", "NICE reference", "Effective start", "Chair hours a week", "Aseptic staff hours a week",
               "Clinic appointments a week", "Cost a year (£)", REASON_HEADER)
    for col, header in enumerate(headers):
        sheet.write(row, col, header, fmt["header"])
    row += 1
    for key, this in figures.appraisals.items():
        appraisal = loaded.appraisal_rows.get(int(key))
        if appraisal is None:
            continue
        steady = this.by_trust[trust.ods_code].steady_state
        start = deadlines[appraisal.id].effective_start.date if appraisal.id in deadlines else None
        sheet.write(row, 0, appraisal.title, fmt["wrap"])
        sheet.write(row, 1, appraisal.ta_number or appraisal.gid or appraisal.id_number or "")
        if start:
            sheet.write_datetime(row, 2, datetime.combine(start, datetime.min.time()), fmt["date"])
        else:
            sheet.write(row, 2, "not yet known")
        shown = (steady.chair_hours_per_week, steady.aseptic_hours_per_week, steady.clinic_appointments_per_week,
                 steady.total_cost)
        for col, figure in enumerate(shown, start=3):
            _number(sheet, row, col, figure, fmt["money"] if col == 6 else fmt["number"])
        notes = list(dict.fromkeys(f.note for f in shown if f.note))
        if notes:
            sheet.write(row, 7, "; ".join(notes))
        row += 1


def _sources_sheet(book, fmt, figures, loaded, trusts, icbs, deadlines, growth_percent, reference_values,
                   trust_sources, prices_text, confidential, prepared_by, prepared_at, scope, first_week, last_week) -> None:
    sheet = book.add_worksheet(SOURCES_SHEET)
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 50)
    sheet.set_column(2, 8, 22)
    row = 0
    sheet.write(row, 0, "Demand-and-capacity return: appraisal pipeline", fmt["title"])
    row += 2
    facts = [
        ("Prices", prices_text),
        ("Trusts", scope),
        ("Prepared by", prepared_by),
        ("Prepared at", f"{prepared_at:%d %B %Y %H:%M} UTC"),
        ("Period", f"Weeks from {first_week:%d %B %Y} to {last_week:%d %B %Y} (weeks start on Monday); financial "
                   "years and quarters are counted by days"),
        ("Figures", "Net impact: regimens an appraisal brings in minus those it displaces; central estimate"),
        ("Baseline growth", f"{growth_percent:g}% a year (Royal College of Radiologists, The SACT capacity crisis in the NHS, 2023)"),
        ("Method", "Starts a week = eligible a year × trust share × uptake ÷ 52.18, spread over each regimen's "
                   "schedule of cycles and attendances (this tool's impact model)"),
        ("Trust share", "In order: a trust's own patients a year for the appraisal; the alliance's tumour-site share; "
                        "catchment population ÷ England population"),
    ]
    if figures.unpriced_regimens:
        facts.append(("Drugs without a price", "Their cost is not yet known (no price you may see): "
                      + ", ".join(figures.unpriced_regimens)))
    if figures.left_out:
        facts.append(("Appraisals left out", "Not yet known until a figure is corrected: " + "; ".join(
            f"{item.title} ({item.problem})" for item in figures.left_out.values())))
    for label, text in facts:
        sheet.write(row, 0, label, fmt["bold"])
        sheet.write(row, 1, text, fmt["warning"] if label == "Prices" and confidential else fmt["wrap"])
        row += 1

    row += 1
    sheet.write(row, 0, "Appraisals", fmt["bold"])
    row += 1
    headers = ("Appraisal", "NICE reference", "Tumour site", "Status", "Recommendation", "Effective start", "Rule",
               "Funding deadline", "Rule", "Eligible a year (England)", "Source")
    for col, header in enumerate(headers):
        sheet.write(row, col, header, fmt["header"])
    row += 1
    for appraisal in sorted(loaded.appraisal_rows.values(), key=lambda a: a.title):
        d = deadlines.get(appraisal.id)
        this = figures.appraisals.get(str(appraisal.id))
        values = (
            appraisal.title, appraisal.ta_number or appraisal.gid or appraisal.id_number or "", appraisal.tumour_site,
            appraisal.status, appraisal.recommendation or "not yet made",
            d.effective_start.date.isoformat() if d and d.effective_start.date else "not yet known",
            source_words(rule_wording(d.effective_start.rule)) if d else "",
            d.funding_deadline.date.isoformat() if d and d.funding_deadline.date else "not yet known",
            source_words(rule_wording(d.funding_deadline.rule)) if d else "",
        )
        for col, value in enumerate(values):
            sheet.write(row, col, value)
        if this is not None and this.england.eligible_per_year.value is not None:
            sheet.write_number(row, 9, round(this.england.eligible_per_year.value, 1), fmt["number"])
        sheet.write(row, 10, source_words(appraisal.source) or "not recorded")
        row += 1

    row += 1
    sheet.write(row, 0, "Trust capacity", fmt["bold"])
    row += 1
    capacity_fields = ("chairs", "chair_hours_per_day", "days_per_week", "target_utilisation",
                       "baseline_chair_hours_per_week", "aseptic_hours_per_week", "baseline_aseptic_hours_per_week",
                       "clinic_slots_per_week", "baseline_clinic_appointments_per_week")
    headers = ("Trust", "ODS code", *capacity_fields, "Source")
    for col, header in enumerate(headers):
        sheet.write(row, col, header.replace("_", " "), fmt["header"])
    row += 1
    for trust in trusts:
        sheet.write(row, 0, trust.name)
        sheet.write(row, 1, trust.ods_code)
        for col, name in enumerate(capacity_fields, start=2):
            value = getattr(trust, name)
            if value is None:
                sheet.write(row, col, "not entered")
            else:
                sheet.write_number(row, col, float(value))
        sources = trust_sources.get(trust.id, {})
        texts = sorted({(source_words(s.source) + (" (planning estimate)" if s.is_estimate else "")) for s in sources.values() if s.source})
        sheet.write(row, 2 + len(capacity_fields), "; ".join(texts) or "not recorded")
        row += 1

    row += 1
    sheet.write(row, 0, "Reference values", fmt["bold"])
    row += 1
    for col, header in enumerate(("Name", "Value", "Unit", "Source", "Estimate")):
        sheet.write(row, col, header, fmt["header"])
    row += 1
    for value in sorted(reference_values.values(), key=lambda v: v.key):
        sheet.write(row, 0, value.label or value.key)
        sheet.write_number(row, 1, float(value.value))
        sheet.write(row, 2, value.unit)
        sheet.write(row, 3, source_words(value.source))
        sheet.write(row, 4, "yes" if value.is_estimate else "no")
        row += 1
    sheet.write(row + 1, 0, f"Delivery costs: {result_tariff_source(loaded)}")


NOT_YET_KNOWN = "not yet known: "


def rule_wording(rule: str) -> str:
    """A date rule said once: an effective start that waits on the funding deadline quotes the deadline's
    rule, so "not yet known: not yet known: publication date not known (TBC)" loses its repeat."""
    while rule.startswith(NOT_YET_KNOWN + NOT_YET_KNOWN):
        rule = rule[len(NOT_YET_KNOWN):]
    return rule


def result_tariff_source(loaded) -> str:
    tariffs = loaded.inputs.tariffs
    return (f"SB12Z £{tariffs.sb12z_simple_first:,.2f}, SB13Z £{tariffs.sb13z_complex_first:,.2f}, "
            f"SB14Z £{tariffs.sb14z_prolonged_first:,.2f}, SB15Z £{tariffs.sb15z_subsequent:,.2f}, "
            f"clinic £{tariffs.clinic_per_appointment:,.2f} per appointment (NHS England National Cost Collection, "
            "as entered in this tool)")


__all__ = ["build", "quarter_label", "rule_wording"]
