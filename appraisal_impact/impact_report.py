"""An appraisal's impact as text or JSON, for `flask impact` and analysts' scripts (list prices only).

Every figure comes from the figures layer (`appraisal_impact.figures`); this module only chooses which to
print. The JSON shape is documented in README.md ("`flask impact` output").
"""

from __future__ import annotations

import json
from datetime import date

from sqlmodel import Session

from .core import impact as core
from .figures import STEADY_STATE_WORDS, PeriodFigures, pipeline_figures
from .figures.periods import YEARS_FROM_START
from .impact_service import PriceView, pipeline_impact
from .models import Appraisal
from .planning import deadlines_for

TABLE_COLUMNS = [
    # (label, period key or None for the eligible figure, measure)
    ("Eligible/yr", None, "eligible_per_year"),
    ("Starts y1", "year1", "new_patients"),
    ("Starts y2", "year2", "new_patients"),
    ("Net chg y1", "year1", "net_change_in_patients"),
    ("Treated y2", "year2", "people_treated"),
    ("On treatment", "steady_state", "patients_on_treatment"),
    ("Chair h/wk", "steady_state", "chair_hours_per_week"),
    ("Chairs", "steady_state", "chairs_needed"),
    ("Aseptic h/wk", "steady_state", "aseptic_hours_per_week"),
    ("Clinic/wk", "steady_state", "clinic_appointments_per_week"),
    ("Cost y1 £", "year1", "total_cost"),
    ("Cost y2 £", "year2", "total_cost"),
]
JSON_PLACES = "values rounded to 2 decimal places, money to £1; null where not yet known, with the reason under not_yet_known"
PERIOD_WORDS = {
    "by_year_from_start": "years 1-5 from the effective start, 365.25 days each",
    "by_financial_year": "NHS financial years, 1 April to 31 March, counted by days; only years wholly within the years modelled",
    "steady_state": STEADY_STATE_WORDS + "; flows are a year's",
}


def _figures(session: Session, scenario: str, today: date | None):
    return pipeline_figures(session, scenario=scenario, prices=PriceView.list_only(), today=today)


def _cell(figures, period: str | None, measure: str) -> str:
    figure = figures.eligible_per_year if period is None else getattr(figures[period], measure)
    text = figure.text()
    return text if figure.is_known else "not known"


def impact_table(session: Session, appraisal: Appraisal, *, scenario: str = "central", today: date | None = None) -> str:
    """A fixed-width table: one row per trust, the alliance and England."""
    figures = _figures(session, scenario, today)
    this = figures.appraisal(appraisal.id)
    deadlines = deadlines_for(appraisal)
    lines = [
        f"{appraisal.title} ({appraisal.ta_number or appraisal.gid or appraisal.id}) - {scenario} scenario, list prices",
        f"Effective start: {deadlines.effective_start.date or 'not yet known'} ({deadlines.effective_start.rule})",
        f"Funding deadline: {deadlines.funding_deadline.date or 'not yet known'} ({deadlines.funding_deadline.rule})",
        "",
        f"{'Trust':<8}" + "".join(f"{label:>14}" for label, _p, _m in TABLE_COLUMNS),
    ]
    rows = [(code, f) for code, f in this.by_trust.items()] + [("Alliance", this.alliance), ("England", this.england)]
    for code, row in rows:
        lines.append(f"{code:<8}" + "".join(f"{_cell(row, period, measure):>14}" for _l, period, measure in TABLE_COLUMNS))
    notes = sorted({getattr(row[p], m).note for _c, row in rows for _l, p, m in TABLE_COLUMNS if p and getattr(row[p], m).note})
    lines += [
        "",
        "Starts: people starting the new medicine; Net chg: less those no longer starting a displaced treatment;",
        "Treated: people with at least one cycle in the year. Years from the effective start; the rest once fully",
        "running. Time and cost net of displaced treatments. Units: people; chair hours a week; chairs; staff",
        "hours a week; appointments a week; £. Totals add unrounded figures.",
    ]
    if notes:
        lines += ["", "Not yet known: " + "; ".join(notes) + "."]
    return "\n".join(lines)


def _period_blocks(figures) -> dict:
    """A set's figures by year from the start (1-5), by financial year and once fully running."""
    years = figures.years_from_start()
    return {
        "eligible_per_year": figures.eligible_per_year.as_json(),
        "eligible_per_year_not_yet_known": figures.eligible_per_year.note or None,
        "by_year_from_start": {str(year): years[year].as_json() for year in range(1, YEARS_FROM_START + 1)},
        "by_financial_year": {label: period.as_json() for label, period in figures.financial_years().items()},
        "steady_state": figures.steady_state.as_json(),
    }


def impact_data(session: Session, appraisal: Appraisal, *, scenario: str = "central", today: date | None = None) -> dict:
    """Figures per trust, ICB, the alliance and England by year from the start and financial year, and
    each trust's weekly series (the JSON documented in README)."""
    figures = _figures(session, scenario, today)
    _loaded, result = pipeline_impact(session, scenario=scenario, prices=PriceView.list_only(), today=today)
    key = str(appraisal.id)
    this = figures.appraisal(key)
    deadlines = deadlines_for(appraisal)
    trusts = []
    for trust in result.trusts:
        weekly = result.appraisal_trust_weekly(key, trust.code)
        at = this.by_trust[trust.code]
        trusts.append({
            "ods_code": trust.code,
            "name": trust.name,
            "icb": trust.icb,
            "share_source": at.share_source,
            **_period_blocks(at),
            "weekly": {measure: [round(float(x), 6) for x in weekly[measure]] for measure in core.MEASURES},
        })
    return {
        "appraisal": {
            "id": appraisal.id, "title": appraisal.title, "gid": appraisal.gid, "ta_number": appraisal.ta_number,
            "effective_start": deadlines.effective_start.date.isoformat() if deadlines.effective_start.date else None,
            "effective_start_rule": deadlines.effective_start.rule,
            "funding_deadline": deadlines.funding_deadline.date.isoformat() if deadlines.funding_deadline.date else None,
            "funding_deadline_rule": deadlines.funding_deadline.rule,
            "unpriced_regimens": list(this.unpriced_regimens),
        },
        "scenario": scenario,
        "prices": "list prices (excluding VAT)",
        "figures_date": figures.figures_date.isoformat(),
        "rounding": JSON_PLACES,
        "periods": PERIOD_WORDS,
        "definitions": {name: {"unit": PeriodFigures.definition(name)["unit"],
                               "definition": PeriodFigures.definition(name)["definition"]}
                        for name in PeriodFigures.measure_names()},
        "week_starts": [d.date().isoformat() for d in result.week_starts],
        "units": dict(core.MEASURE_UNITS),
        "component": "weekly series: net (brought in minus displaced)",
        "trusts": trusts,
        "icbs": [{"ods_code": code, "name": group.name, **_period_blocks(group)} for code, group in this.by_icb.items()],
        "alliance": {"name": this.alliance.name, **_period_blocks(this.alliance)},
        "england": {"name": "England", **_period_blocks(this.england)},
    }


def impact_json(session: Session, appraisal: Appraisal, **kwargs) -> str:
    return json.dumps(impact_data(session, appraisal, **kwargs), indent=1, ensure_ascii=False)
