"""The start page, health check, and the pages about the tool."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from sqlalchemy import text

from ..db import get_session
from ..web import public

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    """Signed-in users start at the pipeline."""
    return redirect(url_for("pipeline.index"))


@bp.route("/health")
@public
def health():
    """For load balancers and monitoring: the app answers and the database is reachable."""
    try:
        get_session().exec(text("SELECT 1")).one()
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/about")
@public
def about():
    """What the tool is for and where its data comes from."""
    return render_template("main/about.html")


@bp.route("/accessibility")
@public
def accessibility():
    """Accessibility statement."""
    return render_template("main/accessibility.html")
