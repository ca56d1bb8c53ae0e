"""The demand-and-capacity return: the Excel workbook an alliance sends NHS England twice a year.

Sheets, in order:

- "Summary": what the file is (prices, trusts, figures date, who made it and when, example data), and
  for the alliance, each ICB and each trust, each resource's capacity, demand today, headroom at the
  stated date with and without the pipeline, and when it first runs out (real dates);
- "Assumptions and sources": every assumption and where it comes from;
- "Alliance" (when the trusts span more than one ICB) and one sheet per ICB: capacity and demand by
  resource and financial quarter, totals of their trusts;
- one sheet per trust: capacity and demand by resource and quarter, then the pipeline's impact by
  financial year and quarter and by appraisal.

Pure apart from the rows it is given: no Flask, no queries. Every figure is chosen from the figures layer
(:mod:`appraisal_impact.figures`, :mod:`.capacity_periods` for quarters and totals); none is worked out here.
A figure not yet known is a blank cell with the reason in the row's last column. Numbers are numbers
with number formats (hours to 0.1, money to £1, use of capacity as a percentage), dates are dates. Text is
written as text only, never a formula (the app's one safe writer, :mod:`.safe_writer`).
Every sheet prints on A4 landscape, fitted to the page width, with its title rows repeated on each page
and panes frozen below them.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from ..core import impact as core
from ..figures.capacity_periods import added_quarters, area_resource, quarters_of, resource_keys
from ..formatting import source_words
from . import safe_writer
from .safe_writer import neutralise

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
    ("drug_cost_gross", "Gross drug cost of the new treatments", "£"),
    ("drug_cost_displaced", "Drug cost saved on displaced treatments", "£"),
    ("drug_cost", "Drug cost (net)", "£"),
    ("delivery_cost", "Delivery (HRG) cost", "£"),
    ("clinic_cost", "Clinic cost", "£"),
    ("total_cost_gross", "Cost of the new treatments", "£"),
    ("total_cost_displaced", "Saved on displaced treatments", "£"),
)
TOTAL_COST = ("total_cost", "Total cost (net)", "£")
# the pipeline by quarter: a few figures a quarter, one row each (so the sheet prints to the page's width)
QUARTER_COLUMNS = (
    ("new_patients", "New patients starting", "patients"),
    ("patients_on_treatment", "Patients on treatment (mean)", "patients"),
    ("chair_hours_per_week", "Chair time a week", "chair hours a week"),
    ("aseptic_hours_per_week", "Aseptic staff time a week", "staff hours a week"),
    ("clinic_appointments_per_week", "Clinic appointments a week", "appointments a week"),
    ("drug_cost", "Drug cost (net)", "£"),
    ("total_cost", "Total cost (net)", "£"),
)
CAPACITY_COLUMNS = (  # each a week, in the block's unit
    ("capacity", "Capacity"),
    ("baseline", "Demand without the pipeline"),
    ("pipeline", "Pipeline demand (net)"),
    ("demand_with_pipeline", "Demand with the pipeline"),
    ("headroom_without_pipeline", "Headroom without the pipeline"),
    ("headroom_with_pipeline", "Headroom with the pipeline"),
)
REASON_HEADER = "Not yet known because"
SOURCES_SHEET = "Assumptions and sources"
SUMMARY_SHEET = "Summary"
A4 = 9
GROWTH_SOURCE = "Royal College of Radiologists, The SACT capacity crisis in the NHS (2023)"


def quarter_label(day) -> str:
    """"2026/27 Q1" for April–June 2026 (NHS financial year, April–March)."""
    return f"{core.financial_year_label(day)} Q{(day.month - 4) % 12 // 3 + 1}"


class _Writer:
    """Writes cells safely and consistently: text never a formula, numbers with their format, dates as dates."""

    def __init__(self, book):
        self.book = book
        self.heights: dict[tuple[str, int], int] = {}
        add = book.add_format
        self.fmt = {
            "title": add({"bold": True, "font_size": 14}),
            "bold": add({"bold": True}),
            "header": add({"bold": True, "bg_color": "#E8EDEE", "border": 1, "text_wrap": True, "valign": "top"}),
            "number": add({"num_format": "#,##0.0", "valign": "top"}),
            "whole": add({"num_format": "#,##0", "valign": "top"}),
            "money": add({"num_format": "£#,##0;-£#,##0", "valign": "top"}),
            "percent": add({"num_format": "0.0%", "valign": "top"}),
            "date": add({"num_format": "d mmm yyyy", "valign": "top"}),
            "datetime": add({"num_format": "d mmm yyyy hh:mm", "valign": "top"}),
            "warning": add({"bold": True, "font_color": "#D5281B", "text_wrap": True, "valign": "top"}),
            "wrap": add({"text_wrap": True, "valign": "top"}),
            "text": add({"valign": "top"}),
        }

    def text(self, sheet, row, col, value, style="text", width: float | None = None):
        """Text as text (never a formula); ``width`` [characters] wraps it and makes the row tall enough to print."""
        if value is None or value == "":
            sheet.write_blank(row, col, None)
            return
        text = neutralise(str(value))
        sheet.write_string(row, col, text, self.fmt[style] if isinstance(style, str) else style)
        if width:
            self.tall(sheet, row, math.ceil(len(text) * 1.1 / width))

    def tall(self, sheet, row: int, lines: int) -> None:
        """At least ``lines`` lines high (LibreOffice and printing do not grow a row to fit wrapped text)."""
        key = (sheet.name, row)
        if lines > self.heights.get(key, 1):
            self.heights[key] = lines
            sheet.set_row(row, 15 * lines)

    def number(self, sheet, row, col, value, style="number"):
        if value is None:
            sheet.write_blank(row, col, None)
        else:
            sheet.write_number(row, col, float(value) + 0.0, self.fmt[style])

    def figure(self, sheet, row, col, figure, style="number"):
        """A figure unrounded with its number format, or a blank cell when not yet known."""
        if figure.kind == "percent" and figure.value is not None:
            self.number(sheet, row, col, figure.value / 100, "percent")
        else:
            self.number(sheet, row, col, figure.value, style)

    def day(self, sheet, row, col, value: date | None, style="date"):
        if value is None:
            sheet.write_blank(row, col, None)
        else:
            when = value if isinstance(value, datetime) else datetime.combine(value, datetime.min.time())
            sheet.write_datetime(row, col, when, self.fmt[style])

    def headers(self, sheet, row, headers, width: float = 13):
        for col, header in enumerate(headers):
            self.text(sheet, row, col, header, "header")
        self.tall(sheet, row, max(math.ceil(len(h) * 1.4 / width) for h in headers if h))


def _shared_notes(notes_by_row: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """The notes every row of a block has (said once, under it) and each row's own others."""
    shared = [n for n in (notes_by_row[0] if notes_by_row else []) if all(n in row for row in notes_by_row)] \
        if len(notes_by_row) > 1 else []
    return shared, [[n for n in row if n not in shared] for row in notes_by_row]


def _write_shared(w, sheet, row: int, shared: list[str], every: str) -> int:
    if shared:
        w.text(sheet, row, 0, f"{every}: {'; '.join(shared)}.")
        row += 1
    return row


def _print_setup(sheet, title_rows: int, freeze_col: int = 1, *, footer: str = "") -> None:
    """A4 landscape, fitted to the page width (as many pages down as it needs), title rows on every page."""
    sheet.set_paper(A4)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.repeat_rows(0, title_rows - 1)
    sheet.freeze_panes(title_rows, freeze_col)
    sheet.set_footer(f"&L{footer.replace('&', '&&')}&RPage &P of &N")


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
    book.set_properties({"title": "Demand-and-capacity return: SACT appraisal pipeline", "subject": scope,
                         "author": prepared_by, "comments": "Made by Appraisal Impact"})
    writer = _Writer(book)
    prices_text = (
        "CONFIDENTIAL prices included where the person who downloaded this may see them (commercial in confidence: "
        "do not share or publish this workbook)"
        if confidential
        else "List prices only (no confidential PAS prices)"
    )
    first_week = figures.grid_start
    last_week = figures.horizon_end - timedelta(days=1)
    codes = [t.ods_code for t in trusts]
    icb_of = {t.ods_code: icbs.get(t.icb_id) for t in trusts}
    icb_codes = list(dict.fromkeys(icb.ods_code for icb in icb_of.values() if icb is not None))
    icb_rows = {icb.ods_code: icb for icb in icbs.values()}
    areas = []  # (sheet name, title, trust codes)
    if len(icb_codes) > 1:
        areas.append(("Alliance", f"All {len(codes)} trusts in the alliance", codes))
    for icb_code in icb_codes:
        members = [c for c in codes if icb_of[c] is not None and icb_of[c].ods_code == icb_code]
        areas.append((f"ICB {icb_code}"[:31], f"{icb_rows[icb_code].name} ({icb_code}): its {len(members)} trusts", members))
    examples = sorted(a.title for a in loaded.appraisal_rows.values() if getattr(a, "is_example", False))
    footer = ("CONFIDENTIAL - " if confidential else "") + f"Demand-and-capacity return, figures as at {figures.figures_date:%d %B %Y}"

    _summary_sheet(writer, figures, trusts, areas, prices_text, confidential, prepared_by, prepared_at, scope,
                   first_week, last_week, examples, footer)
    _sources_sheet(writer, figures, loaded, trusts, icbs, deadlines, growth_percent, reference_values,
                   trust_sources, prices_text, confidential, prepared_by, prepared_at, scope, first_week, last_week, footer)
    for name, title, members in areas:
        _area_sheet(writer, figures, name, title, members, prices_text, confidential, footer)
    for trust in trusts:
        _trust_sheet(writer, figures, loaded, trust, icbs, deadlines, prices_text, confidential, first_week, last_week, footer)
    book.close()
    buffer.seek(0)
    return buffer


# --- summary ---------------------------------------------------------------------------------------


def _summary_sheet(w, figures, trusts, areas, prices_text, confidential, prepared_by, prepared_at, scope,
                   first_week, last_week, examples, footer) -> None:
    sheet = w.book.add_worksheet(SUMMARY_SHEET)
    widths = (56, 22, 18, 12, 12, 12, 12, 13, 13, 11, 44)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    w.text(sheet, 0, 0, "Demand-and-capacity return: SACT appraisal pipeline", "title")
    w.text(sheet, 1, 0, f"Prices: {prices_text}", "warning" if confidential else "bold")
    row = 3
    w.text(sheet, row, 0, "Trusts", "bold"); w.text(sheet, row, 1, scope); row += 1
    w.text(sheet, row, 0, "Figures as at", "bold"); w.day(sheet, row, 1, figures.figures_date); row += 1
    w.text(sheet, row, 0, "Prepared by", "bold"); w.text(sheet, row, 1, prepared_by); row += 1
    w.text(sheet, row, 0, "Prepared at (UTC)", "bold"); w.day(sheet, row, 1, prepared_at, "datetime"); row += 1
    w.text(sheet, row, 0, "Model covers weeks from", "bold"); w.day(sheet, row, 1, first_week)
    w.text(sheet, row, 2, "to"); w.day(sheet, row, 3, last_week); row += 1
    w.text(sheet, row, 0, "Estimate", "bold"); w.text(sheet, row, 1, f"{figures.scenario}; net of the treatments each appraisal displaces"); row += 1
    if examples:
        w.text(sheet, row, 0, "Example data", "warning")
        w.text(sheet, row, 1, f"{len(examples)} appraisal{'s' if len(examples) != 1 else ''} in this file "
               "are the tool's example data (dates moved for demonstration), not real NICE appraisals: "
               + "; ".join(examples), "warning")
        row += 1
    if figures.left_out:
        w.text(sheet, row, 0, "Appraisals left out", "warning")
        w.text(sheet, row, 1, "Not yet known until a figure is corrected: " + "; ".join(
            f"{item.title} ({item.problem})" for item in figures.left_out.values()), "warning")
        row += 1
    row += 1
    at = next((r.at for t in figures.trusts.values() for r in t.capacity), None)
    w.text(sheet, row, 0, "Capacity, headroom and run-out by resource" + (f" (headroom on {at:%d %B %Y}, 12 months on)" if at else ""), "bold")
    row += 1
    header_row = row
    w.headers(sheet, row, ("Area", "Resource", "Unit", "Capacity a week", "Demand today a week",
                           "Headroom without the pipeline", "Headroom with the pipeline",
                           "Runs out without the pipeline (week of)", "Runs out with the pipeline (week of)",
                           "First trust to run out (with the pipeline)", REASON_HEADER))
    row += 1
    horizon = figures.horizon_end
    blocks = [(title, members) for _name, title, members in areas]
    blocks += [(f"{t.name} ({t.ods_code})", [t.ods_code]) for t in trusts]
    for title, members in blocks:
        for key in resource_keys():
            parts = [(code, figures.trusts[code].resource(key)) for code in members]
            area = area_resource(parts, horizon)
            w.text(sheet, row, 0, title, "wrap", width=56)
            w.text(sheet, row, 1, area.label)
            w.text(sheet, row, 2, area.unit)
            for col, figure in enumerate((area.capacity, area.baseline_today, area.headroom_without_pipeline,
                                          area.headroom_with_pipeline), start=3):
                w.figure(sheet, row, col, figure)
            w.day(sheet, row, 7, area.run_out.without_pipeline)
            w.day(sheet, row, 8, area.run_out.with_pipeline)
            w.text(sheet, row, 9, area.run_out.with_pipeline_part if len(members) > 1 else "")
            notes = list(dict.fromkeys(f.note for f in (area.capacity, area.baseline_today, area.headroom_with_pipeline) if f.note))
            if area.run_out.with_pipeline is None and not area.run_out.unknown_parts == tuple(members):
                notes.append(f"does not run out with the pipeline before {horizon:%d %B %Y}")
            w.text(sheet, row, 10, "; ".join(notes), "wrap", width=44)
            row += 1
    _print_setup(sheet, 2, 0, footer=footer)
    sheet.freeze_panes(header_row + 1, 2)
    sheet.activate()


# --- capacity by quarter ----------------------------------------------------------------------------


def _capacity_blocks(w, sheet, row: int, figures, members: list[str]) -> int:
    """For each resource, capacity and demand by financial quarter (one row a quarter)."""
    for key in resource_keys():
        parts = [(code, quarters_of(figures.trusts[code].resource(key), figures.grid_start, figures.n_weeks)) for code in members]
        quarters = parts[0][1] if len(parts) == 1 else added_quarters(parts)
        first = figures.trusts[members[0]].resource(key)
        w.text(sheet, row, 0, f"{first.label}: capacity and demand by quarter ({first.unit}, the quarter's mean week)", "bold")
        row += 1
        w.headers(sheet, row, ("Financial quarter", "Quarter from", *(label for _, label in CAPACITY_COLUMNS),
                               "Use of capacity with the pipeline", REASON_HEADER))
        row += 1
        shared, own = _shared_notes([list(dict.fromkeys(getattr(q, n).note for n, _ in CAPACITY_COLUMNS if getattr(q, n).note))
                                     for q in quarters])
        for q, notes in zip(quarters, own):
            w.text(sheet, row, 0, q.label)
            w.day(sheet, row, 1, q.first_day)
            for col, (name, _label) in enumerate(CAPACITY_COLUMNS, start=2):
                w.figure(sheet, row, col, getattr(q, name))
            w.figure(sheet, row, 2 + len(CAPACITY_COLUMNS), q.use_with_pipeline)
            w.text(sheet, row, 3 + len(CAPACITY_COLUMNS), "; ".join(notes), "wrap", width=36)
            row += 1
        row = _write_shared(w, sheet, row, shared, f"{REASON_HEADER} (every quarter)")
        row += 1
    return row


def _area_sheet(w, figures, name, title, members, prices_text, confidential, footer) -> None:
    sheet = w.book.add_worksheet(name)
    _capacity_columns(sheet)
    w.text(sheet, 0, 0, f"{title}: capacity and demand", "title")
    w.text(sheet, 1, 0, f"Totals of the trusts' figures (added before rounding). Prices: {prices_text}",
           "warning" if confidential else None)
    _capacity_blocks(w, sheet, 3, figures, members)
    _print_setup(sheet, 2, 1, footer=footer)


def _capacity_columns(sheet) -> None:
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 12)
    sheet.set_column(2, 2 + len(CAPACITY_COLUMNS), 13)
    sheet.set_column(3 + len(CAPACITY_COLUMNS), 3 + len(CAPACITY_COLUMNS), 36)


# --- a trust ----------------------------------------------------------------------------------------


def _write_period_block(w, sheet, row: int, title: str, periods: dict) -> int:
    """A block of the figures layer's periods (``{label: PeriodFigures}``), one column each."""
    w.text(sheet, row, 0, title, "bold")
    row += 1
    w.headers(sheet, row, ("Measure", "Unit", *periods, REASON_HEADER))
    reason_col = 2 + len(periods)
    row += 1
    w.text(sheet, row, 0, "Weeks in the period")
    w.text(sheet, row, 1, "weeks")
    for col, period in enumerate(periods.values(), start=2):
        w.number(sheet, row, col, period.weeks, "number")
    row += 1
    for name, label, unit in (*ROWS, TOTAL_COST):
        w.text(sheet, row, 0, label, "bold" if name == TOTAL_COST[0] else "wrap", width=42)
        w.text(sheet, row, 1, unit)
        notes = {}
        for col, (key, period) in enumerate(periods.items(), start=2):
            figure = getattr(period, name)
            w.figure(sheet, row, col, figure, "money" if unit == "£" else "number")
            if figure.note:
                notes.setdefault(figure.note, []).append(key)
        said = "; ".join(note if len(keys) == len(periods) else f"{', '.join(keys)}: {note}" for note, keys in notes.items())
        w.text(sheet, row, reason_col, said, "wrap", width=36)
        row += 1
    parts = [k for k, p in periods.items() if not p.whole]
    if parts:
        w.text(sheet, row, 0, f"Part-periods (the years modelled begin or end within them): {', '.join(parts)}.")
        row += 1
    return row + 1


def _quarter_rows(w, sheet, row: int, title: str, labels: Mapping[str, str], quarters: dict) -> int:
    """The pipeline by quarter, one row a quarter."""
    w.text(sheet, row, 0, title, "bold")
    row += 1
    w.headers(sheet, row, ("Financial quarter", "Weeks in the quarter", *(f"{label} ({unit})" for _, label, unit in QUARTER_COLUMNS),
                           REASON_HEADER))
    row += 1
    shared, own = _shared_notes([list(dict.fromkeys(getattr(p, name).note for name, *_ in QUARTER_COLUMNS if getattr(p, name).note))
                                 for p in quarters.values()])
    for (key, period), notes in zip(quarters.items(), own):
        w.text(sheet, row, 0, labels.get(key, key))
        w.number(sheet, row, 1, period.weeks)
        for col, (name, _label, unit) in enumerate(QUARTER_COLUMNS, start=2):
            w.figure(sheet, row, col, getattr(period, name), "money" if unit == "£" else "number")
        w.text(sheet, row, 2 + len(QUARTER_COLUMNS), "; ".join(notes), "wrap", width=36)
        row += 1
    row = _write_shared(w, sheet, row, shared, f"{REASON_HEADER} (every quarter)")
    return row + 1


def _trust_sheet(w, figures, loaded, trust, icbs, deadlines, prices_text, confidential, first_week, last_week, footer) -> None:
    sheet = w.book.add_worksheet(trust.ods_code[:31])
    sheet.set_column(0, 0, 42)
    sheet.set_column(1, 1, 14)
    sheet.set_column(2, 8, 13)
    sheet.set_column(9, 9, 36)
    icb = icbs.get(trust.icb_id)
    w.text(sheet, 0, 0, f"{trust.name} ({trust.ods_code})", "title")
    w.text(sheet, 1, 0, f"ICB: {icb.name} ({icb.ods_code})" if icb else "ICB: not recorded")
    w.text(sheet, 2, 0, "Net impact of the appraisal pipeline (regimens brought in minus those displaced), central estimate.")
    w.text(sheet, 3, 0, f"Prices: {prices_text}", "warning" if confidential else None)
    w.text(sheet, 4, 0, f"Weeks from {first_week:%d %B %Y} to {last_week:%d %B %Y}; a period only partly within them is marked "
                        f"(see 'Weeks in the period'). Sources and assumptions: sheet '{SOURCES_SHEET}'.")
    row = _capacity_blocks(w, sheet, 6, figures, [trust.ods_code])
    pipeline = figures.trusts[trust.ods_code].pipeline
    labels = {p.key: p.label for p in figures.periods}  # a part-period's label says from or to when

    def labelled(periods: dict) -> dict:
        return {labels[key]: period for key, period in periods.items()}

    row = _write_period_block(w, sheet, row, "By financial year (April to March)", labelled(pipeline.financial_years(whole_only=False)))
    row = _quarter_rows(w, sheet, row, "By quarter of the financial year", labels, pipeline.financial_quarters())

    w.text(sheet, row, 0, "By appraisal, once fully running (the average week of the last year modelled)", "bold")
    row += 1
    w.headers(sheet, row, ("Appraisal", "NICE reference", "Effective start", "Chair hours a week", "Aseptic staff hours a week",
                           "Clinic appointments a week", "Cost a year (£)", "", "", REASON_HEADER))
    row += 1
    for key, this in figures.appraisals.items():
        appraisal = loaded.appraisal_rows.get(int(key))
        if appraisal is None:
            continue
        steady = this.by_trust[trust.ods_code].steady_state
        start = deadlines[appraisal.id].effective_start.date if appraisal.id in deadlines else None
        w.text(sheet, row, 0, appraisal.title, "wrap", width=42)
        w.text(sheet, row, 1, appraisal.ta_number or appraisal.gid or appraisal.id_number or "")
        w.day(sheet, row, 2, start)
        shown = (steady.chair_hours_per_week, steady.aseptic_hours_per_week, steady.clinic_appointments_per_week,
                 steady.total_cost)
        for col, figure in enumerate(shown, start=3):
            w.figure(sheet, row, col, figure, "money" if col == 6 else "number")
        notes = list(dict.fromkeys(f.note for f in shown if f.note))
        if start is None:
            notes.insert(0, "effective start: " + source_words(rule_wording(deadlines[appraisal.id].effective_start.rule))
                         if appraisal.id in deadlines else "effective start not yet known")
        w.text(sheet, row, 9, "; ".join(notes), "wrap", width=36)
        row += 1
    _print_setup(sheet, 2, 1, footer=footer)


# --- assumptions and sources -------------------------------------------------------------------------


CAPACITY_FIELDS = (
    # (field, heading, format)
    ("chairs", "Chairs", "whole"),
    ("chair_hours_per_day", "Chair hours a day", "number"),
    ("days_per_week", "Days a week", "number"),
    ("target_utilisation", "Target use of chairs", "percent"),
    ("baseline_chair_hours_per_week", "Chair hours a week in use today", "number"),
    ("aseptic_hours_per_week", "Aseptic staff hours a week (capacity)", "number"),
    ("baseline_aseptic_hours_per_week", "Aseptic staff hours a week in use today", "number"),
    ("clinic_slots_per_week", "Clinic appointments a week (capacity)", "whole"),
    ("baseline_clinic_appointments_per_week", "Clinic appointments a week in use today", "whole"),
)


def _sources_sheet(w, figures, loaded, trusts, icbs, deadlines, growth_percent, reference_values,
                   trust_sources, prices_text, confidential, prepared_by, prepared_at, scope, first_week, last_week,
                   footer) -> None:
    sheet = w.book.add_worksheet(SOURCES_SHEET)
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 50)
    sheet.set_column(2, 12, 16)
    for col in (6, 8):
        sheet.set_column(col, col, 24)
    sheet.set_column(10, 11, 30)
    row = 0
    w.text(sheet, row, 0, "Demand-and-capacity return: assumptions and sources", "title")
    row += 2
    facts = [
        ("Prices", prices_text),
        ("Trusts", scope),
        ("Prepared by", prepared_by),
        ("Prepared at", f"{prepared_at:%d %B %Y %H:%M} UTC"),
        ("Period", f"Weeks from {first_week:%d %B %Y} to {last_week:%d %B %Y} (weeks start on Monday); financial "
                   "years and quarters are counted by days"),
        ("Figures", "Net impact: regimens an appraisal brings in minus those it displaces; central estimate"),
        ("Baseline growth", f"{growth_percent:g}% a year ({GROWTH_SOURCE}, unless the alliance has set its own rate)"),
        ("Method", "Starts a week = eligible a year × trust share × uptake ÷ 52.18, spread over each regimen's "
                   "schedule of cycles and attendances (this tool's impact model)"),
        ("Trust share", "In order: a trust's own patients a year for the appraisal; the alliance's tumour-site share; "
                        "catchment population ÷ England population"),
        ("Capacity", "Chairs × chair hours a day × days a week × target use of chairs; aseptic and clinic capacity "
                     "as each trust entered it; headroom = capacity − demand (negative: over capacity)"),
        ("Runs out", "The Monday of the first week demand exceeds capacity, from the figures date to the end of the "
                     "years modelled"),
    ]
    if figures.unpriced_regimens:
        facts.append(("Drugs without a price", "Their cost is not yet known (no price you may see): "
                      + ", ".join(figures.unpriced_regimens)))
    if figures.left_out:
        facts.append(("Appraisals left out", "Not yet known until a figure is corrected: " + "; ".join(
            f"{item.title} ({item.problem})" for item in figures.left_out.values())))
    for label, text in facts:
        w.text(sheet, row, 0, label, "bold")
        w.text(sheet, row, 1, text, "warning" if label == "Prices" and confidential else "wrap", width=50)
        row += 1

    row += 1
    w.text(sheet, row, 0, "Appraisals", "bold")
    row += 1
    w.headers(sheet, row, ("Appraisal", "NICE reference", "Tumour site", "Status", "Recommendation", "Effective start", "Rule",
                           "Funding deadline", "Rule", "Eligible a year (England)", "Source", "Example data"))
    row += 1
    for appraisal in sorted(loaded.appraisal_rows.values(), key=lambda a: a.title):
        d = deadlines.get(appraisal.id)
        this = figures.appraisals.get(str(appraisal.id))
        w.text(sheet, row, 0, appraisal.title, "wrap", width=34)
        w.text(sheet, row, 1, appraisal.ta_number or appraisal.gid or appraisal.id_number or "")
        w.text(sheet, row, 2, appraisal.tumour_site)
        w.text(sheet, row, 3, appraisal.status)
        w.text(sheet, row, 4, appraisal.recommendation or "not yet made")
        w.day(sheet, row, 5, d.effective_start.date if d else None)
        w.text(sheet, row, 6, source_words(rule_wording(d.effective_start.rule)) if d else "", "wrap", width=24)
        w.day(sheet, row, 7, d.funding_deadline.date if d else None)
        w.text(sheet, row, 8, source_words(rule_wording(d.funding_deadline.rule)) if d else "", "wrap", width=24)
        if this is not None:
            w.figure(sheet, row, 9, this.england.eligible_per_year)
        w.text(sheet, row, 10, source_words(appraisal.source) or "not recorded", "wrap", width=30)
        w.text(sheet, row, 11, "yes" if getattr(appraisal, "is_example", False) else "no")
        row += 1

    row += 1
    w.text(sheet, row, 0, "Trust capacity (blank: not entered)", "bold")
    row += 1
    w.headers(sheet, row, ("Trust", "ODS code", *(heading for _, heading, _ in CAPACITY_FIELDS), "Source"))
    row += 1
    for trust in trusts:
        w.text(sheet, row, 0, trust.name, "wrap", width=34)
        w.text(sheet, row, 1, trust.ods_code)
        for col, (name, _heading, style) in enumerate(CAPACITY_FIELDS, start=2):
            value = getattr(trust, name)
            w.number(sheet, row, col, value, style)
        sources = trust_sources.get(trust.id, {})
        texts = sorted({(source_words(s.source) + (" (planning estimate)" if s.is_estimate else "")) for s in sources.values() if s.source})
        w.text(sheet, row, 2 + len(CAPACITY_FIELDS), "; ".join(texts) or "not recorded", "wrap", width=30)
        row += 1

    row += 1
    w.text(sheet, row, 0, "Reference values", "bold")
    row += 1
    w.headers(sheet, row, ("Name", "Value", "Unit", "Source", "Estimate"))
    row += 1
    for value in sorted(reference_values.values(), key=lambda v: v.key):
        w.text(sheet, row, 0, value.label or value.key, "wrap", width=34)
        w.number(sheet, row, 1, value.value)
        w.text(sheet, row, 2, value.unit)
        w.text(sheet, row, 3, source_words(value.source), "wrap", width=50)
        w.text(sheet, row, 4, "yes" if value.is_estimate else "no")
        row += 1
    w.text(sheet, row + 1, 0, f"Delivery costs: {result_tariff_source(loaded)}")
    _print_setup(sheet, 1, 1, footer=footer)


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
