"""The SACT lead's pages: the pipeline dashboard, what changed, a trust's capacity outlook, an
appraisal's impact on each trust, readiness sign-off, and the demand-and-capacity return.

Every figure comes from `impact_service.pipeline_impact` (cached until the data change), at the
prices the signed-in user may see; the return workbook uses list prices unless asked otherwise by
someone allowed to see confidential prices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from .. import charts, impact_service, queries
from ..audit import DATE_FIELDS_WITH_HISTORY, EditConflict, apply_changes, record_created
from ..core import impact as core
from ..core.deadlines import Deadlines
from ..db import get_session
from ..exports import return_workbook
from ..figures.population import area_population, per_100000
from ..figures.sets import group
from ..figures import Figure, PeriodFigures, PipelineFigures, ResourceCapacity, growth_percent_of, pipeline_figures, rounding_note, share_of, total
from ..formatting import date_uk, days_left, field_label, start_wording
from ..models import Appraisal, Icb, Readiness, Trust, utcnow
from ..planning import deadlines_for
from ..queries import appraisals as appraisal_queries
from ..queries import lead as lead_queries
from ..queries import pipeline as pipeline_queries
from ..web import current_actor, get_or_404, is_htmx, page_or_partial, safe_next, today as web_today


bp = Blueprint("lead", __name__)

READINESS_STATUSES = ("not started", "assessing", "ready", "implemented")
READY_STATUSES = frozenset({"ready", "implemented"})
DEFAULT_WARNING_DAYS = 90
SCENARIOS = ("low", "central", "high")

SORTS = {
    "start": "Effective start (or deadline)",
    "deadline": "Funding deadline",
    "title": "Title",
    "site": "Tumour site",
    "chair_hours": "Chair hours a week (most first)",
    "cost": "Cost a year (most first)",
    "patients": "Patients a year (most first)",
}

# Tables whose figure changes "what changed" reports, and the fields that are not figures.
FIGURE_ENTITIES = ("appraisal", "trust", "uptakeyear", "appraisalregimen", "regimen", "regimencomponent",
                   "drugpack", "trustappraisaloverride", "trustregimenoverride", "tumoursiteshare", "referencevalue", "hrgcost")
NOT_FIGURES = frozenset({"title", "medicine", "indication", "tumour_site", "process", "source", "nice_url", "notes",
                         "name", "note", "gid", "id_number", "ta_number", "nice_last_read_at", "nice_last_read_status",
                         "deadline_override_reason", "price_source", "description", "updated_at", "set_at"})


# --- settings and context -------------------------------------------------------------------------


def _today() -> date:
    """Today, or the date a test or demonstration fixes in the app's settings (`TODAY`)."""
    return web_today()


def _prices() -> impact_service.PriceView:
    return impact_service.PriceView.for_user(current_user)


def _growth_percent(session) -> float:
    return growth_percent_of(queries.reference_values(session=session))


def warning_days(session) -> int:
    """Days before the effective start within which a trust not yet ready is flagged (setting, default 90)."""
    value = lead_queries.reference_value(session=session, key="readiness_warning_days")
    if value is None:
        value = current_app.config.get("READINESS_WARNING_DAYS", DEFAULT_WARNING_DAYS)
    return int(value)


def _scenario() -> str:
    scenario = request.args.get("scenario", "central")
    return scenario if scenario in SCENARIOS else "central"


def _trust_or_404(session, ods_code: str) -> Trust:
    trust = queries.get_trust_by_ods(session=session, ods_code=ods_code)
    if trust is None:
        abort(404)
    return trust


def _key_date(deadlines: Deadlines) -> date | None:
    """The date to plan to: the effective start, else the funding deadline."""
    return deadlines.effective_start.date or deadlines.funding_deadline.date


def key_date_wording(deadlines: Deadlines, today: date) -> str:
    """How far off the key date is, in true words: a start "starts in 5 days" or "started 160 days ago"
    (a start in the past is not overdue); only a funding deadline is "overdue"."""
    if deadlines.effective_start.date:
        return start_wording(deadlines.effective_start.date, today)
    if deadlines.funding_deadline.date:
        return f"funding deadline {days_left(deadlines.funding_deadline.date, today)}"
    return "not yet known"


def not_ready_wording(deadlines: Deadlines, today: date) -> str:
    """Why a trust not yet ready is flagged: "Not ready: started 160 days ago", "Not ready: starts in 40 days"."""
    return f"Not ready: {key_date_wording(deadlines, today)}"


def _needs_flag(deadlines: Deadlines, today: date, days: int) -> bool:
    start = _key_date(deadlines)
    return deadlines.has_funding_requirement and start is not None and (start - today).days <= days


# --- periods --------------------------------------------------------------------------------------


financial_quarter_label = return_workbook.quarter_label


def quarter_labels(week_starts) -> list[str]:
    return [financial_quarter_label(day) for day in week_starts]


def by_quarter_mean(values: np.ndarray, labels: list[str]) -> tuple[list[str], list[float]]:
    """Mean weekly value in each financial quarter (weeks by their Monday), in order."""
    frame = pd.Series(np.asarray(values, dtype=float)).groupby(np.asarray(labels), sort=False).mean()
    return list(frame.index), [float(v) for v in frame.to_numpy()]


# --- dashboard ------------------------------------------------------------------------------------


@dataclass
class DashboardRow:
    """One appraisal on the dashboard; its figures are the figures layer's, once fully running, for the
    chosen trusts (a trust, an ICB or the alliance)."""

    appraisal: Appraisal
    deadlines: Deadlines
    key_date: date | None
    figures: PeriodFigures
    not_ready: list[Trust] = field(default_factory=list)
    in_window: bool = False  # effective start within the warning period (or past)
    flagged: bool = False  # in the window and some trust not ready

    @property
    def patients_per_year(self) -> Figure:
        """People starting the new medicine a year, once fully running."""
        return self.figures.new_patients

    @property
    def chair_hours_per_week(self) -> Figure:
        return self.figures.chair_hours_per_week

    @property
    def cost_per_year(self) -> Figure:
        return self.figures.total_cost


def _selected_trusts(session, icb_code: str, trust_code: str) -> tuple[list[Trust], dict]:
    icbs = queries.list_icbs(session=session)
    trusts = queries.list_trusts(session=session)
    icb = next((i for i in icbs if i.ods_code == icb_code.upper()), None) if icb_code else None
    trust = next((t for t in trusts if t.ods_code == trust_code.upper()), None) if trust_code else None
    if trust is not None:
        selected = [trust]
    elif icb is not None:
        selected = [t for t in trusts if t.icb_id == icb.id]
    else:
        selected = trusts
    return selected, {"icbs": icbs, "trusts": trusts, "icb": icb, "trust": trust}


def _sort_rows(rows: list[DashboardRow], sort: str) -> list[DashboardRow]:
    far = date.max

    def most_first(figure: Figure) -> tuple:
        # figures not yet known sort after every known one
        return (figure.value is None, -(figure.value or 0.0))

    def key(row: DashboardRow):
        a = row.appraisal
        if sort == "title":
            return (a.title.lower(),)
        if sort == "site":
            return (a.tumour_site.lower(), row.key_date or far, a.title.lower())
        if sort == "deadline":
            return (row.deadlines.funding_deadline.date or far, a.title.lower())
        if sort == "chair_hours":
            return (*most_first(row.chair_hours_per_week), a.title.lower())
        if sort == "cost":
            return (*most_first(row.cost_per_year), a.title.lower())
        if sort == "patients":
            return (*most_first(row.patients_per_year), a.title.lower())
        return (row.key_date or far, a.title.lower())

    return sorted(rows, key=key)


def scope_figures(figures: PipelineFigures, appraisal_key: str, orgs: dict, trusts: list[Trust]):
    """An appraisal's figures for the chosen scope: a trust, an ICB or the whole alliance."""
    this = figures.appraisal(appraisal_key)
    if orgs.get("trust") is not None:
        return this.by_trust[orgs["trust"].ods_code]
    if orgs.get("icb") is not None:
        return this.by_icb.get(orgs["icb"].ods_code) or group_of(this, trusts)
    return this.alliance


def group_of(this, trusts: list[Trust]):
    """The total of an appraisal over some trusts (an ICB with no trusts in the model)."""
    keys = list(next(iter(this.by_trust.values())).periods) if this.by_trust else []
    members = [this.by_trust[t.ods_code] for t in trusts if t.ods_code in this.by_trust]
    return group("", "", members, keys, [m.trust_code for m in members], noun="trusts")


def dashboard_rows(session, *, appraisals: list[Appraisal], trusts: list[Trust], today: date,
                   figures: PipelineFigures, orgs: dict, days: int) -> list[DashboardRow]:
    """One row per appraisal: dates, the scope's figures once fully running, trusts not ready in time."""
    statuses = lead_queries.readiness_statuses(
        session=session, trust_ids=[t.id for t in trusts], appraisal_ids=[a.id for a in appraisals]
    )
    rows = []
    for appraisal in appraisals:
        deadlines = deadlines_for(appraisal)
        row = DashboardRow(
            appraisal=appraisal,
            deadlines=deadlines,
            key_date=_key_date(deadlines),
            figures=scope_figures(figures, str(appraisal.id), orgs, trusts).steady_state,
        )
        if _needs_flag(deadlines, today, days):
            row.in_window = True
            row.not_ready = [t for t in trusts if statuses.get((t.id, appraisal.id), "not started") not in READY_STATUSES]
            row.flagged = bool(row.not_ready)
        rows.append(row)
    return rows


@bp.route("/dashboard")
def dashboard():
    """What is coming, by when, what it does to the alliance's trusts, and who is not ready."""
    session = get_session()
    today = _today()
    filters = {
        "icb": request.args.get("icb", "").strip()[:10],
        "trust": request.args.get("trust", "").strip()[:10],
        "site": request.args.get("site", "").strip()[:100],
        "status": request.args.get("status", "").strip()[:40],
    }
    sort = request.args.get("sort", "start")
    if sort not in SORTS:
        sort = "start"
    selected, orgs = _selected_trusts(session, filters["icb"], filters["trust"])
    appraisals = pipeline_queries.filter_appraisals(
        session=session, tumour_site=filters["site"] or None, status=filters["status"] or None
    )
    figures = pipeline_figures(session, prices=_prices(), today=today)
    days = warning_days(session)
    rows = _sort_rows(
        dashboard_rows(session, appraisals=appraisals, trusts=selected, today=today, figures=figures, orgs=orgs,
                       days=days), sort
    )
    names = [str(r.appraisal.id) for r in rows]
    totals = {
        "patients_per_year": total((r.patients_per_year for r in rows), names=names, noun="appraisals"),
        "chair_hours_per_week": total((r.chair_hours_per_week for r in rows), names=names, noun="appraisals"),
        "cost_per_year": total((r.cost_per_year for r in rows), names=names, noun="appraisals"),
    }
    context = dict(
        rows=rows,
        totals=totals,
        not_ready_trusts=not_ready_by_trust(rows),
        filters=filters,
        sort=sort,
        sorts=SORTS,
        selected_trusts=selected,
        scope=_scope_label(orgs),
        tumour_sites=pipeline_queries.tumour_sites(session=session),
        statuses=pipeline_queries.statuses(session=session),
        warning_days=days,
        today=today,
        prices_label=_prices().label(),
        unpriced=tuple(sorted({name for r in rows for name in figures.appraisal(r.appraisal.id).unpriced_regimens})),
        rounding=rounding_note([r.cost_per_year for r in rows], totals["cost_per_year"], money="thousands"),
        left_out=figures.left_out,
        **orgs,
    )
    if not is_htmx():
        context["changes"] = what_changed(session, _default_since(today))
    return page_or_partial("lead/dashboard.html", "lead/_dashboard_table.html", **context)


@dataclass(frozen=True)
class TrustNotReady:
    trust: Trust
    appraisals: int  # appraisals due within the warning period that it is not ready for
    earliest: date | None  # the soonest effective start (or deadline) among them
    earliest_is_start: bool = True  # False when `earliest` is a funding deadline (the start not yet known)


def not_ready_by_trust(rows: list[DashboardRow]) -> list[TrustNotReady]:
    """Trusts not ready for at least one appraisal due soon: most appraisals first, then soonest."""
    counts: dict[int, list] = {}
    for row in rows:
        for trust in row.not_ready:
            entry = counts.setdefault(trust.id, [trust, 0, None, True])
            entry[1] += 1
            if row.key_date and (entry[2] is None or row.key_date < entry[2]):
                entry[2] = row.key_date
                entry[3] = row.deadlines.effective_start.date is not None
    found = [TrustNotReady(trust, n, earliest, is_start) for trust, n, earliest, is_start in counts.values()]
    return sorted(found, key=lambda t: (-t.appraisals, t.earliest or date.max, t.trust.name))


def _scope_label(orgs: dict) -> str:
    if orgs["trust"] is not None:
        return orgs["trust"].name
    if orgs["icb"] is not None:
        return f"the trusts of {orgs['icb'].name}"
    return "the whole alliance"


# --- what changed ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureChange:
    at: datetime
    who: str
    what: str  # "Eligible people a year (England)"
    entity_name: str
    link: str | None
    old: str
    new: str
    difference: float | None
    percent: float | None


@dataclass(frozen=True)
class DateMoved:
    appraisal: Appraisal
    field: str
    old: str  # "1 June 2026", "TBC" or "not set"
    new: str
    shift: str  # "later by 30 days", "earlier by 5 days", or "" when either side is not a date
    at: datetime
    origin: str


def _as_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except (TypeError, ValueError):
        return None


def date_moved(change, appraisal: Appraisal) -> DateMoved:
    """A date change in words: was, now, and how far it moved."""
    old, new = _as_date(change.old_value), _as_date(change.new_value)
    shift = ""
    if old and new and old != new:
        days = (new - old).days
        unit = "day" if abs(days) == 1 else "days"
        shift = f"later by {days} {unit}" if days > 0 else f"earlier by {-days} {unit}"
    return DateMoved(
        appraisal, change.field,
        date_uk(old) if old else (change.old_value or "not set"),
        date_uk(new) if new else (change.new_value or "not set"),
        shift, change.changed_at, change.origin,
    )


@dataclass
class Changes:
    since: datetime
    since_label: str
    dates_moved: list = field(default_factory=list)
    status_changed: list = field(default_factory=list)
    arrived: list = field(default_factory=list)
    figures: list[FigureChange] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.dates_moved or self.status_changed or self.arrived or self.figures)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _default_since(today: date) -> tuple[datetime, str]:
    previous = getattr(current_user, "previous_visit_at", None)
    if previous is not None:
        return previous, f"your previous visit on {previous.day} {previous:%B %Y} at {previous:%H:%M} UTC"
    start = datetime.combine(today - timedelta(days=30), time())
    return start, f"{date_uk(start.date())} (30 days ago: no previous visit recorded)"


def what_changed(session, since: tuple[datetime, str]) -> Changes:
    """Dates moved, statuses changed, appraisals arrived and figures changed since a moment."""
    moment, label = since
    changes = Changes(moment, label)
    for move in lead_queries.date_changes_since(session=session, since=moment):
        if move.change.field in lead_queries.STATUS_FIELDS:
            changes.status_changed.append(move)
        else:
            changes.dates_moved.append(date_moved(move.change, move.appraisal))
    changes.arrived = lead_queries.appraisals_created_since(session=session, since=moment)
    entries = [
        e for e in lead_queries.figure_updates_since(session=session, since=moment, entities=FIGURE_ENTITIES)
        if e.field not in NOT_FIGURES and not (e.entity == "appraisal" and e.field in DATE_FIELDS_WITH_HISTORY)
    ]
    ids_by_entity: dict[str, set[int]] = {}
    for e in entries:
        if e.entity_id:
            ids_by_entity.setdefault(e.entity, set()).add(e.entity_id)
    names = {entity: lead_queries.describe_rows(session=session, entity=entity, ids=ids) for entity, ids in ids_by_entity.items()}
    for e in entries:
        old, new = _number(e.old_value), _number(e.new_value)
        difference = None if old is None or new is None else new - old
        percent = None if difference is None or not old else difference / abs(old) * 100
        described = names.get(e.entity, {}).get(e.entity_id)
        changes.figures.append(FigureChange(
            e.at, e.user_name or "system", field_label(e.field),
            described.name if described else f"{e.entity} {e.entity_id} (since removed)",
            _page_link(described.page) if described else None,
            e.old_value, e.new_value, difference, percent,
        ))
    return changes


def _page_link(page: tuple[str, object] | None) -> str | None:
    if page is None:
        return None
    kind, key = page
    if kind == "appraisal":
        return url_for("appraisals.show", appraisal_id=key)
    if kind == "trust":
        return url_for("trusts.show", ods_code=key)
    if kind == "regimen" and "regimens.show" in current_app.view_functions:
        return url_for("regimens.show", regimen_id=key)
    return None


@bp.route("/dashboard/changes")
def changes():
    """What changed since a date (default: your previous visit)."""
    session = get_session()
    today = _today()
    raw = request.args.get("since", "").strip()
    errors = []
    since = _default_since(today)
    if raw:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            errors.append(("since", "Enter a date in the format 2026-05-31 (year, month, day)"))
        else:
            if day > utcnow().date():  # changes carry real timestamps, whatever date the deadlines use
                errors.append(("since", "The date must be today or in the past"))
            else:
                since = (datetime.combine(day, time()), date_uk(day))
    status = 400 if errors else 200
    return page_or_partial(
        "lead/changes.html", "lead/_what_changed.html", status=status,
        changes=what_changed(session, since) if not errors else None,
        since_value=raw, errors=errors, error_title=bool(errors),
    )


# --- trust view -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contributor:
    """One appraisal's net demand at a trust once fully running (figures layer)."""

    appraisal: Appraisal
    figures: PeriodFigures
    share_of_chair_hours: Figure  # % of the pipeline's net chair hours at this trust


def _resource_chart(trust: Trust, resource: ResourceCapacity) -> charts.Chart:
    outlook = resource.outlook
    labels = quarter_labels(outlook.week_starts)
    x, capacity = by_quarter_mean(np.full(len(labels), outlook.capacity_per_week), labels)
    _, baseline = by_quarter_mean(outlook.baseline, labels)
    _, with_pipeline = by_quarter_mean(outlook.demand_with_pipeline, labels)
    markers = []
    descriptions = []
    for when, text in ((resource.first_week_over_with_pipeline, "with the pipeline"),
                       (resource.first_week_over_without_pipeline, "without the pipeline")):
        if when is not None:
            quarter = financial_quarter_label(when)
            markers.append(charts.Marker(x.index(quarter), f"Runs out {text}: {date_uk(when)}"))
            descriptions.append(f"demand first exceeds capacity {text} in the week of {date_uk(when)}")
        else:
            descriptions.append(f"demand stays within capacity {text} to {date_uk(resource.horizon_end)}")
    unit = resource.unit
    description = (
        f"Mean {unit} in each financial quarter from the week of {date_uk(resource.figures_date)} to "
        f"{date_uk(resource.horizon_end)} at {trust.name}: capacity, baseline demand growing each year, and baseline "
        f"plus the pipeline. " + _sentence("; ".join(descriptions)) + "."
    )
    return charts.line_chart(
        chart_id=f"chart-{resource.resource.replace('_', '-')}",
        title=f"{resource.label}: capacity and demand at {trust.name}, {unit}",
        description=description,
        x_label="Financial quarter",
        y_label=unit.capitalize(),
        x_labels=x,
        series=[
            charts.Series("Capacity", tuple(capacity)),
            charts.Series("Baseline demand (growing)", tuple(baseline)),
            charts.Series("Baseline plus the pipeline", tuple(with_pipeline)),
        ],
        markers=markers,
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def contributors(figures: PipelineFigures, appraisals: dict[int, Appraisal], trust_code: str) -> list[Contributor]:
    """Appraisals by their net chair hours a week once fully running at one trust, most first."""
    whole = figures.trusts[trust_code].pipeline.steady_state.chair_hours_per_week
    rows = []
    for key, this in figures.appraisals.items():
        appraisal = appraisals.get(int(key))
        if appraisal is None:
            continue
        steady = this.by_trust[trust_code].steady_state
        rows.append(Contributor(appraisal, steady, share_of(steady.chair_hours_per_week, whole)))

    def order(c: Contributor):
        chair, cost = c.figures.chair_hours_per_week.value, c.figures.total_cost.value
        return (chair is None, -(chair or 0.0), -(cost or 0.0), c.appraisal.title.lower())

    return sorted(rows, key=order)


@bp.route("/trusts/<ods_code>/impact")
def trust_impact(ods_code: str):
    """One trust: the pipeline's weekly demand on chairs, pharmacy and clinics against capacity."""
    session = get_session()
    trust = _trust_or_404(session, ods_code)
    today = _today()
    scenario = _scenario()
    figures = pipeline_figures(session, scenario=scenario, prices=_prices(), today=today)
    at_trust = figures.trusts[trust.ods_code]
    appraisals = {a.id: a for a in queries.list_appraisals(session=session)}
    ranked = contributors(figures, appraisals, trust.ods_code)
    top = [c for c in ranked if c.figures.chair_hours_per_week.value is not None
           and abs(c.figures.chair_hours_per_week.value) > 1e-9][:8]
    contributor_chart = charts.bar_chart(
        chart_id="chart-contributors",
        title=f"Which appraisals add most chair hours a week at {trust.name} (once fully running)",
        description=(
            "Net chair hours a week each appraisal adds once fully running (the last year modelled), largest first: "
            + "; ".join(f"{c.appraisal.ta_number or c.appraisal.title}: {c.figures.chair_hours_per_week.text()}" for c in top)
            + "." if top else "No appraisal adds chair hours at this trust."
        ),
        x_label="Appraisal",
        y_label="Chair hours a week",
        x_labels=[c.appraisal.ta_number or c.appraisal.gid or f"#{c.appraisal.id}" for c in top],
        series=[charts.Series("Net chair hours a week", tuple(c.figures.chair_hours_per_week.value for c in top))],
    ) if top else None
    readiness = lead_queries.readiness_map(session=session, trust_ids=[trust.id])
    setters = lead_queries.user_names(session=session, user_ids={r.set_by_id for r in readiness.values() if r.set_by_id})
    days = warning_days(session)
    pipeline_rows = sorted(
        ((a, deadlines_for(a)) for a in appraisals.values()), key=lambda pair: (_key_date(pair[1]) or date.max, pair[0].title)
    )
    return render_template(
        "lead/trust_impact.html",
        trust=trust,
        icb=session.get(Icb, trust.icb_id),
        scenario=scenario,
        scenarios=SCENARIOS,
        figures=figures,
        resources=at_trust.capacity,
        charts={r.resource: _resource_chart(trust, r) for r in at_trust.capacity if r.outlook is not None},
        pipeline=at_trust.pipeline.steady_state,
        chair_capacity=at_trust.chair_capacity,
        contributors=ranked,
        contributor_chart=contributor_chart,
        growth=figures.growth_percent,
        readiness=readiness,
        setters=setters,
        pipeline_rows=pipeline_rows,
        may_set_readiness=current_user.may_edit_trust(trust.id),
        warning_days=days,
        needs_flag=lambda d: _needs_flag(d, today, days),
        key_date=_key_date,
        key_date_wording=lambda d: key_date_wording(d, today),
        not_ready_wording=lambda d: not_ready_wording(d, today),
        ready_statuses=READY_STATUSES,
        today=today,
        prices_label=_prices().label(),
        unpriced=figures.unpriced_regimens,
        left_out=figures.left_out,
        sources=queries.figure_sources(session=session, entity="trust", entity_id=trust.id),
    )


# --- appraisal view -------------------------------------------------------------------------------


@bp.route("/appraisals/<int:appraisal_id>/impact")
def appraisal_impact(appraisal_id: int):
    """One appraisal: its impact on each trust over five years, low, central and high."""
    session = get_session()
    appraisal = get_or_404(session, Appraisal, appraisal_id)
    today = _today()
    key = str(appraisal.id)
    prices = _prices()
    left_out = pipeline_figures(session, prices=prices, today=today).left_out
    if appraisal.id in left_out:  # a figure it depends on cannot be modelled: say which, and where to fix it
        return render_template("errors/appraisal_left_out.html", appraisal=appraisal, left_out=left_out[appraisal.id])
    by_scenario = {s: pipeline_figures(session, scenario=s, prices=prices, today=today).appraisal(key) for s in SCENARIOS}
    central = by_scenario["central"]
    # the charts draw the weekly series the figures were built from
    runs = {s: impact_service.pipeline_impact(session, scenario=s, prices=prices, today=today)[1] for s in SCENARIOS}
    labels = quarter_labels(runs["central"].week_starts)
    alliance = {s: runs[s].appraisal_weekly(key) for s in SCENARIOS}
    x, _ = by_quarter_mean(alliance["central"]["chair_hours"].to_numpy(), labels)
    chair_series = [
        charts.Series(f"{s.capitalize()} estimate", tuple(by_quarter_mean(alliance[s]["chair_hours"].to_numpy(), labels)[1]))
        for s in SCENARIOS
    ]
    chair_chart = charts.line_chart(
        chart_id="chart-alliance-chair-hours",
        title=f"Net chair hours a week across the alliance: {appraisal.ta_number or appraisal.title}",
        description=(
            "Mean net chair hours a week in each financial quarter over the years modelled, summed over every trust, "
            f"for the low, central and high estimates. Central once fully running: "
            f"{central.alliance.steady_state.chair_hours_per_week.text()} chair hours a week."
        ),
        x_label="Financial quarter", y_label="Chair hours a week", x_labels=x, series=chair_series,
    )
    rows = sorted(central.by_trust.values(), key=lambda r: r.trust_name)
    trust_lines = _trust_lines_chart(appraisal, runs["central"], rows, labels)
    steady = {s: {code: f.steady_state.chair_hours_per_week for code, f in by_scenario[s].by_trust.items()} for s in SCENARIOS}
    trust_chart = charts.bar_chart(
        chart_id="chart-by-trust",
        title=f"Net chair hours a week once fully running, by trust: {appraisal.ta_number or appraisal.title}",
        description="Net chair hours a week in the last year modelled, at each trust, low, central and high: "
        + "; ".join(f"{row.trust_name}: {row.steady_state.chair_hours_per_week.text()} (central)" for row in rows) + ".",
        x_label="Trust", y_label="Chair hours a week",
        x_labels=[row.trust_code for row in rows],
        series=[
            charts.Series(f"{s.capitalize()} estimate", tuple(steady[s][row.trust_code].value or 0.0 for row in rows))
            for s in SCENARIOS
        ],
    )
    population = area_population((t.ods_code, t.catchment_population) for t in queries.list_trusts(session=session))
    per_100000_by_year = {fy: {m: per_100000(getattr(year, m), population) for m in PER_100000_MEASURES}
                          for fy, year in central.alliance.financial_years().items()}
    regimens = appraisal_queries.regimen_links(session=session, appraisal_id=appraisal.id)
    displaced = [r for r in regimens if r.link.role == "displaces"]
    brought_in = [r for r in regimens if r.link.role != "displaces"]
    return render_template(
        "lead/appraisal_impact.html",
        appraisal=appraisal,
        deadlines=deadlines_for(appraisal),
        figures=central,
        by_scenario=by_scenario,
        rows=rows,
        scenarios=SCENARIOS,
        chair_chart=chair_chart,
        trust_chart=trust_chart,
        trust_lines=trust_lines,
        financial_years=central.alliance.financial_years(),
        population=population,
        per_100000_by_year=per_100000_by_year,
        brought_in=brought_in,
        displaced=displaced,
        today=today,
        prices_label=prices.label(),
        unpriced=central.unpriced_regimens,
        spreads=appraisal,
        rule_wording=return_workbook.rule_wording,
    )


TRUST_LINES_MAX = 8
# NICE's resource impact templates show these per 100,000 population
PER_100000_MEASURES = ("new_patients", "people_treated", "drug_cost_gross", "drug_cost_displaced", "drug_cost", "total_cost")


def _trust_lines_chart(appraisal: Appraisal, result: core.ImpactResult, rows: list, labels: list[str]) -> charts.Chart:
    """Each trust's net chair hours a week by quarter over the years modelled (the largest few when there are many)."""
    key = str(appraisal.id)
    ranked = sorted(rows, key=lambda r: -abs(r.steady_state.chair_hours_per_week.value or 0.0))
    chosen = ranked[:TRUST_LINES_MAX]
    series = []
    x: list[str] = []
    for row in chosen:
        weekly = result.appraisal_trust_weekly(key, row.trust_code)["chair_hours"].to_numpy()
        x, values = by_quarter_mean(weekly, labels)
        series.append(charts.Series(f"{row.trust_name} ({row.trust_code})", tuple(values)))
    more = len(rows) - len(chosen)
    return charts.line_chart(
        chart_id="chart-trusts-over-time",
        title=f"Net chair hours a week at each trust over the years modelled: {appraisal.ta_number or appraisal.title}",
        description=(
            "Mean net chair hours a week in each financial quarter at each trust, central estimate"
            + (f"; the {len(chosen)} trusts with most chair hours are drawn, all {len(rows)} are in the table below." if more else ".")
        ),
        x_label="Financial quarter", y_label="Chair hours a week", x_labels=x, series=series,
    )


# --- readiness ------------------------------------------------------------------------------------


@bp.route("/trusts/<ods_code>/appraisals/<int:appraisal_id>/readiness", methods=["GET", "POST"])
def readiness(ods_code: str, appraisal_id: int):
    """Set a trust's readiness to deliver an appraisal: leads and admins for any trust, pharmacists their own."""
    session = get_session()
    trust = _trust_or_404(session, ods_code)
    appraisal = get_or_404(session, Appraisal, appraisal_id)
    if not current_user.may_edit_trust(trust.id):
        abort(403)
    row = lead_queries.get_readiness(session=session, trust_id=trust.id, appraisal_id=appraisal.id)
    values = {
        "status": row.status if row else "not started",
        "note": row.note if row else "",
        "version": str(row.version) if row else "",
    }
    errors: list[tuple[str, str]] = []
    conflict = None
    if request.method == "POST":
        values = {
            "status": request.form.get("status", "").strip(),
            "note": request.form.get("note", "").strip(),
            "version": request.form.get("version", "").strip(),
        }
        if values["status"] not in READINESS_STATUSES:
            errors.append(("status", "Select how ready the trust is"))
        if len(values["note"]) > 2000:
            errors.append(("note", "The note must be 2,000 characters or fewer"))
        expected = int(values["version"]) if values["version"].isdigit() else None
        if not errors:
            try:
                _save_readiness(session, trust, appraisal, row, values, expected)
            except (EditConflict, StaleDataError):
                session.rollback()
                conflict = lead_queries.get_readiness(session=session, trust_id=trust.id, appraisal_id=appraisal.id)
                errors.append(("status", "Someone else changed this readiness after you opened it. "
                                         "Check their status and note below, then save again."))
            else:
                flash(f"{trust.name} marked as '{values['status']}' for {appraisal.ta_number or appraisal.title}.")
                return redirect(_safe_next() or url_for("lead.trust_impact", ods_code=trust.ods_code) + "#readiness")
        if conflict is not None:
            values["version"] = str(conflict.version)
    setter = None
    current = conflict or row
    if current and current.set_by_id:
        setter = lead_queries.user_names(session=session, user_ids={current.set_by_id}).get(current.set_by_id)
    status = (409 if conflict is not None else 400) if errors else 200
    return render_template(
        "lead/readiness_form.html", trust=trust, appraisal=appraisal, values=values, errors=errors,
        error_title=bool(errors), statuses=READINESS_STATUSES, current=current, setter=setter,
        next_url=_safe_next() or "", history=queries.audit_trail(session=session, entity="readiness", entity_id=current.id) if current else [],
    ), status


def _safe_next() -> str | None:
    return safe_next(request.values.get("next"))


def _save_readiness(session, trust: Trust, appraisal: Appraisal, row: Readiness | None, values: dict, expected: int | None) -> None:
    actor = current_actor()
    if row is None:
        existing = lead_queries.get_readiness(session=session, trust_id=trust.id, appraisal_id=appraisal.id)
        if existing is not None:
            raise EditConflict(existing, expected or 0)
        row = Readiness(trust_id=trust.id, appraisal_id=appraisal.id, status=values["status"], note=values["note"],
                        set_by_id=actor.user_id, set_at=utcnow())
        session.add(row)
        record_created(session, actor, row, f"{trust.ods_code} / {appraisal.ta_number or appraisal.id}: {values['status']}")
    else:
        if expected is None:
            raise EditConflict(row, -1)
        changed = apply_changes(session, actor, row, {"status": values["status"], "note": values["note"]}, expected_version=expected)
        if changed:
            row.set_by_id = actor.user_id
            row.set_at = utcnow()
    session.commit()


# --- demand-and-capacity return -------------------------------------------------------------------


@bp.route("/dashboard/return.xlsx")
def return_export():
    """The demand-and-capacity return: one sheet per trust, by financial year and quarter (Excel)."""
    session = get_session()
    today = _today()
    want_confidential = request.args.get("prices") == "confidential"
    if want_confidential and not current_user.may_see_confidential(None):
        abort(403)
    prices = _prices() if want_confidential else impact_service.PriceView.list_only()
    icb_code = request.args.get("icb", "").strip()[:10]
    selected, orgs = _selected_trusts(session, icb_code, "")
    loaded, _result = impact_service.pipeline_impact(session, prices=prices, today=today)
    workbook = return_workbook.build(
        figures=pipeline_figures(session, prices=prices, today=today),
        loaded=loaded,
        trusts=selected,
        icbs={i.id: i for i in orgs["icbs"]},
        deadlines={a_id: deadlines_for(a) for a_id, a in loaded.appraisal_rows.items()},
        growth_percent=_growth_percent(session),
        reference_values=queries.reference_values(session=session),
        trust_sources={t.id: queries.figure_sources(session=session, entity="trust", entity_id=t.id) for t in selected},
        confidential=not prices.is_list_only,
        prepared_by=current_user.name,
        prepared_at=utcnow(),
        scope=_scope_label(orgs),
    )
    suffix = f"-{orgs['icb'].ods_code}" if orgs["icb"] else ""
    name = f"demand-and-capacity-return{suffix}-{today.isoformat()}{'-CONFIDENTIAL' if not prices.is_list_only else ''}.xlsx"
    response = send_file(workbook, as_attachment=True, download_name=name,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Cache-Control"] = "no-store"
    return response
