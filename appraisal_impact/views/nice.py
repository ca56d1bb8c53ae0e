"""NICE updates: add an appraisal by reference, refresh tracked appraisals, accept or dismiss discovered ones.

For alliance staff, SACT leads and administrators. Every change is a POST (CSRF) followed by a
redirect; reading NICE happens on the server with the app's client (``nice_client_factory``).
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from typing import Iterator

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from .. import jobs, nice_sync
from ..auth import roles_required
from ..db import get_session
from ..models import Appraisal, NiceCandidate, Role
from ..nice import AppraisalRead, NiceClient, NiceFetchError, NiceReferenceError, parse_reference
from ..queries import nice as nice_queries
from ..web import current_actor, get_or_404

bp = Blueprint("nice", __name__)
# The real client unless something (a test) has put its own factory there first.
bp.record_once(lambda state: state.app.extensions.setdefault("nice_client_factory", nice_sync.default_client_factory))

NICE_ROLES = (Role.alliance, Role.lead, Role.admin)
REFERENCE_ERROR = "Enter a NICE web address, GID (like GID-TA10914), ID number (like ID4014) or TA number (like TA1037)"


nice_staff_only = roles_required(*NICE_ROLES)


@contextmanager
def nice_client() -> Iterator[NiceClient]:
    """The app's NICE client for this request (tests inject a fake factory), closed afterwards."""
    client = nice_sync.client_factory(current_app.extensions)(current_app.config)
    try:
        yield client
    finally:
        close = getattr(client, "close", None)
        if close is not None:
            close()


def _fingerprint(read: AppraisalRead) -> str:
    """A short hash of what was read, so "Confirm and add" saves what the user saw (or says it changed)."""
    values = {name: str(value) for name, value in nice_sync.values_from_read(read).items()}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def _index_context(session, **extra) -> dict:
    return {
        "candidates": nice_queries.candidates(session=session, decision="new"),
        "dismissed": nice_queries.candidates(session=session, decision="dismissed"),
        "tracked": [session.get(Appraisal, i) for i in nice_queries.refreshable_appraisal_ids(session=session,
                                                                                              include_examples=True)],
        "reference": "",
        "errors": [],
        **extra,
    }


def _preview_context(read: AppraisalRead, reference: str, session) -> dict:
    return {
        "read": read,
        "reference": reference,
        "values": nice_sync.values_from_read(read),
        "fingerprint": _fingerprint(read),
        "source_text": nice_sync.source_text(read),
        "read_at": nice_sync.naive_utc(read.read_at),
        "already": nice_sync.tracked_match(session, read),
        "nice_url": nice_sync.public_nice_url(read),
    }


def _reference_error(session, reference: str, message: str, status: int = 400):
    return render_template("nice/index.html", error_title=True,
                           **_index_context(session, reference=reference, errors=[("reference", message)])), status


def _read_from_nice(session, reference: str, failure_note: str = ""):
    """(the read, None), or (None, the page saying why): a reference NICE can't be asked about, or
    NICE not answering."""
    try:
        parse_reference(reference)
    except NiceReferenceError:
        return None, _reference_error(session, reference, REFERENCE_ERROR)
    try:
        with nice_client() as client:
            return nice_sync.preview_add(reference, client), None
    except NiceFetchError as error:
        return None, _reference_error(session, reference, f"{error}{failure_note}", 502)


@bp.route("/nice")
@nice_staff_only
def index():
    """NICE updates: add by reference, refresh, and the cancer appraisals found on NICE."""
    return render_template("nice/index.html", **_index_context(get_session()))


@bp.route("/nice/add")
@nice_staff_only
def preview():
    """Read the pasted reference from NICE and show what was read, saving nothing."""
    session = get_session()
    reference = request.args.get("reference", "").strip()[:500]
    read, problem = _read_from_nice(session, reference)
    if problem is not None:
        return problem
    return render_template("nice/preview.html", **_preview_context(read, reference, session))


@bp.route("/nice/add", methods=["POST"])
@nice_staff_only
def add():
    """Confirm and add: read again, and save if NICE still shows what the user confirmed."""
    session = get_session()
    reference = request.form.get("reference", "").strip()[:500]
    read, problem = _read_from_nice(session, reference, failure_note=" Nothing was saved.")
    if problem is not None:
        return problem
    if request.form.get("fingerprint") != _fingerprint(read):
        return render_template("nice/preview.html", changed_since_preview=True,
                               **_preview_context(read, reference, session)), 409
    try:
        appraisal = nice_sync.add_appraisal(session, current_actor(), read)
    except nice_sync.AlreadyTracked as tracked:
        flash(f"{nice_sync.label_for(tracked.appraisal)} is already tracked: nothing was added.")
        return redirect(url_for("appraisals.show", appraisal_id=tracked.appraisal.id))
    session.commit()
    flash(f"Added {nice_sync.label_for(appraisal)} from NICE.")
    return redirect(url_for("appraisals.show", appraisal_id=appraisal.id))


@bp.route("/nice/refresh", methods=["POST"])
@nice_staff_only
def refresh_all():
    """Start refreshing every tracked appraisal (not the example ones) from NICE in the background,
    and show its progress (reading NICE can take longer than a web request may)."""
    job = jobs.start_nice_refresh_all(current_app._get_current_object(), get_session(), current_user)
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/nice/appraisals/<int:appraisal_id>/refresh", methods=["POST"])
@nice_staff_only
def refresh_one(appraisal_id: int):
    """Refresh one appraisal from NICE and show what changed, or why it could not."""
    session = get_session()
    appraisal = get_or_404(session, Appraisal, appraisal_id)
    try:
        with nice_client() as client:
            outcome = nice_sync.refresh_appraisal(session, current_actor(), appraisal, client)
        session.commit()
    except StaleDataError:
        # Someone saved this appraisal while NICE was being read: keep their change, ask to try again.
        session.rollback()
        flash(f"{nice_sync.label_for(appraisal)} was changed by someone else while NICE was being read. "
              "Nothing from NICE was saved: refresh again.")
        return redirect(url_for("appraisals.show", appraisal_id=appraisal_id))
    if not outcome.ok:
        flash(outcome.message)
    elif outcome.changed:
        flash(f"Refreshed from NICE: {'; '.join(c.describe() for c in outcome.changes)}.")
    else:
        flash("Refreshed from NICE: nothing has changed.")
    if request.form.get("back") == "nice":
        return redirect(url_for("nice.index") + "#tracked")
    return redirect(url_for("appraisals.show", appraisal_id=appraisal.id))


@bp.route("/nice/discover", methods=["POST"])
@nice_staff_only
def discover():
    """Look for new cancer appraisals on NICE's in-development list."""
    session = get_session()
    try:
        with nice_client() as client:
            new = nice_sync.discover(session, client)
    except NiceFetchError as error:
        session.rollback()
        flash(f"{error} Nothing was changed.")
        return redirect(url_for("nice.index") + "#discovered")
    session.commit()
    flash(f"Found {len(new)} new cancer appraisal{'' if len(new) == 1 else 's'} on NICE's in-development list.")
    return redirect(url_for("nice.index") + "#discovered")


def _candidate(candidate_id: int) -> NiceCandidate:
    return get_or_404(get_session(), NiceCandidate, candidate_id)


@bp.route("/nice/candidates/<int:candidate_id>/accept", methods=["POST"])
@nice_staff_only
def accept(candidate_id: int):
    """Track a discovered appraisal: read it from NICE and add it."""
    session = get_session()
    candidate = _candidate(candidate_id)
    if candidate.decision != "new":
        flash(f"{candidate.gid} was already {candidate.decision}.")
        return redirect(url_for("nice.index") + "#discovered")
    try:
        with nice_client() as client:
            appraisal = nice_sync.accept_candidate(session, current_actor(), candidate, client)
    except NiceFetchError as error:
        session.rollback()
        flash(f"{error} Nothing was added; {candidate.gid} is still offered.")
        return redirect(url_for("nice.index") + "#discovered")
    session.commit()
    flash(f"Added {nice_sync.label_for(appraisal)} from NICE.")
    return redirect(url_for("appraisals.show", appraisal_id=appraisal.id))


@bp.route("/nice/candidates/<int:candidate_id>/dismiss", methods=["POST"])
@nice_staff_only
def dismiss(candidate_id: int):
    """Dismiss a discovered appraisal: it is not offered again."""
    session = get_session()
    candidate = _candidate(candidate_id)
    nice_sync.decide(session, current_actor(), candidate, "dismissed")
    session.commit()
    flash(f"Dismissed {candidate.gid}: it will not be offered again.")
    return redirect(url_for("nice.index") + "#discovered")


@bp.route("/nice/candidates/<int:candidate_id>/restore", methods=["POST"])
@nice_staff_only
def restore(candidate_id: int):
    """Offer a dismissed appraisal again."""
    session = get_session()
    candidate = _candidate(candidate_id)
    if candidate.decision == "dismissed":
        nice_sync.decide(session, current_actor(), candidate, "new")
        session.commit()
        flash(f"{candidate.gid} is offered again.")
    return redirect(url_for("nice.index") + "#discovered")
