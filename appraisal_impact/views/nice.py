"""NICE updates: add an appraisal by reference, refresh tracked appraisals, accept or dismiss discovered ones.

For alliance staff, SACT leads and administrators. Every change is a POST (CSRF) followed by a
redirect; reading NICE happens on the server with the app's client (``nice_client_factory``).
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from typing import Iterator

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from .. import jobs, nice_sync
from ..auth import roles_required
from ..db import get_session
from ..models import Appraisal, NiceCandidate, NiceSavedPage, Role
from ..nice import AppraisalRead, NiceClient, NiceFetchError, NiceFormatError, NiceReferenceError, parse_reference
from ..nice.references import reference_from_url
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
    skips = nice_queries.list_skips(session=session)
    groups: dict[str, list] = {}
    for skip in skips:
        groups.setdefault(_skip_group(skip.reason), []).append(skip)
    return {
        "candidates": nice_queries.candidates(session=session, decision="new"),
        "dismissed": nice_queries.candidates(session=session, decision="dismissed"),
        "tracked": [session.get(Appraisal, i) for i in nice_queries.refreshable_appraisal_ids(session=session,
                                                                                              include_examples=True)],
        "skipped_groups": groups,
        "skipped_count": len(skips),
        "for_appraisal": None,
        "reference": "",
        "page_url": "",
        "page_html": "",
        "errors": [],
        **extra,
    }


def _skip_group(reason: str) -> str:
    for prefix, group in (("no GID", "No GID in the address"), ("not a technology appraisal", "Not a technology appraisal"),
                          ("not about cancer", "Not about cancer")):
        if reason.startswith(prefix):
            return group
    return "About cancer, but not SACT"


def _preview_context(read: AppraisalRead, reference: str, session) -> dict:
    return {
        "confirm_action": url_for("nice.add"),
        "notes": nice_sync.read_notes(read),
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
        hint = nice_sync.fallback_hint(error)
        return None, _reference_error(session, reference, f"{error}{failure_note if not hint else ''}{hint}", 502)


@bp.route("/nice")
@nice_staff_only
def index():
    """NICE updates: add by reference, refresh, and the cancer appraisals found on NICE."""
    session = get_session()
    return render_template("nice/index.html", **_index_context(session, for_appraisal=_chosen_appraisal(session)))


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


SAVED_PAGE_MISSING = "Choose the NICE page you saved from your browser, or paste its HTML"
SAVED_PAGE_TOO_MANY = "Choose a saved page or paste its HTML, not both"


def _saved_page_error(session, field: str, message: str, *, page_url: str = "", page_html: str = "",
                      for_appraisal: Appraisal | None = None):
    return render_template("nice/index.html", error_title=True,
                           **_index_context(session, page_url=page_url, page_html=page_html,
                                            for_appraisal=for_appraisal, errors=[(field, message)])), 400


def _chosen_appraisal(session) -> Appraisal | None:
    """The tracked appraisal a saved page is for, when the person came from its page (else None)."""
    raw = (request.values.get("appraisal_id") or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        abort(400)
    return get_or_404(session, Appraisal, int(raw))


@bp.route("/nice/saved-page", methods=["POST"])
@nice_staff_only
def read_saved_page():
    """Read a NICE page saved from a browser (or its pasted HTML) and show what was read; the appraisal is not
    changed until the person confirms."""
    session = get_session()
    chosen = _chosen_appraisal(session)
    page_url = request.form.get("page_url", "").strip()[:500]
    page_html = request.form.get("page_html", "")
    upload = request.files.get("page_file")
    has_file = upload is not None and bool(upload.filename)

    def problem(field: str, message: str, keep_html: bool = True):
        return _saved_page_error(session, field, message, page_url=page_url,
                                 page_html=page_html if keep_html else "", for_appraisal=chosen)

    if not has_file and not page_html.strip():
        return problem("page_file", SAVED_PAGE_MISSING)
    if has_file and page_html.strip():
        return problem("page_file", SAVED_PAGE_TOO_MANY)
    if page_url:
        try:
            reference_from_url(page_url)
        except NiceReferenceError as error:
            return problem("page_url", str(error))
    if has_file:
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            return problem("page_file", "The file is not a web page saved as text (UTF-8): save the page from your "
                           "browser as “Web page, HTML only”")
        file_name = (upload.filename or "")[:200]
    else:
        text, file_name = page_html, "pasted HTML"
    field = "page_html" if not has_file else "page_file"
    page = nice_sync.keep_saved_page(session, current_actor(), text, url=page_url, file_name=file_name)
    try:
        read = nice_sync.read_kept_page(page)
    except (NiceFormatError, NiceReferenceError) as error:
        session.rollback()
        return problem(field, f"The tool could not read this page: {error}. Nothing was saved.", keep_html=False)
    if chosen is not None and (mismatch := nice_sync.saved_page_mismatch(chosen, read)) is not None:
        session.rollback()
        return problem(field, f"This page is not about {nice_sync.label_for(chosen)}: {mismatch}. Nothing was saved.",
                       keep_html=False)
    session.commit()
    return render_template("nice/preview.html", **_saved_preview_context(read, page, session, chosen))


def _saved_preview_context(read: AppraisalRead, page: NiceSavedPage, session, chosen: Appraisal | None) -> dict:
    context = _preview_context(read, "", session)
    context.update(confirm_action=url_for("nice.confirm_saved_page", page_id=page.id), saved_page=page,
                   already=chosen or context["already"], for_appraisal=chosen)
    return context


@bp.route("/nice/saved-page/<int:page_id>/confirm", methods=["POST"])
@nice_staff_only
def confirm_saved_page(page_id: int):
    """Confirm a saved page: add the appraisal it shows, or update the tracked one, recorded as uploaded."""
    session = get_session()
    page = get_or_404(session, NiceSavedPage, page_id)
    if page.appraisal_id is not None:
        flash("This saved page was already confirmed: nothing more was changed.")
        return redirect(url_for("appraisals.show", appraisal_id=page.appraisal_id))
    chosen = _chosen_appraisal(session)
    read = nice_sync.read_kept_page(page)
    if request.form.get("fingerprint") != _fingerprint(read):
        return render_template("nice/preview.html", changed_since_preview=True,
                               **_saved_preview_context(read, page, session, chosen)), 409
    try:
        appraisal, outcome = nice_sync.save_saved_page(session, current_actor(), read, chosen)
        page.appraisal_id = appraisal.id
        session.add(page)
        session.commit()
    except ValueError as error:
        session.rollback()
        flash(f"{error}. Nothing was saved.")
        return redirect(url_for("nice.index") + "#saved-page")
    except StaleDataError:
        session.rollback()
        flash("The appraisal was changed by someone else meanwhile. Nothing from the saved page was saved: "
              "read the page again.")
        return redirect(url_for("nice.index") + "#saved-page")
    if outcome is None:
        flash(f"Added {nice_sync.label_for(appraisal)} from a saved NICE page.")
    elif outcome.changed:
        flash(f"Updated {nice_sync.label_for(appraisal)} from a saved NICE page: "
              f"{'; '.join(c.describe() for c in outcome.changes)}.")
    else:
        flash(f"{nice_sync.label_for(appraisal)}: the saved NICE page shows nothing new.")
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
            report = nice_sync.discover_with_report(session, client)
    except NiceFetchError as error:
        session.rollback()
        flash(f"{error} Nothing was changed.")
        return redirect(url_for("nice.index") + "#discovered")
    session.commit()
    new = report.new
    flash(f"Found {len(new)} new cancer appraisal{'' if len(new) == 1 else 's'} on NICE's in-development list; "
          f"{len(report.skipped)} of {report.listed} listed item{'' if report.listed == 1 else 's'} not offered "
          "(see “Not offered on the last look”).")
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
