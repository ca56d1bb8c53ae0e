"""Trusts and their capacity figures, each with its source."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from .. import queries
from ..db import get_session
from ..figures import chair_capacity_of_trust_row
from ..models import Icb

bp = Blueprint("trusts", __name__)

CAPACITY_FIELDS = [
    ("catchment_population", "people"),
    ("chairs", "chairs"),
    ("chair_hours_per_day", "hours a day"),
    ("days_per_week", "days a week"),
    ("target_utilisation", "fraction of chair time"),
    ("baseline_chair_hours_per_week", "chair hours a week"),
    ("aseptic_hours_per_week", "hours a week"),
    ("baseline_aseptic_hours_per_week", "hours a week"),
    ("clinic_slots_per_week", "slots a week"),
    ("baseline_clinic_appointments_per_week", "appointments a week"),
]


@bp.route("/trusts")
def index():
    """Every trust in the alliance, by ICB, with its capacity."""
    session = get_session()
    icbs = queries.list_icbs(session=session)
    trusts_by_icb = {icb.id: queries.list_trusts(session=session, icb_id=icb.id) for icb in icbs}
    return render_template(
        "trusts/index.html", icbs=icbs, trusts_by_icb=trusts_by_icb, chair_hours_capacity=chair_capacity_of_trust_row
    )


@bp.route("/trusts/<ods_code>")
def show(ods_code: str):
    """One trust: its capacity figures and where each came from."""
    session = get_session()
    trust = queries.get_trust_by_ods(session=session, ods_code=ods_code)
    if trust is None:
        abort(404)
    return render_template(
        "trusts/show.html",
        trust=trust,
        icb=session.get(Icb, trust.icb_id),
        fields=CAPACITY_FIELDS,
        sources=queries.figure_sources(session=session, entity="trust", entity_id=trust.id),
        capacity=chair_capacity_of_trust_row(trust),
        history=queries.audit_trail(session=session, entity="trust", entity_id=trust.id),
    )
