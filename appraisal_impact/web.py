"""Small helpers shared by the views: htmx detection, 404s, public pages, the signed-in actor."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from flask import abort, current_app, make_response, render_template, request, url_for
from flask_login import current_user

from .audit import Actor
from .models import utcnow


def is_htmx() -> bool:
    """An htmx request for a fragment (and not a history restore, which wants the whole page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def page_or_partial(page: str, partial: str, status: int = 200, **context):
    """Render the whole page, or only its partial for htmx; caches keep the two apart (Vary)."""
    response = make_response(render_template(partial if is_htmx() else page, **context), status)
    response.headers["Vary"] = "HX-Request"
    return response


def get_or_404(session, model, row_id: int):
    row = session.get(model, row_id)
    if row is None:
        abort(404)
    return row


def public(view):
    """Mark a view as open without signing in (sign-in page, health, shared links)."""
    view.is_public = True
    return view


def current_actor() -> Actor:
    return Actor(current_user.id, current_user.name, "web")


_STARTED = time.monotonic()


def today() -> date:
    """Today, or the date a test or demonstration fixes in the app's settings (`TODAY`)."""
    return current_app.config.get("TODAY") or date.today()


def now() -> datetime:
    """Now (naive UTC) for checks against dates people chose, such as a share link's expiry. With `TODAY`
    fixed, the clock stands at noon that day and moves on only as time passes in the process, so a check
    never depends on the real date or on the time of day it runs."""
    fixed = current_app.config.get("TODAY")
    if fixed is None:
        return utcnow()
    return datetime.combine(fixed, datetime.min.time()) + timedelta(hours=12, seconds=time.monotonic() - _STARTED)
# Browsers drop tabs and newlines from URLs and read "\" as "/": "/\t/host" and "/\host" both go to //host.
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site (for a `next=` redirect), else None.

    Refused: anything with a scheme or host (`https://host`, `https:host`, `//host`), backslashes,
    whitespace or control characters anywhere (`/%09/host`, `/\\host`, encoded newlines), and anything
    not starting with a single "/"."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    if _UNSAFE_IN_NEXT.search(target) or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def external_url(endpoint: str, **values) -> str:
    """A full link to `endpoint` for use outside the app (share links, emails): built on PUBLIC_BASE_URL
    when set (the address users reach, e.g. https://impact.wessex.nhs.uk), else on this request's host."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path.rstrip("/") or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)
