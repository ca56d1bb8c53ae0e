"""The shared regimen library: regimens and their components, drugs, packs with list prices, and
confidential (PAS) prices that only allowed users ever see.

Pharmacists, leads and admins edit the library; everyone signed in reads it. A confidential price is
shown only where `current_user.may_see_confidential(price.trust_id)` says so, checked here on the server
for every price on every page.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import audit, preview
from ..audit import EditConflict, as_text
from ..db import get_session
from ..forms import ConfidentialPriceForm, DrugForm, PackForm, RegimenForm, error_list
from ..forms.fields import format_number
from ..forms.regimens import CLINIC_TYPES, HRG_FIRST, MAX_COMPONENTS, choices_with, options
from ..forms.regimens import RegimenPhaseForm
from ..models import (
    AuditEntry, ConfidentialPrice, DoseBasis, Drug, DrugPack, Regimen, RegimenComponent, RegimenPhase, Trust, utcnow,
)
from ..queries import list_trusts
from ..queries import editing as editing_queries
from ..queries import regimens as regimen_queries
from ..web import current_actor, get_or_404, is_htmx
from .editing import (
    Difference,
    change_rows,
    conflict_page,
    differences_between,
    form_page,
    list_action,
    opened_at,
    posted_version,
    preview_patients,
    preview_response,
    saved_preview,
    require,
    stamp_opened,
)

bp = Blueprint("regimens", __name__)

REGIMEN_FIELDS = (
    "name",
    "indication",
    "tumour_site",
    "cycle_length_days",
    "attendance_days",
    "is_oral",
    "max_cycles",
    "median_time_on_treatment_days",
    "max_years",
    "verification_minutes_per_cycle",
    "clinic_type",
    "clinic_minutes",
    "clinic_every_n_cycles",
    "delivery_hrg_first",
    "source",
    "is_estimate",
)
COMPONENT_FIELDS = (
    "dose",
    "dose_basis",
    "dose_cap_mg",
    "route",
    "days",
    "chair_minutes_first_cycle",
    "chair_minutes_later_cycles",
    "aseptic_items",
    "aseptic_minutes_per_item",
)
COMPONENT_LABELS = {
    "dose": "dose",
    "dose_basis": "dose unit",
    "dose_cap_mg": "maximum dose (mg)",
    "route": "route",
    "days": "days given",
    "chair_minutes_first_cycle": "chair minutes, first cycle",
    "chair_minutes_later_cycles": "chair minutes, later cycles",
    "aseptic_items": "aseptic items",
    "aseptic_minutes_per_item": "aseptic minutes per item",
    "drug": "drug",
}


def may_see(price: ConfidentialPrice) -> bool:
    """The one check before any confidential price reaches a page."""
    return current_user.is_authenticated and current_user.may_see_confidential(price.trust_id)


def _visible_confidential(session, pack_ids: list[int]) -> list[regimen_queries.ConfidentialPriceRow]:
    return [row for row in regimen_queries.confidential_prices(session=session, pack_ids=pack_ids) if may_see(row.price)]


def _component_summary(drug_name: str, component) -> str:
    basis = component.dose_basis.value if hasattr(component.dose_basis, "value") else component.dose_basis
    cap = f" (max {format_number(component.dose_cap_mg)} mg)" if component.dose_cap_mg else ""
    return f"{drug_name} {format_number(component.dose)} {basis}{cap} {component.route} day {component.days}"


# --- reading the library -----------------------------------------------------------------------------


@bp.route("/regimens")
def index():
    """Every regimen in the shared library."""
    session = get_session()
    text = request.args.get("q", "").strip()[:100]
    return render_template(
        "regimens/index.html",
        regimens=regimen_queries.list_regimens(session=session, text=text or None),
        q=text,
        may_edit=current_user.may_edit_library,
    )


_SQUARE_METRES = re.compile(r"\bmg/m2\b")


def readable_history(entries: list[AuditEntry]) -> list[SimpleNamespace]:
    """Audit entries as people read them: the record keeps "mg/m2" (the stored value), pages show "mg/m²".

    Copies, so nothing shown can be written back to the append-only record."""
    def readable(text):
        return _SQUARE_METRES.sub("mg/m²", text) if isinstance(text, str) else text

    return [
        SimpleNamespace(at=e.at, user_name=e.user_name, origin=e.origin, action=e.action, field=e.field,
                        old_value=readable(e.old_value), new_value=readable(e.new_value))
        for e in entries
    ]


@bp.route("/regimens/<int:regimen_id>")
def show(regimen_id: int):
    """A regimen: schedule, components, prices, the appraisals that use it, local timings and history."""
    session = get_session()
    regimen = get_or_404(session, Regimen, regimen_id)
    components = regimen_queries.components(session=session, regimen_id=regimen.id)
    drug_ids = sorted({row.drug.id for row in components})
    packs = regimen_queries.packs_by_drug(session=session, drug_ids=drug_ids)
    pack_ids = [p.id for rows in packs.values() for p in rows]
    own_trust = session.get(Trust, current_user.trust_id) if current_user.trust_id else None
    own_override = (
        editing_queries.regimen_override(session=session, trust_id=own_trust.id, regimen_id=regimen.id) if own_trust else None
    )
    return render_template(
        "regimens/show.html",
        regimen=regimen,
        components=components,
        drugs={row.drug.id: row.drug for row in components},
        packs=packs,
        confidential=_visible_confidential(session, pack_ids),
        uses=regimen_queries.appraisals_using(session=session, regimen_id=regimen.id),
        local_overrides=regimen_queries.trust_overrides_of_regimen(session=session, regimen_id=regimen.id),
        own_trust=own_trust,
        own_override=own_override,
        history=readable_history(regimen_queries.audit_entries(session=session, entity="regimen", entity_ids=[regimen.id])),
        may_edit=current_user.may_edit_library,
        phases=regimen_queries.phases_of(session=session, regimen_id=regimen.id),
        phase_of=regimen_queries.regimens_with_phase(session=session, regimen_id=regimen.id),
    )


# --- the regimen editor ------------------------------------------------------------------------------


def _regimen_form(regimen: Regimen | None = None, formdata=None) -> RegimenForm:
    session = get_session()
    if formdata is None and regimen is not None:
        rows = regimen_queries.components(session=session, regimen_id=regimen.id)
        data = {name: getattr(regimen, name) for name in REGIMEN_FIELDS}
        data["components"] = [
            {
                "component_id": str(row.component.id),
                "drug": row.drug.name,
                **{name: getattr(row.component, name) for name in COMPONENT_FIELDS},
                "dose_basis": row.component.dose_basis.value if hasattr(row.component.dose_basis, "value") else row.component.dose_basis,
            }
            for row in rows
        ]
        form = RegimenForm(formdata=None, data=data)
        stamp_opened(form, regimen)
    elif formdata is None:
        form = RegimenForm(formdata=None)
        form.version.data = "0"
    else:
        form = RegimenForm(formdata=formdata)
    form.clinic_type.choices = choices_with(CLINIC_TYPES, regimen.clinic_type if regimen else None)
    form.delivery_hrg_first.choices = choices_with(HRG_FIRST, regimen.delivery_hrg_first if regimen else None)
    return form


def _editor_context(regimen: Regimen | None) -> dict[str, Any]:
    session = get_session()
    own_trust = session.get(Trust, current_user.trust_id) if current_user.trust_id else None
    return dict(
        regimen=regimen,
        drug_names=[d.name for d in regimen_queries.list_drugs(session=session)],
        tumour_sites=regimen_queries.tumour_sites(session=session),
        own_trust=own_trust,
        trusts=list_trusts(session=session),
        preview_trust=own_trust,
        preview_patients=preview.PREVIEW_PATIENTS_DEFAULT,
        max_components=MAX_COMPONENTS,
    )


def _regimen_values(form: RegimenForm) -> dict[str, Any]:
    values = {name: getattr(form, name).data for name in REGIMEN_FIELDS}
    for name in ("name", "indication", "tumour_site", "source"):
        values[name] = (values[name] or "").strip()
    values["is_oral"] = bool(values["is_oral"])
    values["is_estimate"] = bool(values["is_estimate"])
    return values


def _component_values(entry_form) -> dict[str, Any]:
    values = {name: getattr(entry_form, name).data for name in COMPONENT_FIELDS}
    values["dose_basis"] = DoseBasis(values["dose_basis"])
    return values


def _drafts(form: RegimenForm) -> tuple[dict[str, Any], list[preview.DraftComponent]]:
    values = _regimen_values(form)
    values["delivery_hrg_subsequent"] = "SB15Z"
    components = [
        preview.DraftComponent(
            drug_name=e.form.drug.data.strip(),
            **{name: getattr(e.form, name).data for name in COMPONENT_FIELDS},
        )
        for e in form.components.entries
    ]
    return values, components


def _check_unique_name(form: RegimenForm, regimen: Regimen | None) -> None:
    name = (form.name.data or "").strip()
    if not name or form.name.errors:
        return
    existing = regimen_queries.regimen_by_name(session=get_session(), name=name)
    if existing is not None and (regimen is None or existing.id != regimen.id):
        form.name.errors.append(f"A regimen called '{existing.name}' is already in the library: give this one another name")


def _drug_for(session, actor, name: str, route: str, cache: dict[str, Drug]) -> Drug:
    """The drug of that name (any case), or a new one, recorded."""
    key = name.strip().lower()
    if key not in cache:
        drug = Drug(name=name.strip(), is_oral=route == "oral")
        session.add(drug)
        audit.record_created(session, actor, drug)
        cache[key] = drug
    return cache[key]


def _save_components(session, actor, regimen: Regimen, form: RegimenForm) -> bool:
    """Create, update and delete the regimen's components as the form says; each change on the regimen's record."""
    stored = {row.component.id: row for row in regimen_queries.components(session=session, regimen_id=regimen.id)}
    drugs = regimen_queries.drugs_by_lower_name(session=session)
    changed, kept = False, set()
    for position, entry in enumerate(form.components.entries, start=1):
        component_form = entry.form
        values = _component_values(component_form)
        drug = _drug_for(session, actor, component_form.drug.data, values["route"], drugs)
        raw_id = component_form.component_id.data or ""
        row = stored.get(int(raw_id)) if raw_id.isdigit() else None  # an id of another regimen is ignored
        if row is None:
            component = RegimenComponent(regimen_id=regimen.id, position=position, drug_id=drug.id, **values)
            session.add(component)
            audit.record(session, actor, regimen, "update", f"component {position} added", None, _component_summary(drug.name, component))
            changed = True
            continue
        kept.add(row.component.id)
        component = row.component
        label = f"component {position} ({row.drug.name})"
        if component.drug_id != drug.id:
            audit.record(session, actor, regimen, "update", f"{label} drug", row.drug.name, drug.name)
            component.drug_id = drug.id
            changed = True
        if component.position != position:
            component.position = position
            changed = True
        for name, new in values.items():
            old = getattr(component, name)
            if as_text(old) != as_text(new):
                audit.record(session, actor, regimen, "update", f"{label} {COMPONENT_LABELS[name]}", old, new)
                setattr(component, name, new)
                changed = True
        session.add(component)
    for component_id, row in stored.items():
        if component_id not in kept:
            audit.record(session, actor, regimen, "update", "component removed", _component_summary(row.drug.name, row.component), None)
            session.delete(row.component)
            changed = True
    return changed


def _editor_post(regimen: Regimen | None):
    """Add or remove a component row, or validate and save (shared by new and edit)."""
    session = get_session()
    form = _regimen_form(regimen, request.form)
    context = _editor_context(regimen)
    context["preview_patients"] = preview_patients()
    action, target, index = list_action()
    if action in ("add", "remove") and target == "components":
        change_rows(form.components, action, index, MAX_COMPONENTS, minimum=1)
        context["focus"] = "new" if action == "add" else "add"
        if is_htmx():
            response = make_response(render_template("regimens/_components.html", form=form, errors=[], **context))
            response.headers["Vary"] = "HX-Request"
            return response
        return make_response(render_template("regimens/edit.html", form=form, errors=[], error_title=False, preview=None, **context))

    valid = form.validate()
    _check_unique_name(form, regimen)
    if not valid or form.name.errors:
        return form_page("regimens/edit.html", form, preview=None, **context)
    if action == "preview":  # without JavaScript: show the impact, save nothing
        trust = _preview_trust(session)
        return form_page("regimens/edit.html", form, preview=_preview_for(form, regimen, trust, context["preview_patients"]), **context)

    actor = current_actor()
    values = _regimen_values(form)
    if regimen is None:
        regimen = Regimen(**values)
        session.add(regimen)
        audit.record_created(session, actor, regimen)
        _save_components(session, actor, regimen, form)
        session.commit()
        flash(f"{regimen.name} is added to the regimen library.")
        return redirect(url_for("regimens.show", regimen_id=regimen.id))

    since = opened_at(form)
    regimen_id = regimen.id
    try:
        changes = audit.apply_changes(session, actor, regimen, values, expected_version=posted_version(form))
        components_changed = _save_components(session, actor, regimen, form)
        if components_changed and not changes:
            regimen.updated_at = utcnow()  # any change to a component is a new version of the regimen
            session.add(regimen)
        session.commit()
    except (EditConflict, StaleDataError):
        session.rollback()
        current = session.get(Regimen, regimen_id)
        session.refresh(current)
        differences = differences_between(values, current) + _component_differences(session, regimen_id, form)
        return conflict_page(
            what="regimen", back_url=url_for("regimens.edit", regimen_id=regimen_id), row_label=current.name,
            entity="regimen", entity_ids=[regimen_id], since=since, differences=differences,
        )
    flash(f"Your changes to {regimen.name} are saved." if (changes or components_changed) else "Nothing had changed: nothing was saved.")
    return redirect(url_for("regimens.show", regimen_id=regimen_id))


def _component_differences(session, regimen_id: int, form: RegimenForm) -> list[Difference]:
    """Each component figure the editor entered beside the saved one, position by position."""
    saved = regimen_queries.components(session=session, regimen_id=regimen_id)
    out = []
    for position, entry in enumerate(form.components.entries, start=1):
        values = _component_values(entry.form)
        if position > len(saved):
            out.append(Difference(f"Component {position}", _component_summary(entry.form.drug.data, _Submitted(values)), "not there"))
            continue
        row = saved[position - 1]
        label = f"component {position} ({row.drug.name})"
        shown = f"C{label[1:]}"
        if entry.form.drug.data.strip().lower() != row.drug.name.lower():
            out.append(Difference(f"{shown}: drug", entry.form.drug.data, row.drug.name, f"{label} drug"))
        for name, value in values.items():
            out.append(Difference(f"{shown}: {COMPONENT_LABELS[name]}", as_text(value), as_text(getattr(row.component, name)),
                                  f"{label} {COMPONENT_LABELS[name]}"))
    for position in range(len(form.components.entries) + 1, len(saved) + 1):
        row = saved[position - 1]
        out.append(Difference(f"Component {position}", "not there", _component_summary(row.drug.name, row.component)))
    return out


class _Submitted:
    """Submitted component values with attribute access, for a one-line summary."""

    def __init__(self, values: dict[str, Any]):
        self.__dict__.update(values)


@bp.route("/regimens/new", methods=["GET", "POST"])
def new():
    """Add a regimen to the shared library."""
    require(current_user.may_edit_library)
    if request.method == "POST":
        return _editor_post(None)
    form = _regimen_form()
    return form_page("regimens/edit.html", form, preview=None, **_editor_context(None))


@bp.route("/regimens/<int:regimen_id>/edit", methods=["GET", "POST"])
def edit(regimen_id: int):
    """Change a regimen in the shared library."""
    session = get_session()
    regimen = get_or_404(session, Regimen, regimen_id)
    require(current_user.may_edit_library)
    if request.method == "POST":
        return _editor_post(regimen)
    form = _regimen_form(regimen)
    context = _editor_context(regimen)
    return form_page("regimens/edit.html", form, preview=saved_preview(_preview_for(form, regimen, context["preview_trust"])), **context)


def _preview_trust(session) -> Trust | None:
    if current_user.trust_id:
        return session.get(Trust, current_user.trust_id)
    code = request.form.get("preview_trust", "")
    trust = editing_queries.get_trust(session=session, ods_code=code) if code else None
    return trust or next(iter(list_trusts(session=session)), None)


def _preview_for(form: RegimenForm, regimen: Regimen | None, trust: Trust | None, patients: float = preview.PREVIEW_PATIENTS_DEFAULT):
    session = get_session()
    trust = trust or _preview_trust(session)
    if trust is None:
        return preview.problem("Impact", "There is no trust to show the impact at yet.")
    values, components = _drafts(form)
    timing = None
    override = editing_queries.regimen_override(session=session, trust_id=trust.id, regimen_id=regimen.id) if regimen else None
    if override is not None:
        timing = preview.RegimenTiming(
            chair_minutes_first_cycle=override.chair_minutes_first_cycle,
            chair_minutes_later_cycles=override.chair_minutes_later_cycles,
            verification_minutes_per_cycle=override.verification_minutes_per_cycle,
            clinic_minutes=override.clinic_minutes,
            clinic_every_n_cycles=override.clinic_every_n_cycles,
        )
    return preview.regimen_preview(
        session, current_user, trust=trust, regimen_values=values, components=components,
        regimen_id=regimen.id if regimen else None, timing=timing, patients_per_year=patients,
    )


@bp.route("/regimens/preview", methods=["POST"])
def preview_regimen():
    """The impact of the unsaved regimen at a trust (htmx, as the user types)."""
    session = get_session()
    require(current_user.may_edit_library)
    raw_id = request.form.get("regimen_id", "")
    regimen = get_or_404(session, Regimen, int(raw_id)) if raw_id.isdigit() else None
    form = _regimen_form(regimen, request.form)
    trust = _preview_trust(session)
    heading = f"Impact at {trust.name}" if trust else "Impact"
    if not form.validate():
        errors = error_list(form)
        message = f"The preview will update when the form is complete: {errors[0][1]}" if errors else "The preview will update when the form is complete."
        return preview_response(preview.problem(heading, message))
    return preview_response(_preview_for(form, regimen, trust, preview_patients()))


# --- drugs, packs and prices -------------------------------------------------------------------------


@bp.route("/drugs")
def drugs():
    """Every drug with its packs and list prices (and confidential prices where the user may see them)."""
    session = get_session()
    drug_rows = regimen_queries.list_drugs(session=session)
    packs = regimen_queries.packs_by_drug(session=session)
    pack_ids = [p.id for rows in packs.values() for p in rows]
    return render_template(
        "regimens/drugs.html",
        drugs=drug_rows,
        packs=packs,
        confidential=_visible_confidential(session, pack_ids),
        may_edit=current_user.may_edit_library,
    )


@bp.route("/drugs/new", methods=["GET", "POST"])
def drug_new():
    """Add a drug (its packs and prices follow)."""
    require(current_user.may_edit_library)
    session = get_session()
    form = DrugForm()
    if request.method == "POST":
        valid = form.validate()
        if valid and regimen_queries.drug_by_name(session=session, name=form.name.data) is not None:
            form.name.errors.append("That drug is already in the library")
            valid = False
        if valid:
            drug = Drug(name=form.name.data.strip(), is_oral=bool(form.is_oral.data))
            session.add(drug)
            audit.record_created(session, current_actor(), drug)
            session.commit()
            flash(f"{drug.name} is added. Now add its packs and list prices.")
            return redirect(url_for("regimens.drug", drug_id=drug.id))
    return form_page("regimens/drug_new.html", form)


@bp.route("/drugs/<int:drug_id>")
def drug(drug_id: int):
    """A drug: its packs, list prices (with source and date), confidential prices if allowed, history."""
    session = get_session()
    drug_row = get_or_404(session, Drug, drug_id)
    packs = regimen_queries.packs_by_drug(session=session, drug_ids=[drug_id]).get(drug_id, [])
    return render_template(
        "regimens/drug.html",
        drug=drug_row,
        packs=packs,
        confidential=_visible_confidential(session, [p.id for p in packs]),
        history=regimen_queries.audit_entries(session=session, entity="drugpack", entity_ids=[p.id for p in packs]),
        may_edit=current_user.may_edit_library,
        may_add_confidential=bool(_confidential_choices()),
    )


PACK_FIELDS = ("description", "pack_mg", "list_price", "price_source", "price_date", "is_estimate")


def _pack_values(form: PackForm) -> dict[str, Any]:
    values = {name: getattr(form, name).data for name in PACK_FIELDS}
    values["description"] = values["description"].strip()
    values["price_source"] = (values["price_source"] or "").strip()
    values["is_estimate"] = bool(values["is_estimate"])
    return values


@bp.route("/drugs/<int:drug_id>/packs/new", methods=["GET", "POST"])
def pack_new(drug_id: int):
    """Add a pack of a drug with its list price."""
    session = get_session()
    drug_row = get_or_404(session, Drug, drug_id)
    require(current_user.may_edit_library)
    form = PackForm()
    if request.method == "POST":
        valid = form.validate()
        if valid and regimen_queries.pack_by_description(session=session, drug_id=drug_id, description=form.description.data):
            form.description.errors.append("This drug already has a pack with that description: change its price on its own page")
            valid = False
        if valid:
            pack = DrugPack(drug_id=drug_id, **_pack_values(form))
            session.add(pack)
            audit.record_created(session, current_actor(), pack, f"{drug_row.name} {pack.description}: {as_text(pack.list_price) or 'no list price'}")
            session.commit()
            flash(f"The {pack.description} pack is added.")
            return redirect(url_for("regimens.drug", drug_id=drug_id))
    else:
        form.version.data = "0"
    return form_page("regimens/pack.html", form, drug=drug_row, pack=None)


@bp.route("/packs/<int:pack_id>/edit", methods=["GET", "POST"])
def pack_edit(pack_id: int):
    """Change a pack's list price, source and date."""
    session = get_session()
    pack = get_or_404(session, DrugPack, pack_id)
    drug_row = session.get(Drug, pack.drug_id)
    require(current_user.may_edit_library)
    if request.method == "GET":
        form = PackForm(formdata=None, obj=pack)
        stamp_opened(form, pack)
        return form_page("regimens/pack.html", form, drug=drug_row, pack=pack)
    form = PackForm()
    if not form.validate():
        return form_page("regimens/pack.html", form, drug=drug_row, pack=pack)
    values = _pack_values(form)
    since = opened_at(form)
    try:
        changes = audit.apply_changes(session, current_actor(), pack, values, expected_version=posted_version(form))
        session.commit()
    except (EditConflict, StaleDataError):
        session.rollback()
        current = session.get(DrugPack, pack_id)
        session.refresh(current)
        return conflict_page(
            what="pack", back_url=url_for("regimens.pack_edit", pack_id=pack_id), row_label=f"{drug_row.name} {current.description}",
            entity="drugpack", entity_ids=[pack_id], since=since, differences=differences_between(values, current),
        )
    flash("The pack is saved." if changes else "Nothing had changed: nothing was saved.")
    return redirect(url_for("regimens.drug", drug_id=drug_row.id))


def _confidential_choices() -> list[tuple[str, str]]:
    """Whom the user may enter a confidential price for: their own trust, or (leads, admins) any, or all."""
    if not current_user.is_authenticated:
        return []
    session = get_session()
    choices = []
    if current_user.may_edit_anything and current_user.may_see_confidential(None):
        choices.append(("alliance", "Every trust in the alliance"))
    for trust in list_trusts(session=session):
        if current_user.may_edit_trust(trust.id) and current_user.may_see_confidential(trust.id):
            choices.append((trust.ods_code, trust.name))
    return options(*choices)


def _price_versions(session, pack_id: int, choices) -> dict[str, int]:
    """For each choice ("alliance" or a trust's code), the version of its saved price for this pack (0: none)."""
    versions = {}
    for choice in choices:
        trust = None if choice.value == "alliance" else editing_queries.get_trust(session=session, ods_code=choice.value)
        saved = regimen_queries.confidential_price_for(session=session, pack_id=pack_id, trust_id=trust.id if trust else None)
        versions[choice.value] = saved.version if saved else 0
    return versions


def _posted_versions(text: str | None) -> dict[str, int]:
    """'alliance:0,RHM:2' → {'alliance': 0, 'RHM': 2}; anything unreadable is left out (and so taken as 0)."""
    versions = {}
    for part in (text or "").split(","):
        key, _, number = part.partition(":")
        if key and number.isdigit():
            versions[key] = int(number)
    return versions


@bp.route("/packs/<int:pack_id>/confidential-price", methods=["GET", "POST"])
def confidential_price(pack_id: int):
    """Enter a confidential (PAS) price for a pack: commercial in confidence, kept apart from list prices.

    Each saved price has a version, as the page had it when opened: a save that finds another person's
    price saved since (new, changed or removed) changes nothing and shows a conflict (409)."""
    session = get_session()
    pack = get_or_404(session, DrugPack, pack_id)
    drug_row = session.get(Drug, pack.drug_id)
    choices = _confidential_choices()
    require(bool(choices) and current_user.may_edit_library)
    form = ConfidentialPriceForm()
    form.trust.choices = choices
    if request.method == "GET":
        form.versions.data = ",".join(f"{k}:{v}" for k, v in _price_versions(session, pack.id, choices).items())
        form.opened_at.data = utcnow().isoformat(timespec="seconds")
    if request.method == "POST" and form.validate():
        trust = None
        if form.trust.data != "alliance":
            trust = editing_queries.get_trust(session=session, ods_code=form.trust.data)
            if trust is None:
                abort(400)
        require(current_user.may_see_confidential(trust.id if trust else None))
        actor = current_actor()
        expected = _posted_versions(form.versions.data).get(form.trust.data, 0)
        values = {"price": form.price.data, "note": (form.note.data or "").strip()}
        existing = regimen_queries.confidential_price_for(session=session, pack_id=pack.id, trust_id=trust.id if trust else None)
        try:
            if existing is None:
                if expected != 0:  # removed since the page was opened
                    raise EditConflict(ConfidentialPrice(drug_pack_id=pack.id, price=0, version=0), expected)
                existing = ConfidentialPrice(drug_pack_id=pack.id, trust_id=trust.id if trust else None,
                                             entered_by_id=actor.user_id, **values)
                session.add(existing)
                session.flush()  # a price saved by someone else at this moment breaks the unique rule here
                audit.record(session, actor, existing, "create", new=f"{drug_row.name} {pack.description}: {as_text(form.price.data)}")
            else:
                audit.apply_changes(session, actor, existing, values, expected_version=expected)
                existing.entered_by_id, existing.entered_at = actor.user_id, utcnow()
                session.add(existing)
            session.commit()
        except (EditConflict, StaleDataError, IntegrityError):
            session.rollback()
            current = regimen_queries.confidential_price_for(session=session, pack_id=pack.id, trust_id=trust.id if trust else None)
            if current is not None:
                session.refresh(current)
            who = trust.name if trust else "every trust in the alliance"
            return conflict_page(
                what="confidential price", back_url=url_for("regimens.confidential_price", pack_id=pack.id),
                row_label=f"{drug_row.name} {pack.description}, for {who}", entity="confidentialprice",
                entity_ids=[current.id] if current is not None else [], since=opened_at(form),
                differences=differences_between(values, current) if current is not None
                else [Difference("Price", as_text(values["price"]), "not set (removed)")],
            )
        flash("The confidential price is saved. Only people allowed to see confidential prices will see it.")
        return redirect(url_for("regimens.drug", drug_id=drug_row.id))
    return form_page("regimens/confidential_price.html", form, drug=drug_row, pack=pack,
                     existing=[row for row in _visible_confidential(session, [pack.id])])


@bp.route("/confidential-prices/<int:price_id>/remove", methods=["POST"])
def confidential_price_remove(price_id: int):
    """Remove a confidential price (on the record, seen only by those allowed)."""
    session = get_session()
    price = get_or_404(session, ConfidentialPrice, price_id)
    if not may_see(price):
        abort(404)  # do not even confirm it exists
    allowed = current_user.may_edit_anything if price.trust_id is None else current_user.may_edit_trust(price.trust_id)
    require(allowed and current_user.may_edit_library)
    pack = session.get(DrugPack, price.drug_pack_id)
    audit.record(session, current_actor(), price, "delete", old=as_text(price.price))
    session.delete(price)
    session.commit()
    flash("The confidential price is removed.")
    return redirect(url_for("regimens.drug", drug_id=pack.drug_id))


# --- phases: a regimen given in phases (it is phase 1; each later phase is another regimen) ----------


def _phase_form(session, regimen: Regimen, *, opened: bool = False, obj=None) -> RegimenPhaseForm:
    """The phase form: as posted, or freshly ``opened`` (from ``obj`` when changing a phase)."""
    form = RegimenPhaseForm(formdata=None, obj=obj) if opened else RegimenPhaseForm()
    others = [r for r in regimen_queries.all_regimens(session=session) if r.id != regimen.id]
    form.phase_regimen.choices = options(("", "Choose a regimen"), *((str(r.id), r.name) for r in others))
    return form


def _phase_values(session, form: RegimenPhaseForm) -> dict[str, Any] | None:
    """The phase's values, or None (with the error beside the field) when no other regimen is chosen."""
    phase_regimen = session.get(Regimen, int(form.phase_regimen.data)) if (form.phase_regimen.data or "").isdigit() else None
    if phase_regimen is None:
        form.phase_regimen.errors.append("Choose the regimen given in this phase")
        return None
    return {
        "phase_regimen_id": phase_regimen.id,
        "share_going_on_pct": form.share_going_on_pct.data,
        "gap_days": int(form.gap_days.data),
        "source": (form.source.data or "").strip(),
    }


@bp.route("/regimens/<int:regimen_id>/phases/new", methods=["GET", "POST"])
def phase_new(regimen_id: int):
    """Add a later phase to a regimen: the regimen given next, the share going on, the gap before it."""
    session = get_session()
    regimen = get_or_404(session, Regimen, regimen_id)
    require(current_user.may_edit_library)
    phases = regimen_queries.phases_of(session=session, regimen_id=regimen.id)
    if request.method == "GET":
        form = _phase_form(session, regimen, opened=True)
        form.share_going_on_pct.data, form.gap_days.data, form.version.data = 100, 0, "0"
        return form_page("regimens/phase.html", form, regimen=regimen, phase=None, position=len(phases) + 2)
    form = _phase_form(session, regimen)
    values = _phase_values(session, form) if form.validate() else None
    if values is None:
        return form_page("regimens/phase.html", form, regimen=regimen, phase=None, position=len(phases) + 2)
    position = max([phase.position for phase, _ in phases] + [1]) + 1
    phase = RegimenPhase(regimen_id=regimen.id, position=position, **values)
    session.add(phase)
    phase_name = session.get(Regimen, values["phase_regimen_id"]).name
    audit.record_created(session, current_actor(), phase,
                         f"{regimen.name}, phase {position}: {phase_name}, {format_number(values['share_going_on_pct'])}% go on, "
                         f"gap {values['gap_days']} days")
    session.commit()
    flash(f"Phase {position} is added.")
    return redirect(url_for("regimens.show", regimen_id=regimen.id))


@bp.route("/regimen-phases/<int:phase_id>/edit", methods=["GET", "POST"])
def phase_edit(phase_id: int):
    """Change a later phase: its regimen, the share going on, the gap before it."""
    session = get_session()
    phase = get_or_404(session, RegimenPhase, phase_id)
    regimen = session.get(Regimen, phase.regimen_id)
    require(current_user.may_edit_library)
    if request.method == "GET":
        form = _phase_form(session, regimen, opened=True, obj=phase)
        form.phase_regimen.data = str(phase.phase_regimen_id)
        stamp_opened(form, phase)
        return form_page("regimens/phase.html", form, regimen=regimen, phase=phase, position=phase.position)
    form = _phase_form(session, regimen)
    values = _phase_values(session, form) if form.validate() else None
    if values is None:
        return form_page("regimens/phase.html", form, regimen=regimen, phase=phase, position=phase.position)
    since = opened_at(form)
    try:
        changes = audit.apply_changes(session, current_actor(), phase, values, expected_version=posted_version(form))
        session.commit()
    except (EditConflict, StaleDataError):
        session.rollback()
        current = session.get(RegimenPhase, phase_id)
        session.refresh(current)
        return conflict_page(
            what="phase", back_url=url_for("regimens.phase_edit", phase_id=phase_id),
            row_label=f"{regimen.name}, phase {current.position}", entity="regimenphase", entity_ids=[phase_id],
            since=since, differences=differences_between(values, current),
        )
    flash(f"Phase {phase.position} is saved." if changes else "Nothing had changed: nothing was saved.")
    return redirect(url_for("regimens.show", regimen_id=regimen.id))


@bp.route("/regimen-phases/<int:phase_id>/remove", methods=["POST"])
def phase_remove(phase_id: int):
    """Remove a later phase (on the record)."""
    session = get_session()
    phase = get_or_404(session, RegimenPhase, phase_id)
    require(current_user.may_edit_library)
    regimen_id, position = phase.regimen_id, phase.position
    phase_name = session.get(Regimen, phase.phase_regimen_id).name
    audit.record_deleted(session, current_actor(), phase, f"phase {position}: {phase_name}")
    session.delete(phase)
    session.commit()
    flash(f"Phase {position} is removed.")
    return redirect(url_for("regimens.show", regimen_id=regimen_id))
