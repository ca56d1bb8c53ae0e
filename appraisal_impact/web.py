"""Small helpers shared by the views: htmx detection, 404s, public pages, the signed-in actor."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

from flask import abort, current_app, make_response, render_template, request
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
