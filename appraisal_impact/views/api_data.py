"""The API analysts load (/api/v1): long-format time series and lists, each with a CSV twin.

Power BI and Excel Power Query read flat tables best: one row per week (or month), area, appraisal and
measure, with the value unrounded and its unit beside it, so that trusts add up to their ICB and the
alliance exactly. Every list is paged the same way (``page``, ``page_size``, ``next_page``); the CSV
twins (``.csv``) send every matching row unless a page is asked for. Figures come from the figures
layer (:mod:`appraisal_impact.figures.series`), at list prices only. The token check and headers are
the API's own (:mod:`.api`).
"""

from __future__ import annotations

import io
import math
from datetime import UTC, date, datetime

import pandas as pd
from flask import Blueprint, Response, jsonify, request, url_for

from .. import queries
from ..auth import csrf
from ..db import get_session
from ..exports.safe_writer import csv_writer
from ..figures.series import COLUMNS, COMPONENTS, FREQUENCIES, LEVELS, MEASURES, add_up, time_series
from ..planning import deadlines_for
from ..queries.regimens import all_regimens
from ..web import public, today as web_today
from . import api

bp = Blueprint("api_data", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(api._require_token)
bp.after_request(api._api_headers)

DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 10000


class BadQuery(ValueError):
    """A query parameter the API cannot use: answered 400 with the message."""


@bp.errorhandler(BadQuery)
def _bad_query(error):
    return api._error(400, str(error))


def _timestamp(value: datetime | None) -> str | None:
    """An ISO 8601 timestamp with its time zone (stored timestamps are UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.args.get(name, default).strip().lower()
    if value not in allowed:
        raise BadQuery(f"{name} must be one of: {', '.join(allowed)}")
    return value


def _positive_int(name: str, default: int | None, maximum: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise BadQuery(f"{name} must be a whole number of 1 or more")
    value = int(raw)
    if maximum is not None and value > maximum:
        raise BadQuery(f"{name} must be {maximum:,} or fewer")
    return value


def _date(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadQuery(f"{name} must be a date written YYYY-MM-DD") from None


def _listed(name: str) -> list[str]:
    """A parameter given once comma-separated or repeated: ?measure=chair_hours,drug_cost."""
    values = []
    for raw in request.args.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values


def _page(rows: list[dict], *, csv_twin: bool) -> tuple[list[dict], dict]:
    """The page asked for, and the paging fields (a CSV twin sends every row unless a page is asked for)."""
    asked = "page" in request.args or "page_size" in request.args
    page = _positive_int("page", 1)
    page_size = _positive_int("page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    total = len(rows)
    if csv_twin and not asked:
        return rows, {"page": 1, "page_size": total, "total_rows": total, "next_page": None}
    chosen = rows[(page - 1) * page_size: page * page_size]
    last_page = max(1, math.ceil(total / page_size))
    next_page = None
    if page < last_page:
        args = request.args.to_dict(flat=False) | {"page": [str(page + 1)], "page_size": [str(page_size)]}
        next_page = url_for(request.endpoint, _external=True, **request.view_args, **args)
    return chosen, {"page": page, "page_size": page_size, "total_rows": total, "next_page": next_page}


def _answer(rows: list[dict], columns: tuple[str, ...], csv_twin: bool, filename: str, **about):
    """JSON (an envelope with the page's rows) or the CSV twin (a header and the rows)."""
    chosen, paging = _page(rows, csv_twin=csv_twin)
    if csv_twin:
        text = io.StringIO()
        writer = csv_writer(text, lineterminator="\r\n")  # the app's one safe writer: text never a formula
        writer.writerow(columns)
        for row in chosen:
            # floats are written with every digit (csv uses repr), and stay numbers even when negative
            writer.writerows([["" if row.get(column) is None else row[column] for column in columns]])
        response = Response(text.getvalue(), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        response.headers["X-Total-Rows"] = str(paging["total_rows"])
        return response
    return jsonify({"generated_at": _timestamp(datetime.now(UTC)), **about, **paging, "rows": chosen})


# --- time series ---------------------------------------------------------------------------------


SERIES_COLUMNS = COLUMNS


def _series_rows() -> tuple[list[dict], dict]:
    frequency = _choice("frequency", FREQUENCIES, "month")
    component = _choice("component", COMPONENTS, "net")
    level = _choice("level", LEVELS, "trust")
    measures = _listed("measure")
    unknown = sorted(set(measures) - set(MEASURES))
    if unknown:
        raise BadQuery(f"measure must be one or more of: {', '.join(MEASURES)} (not {', '.join(unknown)})")
    appraisal_ids = _listed("appraisal")
    if any(not a.isdigit() for a in appraisal_ids):
        raise BadQuery("appraisal must be the appraisal's id, a whole number (see /api/v1/appraisals)")
    first, last = _date("from"), _date("to")
    if first and last and first > last:
        raise BadQuery("from must be on or before to")
    session = get_session()
    today = web_today()
    series = time_series(session, frequency=frequency, component=component, today=today)
    frame = series.rows
    trusts = [t.upper() for t in _listed("trust")]
    icbs = [i.upper() for i in _listed("icb")]
    if trusts:
        frame = frame[frame["area_code"].isin(trusts)]
    if icbs:
        frame = frame[frame["icb_code"].isin(icbs)]
    if appraisal_ids:
        frame = frame[frame["appraisal_id"].isin([int(a) for a in appraisal_ids])]
    if measures:
        frame = frame[frame["measure"].isin(measures)]
    if first:
        frame = frame[frame["period_end"] >= first]
    if last:
        frame = frame[frame["period_start"] <= last]
    frame = add_up(frame, level, icb_names={i.ods_code: i.name for i in queries.list_icbs(session=session)})
    frame = frame.sort_values(["area_type", "area_code", "appraisal_id", "measure", "period_start"], kind="stable")
    rows = _records(frame)
    about = {
        "figures_as_at": today.isoformat(),
        "price_basis": series.price_label,
        "frequency": frequency, "component": component, "level": level,
        "model_starts": series.grid_start.isoformat(), "model_ends": series.horizon_end.isoformat(),
    }
    return rows, about


def _records(frame: pd.DataFrame) -> list[dict]:
    records = []
    for row in frame.itertuples(index=False):
        record = row._asdict()
        record["period_start"] = record["period_start"].isoformat()
        record["period_end"] = record["period_end"].isoformat()
        record["appraisal_id"] = int(record["appraisal_id"])
        value = float(record["value"])
        record["value"] = None if math.isnan(value) else value
        record["not_yet_known"] = record["not_yet_known"] or None
        records.append(record)
    return records


@bp.route("/series")
@public
def series():
    """Weekly or monthly figures, one row per period, area, appraisal and measure (unrounded), paged."""
    rows, about = _series_rows()
    return _answer(rows, SERIES_COLUMNS, False, "series", **about)


@bp.route("/series.csv")
@public
def series_csv():
    """The time series as CSV: every matching row unless a page is asked for."""
    rows, about = _series_rows()
    return _answer(rows, SERIES_COLUMNS, True, f"appraisal-impact-{about['frequency']}ly-{about['level']}")


@bp.route("/measures")
@public
def measures():
    """Every measure of the time series: its units a week and a month, and what it counts."""
    rows = [{"measure": m, "unit_week": w, "unit_month": mo, "definition": d} for m, (w, mo, d) in MEASURES.items()]
    return _answer(rows, ("measure", "unit_week", "unit_month", "definition"), False, "measures")


# --- lists ---------------------------------------------------------------------------------------

ICB_COLUMNS = ("ods_code", "name", "population", "population_source")
TRUST_COLUMNS = ("ods_code", "name", "icb_code", "catchment_population")
APPRAISAL_COLUMNS = ("appraisal_id", "reference", "title", "medicine", "tumour_site", "status", "recommendation",
                     "publication_date", "expected_publication_date", "funding_deadline", "funding_deadline_rule",
                     "effective_start", "is_example")
REGIMEN_COLUMNS = ("regimen_id", "name", "indication", "tumour_site", "cycle_length_days", "attendance_days",
                   "is_oral", "max_cycles", "median_time_on_treatment_days", "updated_at")


def _icb_rows() -> list[dict]:
    return [{"ods_code": i.ods_code, "name": i.name, "population": i.population,
             "population_source": i.population_source or None} for i in queries.list_icbs(session=get_session())]


def _trust_rows() -> list[dict]:
    session = get_session()
    icb_codes = {i.id: i.ods_code for i in queries.list_icbs(session=session)}
    return [{"ods_code": t.ods_code, "name": t.name, "icb_code": icb_codes.get(t.icb_id),
             "catchment_population": t.catchment_population} for t in queries.list_trusts(session=session)]


def _appraisal_rows() -> list[dict]:
    rows = []
    for a in sorted(queries.list_appraisals(session=get_session()), key=lambda a: a.id):
        deadlines = deadlines_for(a)
        rows.append({
            "appraisal_id": a.id, "reference": a.ta_number or a.gid or a.id_number, "title": a.title,
            "medicine": a.medicine or None, "tumour_site": a.tumour_site or None, "status": a.status,
            "recommendation": a.recommendation, "publication_date": _day(a.publication_date),
            "expected_publication_date": None if a.expected_publication_tbc else _day(a.expected_publication_date),
            "funding_deadline": _day(deadlines.funding_deadline.date),
            "funding_deadline_rule": deadlines.funding_deadline.rule,
            "effective_start": _day(deadlines.effective_start.date), "is_example": bool(a.is_example),
        })
    return rows


def _regimen_rows() -> list[dict]:
    return [{
        "regimen_id": r.id, "name": r.name, "indication": r.indication or None, "tumour_site": r.tumour_site or None,
        "cycle_length_days": r.cycle_length_days, "attendance_days": r.attendance_days, "is_oral": r.is_oral,
        "max_cycles": r.max_cycles, "median_time_on_treatment_days": r.median_time_on_treatment_days,
        "updated_at": _timestamp(r.updated_at),
    } for r in all_regimens(session=get_session())]


LISTS = {
    "icbs": (_icb_rows, ICB_COLUMNS, "The alliance's integrated care boards"),
    "trusts": (_trust_rows, TRUST_COLUMNS, "The alliance's trusts"),
    "appraisals": (_appraisal_rows, APPRAISAL_COLUMNS, "Every appraisal in the tool, with its funding deadline"),
    "regimens": (_regimen_rows, REGIMEN_COLUMNS, "Every regimen in the library"),
}


def _list_view(name: str, csv_twin: bool):
    rows_of, columns, _description = LISTS[name]

    def view():
        return _answer(rows_of(), columns, csv_twin, name)

    view.__name__ = f"{name}_csv" if csv_twin else name
    view.__doc__ = f"{_description}{' (CSV)' if csv_twin else ''}."
    return public(view)


for _name in LISTS:
    bp.add_url_rule(f"/{_name}", view_func=_list_view(_name, False))
    bp.add_url_rule(f"/{_name}.csv", view_func=_list_view(_name, True))
