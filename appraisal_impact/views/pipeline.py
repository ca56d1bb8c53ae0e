"""The pipeline: every tracked appraisal with its status and deadlines, sortable and filterable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, request

from ..core.deadlines import Deadlines
from ..db import get_session
from ..models import Appraisal
from ..planning import deadlines_for
from ..queries import pipeline as pipeline_queries
from ..web import page_or_partial, today as web_today


bp = Blueprint("pipeline", __name__)

SORTS = {
    "deadline": "Funding deadline",
    "start": "Effective start",
    "publication": "Expected publication",
    "title": "Title",
    "site": "Tumour site",
}


@dataclass(frozen=True)
class PipelineRow:
    appraisal: Appraisal
    deadlines: Deadlines


def _sort_key(sort: str):
    far = date.max

    def key(row: PipelineRow):
        a = row.appraisal
        if sort == "title":
            return (a.title.lower(),)
        if sort == "site":
            return (a.tumour_site.lower(), a.title.lower())
        if sort == "publication":
            return (a.publication_date or a.expected_publication_date or far, a.title.lower())
        if sort == "start":
            return (row.deadlines.effective_start.date or far, a.title.lower())
        return (row.deadlines.funding_deadline.date or far, a.title.lower())

    return key


@bp.route("/pipeline")
def index():
    """The appraisal pipeline, ordered by deadline unless asked otherwise."""
    session = get_session()
    filters = {
        "site": request.args.get("site", "").strip(),
        "status": request.args.get("status", "").strip(),
        "q": request.args.get("q", "").strip()[:100],
    }
    sort = request.args.get("sort", "deadline")
    if sort not in SORTS:
        sort = "deadline"
    appraisals = pipeline_queries.filter_appraisals(
        session=session, tumour_site=filters["site"] or None, status=filters["status"] or None, text=filters["q"] or None
    )
    rows = sorted((PipelineRow(a, deadlines_for(a)) for a in appraisals), key=_sort_key(sort))
    return page_or_partial(
        "pipeline/index.html",
        "pipeline/_pipeline_table.html",
        rows=rows,
        filters=filters,
        sort=sort,
        sorts=SORTS,
        tumour_sites=pipeline_queries.tumour_sites(session=session),
        statuses=pipeline_queries.statuses(session=session),
        today=web_today(),
    )
