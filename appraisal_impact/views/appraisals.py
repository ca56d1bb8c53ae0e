"""One appraisal: what it is, its dates and deadlines, its population figures, each with its source."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from .. import queries
from ..db import get_session
from ..models import Appraisal
from ..planning import deadlines_for
from ..queries import appraisals as appraisal_queries
from ..impact_service import PriceView, pipeline_impact
from ..web import get_or_404, page_or_partial, today as web_today

SCENARIOS = {"low": "Low", "central": "Central", "high": "High"}
PATIENT_COLUMNS = ("new_starts_year1", "new_starts_year2", "patients_on_treatment_steady_state")


def impact_table_context(session, appraisal: Appraisal, scenario: str) -> dict:
    """The per-trust impact of one appraisal for the signed-in user's price view."""
    prices = PriceView.for_user(current_user)
    loaded, result = pipeline_impact(session, scenario=scenario, prices=prices, today=web_today())
    if appraisal.id in loaded.left_out:  # a figure it depends on cannot be modelled: say which, not a table
        return {"appraisal": appraisal, "left_out": loaded.left_out[appraisal.id], "impact_rows": [], "impact_totals": {},
                "scenario": scenario, "scenarios": SCENARIOS, "price_label": prices.label(), "unpriced": [],
                "grid_start": result.week_starts[0].date()}
    summary = result.appraisal_by_trust_summary(str(appraisal.id))
    # People are those on the new medicine; time and cost are net of the treatments it displaces.
    brought_in = result.appraisal_by_trust_summary(str(appraisal.id), component="brought in")
    for column in PATIENT_COLUMNS:
        summary[column] = brought_in[column]
    summary = summary.sort_values("trust_name")
    return {
        "appraisal": appraisal,
        "impact_rows": summary.reset_index().to_dict("records"),
        "impact_totals": summary.select_dtypes("number").sum(min_count=1).to_dict(),
        "scenario": scenario,
        "scenarios": SCENARIOS,
        "price_label": prices.label(),
        "unpriced": [name for name in loaded.unpriced_regimens],
        "grid_start": result.week_starts[0].date(),
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
