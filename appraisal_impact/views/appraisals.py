"""One appraisal: what it is, its dates and deadlines, its population figures, each with its source."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from .. import queries
from ..db import get_session
from ..models import Appraisal
from ..planning import deadlines_for
from ..queries import appraisals as appraisal_queries
from ..figures import pipeline_figures, rounding_note
from ..impact_service import PriceView
from ..web import get_or_404, page_or_partial, today as web_today

SCENARIOS = {"low": "Low", "central": "Central", "high": "High"}


def impact_table_context(session, appraisal: Appraisal, scenario: str) -> dict:
    """The per-trust figures of one appraisal (figures layer) at the signed-in user's prices."""
    prices = PriceView.for_user(current_user)
    figures = pipeline_figures(session, scenario=scenario, prices=prices, today=web_today())
    this = figures.appraisal(appraisal.id)
    rows = sorted(this.by_trust.values(), key=lambda row: row.trust_name)
    return {
        "appraisal": appraisal,
        "impact": this,
        "impact_rows": rows,
        "impact_total": this.alliance,
        "rounding": rounding_note([r.year1.total_cost for r in rows], this.alliance.year1.total_cost)
        or rounding_note([r.steady_state.chair_hours_per_week for r in rows], this.alliance.steady_state.chair_hours_per_week),
        "scenario": scenario,
        "scenarios": SCENARIOS,
        "price_label": prices.label(),
        "unpriced": this.unpriced_regimens,
        "grid_start": figures.grid_start,
        "horizon_end": figures.horizon_end,
        "left_out": figures.left_out.get(appraisal.id),
    }


def _scenario() -> str:
    scenario = request.args.get("scenario", "central")
    return scenario if scenario in SCENARIOS else "central"


bp = Blueprint("appraisals", __name__)


@bp.route("/appraisals/<int:appraisal_id>")
def show(appraisal_id: int):
    """An appraisal's page."""
    session = get_session()
    appraisal = get_or_404(session, Appraisal, appraisal_id)
    return render_template(
        "appraisals/show.html",
        deadlines=deadlines_for(appraisal),
        today=web_today(),
        sources=queries.figure_sources(session=session, entity="appraisal", entity_id=appraisal.id),
        funnel=appraisal_queries.funnel_steps(session=session, appraisal_id=appraisal.id),
        uptake=appraisal_queries.uptake_years(session=session, appraisal_id=appraisal.id),
        regimens=appraisal_queries.regimen_links(session=session, appraisal_id=appraisal.id),
        date_changes=queries.date_changes(session=session, appraisal_id=appraisal.id),
        history=queries.audit_trail(session=session, entity="appraisal", entity_id=appraisal.id),
        **impact_table_context(session, appraisal, _scenario()),
    )


@bp.route("/appraisals/<int:appraisal_id>/impact-table")
def impact_table(appraisal_id: int):
    """The per-trust impact table alone (htmx swaps it when the scenario changes)."""
    session = get_session()
    appraisal = get_or_404(session, Appraisal, appraisal_id)
    return page_or_partial("appraisals/impact_table_page.html", "appraisals/_impact_table.html",
                           **impact_table_context(session, appraisal, _scenario()))
