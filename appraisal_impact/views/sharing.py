"""Share links: alliance staff make read-only links to a summary for people who do not sign in.

A link is a frozen snapshot (the summary's JSON as it was when shared, so a board paper matches) or live
(worked out afresh each time). Only the token's hash is kept; the token is shown once. A withdrawn or
expired link answers 410 Gone at once. Shared pages carry noindex (meta and header), send no referrer,
are never cached, show no navigation or sign-in, and only ever list prices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from .. import queries
from ..audit import apply_changes, record_created
from ..auth import roles_required
from ..db import get_session
from ..models import Appraisal, Icb, Role, ShareLink, utcnow
from ..queries import sharing as sharing_queries
from ..sharing import (
    LINK_STATE_LABELS,
    MAX_LINK_DAYS,
    SUMMARY_KINDS,
    LinkState,
    default_expiry,
    expires_at_end_of,
    expiry_problem,
    hash_token,
    last_day_of,
    latest_expiry,
    link_state,
    looks_like_token,
    new_token,
)
from ..summaries import build_appraisal_summary, build_icb_summary, to_json
from ..web import current_actor, external_url, get_or_404, is_htmx, page_or_partial, public, today as web_today, now as web_now
from .summaries import FILE_TYPES, print_html, summary_file


bp = Blueprint("sharing", __name__)

SHARERS = (Role.alliance, Role.lead, Role.admin)
LABEL_MAX = 200
SHARED_ENDPOINTS = {"sharing.shared", "sharing.shared_file", "sharing.shared_print"}
NO_STORE_ENDPOINTS = SHARED_ENDPOINTS | {"sharing.new"}


@bp.after_request
def _shared_page_headers(response):
    """Shared pages (and the page that shows a new token) are private: not indexed, not cached, no referrer."""
    if request.endpoint in SHARED_ENDPOINTS:
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"  # not to be framed by another site
    if request.endpoint in NO_STORE_ENDPOINTS:
        response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the form -------------------------------------------------------------------------------------


@dataclass
class LinkForm:
    """What the person typed, kept as typed so that the form can be shown again with its errors."""

    target: str = ""
    label: str = ""
    figures: str = "snapshot"
    day: str = ""
    month: str = ""
    year: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def blank(cls, target: str, expires_on: date) -> LinkForm:
        return cls(target=target, day=str(expires_on.day), month=str(expires_on.month), year=str(expires_on.year))

    @classmethod
    def from_request(cls) -> LinkForm:
        form = request.form
        return cls(
            target=form.get("target", "").strip(),
            label=form.get("label", "").strip(),
            figures=form.get("figures", "").strip(),
            day=form.get("expires-day", "").strip(),
            month=form.get("expires-month", "").strip(),
            year=form.get("expires-year", "").strip(),
        )

    def error_for(self, field_id: str) -> str | None:
        return next((message for fid, message in self.errors if fid == field_id), None)

    def expires_on(self) -> date | None:
        try:
            return date(int(self.year), int(self.month), int(self.day))
        except ValueError:
            return None


def _targets(session) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The summaries one can share, grouped: (group label, [(value, text)])."""
    icbs = [(f"icb:{icb.id}", f"{icb.name} ({icb.ods_code})") for icb in queries.list_icbs(session=session)]
    appraisals = [
        (f"appraisal:{a.id}", f"{a.title}" + (f" ({a.ta_number or a.gid})" if a.ta_number or a.gid else ""))
        for a in queries.list_appraisals(session=session)
    ]
    return [("ICB summaries", icbs), ("Appraisal summaries", appraisals)]


def _parse_target(value: str) -> tuple[str, int] | None:
    kind, _, raw_id = value.partition(":")
    if kind not in SUMMARY_KINDS or not raw_id.isdigit():
        return None
    return kind, int(raw_id)


def _validate(form: LinkForm, session, today: date) -> tuple[str, object] | None:
    """Fill `form.errors`; return (kind, target row) when everything is right."""
    parsed = _parse_target(form.target)
    target = None
    if parsed is not None:
        target = session.get(Icb if parsed[0] == "icb" else Appraisal, parsed[1])
    if target is None:
        form.errors.append(("target", "Select the summary to share"))
    if not form.label:
        form.errors.append(("label", "Enter a label, so that you know the link again"))
    elif len(form.label) > LABEL_MAX:
        form.errors.append(("label", f"The label must be {LABEL_MAX} characters or fewer"))
    if form.figures not in ("snapshot", "live"):
        form.errors.append(("figures-snapshot", "Select whether the figures are frozen now or kept up to date"))
    if not (form.day and form.month and form.year):
        form.errors.append(("expires-day", "Enter the date the link stops working, with a day, month and year"))
    else:
        expires_on = form.expires_on()
        problem = "The date the link stops working must be a real date" if expires_on is None else expiry_problem(expires_on, today)
        if problem:
            form.errors.append(("expires-day", problem))
    if form.errors:
        return None
    return parsed[0], target


def _render_form(form: LinkForm, status: int = 200):
    session = get_session()
    today = web_today()
    return render_template(
        "sharing/new.html", form=form, targets=_targets(session), max_days=MAX_LINK_DAYS,
        latest=latest_expiry(today), error_title=bool(form.errors),
    ), status


def _build(session, kind: str, target):
    """The summary of `target` as shared, as at today: list prices only (the builders use nothing else)."""
    if kind == "icb":
        return build_icb_summary(session, target, today=web_today())
    return build_appraisal_summary(session, target, today=web_today())


# --- pages for alliance staff ---------------------------------------------------------------------


def _list_context(message: str = "") -> dict:
    session = get_session()
    now = web_now()
    rows = [
        (row, link_state(expires_at=row.link.expires_at, revoked_at=row.link.revoked_at, now=now))
        for row in sharing_queries.list_share_links(session=session)
    ]
    return {"rows": rows, "state_labels": LINK_STATE_LABELS, "LinkState": LinkState, "summary_kinds": SUMMARY_KINDS,
            "last_day_of": last_day_of, "message": message}


@bp.route("/sharing")
@roles_required(*SHARERS)
def index():
    """Every share link: what it shows, until when, when it was last opened and how often."""
    return page_or_partial("sharing/index.html", "sharing/_share_links_list.html", **_list_context())


@bp.route("/sharing/new", methods=["GET", "POST"])
@roles_required(*SHARERS)
def new():
    """Make a share link; the link (with its token) is shown once, on the page that follows."""
    session = get_session()
    today = web_today()
    if request.method == "GET":
        expires_on = default_expiry(today, current_app.config.get("SHARE_LINK_DAYS", 30))
        return _render_form(LinkForm.blank(request.args.get("target", ""), expires_on))

    form = LinkForm.from_request()
    valid = _validate(form, session, today)
    if valid is None:
        return _render_form(form, 400)
    kind, target = valid
    frozen = form.figures == "snapshot"
    token = new_token()
    link = ShareLink(
        token_hash=hash_token(token),
        label=form.label,
        summary=kind,
        target_id=target.id,
        frozen=frozen,
        snapshot_json=to_json(_build(session, kind, target)) if frozen else None,
        created_by_id=current_actor().user_id,
        expires_at=expires_at_end_of(form.expires_on()),
    )
    session.add(link)
    record_created(session, current_actor(), link, summary=f"{SUMMARY_KINDS[kind]}: {form.label}")
    session.commit()
    return render_template(
        "sharing/created.html", link=link, url=external_url("sharing.shared", token=token),
        target_name=sharing_queries.target_name(session=session, summary=kind, target_id=target.id),
        summary_kinds=SUMMARY_KINDS, last_day=last_day_of(link.expires_at),
    ), 201


@bp.route("/sharing/<int:link_id>/revoke", methods=["POST"])
@roles_required(*SHARERS)
def revoke(link_id: int):
    """Withdraw a link: from now on it answers 'this link no longer works' (410)."""
    session = get_session()
    link = get_or_404(session, ShareLink, link_id)
    message = ""
    if link.revoked_at is None:
        apply_changes(session, current_actor(), link, {"revoked_at": utcnow()})
        session.commit()
        message = f"The link '{link.label}' has been withdrawn. Anyone who opens it now sees that it no longer works."
    if is_htmx():
        return page_or_partial("sharing/index.html", "sharing/_share_links_list.html", **_list_context(message))
    if message:
        flash(message)
    return redirect(url_for("sharing.index"))


# --- shared pages (no sign-in) -------------------------------------------------------------------


def _open(token: str) -> tuple[ShareLink, dict]:
    """The link for `token` and its summary; 404 if no such link, 410 if withdrawn, expired or gone."""
    if not looks_like_token(token):
        abort(404)
    session = get_session()
    link = sharing_queries.share_link_by_hash(session=session, token_hash=hash_token(token))
    if link is None:
        abort(404)
    now = web_now()
    if link_state(expires_at=link.expires_at, revoked_at=link.revoked_at, now=now) is not LinkState.ACTIVE:
        abort(410)
    if link.frozen and link.snapshot_json:
        summary = json.loads(link.snapshot_json)
    else:
        target = session.get(Icb if link.summary == "icb" else Appraisal, link.target_id)
        if target is None:
            abort(410)
        summary = _build(session, link.summary, target).to_dict()
    sharing_queries.count_share_link_opened(session=session, link_id=link.id, at=now)
    return link, summary


@bp.route("/s/<token>")
@public
def shared(token: str):
    """A shared summary: read-only, no sign-in, list prices only."""
    link, summary = _open(token)
    files = [(f"Download as {label}", url_for("sharing.shared_file", token=token, file_type=kind))
             for kind, (_mime, label) in FILE_TYPES.items()]
    return render_template(
        "sharing/shared.html", link=link, summary=summary, files=files, last_day=last_day_of(link.expires_at),
        print_url=url_for("sharing.shared_print", token=token),
    )


@bp.route("/s/<token>/summary.<file_type>")
@public
def shared_file(token: str, file_type: str):
    """A shared summary as PDF, Excel or CSV."""
    if file_type not in FILE_TYPES:
        abort(404)
    _link, summary = _open(token)
    return summary_file(summary, file_type)


@bp.route("/s/<token>/print")
@public
def shared_print(token: str):
    """The print document the PDF is made from, as a web page (for printing from the browser)."""
    _link, summary = _open(token)
    return print_html(summary)
