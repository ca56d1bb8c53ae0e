"""The dashboard of every resource: which trusts run out of chairs, aseptic pharmacy time or clinic
appointments, when, with and without the pipeline, and which appraisals drive it, across the alliance.

Every figure is the figures layer's (:func:`appraisal_impact.figures.capacity_figures`, through
``pipeline_figures``); this page only chooses and orders them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, request

from .. import queries
from ..db import get_session
from ..figures import Figure, PipelineFigures, ResourceCapacity, pipeline_figures
from ..figures.capacity import RESOURCES
from ..planning import deadlines_for
from ..web import page_or_partial
from .lead import _prices, _today

bp = Blueprint("resources", __name__)

SORTS = {
    "run_out": "Runs out with the pipeline (soonest first)",
    "deadline": "Funding deadline of the appraisals driving it (soonest first)",
    "headroom": "Headroom with the pipeline (least first)",
    "trust": "Trust",
}
# the measure of each resource in a period's figures (net of displaced treatments, mean week)
PERIOD_MEASURE = {
    "chair_hours": "chair_hours_per_week",
    "aseptic_hours": "aseptic_hours_per_week",
    "clinic_appointments": "clinic_appointments_per_week",
}
DRIVERS_SHOWN = 3


@dataclass(frozen=True)
class Driver:
    """An appraisal adding to a resource's demand at a trust, once fully running."""

    appraisal_id: int
    title: str
    reference: str
    demand: Figure  # net [the resource's unit], mean week once fully running
    funding_deadline: date | None


@dataclass(frozen=True)
class ResourceRow:
    """One resource at one trust."""

    trust_code: str
    trust_name: str
    icb_code: str
    icb_name: str
    resource: ResourceCapacity
    drivers: tuple[Driver, ...]
    more_drivers: int

    @property
    def soonest_deadline(self) -> date | None:
        dates = [d.funding_deadline for d in self.drivers if d.funding_deadline]
        return min(dates) if dates else None


def resource_rows(figures: PipelineFigures, appraisals: dict, icb_names: dict[str, str],
                  resource_keys: tuple[str, ...]) -> list[ResourceRow]:
    """Each trust's resources with the appraisals that add most to them (most first)."""
    deadlines = {a_id: deadlines_for(a).funding_deadline.date for a_id, a in appraisals.items()}
    rows = []
    for code, trust in figures.trusts.items():
        for resource in trust.capacity:
            if resource.resource not in resource_keys:
                continue
            measure = PERIOD_MEASURE[resource.resource]
            adding = []
            for key, this in figures.appraisals.items():
                appraisal = appraisals.get(int(key))
                demand = getattr(this.by_trust[code].steady_state, measure)
                if appraisal is None or demand.value is None or demand.value <= 0:
                    continue
                adding.append(Driver(appraisal.id, appraisal.title,
                                     appraisal.ta_number or appraisal.gid or appraisal.id_number or "",
                                     demand, deadlines[appraisal.id]))
            adding.sort(key=lambda d: (-d.demand.value, d.title.lower()))
            rows.append(ResourceRow(code, trust.name, trust.icb, icb_names.get(trust.icb, trust.icb), resource,
                                    tuple(adding[:DRIVERS_SHOWN]), max(0, len(adding) - DRIVERS_SHOWN)))
    return rows


def sort_rows(rows: list[ResourceRow], sort: str) -> list[ResourceRow]:
    """Rows in the order asked for; what is not known (or never runs out) goes last."""
    never = date.max

    def by_name(r: ResourceRow):
        return (r.trust_name.lower(), [k for k, *_ in RESOURCES].index(r.resource.resource))

    if sort == "deadline":
        return sorted(rows, key=lambda r: (r.soonest_deadline or never, r.resource.first_week_over_with_pipeline or never, by_name(r)))
    if sort == "headroom":
        def headroom(r: ResourceRow):
            value = r.resource.headroom_with_pipeline.value
            capacity = r.resource.capacity.value
            share = value / capacity if value is not None and capacity else None  # least headroom for its size
            return (share is None, share if share is not None else 0.0, by_name(r))
        return sorted(rows, key=headroom)
    if sort == "trust":
        return sorted(rows, key=by_name)
    return sorted(rows, key=lambda r: (r.resource.first_week_over_with_pipeline or never,
                                       r.resource.first_week_over_without_pipeline or never, by_name(r)))


@bp.route("/dashboard/resources")
def index():
    """Which trusts run out of which resource when, with and without the pipeline, and what drives it."""
    session = get_session()
    today = _today()
    sort = request.args.get("sort", "run_out")
    if sort not in SORTS:
        sort = "run_out"
    resource = request.args.get("resource", "")
    keys = tuple(k for k, *_ in RESOURCES)
    chosen = (resource,) if resource in keys else keys
    icb = request.args.get("icb", "").strip().upper()[:10]
    figures = pipeline_figures(session, prices=_prices(), today=today)
    icbs = queries.list_icbs(session=session)
    icb_names = {i.ods_code: i.name for i in icbs}
    appraisals = {a.id: a for a in queries.list_appraisals(session=session)}
    rows = resource_rows(figures, appraisals, icb_names, chosen)
    if icb in icb_names:
        rows = [r for r in rows if r.icb_code == icb]
    rows = sort_rows(rows, sort)
    running_out = [r for r in rows if r.resource.first_week_over_with_pipeline is not None]
    return page_or_partial(
        "lead/resources.html", "lead/_resources_table.html",
        rows=rows, running_out=running_out, sort=sort, sorts=SORTS, resource=resource if resource in keys else "",
        resources=RESOURCES, icb=icb if icb in icb_names else "", icbs=icbs, today=today, figures=figures,
        not_known=[r for r in rows if not r.resource.is_known], left_out=figures.left_out,
    )
