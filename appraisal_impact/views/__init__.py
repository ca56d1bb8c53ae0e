"""The pages. Each module here with a `bp` Blueprint is registered; every page needs sign-in unless
its view is marked `@public`."""

from __future__ import annotations

import importlib
import pkgutil
import secrets


from flask import Flask, current_app, g, render_template, request, send_from_directory
from flask_login import current_user

from .. import queries
from ..auth import login_manager
from ..db import get_session
from ..models import ROLE_LABELS, Role
from ..web import today as web_today

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
    if request.endpoint not in ("static", "nhsuk_assets"):
        example = queries.has_example_data(session=get_session())
    return {
        "example_data": example,
        "nav_links": _navigation(),
        "role_labels": ROLE_LABELS,
        "today": web_today(),
        "endpoints": current_app.view_functions,
        "cspNonce": g.get("csp_nonce"),
    }


def _not_found(_error):
    return render_template("errors/404.html"), 404


def _forbidden(_error):
    return render_template("errors/403.html"), 403


def _gone(_error):
    return render_template("errors/410.html"), 410


def _server_error(_error):
    # Never show a trace: the log has it.
    return render_template("errors/500.html"), 500


def init_app(app: Flask) -> None:
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        if hasattr(module, "bp"):
            app.register_blueprint(module.bp)
    app.add_url_rule(
        "/assets/<path:filename>",
        "nhsuk_assets",
        lambda filename: send_from_directory(app.static_folder + "/" + NHSUK_ASSETS, filename),
    )
    app.before_request(_make_nonce)
    app.before_request(_require_sign_in)
    app.after_request(_security_headers)
    app.context_processor(_template_context)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(403, _forbidden)
    app.register_error_handler(410, _gone)
    app.register_error_handler(500, _server_error)
