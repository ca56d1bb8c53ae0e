"""Background jobs' pages: how far a job has got and what came of it (htmx polls; a reload does the
same without JavaScript), the finished PDF, and the button that asks for a summary's PDF."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, make_response, redirect, request, url_for
from flask_login import current_user

from .. import jobs
from ..db import get_session
from ..models import Appraisal, BackgroundJob, Role
from ..queries import jobs as job_queries
from ..queries import sharing as sharing_queries
from ..web import get_or_404, page_or_partial
from ..web import today as web_today

bp = Blueprint("jobs", __name__)

# Who may follow a job besides the person who asked for it: the NICE refresh is the NICE staff's.
SHARED_WITH = {jobs.NICE_REFRESH_ALL: {Role.alliance, Role.lead, Role.admin}}


def _job_or_404(job_id: int) -> BackgroundJob:
    """The job, if the signed-in user asked for it (or may follow jobs of its kind); else 404."""
    job = job_queries.get_job(session=get_session(), job_id=job_id)
    if job is None:
        abort(404)
    if job.requested_by_id != current_user.id and current_user.role not in SHARED_WITH.get(job.kind, set()):
        abort(404)
    return job


@bp.route("/jobs/<int:job_id>")
def show(job_id: int):
    """How far a background job has got, and its result when finished."""
    job = _job_or_404(job_id)
    response = page_or_partial("jobs/show.html", "jobs/_progress.html", job=job, kind_name=jobs.KIND_NAMES[job.kind],
                               lines=jobs.result_lines(job))
    response.headers["Cache-Control"] = "no-store"  # progress changes: never show a stale copy
    return response


@bp.route("/jobs/<int:job_id>/file")
def download(job_id: int):
    """The file a finished job made (a summary's PDF)."""
    job = _job_or_404(job_id)
    if job.state != "done" or job.file_content is None:
        abort(404)
    response = make_response(job.file_content)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{job.file_name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/jobs/summary-pdf", methods=["POST"])
def summary_pdf():
    """Start building a summary's PDF in the background and show its progress."""
    session = get_session()
    summary, target = request.form.get("summary", ""), request.form.get("target", "").strip()[:20]
    if summary == "icb":
        if sharing_queries.get_icb_by_ods(session=session, ods_code=target) is None:
            abort(404)
    elif summary == "appraisal" and target.isdigit():
        get_or_404(session, Appraisal, int(target))
    else:
        abort(404)
    job = jobs.start_summary_pdf(current_app._get_current_object(), session, current_user,
                                 summary=summary, target=target, today=web_today())
    return redirect(url_for("jobs.show", job_id=job.id))
