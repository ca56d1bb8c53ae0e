"""An appraisal's impact as text or JSON, for `flask impact` and analysts' scripts (list prices only)."""

from __future__ import annotations

import json
import math
from datetime import date

from sqlmodel import Session

from .core import impact as core
from .impact_service import PriceView, pipeline_impact
from .models import Appraisal
from .planning import deadlines_for

TABLE_COLUMNS = [
    ("local_eligible_per_year", "Eligible/yr", 1),
    ("new_starts_year1", "Starts y1", 1),
    ("new_starts_year2", "Starts y2", 1),
    ("patients_on_treatment_steady_state", "On treatment", 1),
    ("chair_hours_per_week_steady_state", "Chair h/wk", 2),
    ("chairs_needed_steady_state", "Chairs", 2),
    ("aseptic_hours_per_week_steady_state", "Aseptic h/wk", 2),
    ("clinic_appointments_per_week_steady_state", "Clinic/wk", 2),
    ("total_cost_year1", "Cost y1 £", 0),
    ("total_cost_year2", "Cost y2 £", 0),
]


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _run(session: Session, appraisal: Appraisal, scenario: str, today: date | None):
    _loaded, result = pipeline_impact(session, scenario=scenario, prices=PriceView.list_only(), today=today)
    return result


def impact_table(session: Session, appraisal: Appraisal, *, scenario: str = "central", today: date | None = None) -> str:
    """A fixed-width table: one row per trust, steady state and years 1–2 from the effective start."""
    result = _run(session, appraisal, scenario, today)
    summary = result.appraisal_by_trust_summary(str(appraisal.id))
    deadlines = deadlines_for(appraisal)
    lines = [
        f"{appraisal.title} ({appraisal.ta_number or appraisal.gid or appraisal.id}) - {scenario} scenario, list prices",
        f"Effective start: {deadlines.effective_start.date or 'not yet known'} ({deadlines.effective_start.rule})",
        f"Funding deadline: {deadlines.funding_deadline.date or 'not yet known'} ({deadlines.funding_deadline.rule})",
        "",
        f"{'Trust':<6}" + "".join(f"{label:>14}" for _key, label, _p in TABLE_COLUMNS),
    ]
    for code, row in summary.iterrows():
        cells = []
        for key, _label, places in TABLE_COLUMNS:
            value = row[key]
            cells.append(f"{'-':>14}" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:>14,.{places}f}")
        lines.append(f"{code:<6}" + "".join(cells))
    totals = summary[[key for key, _l, _p in TABLE_COLUMNS]].sum(min_count=1)
    lines.append(f"{'Total':<6}" + "".join(
        f"{'-':>14}" if math.isnan(totals[key]) else f"{totals[key]:>14,.{places}f}" for key, _l, places in TABLE_COLUMNS
    ))
    lines += ["", "Units: patients a year; patients; chair hours a week; chairs; staff hours a week; appointments a week; £."]
    return "\n".join(lines)


def impact_data(session: Session, appraisal: Appraisal, *, scenario: str = "central", today: date | None = None) -> dict:
    """Weekly series and yearly sums per trust, with units named (the JSON documented in README)."""
    result = _run(session, appraisal, scenario, today)
    key = str(appraisal.id)
    deadlines = deadlines_for(appraisal)
    summary = result.appraisal_by_trust_summary(key)
    trusts = []
    for trust in result.trusts:
        weekly = result.appraisal_trust_weekly(key, trust.code)
        by_fy = core.by_financial_year(weekly)
        trusts.append({
            "ods_code": trust.code,
            "name": trust.name,
            "icb": trust.icb,
            "summary": {k: _clean(v) for k, v in summary.loc[trust.code].to_dict().items()},
            "weekly": {measure: [round(float(x), 6) for x in weekly[measure]] for measure in core.MEASURES},
            "by_financial_year": {
                str(label): {measure: round(float(by_fy.loc[label, measure]), 6) for measure in core.MEASURES}
                for label in by_fy.index
            },
        })
    return {
        "appraisal": {
            "id": appraisal.id, "title": appraisal.title, "gid": appraisal.gid, "ta_number": appraisal.ta_number,
            "effective_start": deadlines.effective_start.date.isoformat() if deadlines.effective_start.date else None,
            "effective_start_rule": deadlines.effective_start.rule,
            "funding_deadline": deadlines.funding_deadline.date.isoformat() if deadlines.funding_deadline.date else None,
            "funding_deadline_rule": deadlines.funding_deadline.rule,
        },
        "scenario": scenario,
        "prices": "list prices (excluding VAT)",
        "week_starts": [d.date().isoformat() for d in result.week_starts],
        "units": dict(core.MEASURE_UNITS),
        "component": "net (brought in minus displaced)",
        "trusts": trusts,
    }


def impact_json(session: Session, appraisal: Appraisal, **kwargs) -> str:
    return json.dumps(impact_data(session, appraisal, **kwargs), indent=1)
