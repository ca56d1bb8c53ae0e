"""One appraisal: what it is, its dates and deadlines, its population figures, each with its source."""

from __future__ import annotations

from flask import Blueprint, render_template

from .. import queries
from ..db import get_session
from ..models import Appraisal
from ..planning import deadlines_for
from ..queries import appraisals as appraisal_queries
from ..web import get_or_404

bp = Blueprint("appraisals", __name__)


@bp.route("/appraisals/<int:appraisal_id>")
def show(appraisal_id: int):
    """An appraisal's page."""
    session = get_session()
    appraisal = get_or_404(session, Appraisal, appraisal_id)
    return render_template(
        "appraisals/show.html",
        appraisal=appraisal,
        deadlines=deadlines_for(appraisal),
        sources=queries.figure_sources(session=session, entity="appraisal", entity_id=appraisal.id),
        funnel=appraisal_queries.funnel_steps(session=session, appraisal_id=appraisal.id),
        uptake=appraisal_queries.uptake_years(session=session, appraisal_id=appraisal.id),
        regimens=appraisal_queries.regimen_links(session=session, appraisal_id=appraisal.id),
        date_changes=queries.date_changes(session=session, appraisal_id=appraisal.id),
        history=queries.audit_trail(session=session, entity="appraisal", entity_id=appraisal.id),
    )
