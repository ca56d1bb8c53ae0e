"""The demand-and-capacity return: an Excel workbook, one sheet per trust, of the pipeline's net
impact by financial year and by quarter, with assumptions and sources on a sheet of their own.

Pure apart from the rows it is given: no Flask, no queries. Prices are whatever the impact result
was computed with; `confidential` says which, and the first sheet states it in words.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime

import numpy as np
import pandas as pd

from ..core import impact as core
from . import safe_writer

# (measure, label, unit of the period figure); flows are summed over a period, stocks averaged.
ROWS = (
    ("new_starts", "New patients starting treatment", "patients"),
    ("patients_on_treatment", "Patients on treatment (mean)", "patients"),
    ("attendances", "Day-unit attendances", "attendances"),
    ("chair_hours", "Chair time", "chair hours"),
    ("aseptic_items", "Aseptic items prepared", "items"),
    ("aseptic_hours", "Aseptic staff time", "staff hours"),
    ("verification_hours", "Clinical verification", "pharmacist hours"),
    ("clinic_appointments", "Clinic appointments", "appointments"),
    ("clinic_hours", "Clinic time", "hours"),
    ("drug_cost", "Drug cost", "£"),
    ("delivery_cost", "Delivery (HRG) cost", "£"),
    ("clinic_cost", "Clinic cost", "£"),
)
TOTAL_COST = ("Total cost", "£")
SOURCES_SHEET = "Assumptions and sources"


def quarter_label(day) -> str:
    """"2026/27 Q1" for April–June 2026 (NHS financial year, April–March)."""
    return f"{core.financial_year_label(day)} Q{(day.month - 4) % 12 // 3 + 1}"


def aggregate(weekly: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Flows summed, stocks averaged, over the weeks sharing a label (weeks by their Monday), in order."""
    grouped = weekly.groupby(np.asarray(labels), sort=False)
    flows = [c for c in weekly.columns if c not in core.STOCK_MEASURES]
    out = grouped[flows].sum()
    stocks = [c for c in weekly.columns if c in core.STOCK_MEASURES]
    if stocks:
        out = out.join(grouped[stocks].mean())
    out["weeks"] = grouped.size()
    return out


def _period_tables(weekly: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    years = aggregate(weekly, [core.financial_year_label(d) for d in weekly.index])
    quarters = aggregate(weekly, [quarter_label(d) for d in weekly.index])
    return years, quarters


def build(
    *,
    result: core.ImpactResult,
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
    first_week = result.week_starts[0].date()
    last_week = result.week_starts[-1].date()

    _sources_sheet(book, fmt, result, loaded, trusts, icbs, deadlines, growth_percent, reference_values,
                   trust_sources, prices_text, confidential, prepared_by, prepared_at, scope, first_week, last_week)

    steady = {m: result.steady_state(m) for m in ("chair_hours", "aseptic_hours", "clinic_appointments", *core.COST_MEASURES)}
    for trust in trusts:
        _trust_sheet(book, fmt, result, loaded, trust, icbs, deadlines, steady, prices_text, confidential, first_week, last_week)
    book.close()
    buffer.seek(0)
    return buffer


def _write_period_block(sheet, fmt, row: int, title: str, table: pd.DataFrame) -> int:
    sheet.write(row, 0, title, fmt["bold"])
    row += 1
    sheet.write(row, 0, "Measure", fmt["header"])
    sheet.write(row, 1, "Unit", fmt["header"])
    for col, label in enumerate(table.index, start=2):
        sheet.write(row, col, label, fmt["header"])
    row += 1
    sheet.write(row, 0, "Weeks in the period")
    sheet.write(row, 1, "weeks")
    for col, weeks in enumerate(table["weeks"], start=2):
        sheet.write_number(row, col, int(weeks))
    row += 1
    for measure, label, unit in ROWS:
        sheet.write(row, 0, label)
        sheet.write(row, 1, unit)
        style = fmt["money"] if unit == "£" else fmt["number"]
        for col, value in enumerate(table[measure], start=2):
            sheet.write_number(row, col, round(float(value), 2), style)
        row += 1
    sheet.write(row, 0, TOTAL_COST[0], fmt["bold"])
    sheet.write(row, 1, TOTAL_COST[1])
    for col, value in enumerate(sum(table[m] for m in core.COST_MEASURES), start=2):
        sheet.write_number(row, col, round(float(value), 2), fmt["money"])
    return row + 2


def _trust_sheet(book, fmt, result, loaded, trust, icbs, deadlines, steady, prices_text, confidential, first_week, last_week) -> None:
    sheet = book.add_worksheet(trust.ods_code[:31])
    sheet.set_column(0, 0, 42)
    sheet.set_column(1, 1, 16)
    sheet.set_column(2, 40, 14)
    icb = icbs.get(trust.icb_id)
    sheet.write(0, 0, f"{trust.name} ({trust.ods_code})", fmt["title"])
    sheet.write(1, 0, f"ICB: {icb.name} ({icb.ods_code})" if icb else "ICB: not recorded")
    sheet.write(2, 0, "Net impact of the appraisal pipeline (regimens brought in minus those displaced), central estimate.")
    sheet.write(3, 0, f"Prices: {prices_text}", fmt["warning"] if confidential else None)
    sheet.write(4, 0, f"Weeks from {first_week:%d %B %Y} to {last_week:%d %B %Y}; a period's first and last weeks may be part-periods "
                      f"(see 'Weeks in the period'). Sources and assumptions: sheet '{SOURCES_SHEET}'.")
    years, quarters = _period_tables(result.trust_weekly(trust.ods_code))
    row = _write_period_block(sheet, fmt, 6, "By financial year (April to March)", years)
    row = _write_period_block(sheet, fmt, row, "By quarter of the financial year", quarters)

    sheet.write(row, 0, "By appraisal, at steady state (mean week of the last year of five)", fmt["bold"])
    row += 1
    headers = ("Appraisal", "NICE reference", "Effective start", "Chair hours a week", "Aseptic staff hours a week",
               "Clinic appointments a week", "Cost a year (£)")
    for col, header in enumerate(headers):
        sheet.write(row, col, header, fmt["header"])
    row += 1
    for key in result.appraisal_keys:
        appraisal = loaded.appraisal_rows.get(int(key))
        if appraisal is None:
            continue
        start = deadlines[appraisal.id].effective_start.date if appraisal.id in deadlines else None
        sheet.write(row, 0, appraisal.title, fmt["wrap"])
        sheet.write(row, 1, appraisal.ta_number or appraisal.gid or appraisal.id_number or "")
        if start:
            sheet.write_datetime(row, 2, datetime.combine(start, datetime.min.time()), fmt["date"])
        else:
            sheet.write(row, 2, "not yet known")
        sheet.write_number(row, 3, round(float(steady["chair_hours"].loc[key, trust.ods_code]), 2), fmt["number"])
        sheet.write_number(row, 4, round(float(steady["aseptic_hours"].loc[key, trust.ods_code]), 2), fmt["number"])
        sheet.write_number(row, 5, round(float(steady["clinic_appointments"].loc[key, trust.ods_code]), 2), fmt["number"])
        cost = sum(float(steady[m].loc[key, trust.ods_code]) for m in core.COST_MEASURES) * core.WEEKS_PER_YEAR
        sheet.write_number(row, 6, round(cost, 2), fmt["money"])
        row += 1


def _sources_sheet(book, fmt, result, loaded, trusts, icbs, deadlines, growth_percent, reference_values,
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
        ("Period", f"Weeks from {first_week:%d %B %Y} to {last_week:%d %B %Y} (five years, weeks start on Monday)"),
        ("Figures", "Net impact: regimens an appraisal brings in minus those it displaces; central estimate"),
        ("Baseline growth", f"{growth_percent:g}% a year (Royal College of Radiologists, The SACT capacity crisis in the NHS, 2023)"),
        ("Method", "Starts a week = eligible a year × trust share × uptake ÷ 52.18, convolved with each regimen's "
                   "schedule (Appraisal Impact model, domain guide §4)"),
        ("Trust share", "In order: a trust's own patients a year for the appraisal; the alliance's tumour-site share; "
                        "catchment population ÷ England population"),
    ]
    if loaded.unpriced_regimens:
        facts.append(("Drugs without a price", "Costed at £0 (no price you may see): " + ", ".join(loaded.unpriced_regimens)))
    left_out = getattr(loaded, "left_out", {})
    if left_out:
        facts.append(("Appraisals left out", "Not counted anywhere in this return until a figure is corrected: " + "; ".join(
            f"{item.title} ({item.problem})" for item in left_out.values())))
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
        core_appraisal = next((a for a in result.appraisals if a.key == str(appraisal.id)), None)
        values = (
            appraisal.title, appraisal.ta_number or appraisal.gid or appraisal.id_number or "", appraisal.tumour_site,
            appraisal.status, appraisal.recommendation or "not yet made",
            d.effective_start.date.isoformat() if d and d.effective_start.date else "not yet known",
            rule_wording(d.effective_start.rule) if d else "",
            d.funding_deadline.date.isoformat() if d and d.funding_deadline.date else "not yet known",
            rule_wording(d.funding_deadline.rule) if d else "",
        )
        for col, value in enumerate(values):
            sheet.write(row, col, value)
        if core_appraisal is not None:
            sheet.write_number(row, 9, round(core_appraisal.national_eligible_per_year, 1), fmt["number"])
        sheet.write(row, 10, appraisal.source or "not recorded")
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
        texts = sorted({(s.source + (" [estimate]" if s.is_estimate and "[estimate]" not in s.source else "")) for s in sources.values() if s.source})
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
        sheet.write(row, 3, value.source)
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
            f"clinic £{tariffs.clinic_per_appointment:,.2f} per appointment ({tariffs.source})")


__all__ = ["build", "aggregate", "quarter_label", "rule_wording"]
