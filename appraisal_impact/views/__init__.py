"""The pages. Each module here with a `bp` Blueprint is registered; every page needs sign-in unless
its view is marked `@public`."""

from __future__ import annotations

import importlib
import logging
import secrets


from flask import Flask, current_app, g, make_response, render_template, request, send_from_directory
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from .. import queries
from ..auth import login_manager
from ..db import get_session
from ..bad_input import BoundedIntConverter, NullCharacterRefused, refuse_null_characters_in_the_address
from ..input_checks import AppraisalLeftOut
from ..models import ROLE_LABELS, Appraisal, Role
from ..web import today as web_today

logger = logging.getLogger(__name__)

# Every module of pages, by the part of the service it serves (each has one Blueprint `bp`); listed, not
# discovered, so that what the app serves is read here (tests/test_foundation.py checks none is missed).
BLUEPRINT_MODULES = (
    "main",         # home, about, accessibility, health
    "readiness",    # /health/ready
    "pipeline",     # /pipeline
    "lead",         # /dashboard, /trusts/<ods>/impact, /appraisals/<id>/impact, readiness sign-off
    "resources",    # /dashboard/resources: which trusts run out of which resource when
    "appraisals",   # /appraisals/<id>
    "trusts",       # /trusts
    "editing",      # assumptions, trust figures, local timings, capacity (pharmacists and leads)
    "regimens",     # /regimens, /drugs, /packs, confidential prices
    "imports",      # /imports
    "nice",         # /nice
    "summaries",    # /summaries
    "sharing",      # /sharing, /s/<token>
    "api",          # /api/v1 summaries, /admin/api-tokens
    "api_data",     # /api/v1 lists and long-format time series (JSON and CSV)
    "accounts",     # /account, /admin/users, /admin/sign-ins
    "jobs",         # /jobs/<id>
)

NHSUK_ASSETS = "vendor/nhsuk-frontend-10.6.1/assets"


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
    # inline style attributes: matplotlib's SVG charts carry them
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def _make_nonce():
    g.csp_nonce = secrets.token_urlsafe(16)


# No page here uses any of these browser features.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=()"
)


def _security_headers(response):
    """No framing, no sniffing, scripts only from here (and the page's own nonce); a view may be stricter.

    Signed-in pages may show confidential prices: no cache (browser or proxy) keeps them. HSTS tells
    browsers to use HTTPS only (HSTS_SECONDS; 0 turns it off, as APP_ENV=development does)."""
    nonce = g.get("csp_nonce", "")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY.format(nonce=nonce))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    hsts_seconds = current_app.config.get("HSTS_SECONDS", 0)
    if hsts_seconds:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts_seconds}; includeSubDomains")
    signed_in = getattr(g.get("_login_user"), "is_authenticated", False)  # only if this request loaded the user
    if signed_in and request.endpoint not in ("static", "nhsuk_assets"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _require_sign_in():
    if request.endpoint is None:
        return None  # a 404 follows
    view = current_app.view_functions.get(request.endpoint)
    if request.endpoint in ("static", "nhsuk_assets") or getattr(view, "is_public", False):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def _navigation():
    """Header links for the signed-in user's role."""
    if not current_user.is_authenticated:
        return []
    links = [("Pipeline", "pipeline.index"), ("Trusts", "trusts.index")]
    extra = {
        "regimens.index": "Regimens",
        "lead.dashboard": "Dashboard",
        "summaries.index": "Summaries",
        "sharing.index": "Sharing",
        "nice.index": "NICE updates",
        "accounts.users": "Users",
    }
    allowed = {
        "regimens.index": {Role.pharmacist, Role.lead, Role.admin, Role.viewer, Role.alliance},
        "lead.dashboard": {Role.lead, Role.admin, Role.alliance, Role.viewer, Role.pharmacist},
        "summaries.index": set(Role),
        "sharing.index": {Role.alliance, Role.lead, Role.admin},
        "nice.index": {Role.alliance, Role.lead, Role.admin},
        "accounts.users": {Role.admin},
    }
    for endpoint, label in extra.items():
        if endpoint in current_app.view_functions and current_user.role in allowed[endpoint]:
            links.append((label, endpoint))
    return links


def _template_context():
    example = False
    if request.endpoint not in ("static", "nhsuk_assets") and not g.get("database_unavailable"):
        try:
            example = queries.has_example_data(session=get_session())
        except SQLAlchemyError:  # an error page must render even when the database cannot answer
            _roll_back()
            logger.exception("The example-data label could not be read")
    return {
        "example_data": example,
        "nav_links": _navigation(),
        "role_labels": ROLE_LABELS,
        "today": web_today(),
        "endpoints": current_app.view_functions,
        "cspNonce": g.get("csp_nonce"),
    }


def _roll_back() -> None:
    """Roll the request's session back, so that an error page never queries a broken transaction."""
    session = g.get("db_session")
    if session is None:
        return
    try:
        session.rollback()
    except SQLAlchemyError:  # the connection itself is gone: start afresh on the next use
        g.pop("db_session", None)
        try:
            session.close()
        except SQLAlchemyError:
            pass


# What an API client reads for each status (the API answers in JSON, never with an HTML page).
API_ERRORS = {
    400: "Bad request", 403: "Forbidden", 404: "Not found", 405: "Method not allowed: the API only reads (GET)",
    409: "Conflict", 410: "Gone", 413: "Request too large", 500: "Something went wrong on the server",
    503: "The service is unavailable: try again in a minute",
}


def _is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _api_error(status: int, message: str | None = None):
    from flask import jsonify

    response = jsonify(error=message or API_ERRORS.get(status, "Error"), status=status)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _error_page(template: str, status: int, **context):
    _roll_back()
    if _is_api_request():
        return _api_error(status, context.get("reason"))
    response = make_response(render_template(template, **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _bad_request(error):
    """400: a form sent without its token (expired, or from elsewhere), or anything else the service cannot use."""
    if isinstance(error, CSRFError):
        reason = ("The form had expired or was not sent from this service, so nothing was saved. "
                  "Go back, reload the page and enter your change again.")
    elif isinstance(error, HTTPException) and error.description != type(error).description:
        reason = error.description  # a reason the service gave in words a person reads
    else:
        reason = None
    return _error_page("errors/400.html", 400, reason=reason)


def _not_found(_error):
    return _error_page("errors/404.html", 404)


def _forbidden(_error):
    return _error_page("errors/403.html", 403)


def _method_not_allowed(error):
    response = _error_page("errors/405.html", 405)
    if isinstance(error, HTTPException):
        for name, value in error.get_headers():
            if name.lower() == "allow":
                response.headers["Allow"] = value
    return response


def _gone(_error):
    return _error_page("errors/410.html", 410)


def _too_large(_error):
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return _error_page("errors/413.html", 413, limit_mb=round(limit / 1024 / 1024) if limit else None)


def _server_error(_error):
    # Never show a trace: the log has it.
    return _error_page("errors/500.html", 500)


def _saved_at_the_same_time(error):
    """Two saves of the same new row at the same moment (a unique rule) or of the same version: 409."""
    logger.warning("Conflicting save refused: %s", error)
    return _error_page("errors/409.html", 409, error_title=True)


def _null_character(_error):
    return _error_page("errors/400.html", 400, reason="Something you sent contains a character that cannot be saved (a null character). Nothing was saved.")


def _database_error(error):
    """Text PostgreSQL refuses (a NUL), a number out of its range: bad input (400); a lost database: 503."""
    if isinstance(error, (OperationalError, InterfaceError)) or getattr(error, "connection_invalidated", False):
        return _database_unavailable(error)
    if isinstance(error, DataError):
        logger.warning("Input the database refused: %s", error.orig)
        return _error_page("errors/400.html", 400, reason="Something you sent cannot be saved or looked up. Nothing was saved.")
    logger.exception("Database error")
    return _error_page("errors/500.html", 500)


def _database_unavailable(error):
    """The database cannot be reached: a branded page, without touching the database again."""
    logger.error("Database unavailable: %s", error)
    g.database_unavailable = True
    g._login_user = login_manager.anonymous_user()  # nobody can be looked up: the header shows no account
    g.pop("db_session", None)
    if _is_api_request():
        response = _api_error(503)
        response.headers["Retry-After"] = "60"
        return response
    response = make_response(render_template("errors/503.html"), 503)
    response.headers["Retry-After"] = "60"
    response.headers["Cache-Control"] = "no-store"
    return response


def _appraisal_left_out(error):
    """An appraisal the model could not run: its pages say why and link to the field to fix."""
    left_out = error.left_out
    return render_template("errors/appraisal_left_out.html", appraisal=get_session().get(Appraisal, left_out.appraisal_id),
                           left_out=left_out), 200


def init_app(app: Flask) -> None:
    # before any route is added: ids in web addresses fit the database's integer, or match no page
    app.url_map.converters["int"] = BoundedIntConverter
    for name in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(f"{__name__}.{name}").bp)
    app.add_url_rule(
        "/assets/<path:filename>",
        "nhsuk_assets",
        lambda filename: send_from_directory(app.static_folder + "/" + NHSUK_ASSETS, filename),
    )
    app.before_request(_make_nonce)
    app.before_request(refuse_null_characters_in_the_address)
    app.before_request(_require_sign_in)
    app.after_request(_security_headers)
    app.context_processor(_template_context)
    app.register_error_handler(400, _bad_request)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(403, _forbidden)
    app.register_error_handler(405, _method_not_allowed)
    app.register_error_handler(410, _gone)
    app.register_error_handler(413, _too_large)
    app.register_error_handler(500, _server_error)
    app.register_error_handler(IntegrityError, _saved_at_the_same_time)
    app.register_error_handler(StaleDataError, _saved_at_the_same_time)
    app.register_error_handler(NullCharacterRefused, _null_character)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(AppraisalLeftOut, _appraisal_left_out)
