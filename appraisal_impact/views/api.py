"""The read-only JSON API (/api/v1) for the alliance's dashboards, and the admin page for its tokens.

Every API route is open to the sign-in guard (`@public`) but needs `Authorization: Bearer <token>` with a
token an admin made and has not withdrawn (401 otherwise); only the OpenAPI document needs none. The API
only reads, with tokens rather than cookies, so it is exempt from CSRF; the token page is not (it is a
separate blueprint, `api_tokens`, under /admin). Every figure is at list prices: the summaries never use
anything else.
"""

from __future__ import annotations


from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for

from .. import queries
from ..api_schema import openapi_document
from ..audit import apply_changes, record_created
from ..auth import csrf, now as auth_now, roles_required
from ..db import get_session
from ..models import ApiToken, Appraisal, Role, utcnow
from ..queries import sharing as sharing_queries
from ..sharing import bearer_token, hash_token, looks_like_token, new_token
from ..summaries import build_appraisal_summary, build_icb_summary, build_pipeline_summary, build_trust_capacity
from ..web import current_actor, external_url, get_or_404, public, today as web_today


bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

tokens_bp = Blueprint("api_tokens", __name__)
LABEL_MAX = 200


@bp.record_once
def _register_token_pages(state) -> None:
    """The token page is a blueprint of its own (CSRF-protected); views/ registers only `bp`, so it comes along."""
    state.app.register_blueprint(tokens_bp)


def _error(status: int, message: str):
    response = jsonify(error=message, status=status)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="Appraisal Impact API"'
    return response


@bp.before_request
def _require_token():
    """Every route but the OpenAPI document needs a live API token; its use is noted."""
    if request.endpoint == "api.openapi":
        return None
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        return _error(401, "Send an API token: Authorization: Bearer <token>")
    session = get_session()
    row = sharing_queries.api_token_by_hash(session=session, token_hash=hash_token(token)) if looks_like_token(token) else None
    if row is None or row.revoked_at is not None:
        return _error(401, "This API token is not known or has been withdrawn")
    if row.expires_at is not None and row.expires_at <= auth_now():
        return _error(401, "This API token has expired: ask an administrator for a new one")
    sharing_queries.note_api_token_used(session=session, token_id=row.id, at=utcnow())
    return None


@bp.after_request
def _api_headers(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.errorhandler(404)
def _not_found(_error_):
    return _error(404, "Not found")


@bp.route("/openapi.json")
@public
def openapi():
    """The OpenAPI 3.1 document describing this API."""
    return jsonify(openapi_document())


@bp.route("/pipeline")
@public
def pipeline():
    """Every appraisal with a funding requirement and its impact on the alliance, soonest deadline first."""
    return jsonify(build_pipeline_summary(get_session(), today=web_today()).to_dict())


@bp.route("/appraisals/<int:appraisal_id>/impact")
@public
def appraisal_impact(appraisal_id: int):
    """One appraisal's summary: deadlines, patients, time and cost by trust."""
    session = get_session()
    appraisal = get_or_404(session, Appraisal, appraisal_id)
    return jsonify(build_appraisal_summary(session, appraisal, today=web_today()).to_dict())


@bp.route("/icbs/<ods_code>/summary")
@public
def icb_summary(ods_code: str):
    """One ICB's summary."""
    session = get_session()
    icb = sharing_queries.get_icb_by_ods(session=session, ods_code=ods_code)
    if icb is None:
        abort(404)
    return jsonify(build_icb_summary(session, icb, today=web_today()).to_dict())


@bp.route("/trusts/<ods_code>/capacity")
@public
def trust_capacity(ods_code: str):
    """One trust's capacity, the pipeline's demand on it and the headroom left."""
    session = get_session()
    trust = queries.get_trust_by_ods(session=session, ods_code=ods_code)
    if trust is None:
        abort(404)
    return jsonify(build_trust_capacity(session, trust, today=web_today()).to_dict())


# --- the admin page for API tokens ----------------------------------------------------------------


@tokens_bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "private, no-store"  # a new token is on the page once
    return response


def _tokens_page(errors: list[tuple[str, str]] | None = None, label: str = "", status: int = 200):
    session = get_session()
    return render_template(
        "api/tokens.html", tokens=sharing_queries.list_api_tokens(session=session), errors=errors or [],
        label=label, error_title=bool(errors), now=auth_now(), token_days=current_app.config["API_TOKEN_DAYS"],
    ), status


@tokens_bp.route("/admin/api-tokens", methods=["GET", "POST"])
@roles_required(Role.admin)
def index():
    """API tokens: make one (shown once), see when each was last used, withdraw one."""
    if request.method == "GET":
        return _tokens_page()
    label = request.form.get("label", "").strip()
    if not label:
        return _tokens_page([("label", "Enter a label, such as the dashboard the token is for")], label, 400)
    if len(label) > LABEL_MAX:
        return _tokens_page([("label", f"The label must be {LABEL_MAX} characters or fewer")], label, 400)
    session = get_session()
    token = new_token()
    made_at = auth_now()
    row = ApiToken(token_hash=hash_token(token), label=label, created_by_id=current_actor().user_id, created_at=made_at,
                   expires_at=made_at + timedelta(days=current_app.config["API_TOKEN_DAYS"]))
    session.add(row)
    record_created(session, current_actor(), row, summary=f"API token: {label}")
    session.commit()
    return render_template("api/token_created.html", row=row, token=token,
                           example_url=external_url("api.pipeline")), 201


@tokens_bp.route("/admin/api-tokens/<int:token_id>/revoke", methods=["POST"])
@roles_required(Role.admin)
def revoke(token_id: int):
    """Withdraw an API token: requests with it are refused (401) from now on."""
    session = get_session()
    row = get_or_404(session, ApiToken, token_id)
    if row.revoked_at is None:
        apply_changes(session, current_actor(), row, {"revoked_at": utcnow()})
        session.commit()
        flash(f"The API token '{row.label}' has been withdrawn.")
    return redirect(url_for("api_tokens.index"))
