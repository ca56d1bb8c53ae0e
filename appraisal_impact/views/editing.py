"""Editing an appraisal's assumptions and a trust's own figures (patients a year, local regimen timings,
capacity), each with a live preview of the impact before anything is saved.

Rules, all on the server: leads and admins edit anything; a pharmacist edits only their own trust's
figures; everyone else reads. Every save checks the version the editor opened (no lost updates) and
records each changed field in the audit record. The helpers at the top are shared with the regimen
library's pages (views/regimens.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from .. import audit, preview
from ..audit import EditConflict, as_text
from ..core.capacity import DEFAULT_DAYS_PER_WEEK, DEFAULT_HOURS_PER_DAY, DEFAULT_TARGET_UTILISATION
from ..db import get_session
from ..formatting import field_label
from ..forms import AppraisalAssumptionsForm, AppraisalOverrideForm, CapacityForm, RegimenOverrideForm, error_list
from ..forms.editing import MAX_FUNNEL_STEPS, MAX_REGIMEN_LINKS, UPTAKE_YEARS
from ..forms.fields import format_number
from ..forms.regimens import options
from ..models import (
    Appraisal,
    AppraisalRegimen,
    FigureSource,
    FunnelStep,
    Regimen,
    Trust,
    TrustAppraisalOverride,
    TrustRegimenOverride,
    UptakeYear,
    utcnow,
)
from ..queries import editing as editing_queries
from ..queries import figure_sources
from ..queries import regimens as regimen_queries
from ..web import current_actor, get_or_404, is_htmx

bp = Blueprint("editing", __name__)

# The seed files mark a planning estimate with "[estimate]" at the start of its source; people read a tag.
_ESTIMATE_MARKER = re.compile(r"^\s*\[estimate\][\s.,;:]*", re.IGNORECASE)
_PLANNING_DEFAULT = re.compile(r"^planning default[,;]\s*replace with local figures?\.?$", re.IGNORECASE)


@bp.app_template_test("estimate_source")
def is_estimate_source(text: str | None) -> bool:
    """Whether a source's text marks its figure as a planning estimate."""
    return bool(text and _ESTIMATE_MARKER.match(text))


@bp.app_template_filter("plain_source")
def plain_source(text: str | None) -> str:
    """A source in plain words: without the "[estimate]" marker (pages show an Estimate tag instead)."""
    words = _ESTIMATE_MARKER.sub("", text or "").strip()
    if _PLANNING_DEFAULT.match(words):
        return "Planning default: replace with your trust's figure"
    return words[:1].upper() + words[1:]



# --- shared by the editing pages ---------------------------------------------------------------------


def require(allowed: bool) -> None:
    """403 unless the signed-in user may do this (checked on the server, whatever the client sends)."""
    if not allowed:
        abort(403)


def posted_version(form) -> int:
    """The version of the row the editor opened (hidden field); a form without one is refused."""
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        abort(400)


def opened_at(form) -> datetime | None:
    """When the editor opened the page (hidden field), to list what changed since."""
    try:
        return datetime.fromisoformat(form.opened_at.data) if form.opened_at.data else None
    except ValueError:
        return None


def stamp_opened(form, row) -> None:
    """Fill the hidden version and opened-at fields on a freshly opened form."""
    form.version.data = str(getattr(row, "version", 1) or 1)
    form.opened_at.data = utcnow().isoformat()


def form_page(template: str, form, *, status: int | None = None, **context):
    """The page with the NHS error summary when the form has errors (400), else as asked (200)."""
    errors = error_list(form) if form is not None else []
    body = render_template(template, form=form, errors=errors, error_title=bool(errors), **context)
    return make_response(body, status or (400 if errors else 200))


@dataclass(frozen=True)
class Difference:
    """One figure as the editor entered it and as it is saved now; `audit_field` finds its history."""

    label: str
    yours: str
    saved: str
    audit_field: str = ""


@dataclass(frozen=True)
class ConflictRow:
    label: str
    opened: str  # when the editor opened the page
    yours: str
    saved: str

    @property
    def changed_by_you(self) -> bool:
        return self.yours != self.opened

    @property
    def changed_meanwhile(self) -> bool:
        return self.saved != self.opened


def conflict_page(*, what: str, back_url: str, row_label: str, entity: str, entity_ids: list[int],
                  since: datetime | None, differences: list[Difference]):
    """409: someone saved this after the editor opened it. Show what changed meanwhile; save nothing."""
    history = regimen_queries.audit_entries(session=get_session(), entity=entity, entity_ids=entity_ids, since=since, limit=50)
    opened: dict[str, str] = {}
    for entry in history:  # newest first: the last one seen for a field is the oldest, its old value what the editor saw
        opened[entry.field] = entry.old_value
    rows = [
        ConflictRow(d.label, opened.get(d.audit_field, d.saved) if since else d.saved, d.yours, d.saved)
        for d in differences
        if d.yours != d.saved
    ]
    body = render_template(
        "editing/conflict.html",
        what=what,
        back_url=back_url,
        row_label=row_label,
        history=history,
        since=since,
        differences=rows,
        error_title=True,
    )
    return make_response(body, 409)


def differences_between(submitted: dict[str, Any], row) -> list[Difference]:
    return [Difference(field_label(name), as_text(value), as_text(getattr(row, name)), name) for name, value in submitted.items()]


def save_source(session, actor, *, entity: str, entity_id: int, field: str, source: str, is_estimate: bool = False) -> None:
    """Record where a figure now comes from (who entered it, when), replacing the old source."""
    row = editing_queries.figure_source(session=session, entity=entity, entity_id=entity_id, field=field)
    if row is None:
        row = FigureSource(entity=entity, entity_id=entity_id, field=field)
    row.source = source
    row.is_estimate = is_estimate
    row.entered_by_id = actor.user_id
    row.entered_at = utcnow()
    session.add(row)


def list_action() -> tuple[str, str, int | None]:
    """The button pressed: ("add", "components", None), ("remove", "components", 2), or ("save", "", None).

    Buttons are named "action" with values "add:<list>" and "remove:<list>:<row>", so the same form works
    with and without JavaScript.
    """
    parts = request.form.get("action", "save").split(":")
    if parts[0] == "preview":
        return "preview", "", None
    if parts[0] == "add" and len(parts) == 2:
        return "add", parts[1], None
    if parts[0] == "remove" and len(parts) == 3 and parts[2].isdigit():
        return "remove", parts[1], int(parts[2])
    return "save", "", None


def change_rows(field_list, action: str, index: int | None, maximum: int, minimum: int = 0) -> None:
    """Add an empty row, or remove row `index`, then number the rows 0..n-1 again."""
    if action == "add" and len(field_list.entries) < maximum:
        field_list.append_entry()
    elif action == "remove" and index is not None and len(field_list.entries) > minimum:
        field_list.entries = [e for e in field_list.entries if e.index != index] if any(e.index == index for e in field_list.entries) else field_list.entries
        field_list._compact_indices()


def saved_preview(result: preview.Preview) -> preview.Preview:
    """The preview of the figures saved now: what a page shows when it is opened, before any change."""
    return replace(result, saved=True)


def preview_response(result: preview.Preview):
    response = make_response(render_template("editing/_preview.html", preview=result))
    response.headers["Vary"] = "HX-Request"
    return response


def get_trust_or_404(ods_code: str) -> Trust:
    trust = editing_queries.get_trust(session=get_session(), ods_code=ods_code)
    if trust is None:
        abort(404)
    return trust


def user_trust() -> Trust | None:
    trust_id = getattr(current_user, "trust_id", None)
    return get_session().get(Trust, trust_id) if trust_id else None


# --- an appraisal's assumptions ----------------------------------------------------------------------

APPRAISAL_FIELDS = (
    "national_eligible_per_year",
    "eligible_from_funnel",
    "eligible_growth_pct",
    "marketing_authorisation_date",
    "draft_guidance_date",
    "fdg_date",
    "expected_publication_date",
    "expected_publication_tbc",
    "publication_date",
    "source",
)
DATE_FIELDS = ("marketing_authorisation_date", "draft_guidance_date", "fdg_date", "expected_publication_date", "publication_date")


def _appraisal_form(appraisal: Appraisal, formdata=None) -> AppraisalAssumptionsForm:
    session = get_session()
    if formdata is None:
        sources = figure_sources(session=session, entity="appraisal", entity_id=appraisal.id)
        uptake = {u.year: u for u in editing_queries.uptake_years(session=session, appraisal_id=appraisal.id)}
        steps = editing_queries.funnel_steps(session=session, appraisal_id=appraisal.id)
        links = editing_queries.regimen_links(session=session, appraisal_id=appraisal.id)
        data = {
            "eligible_method": "funnel" if appraisal.eligible_from_funnel else "nice",
            "national_eligible_per_year": appraisal.national_eligible_per_year,
            "eligible_source": sources["national_eligible_per_year"].source if "national_eligible_per_year" in sources else "",
            "eligible_growth_pct": appraisal.eligible_growth_pct,
            "funnel_steps": [{"name": s.name, "value": s.value, "source": s.source} for s in steps] or [{"name": "People diagnosed a year in England"}],
            "uptake_source": next((u.source for u in uptake.values() if u.source), ""),
            "regimens": [{"regimen_id": str(link.regimen_id), "role": link.role, "share_pct": link.share_pct, "source": link.source} for link in links],
            "source": appraisal.source,
            **{name: getattr(appraisal, name) for name in DATE_FIELDS},
            "expected_publication_tbc": appraisal.expected_publication_tbc,
            **{f"uptake_{year}": uptake[year].percent for year in uptake if year <= UPTAKE_YEARS},
        }
        form = AppraisalAssumptionsForm(formdata=None, data=data)
        stamp_opened(form, appraisal)
    else:
        form = AppraisalAssumptionsForm(formdata=formdata)
    regimen_choices = options(("", "Choose a regimen"), *((str(r.id), r.name) for r in regimen_queries.all_regimens(session=session)))
    for entry in form.regimens.entries:
        entry.form.regimen_id.choices = regimen_choices
    form.regimen_choices = regimen_choices
    return form


def _funnel_running(form: AppraisalAssumptionsForm) -> list[float | None]:
    """The running result after each funnel step: the count, then × each percentage."""
    running, out = None, []
    for position, entry in enumerate(form.funnel_steps.entries):
        value = entry.form.value.data if not entry.form.value.errors else None
        if value is None:
            running = None
        elif position == 0:
            running = value
        elif running is not None:
            running = running * value / 100
        out.append(running)
    return out


def _appraisal_draft(form: AppraisalAssumptionsForm) -> preview.AppraisalDraft:
    funnel = None
    if form.eligible_method.data == "funnel":
        funnel = tuple((e.form.name.data or "", float(e.form.value.data), e.form.source.data or "") for e in form.funnel_steps.entries)
    uptake = tuple(f.data for f in form.uptake_fields() if f.data is not None)
    links = tuple(
        (int(e.form.regimen_id.data), e.form.role.data, float(e.form.share_pct.data))
        for e in form.regimens.entries
        if (e.form.regimen_id.data or "").isdigit()
    )
    dates = {name: getattr(form, name).data for name in DATE_FIELDS}
    dates["expected_publication_tbc"] = form.expected_publication_tbc.data
    return preview.AppraisalDraft(
        national_eligible_per_year=form.national_eligible_per_year.data,
        funnel=funnel,
        eligible_growth_pct=form.eligible_growth_pct.data or 0.0,
        uptake=uptake,
        links=links,
        dates=dates,
    )


def _appraisal_values(form: AppraisalAssumptionsForm) -> dict[str, Any]:
    from_funnel = form.eligible_method.data == "funnel"
    eligible = form.national_eligible_per_year.data
    if from_funnel:
        running = _funnel_running(form)
        eligible = round(running[-1], 1) if running and running[-1] is not None else eligible
    return {
        "national_eligible_per_year": eligible,
        "eligible_from_funnel": from_funnel,
        "eligible_growth_pct": form.eligible_growth_pct.data or 0.0,
        **{name: getattr(form, name).data for name in DATE_FIELDS},
        "expected_publication_tbc": bool(form.expected_publication_tbc.data),
        "source": (form.source.data or "").strip(),
    }


def _save_appraisal_lists(session, actor, appraisal: Appraisal, form: AppraisalAssumptionsForm) -> bool:
    """Funnel steps, uptake years and regimen links: replace the stored rows, recording each change."""
    changed = False

    def note(field: str, old: Any, new: Any) -> None:
        nonlocal changed
        if as_text(old) != as_text(new):
            audit.record(session, actor, appraisal, "update", field, old, new)
            changed = True

    # uptake by year
    stored_uptake = {u.year: u for u in editing_queries.uptake_years(session=session, appraisal_id=appraisal.id)}
    source = (form.uptake_source.data or "").strip()
    for year, field in enumerate(form.uptake_fields(), start=1):
        row = stored_uptake.get(year)
        if field.data is None:
            if row is not None:
                note(f"uptake year {year} (%)", row.percent, None)
                session.delete(row)
            continue
        if row is None:
            note(f"uptake year {year} (%)", None, field.data)
            session.add(UptakeYear(appraisal_id=appraisal.id, year=year, percent=field.data, source=source))
        else:
            note(f"uptake year {year} (%)", row.percent, field.data)
            note(f"uptake year {year} source", row.source, source)
            row.percent, row.source = field.data, source
            session.add(row)

    # funnel steps: kept as entered even when the NICE figure is in use (switching back loses nothing)
    stored_steps = editing_queries.funnel_steps(session=session, appraisal_id=appraisal.id)
    if form.eligible_method.data == "funnel" or stored_steps:
        new_steps = [
            ((e.form.name.data or "").strip(), e.form.value.data, (e.form.source.data or "").strip())
            for e in form.funnel_steps.entries
            if form.eligible_method.data == "funnel" or ((e.form.name.data or "").strip() and e.form.value.data is not None)
        ]
        old_steps = [(s.name, s.value, s.source) for s in stored_steps]
        if [tuple(map(as_text, s)) for s in new_steps] != [tuple(map(as_text, s)) for s in old_steps]:
            note("funnel", "; ".join(f"{n} {format_number(v)} ({s})" for n, v, s in old_steps),
                 "; ".join(f"{n} {format_number(v)} ({s})" for n, v, s in new_steps))
            for row in stored_steps:
                session.delete(row)
            for position, (name, value, step_source) in enumerate(new_steps):
                session.add(FunnelStep(appraisal_id=appraisal.id, position=position, name=name, value=value, source=step_source))

    # regimens brought in and displaced
    names = {str(r.id): r.name for r in regimen_queries.all_regimens(session=session)}
    stored_links = {(str(link.regimen_id), link.role): link for link in editing_queries.regimen_links(session=session, appraisal_id=appraisal.id)}
    wanted = {}
    for entry in form.regimens.entries:
        wanted[(entry.form.regimen_id.data, entry.form.role.data)] = entry.form
    for key, link in stored_links.items():
        if key not in wanted:
            note(f"regimen {link.role}: {names.get(key[0], key[0])}", f"{format_number(link.share_pct)}%", "removed")
            session.delete(link)
    for key, link_form in wanted.items():
        regimen_id, role = key
        share, link_source = link_form.share_pct.data, (link_form.source.data or "").strip()
        link = stored_links.get(key)
        if link is None:
            note(f"regimen {role}: {names[regimen_id]}", "", f"{format_number(share)}%")
            session.add(AppraisalRegimen(appraisal_id=appraisal.id, regimen_id=int(regimen_id), role=role, share_pct=share, source=link_source))
        else:
            note(f"regimen {role}: {names[regimen_id]} share (%)", link.share_pct, share)
            note(f"regimen {role}: {names[regimen_id]} source", link.source, link_source)
            link.share_pct, link.source = share, link_source
            session.add(link)
    return changed


@bp.route("/appraisals/<int:appraisal_id>/assumptions", methods=["GET", "POST"])
def appraisal(appraisal_id: int):
    """Edit an appraisal's eligible population, uptake, regimens and milestones (leads and admins)."""
    session = get_session()
    row = get_or_404(session, Appraisal, appraisal_id)
    require(current_user.may_edit_anything)
    if request.method == "GET":
        form = _appraisal_form(row)
        return form_page("editing/appraisal.html", form, appraisal=row, running=_funnel_running(form),
                         preview=saved_preview(preview.appraisal_preview(session, current_user, appraisal=row, draft=_appraisal_draft(form))))

    form = _appraisal_form(row, request.form)
    action, target, index = list_action()
    if action in ("add", "remove") and target in ("funnel_steps", "regimens"):
        field_list = getattr(form, target)
        change_rows(field_list, action, index, MAX_FUNNEL_STEPS if target == "funnel_steps" else MAX_REGIMEN_LINKS,
                    minimum=1 if target == "funnel_steps" else 0)
        for entry in form.regimens.entries:
            entry.form.regimen_id.choices = form.regimen_choices
        context = dict(appraisal=row, running=_funnel_running(form), errors=[], preview=None, error_title=False)
        if is_htmx():
            response = make_response(render_template(f"editing/_{target}.html", form=form, **context))
            response.headers["Vary"] = "HX-Request"
            return response
        return make_response(render_template("editing/appraisal.html", form=form, **context))

    if not form.validate():
        return form_page("editing/appraisal.html", form, appraisal=row, running=_funnel_running(form), preview=None)
    if action == "preview":  # without JavaScript: show the impact, save nothing
        return form_page("editing/appraisal.html", form, appraisal=row, running=_funnel_running(form),
                         preview=preview.appraisal_preview(session, current_user, appraisal=row, draft=_appraisal_draft(form)))
    actor = current_actor()
    values = _appraisal_values(form)
    since = opened_at(form)
    try:
        changes = audit.apply_changes(session, actor, row, values, expected_version=posted_version(form))
        lists_changed = _save_appraisal_lists(session, actor, row, form)
        eligible_source = (form.eligible_source.data or "").strip()
        stored_sources = figure_sources(session=session, entity="appraisal", entity_id=row.id)
        old_source = stored_sources["national_eligible_per_year"].source if "national_eligible_per_year" in stored_sources else ""
        if eligible_source != old_source:
            audit.record(session, actor, row, "update", "source of eligible people a year", old_source, eligible_source)
            save_source(session, actor, entity="appraisal", entity_id=row.id, field="national_eligible_per_year", source=eligible_source)
            lists_changed = True
        if lists_changed and not changes:
            row.updated_at = utcnow()  # the appraisal's version goes up with any change to its assumptions
            session.add(row)
        session.commit()
    except (EditConflict, StaleDataError):
        session.rollback()
        current = session.get(Appraisal, appraisal_id)
        session.refresh(current)
        return conflict_page(
            what="appraisal", back_url=url_for("editing.appraisal", appraisal_id=appraisal_id), row_label=current.title,
            entity="appraisal", entity_ids=[appraisal_id], since=since, differences=differences_between(values, current),
        )
    flash("The appraisal's assumptions are saved." if (changes or lists_changed) else "Nothing had changed: nothing was saved.")
    return redirect(url_for("appraisals.show", appraisal_id=appraisal_id))


@bp.route("/appraisals/<int:appraisal_id>/assumptions/preview", methods=["POST"])
def appraisal_preview(appraisal_id: int):
    """The impact at each trust of the unsaved assumptions (htmx, as the user types)."""
    session = get_session()
    row = get_or_404(session, Appraisal, appraisal_id)
    require(current_user.may_edit_anything)
    form = _appraisal_form(row, request.form)
    if not form.validate():
        result = preview.problem("Impact at each trust", _first_problem(form))
    else:
        result = preview.appraisal_preview(session, current_user, appraisal=row, draft=_appraisal_draft(form))
    response = make_response(render_template("editing/_appraisal_preview.html", preview=result, running=_funnel_running(form)))
    response.headers["Vary"] = "HX-Request"
    return response


def _first_problem(form) -> str:
    errors = error_list(form)
    return f"The preview will update when the form is complete: {errors[0][1]}" if errors else "The preview will update when the form is complete."


# --- a trust's own figures ---------------------------------------------------------------------------


@bp.route("/trusts/<ods_code>/local")
def trust_local(ods_code: str):
    """A trust's own figures: its patients a year for each appraisal and its local regimen timings."""
    session = get_session()
    trust = get_trust_or_404(ods_code)
    return render_template(
        "editing/trust_local.html",
        trust=trust,
        appraisal_overrides=editing_queries.appraisal_overrides(session=session, trust_id=trust.id),
        regimen_overrides=editing_queries.regimen_overrides(session=session, trust_id=trust.id),
        appraisals=editing_queries.appraisals_with_regimens(session=session),
        regimens=regimen_queries.all_regimens(session=session),
        may_edit=current_user.may_edit_trust(trust.id),
    )


@bp.route("/trusts/<ods_code>/appraisals/<int:appraisal_id>/patients", methods=["GET", "POST"])
def appraisal_override(ods_code: str, appraisal_id: int):
    """Set the trust's own expected patients a year for an appraisal (its own trust only)."""
    session = get_session()
    trust = get_trust_or_404(ods_code)
    appraisal_row = get_or_404(session, Appraisal, appraisal_id)
    require(current_user.may_edit_trust(trust.id))
    override = editing_queries.appraisal_override(session=session, trust_id=trust.id, appraisal_id=appraisal_id)
    default, default_rule = preview.alliance_patients(session, trust=trust, appraisal=appraisal_row)
    context = dict(
        trust=trust, appraisal=appraisal_row, override=override, default=default, default_rule=default_rule,
        history=editing_queries.trust_history_for(session=session, trust_id=trust.id, field_prefix=_patients_field(appraisal_row)),
    )
    if request.method == "GET":
        form = AppraisalOverrideForm(formdata=None, obj=override)
        stamp_opened(form, override or TrustAppraisalOverride(trust_id=trust.id, appraisal_id=appraisal_id, patients_per_year=0, version=0))
        if override is None:
            form.version.data = "0"
        return form_page("editing/appraisal_override.html", form, **context,
                         preview=saved_preview(preview.appraisal_override_preview(
                             session, current_user, trust=trust, appraisal=appraisal_row,
                             patients_per_year=override.patients_per_year if override else None)))
    form = AppraisalOverrideForm()
    if not form.validate():
        return form_page("editing/appraisal_override.html", form, **context, preview=None)
    version = posted_version(form)
    actor = current_actor()
    values = {"patients_per_year": form.patients_per_year.data, "note": form.note.data.strip()}
    since = opened_at(form)
    try:
        if override is None:
            if version != 0:
                raise EditConflict(TrustAppraisalOverride(trust_id=trust.id, appraisal_id=appraisal_id, patients_per_year=0, version=0), version)
            override = TrustAppraisalOverride(trust_id=trust.id, appraisal_id=appraisal_id, entered_by_id=actor.user_id, **values)
            session.add(override)
            audit.record(session, actor, trust, "update", _patients_field(appraisal_row), None, values["patients_per_year"])
            audit.record(session, actor, trust, "update", f"{_patients_field(appraisal_row)} source", None, values["note"])
        else:
            changes = audit.apply_changes(session, actor, override, values, expected_version=version)
            for name, (old, new) in changes.items():
                suffix = "" if name == "patients_per_year" else " source"
                audit.record(session, actor, trust, "update", f"{_patients_field(appraisal_row)}{suffix}", old, new)
            override.entered_by_id, override.entered_at = actor.user_id, utcnow()
        session.commit()
    except (EditConflict, StaleDataError):
        session.rollback()
        current = editing_queries.appraisal_override(session=session, trust_id=trust.id, appraisal_id=appraisal_id)
        return conflict_page(
            what="trust's patients a year", back_url=url_for("editing.appraisal_override", ods_code=trust.ods_code, appraisal_id=appraisal_id),
            row_label=f"{trust.name}: {appraisal_row.title}", entity="trust", entity_ids=[trust.id], since=since,
            differences=differences_between(values, current) if current else [Difference("Patients a year", as_text(values["patients_per_year"]), "not set (removed)")],
        )
    flash(f"Your trust's patients a year for {appraisal_row.ta_number or appraisal_row.title} are saved.")
    return redirect(url_for("editing.trust_local", ods_code=trust.ods_code))


@bp.route("/appraisals/<int:appraisal_id>/my-trust")
def own_appraisal_override(appraisal_id: int):
    """A pharmacist's way from an appraisal to their own trust's patients a year for it."""
    trust = user_trust()
    if trust is None:
        abort(404)
    return redirect(url_for("editing.appraisal_override", ods_code=trust.ods_code, appraisal_id=appraisal_id))


def _patients_field(appraisal_row: Appraisal) -> str:
    return f"patients a year for {appraisal_row.ta_number or appraisal_row.gid or appraisal_row.title}"


@bp.route("/trusts/<ods_code>/appraisals/<int:appraisal_id>/patients/preview", methods=["POST"])
def appraisal_override_preview(ods_code: str, appraisal_id: int):
    """The trust's impact of an appraisal with the unsaved patients a year (htmx)."""
    session = get_session()
    trust = get_trust_or_404(ods_code)
    appraisal_row = get_or_404(session, Appraisal, appraisal_id)
    require(current_user.may_edit_trust(trust.id))
    form = AppraisalOverrideForm()
    form.validate()
    if form.patients_per_year.errors:
        return preview_response(preview.problem(f"Impact at {trust.name}", _first_problem(form)))
    return preview_response(preview.appraisal_override_preview(session, current_user, trust=trust, appraisal=appraisal_row,
                                                               patients_per_year=form.patients_per_year.data))


@bp.route("/trusts/<ods_code>/appraisals/<int:appraisal_id>/patients/remove", methods=["POST"])
def appraisal_override_remove(ods_code: str, appraisal_id: int):
    """Go back to the alliance's share for this appraisal (removes the trust's figure, on the record)."""
    session = get_session()
    trust = get_trust_or_404(ods_code)
    appraisal_row = get_or_404(session, Appraisal, appraisal_id)
    require(current_user.may_edit_trust(trust.id))
    override = editing_queries.appraisal_override(session=session, trust_id=trust.id, appraisal_id=appraisal_id)
    if override is not None:
        audit.record(session, current_actor(), trust, "update", _patients_field(appraisal_row), override.patients_per_year, None)
        session.delete(override)
        session.commit()
        flash("Your trust's figure is removed: the alliance's share applies again.")
    return redirect(url_for("editing.trust_local", ods_code=trust.ods_code))


# --- a trust's local timings for a regimen -----------------------------------------------------------


def regimen_defaults(session, regimen: Regimen) -> dict[str, float | int | None]:
    """The alliance figures a trust's local timings replace: chair minutes per attendance (as the model
    takes them: the mean over the cycle's attendances), verification and clinic pattern."""
    rows = regimen_queries.components(session=session, regimen_id=regimen.id)
    attendance_days = [d for d in regimen.attendance_days.replace(" ", "").split(",") if d] or ["1"]
    per_attendance = 1 / len(attendance_days)

    def administrations(component) -> int:
        return max(len([d for d in component.days.replace(" ", "").split(",") if d]), 1)

    first = sum(r.component.chair_minutes_first_cycle * administrations(r.component) for r in rows) * per_attendance
    later = sum(r.component.chair_minutes_later_cycles * administrations(r.component) for r in rows) * per_attendance
    return {
        "chair_minutes_first_cycle": 0.0 if regimen.is_oral else round(first, 1),
        "chair_minutes_later_cycles": 0.0 if regimen.is_oral else round(later, 1),
        "verification_minutes_per_cycle": regimen.verification_minutes_per_cycle,
        "clinic_minutes": regimen.clinic_minutes,
        "clinic_every_n_cycles": regimen.clinic_every_n_cycles,
    }


def _timing_from_form(form: RegimenOverrideForm) -> preview.RegimenTiming:
    return preview.RegimenTiming(**{name: getattr(form, name).data for name in RegimenOverrideForm.FIGURES})


def _regimen_preview(session, trust: Trust, regimen: Regimen, timing: preview.RegimenTiming | None, patients: float,
                     trust_label: str = "Your figures"):
    rows = regimen_queries.components(session=session, regimen_id=regimen.id)
    values = {name: getattr(regimen, name) for name in (
        "name", "cycle_length_days", "attendance_days", "is_oral", "max_cycles", "median_time_on_treatment_days",
        "max_years", "verification_minutes_per_cycle", "clinic_type", "clinic_minutes", "clinic_every_n_cycles",
        "delivery_hrg_first", "delivery_hrg_subsequent",
    )}
    components = [
        preview.DraftComponent(
            drug_name=r.drug.name, dose=r.component.dose, dose_basis=r.component.dose_basis.value if hasattr(r.component.dose_basis, "value") else r.component.dose_basis,
            dose_cap_mg=r.component.dose_cap_mg, route=r.component.route, days=r.component.days,
            chair_minutes_first_cycle=r.component.chair_minutes_first_cycle, chair_minutes_later_cycles=r.component.chair_minutes_later_cycles,
            aseptic_items=r.component.aseptic_items, aseptic_minutes_per_item=r.component.aseptic_minutes_per_item,
        )
        for r in rows
    ]
    return preview.regimen_preview(session, current_user, trust=trust, regimen_values=values, components=components,
                                   regimen_id=regimen.id, timing=timing, compare_timing=True, trust_label=trust_label,
                                   patients_per_year=patients)


def preview_patients() -> float:
    """The patients a year the regimen previews assume for a regimen not yet in an appraisal (1–10,000)."""
    try:
        value = float(request.form.get("preview_patients", preview.PREVIEW_PATIENTS_DEFAULT))
    except ValueError:
        return preview.PREVIEW_PATIENTS_DEFAULT
    return value if 0 < value <= 10_000 else preview.PREVIEW_PATIENTS_DEFAULT


REGIMEN_OVERRIDE_LABELS = {
    "chair_minutes_first_cycle": "chair minutes, first cycle",
    "chair_minutes_later_cycles": "chair minutes, later cycles",
    "verification_minutes_per_cycle": "verification minutes a cycle",
    "clinic_minutes": "clinic minutes",
    "clinic_every_n_cycles": "clinic every n cycles",
    "note": "source",
}


def _local_field(regimen: Regimen, name: str) -> str:
    return f"local {regimen.name}: {REGIMEN_OVERRIDE_LABELS[name]}"


@bp.route("/trusts/<ods_code>/regimens/<int:regimen_id>/local", methods=["GET", "POST"])
def regimen_override(ods_code: str, regimen_id: int):
    """Set the trust's local chair minutes, verification and clinic pattern for a regimen."""
    session = get_session()
    trust = get_trust_or_404(ods_code)
    regimen = get_or_404(session, Regimen, regimen_id)
    require(current_user.may_edit_trust(trust.id))
    override = editing_queries.regimen_override(session=session, trust_id=trust.id, regimen_id=regimen_id)
    context = dict(
        trust=trust, regimen=regimen, override=override, defaults=regimen_defaults(session, regimen),
        history=editing_queries.trust_history_for(session=session, trust_id=trust.id, field_prefix=f"local {regimen.name}:"),
        preview_patients=preview.PREVIEW_PATIENTS_DEFAULT,
    )
    if request.method == "GET":
        form = RegimenOverrideForm(formdata=None, obj=override)
        stamp_opened(form, override or regimen)
        form.version.data = str(override.version) if override else "0"
        timing = _timing_from_form(form) if override else None
        return form_page("editing/regimen_override.html", form, **context,
                         preview=saved_preview(_regimen_preview(session, trust, regimen, timing, preview.PREVIEW_PATIENTS_DEFAULT,
                                                                trust_label="Your saved figures" if override else "Your figures")))
    form = RegimenOverrideForm()
    context["preview_patients"] = preview_patients()
    if not form.validate():
        return form_page("editing/regimen_override.html", form, **context, preview=None)
    version = posted_version(form)
    actor = current_actor()
    values = {name: getattr(form, name).data for name in RegimenOverrideForm.FIGURES} | {"note": form.note.data.strip()}
    since = opened_at(form)
    try:
        if override is None:
            if version != 0:
                raise EditConflict(regimen, version)
            override = TrustRegimenOverride(trust_id=trust.id, regimen_id=regimen.id, entered_by_id=actor.user_id, **values)
            session.add(override)
            for name, value in values.items():
                if value not in (None, ""):
                    audit.record(session, actor, trust, "update", _local_field(regimen, name), None, value)
        else:
            changes = audit.apply_changes(session, actor, override, values, expected_version=version)
            for name, (old, new) in changes.items():
                audit.record(session, actor, trust, "update", _local_field(regimen, name), old, new)
            override.entered_by_id, override.entered_at = actor.user_id, utcnow()
        session.commit()
    except (EditConflict, StaleDataError):
        session.rollback()
        current = editing_queries.regimen_override(session=session, trust_id=trust.id, regimen_id=regimen_id)
        return conflict_page(
            what="trust's local timings", back_url=url_for("editing.regimen_override", ods_code=trust.ods_code, regimen_id=regimen_id),
            row_label=f"{trust.name}: {regimen.name}", entity="trust", entity_ids=[trust.id], since=since,
            differences=differences_between(values, current) if current else [],
        )
    flash(f"Your trust's local figures for {regimen.name} are saved.")
    return redirect(url_for("editing.regimen_override", ods_code=trust.ods_code, regimen_id=regimen_id))


@bp.route("/trusts/<ods_code>/regimens/<int:regimen_id>/local/preview", methods=["POST"])
def regimen_override_preview(ods_code: str, regimen_id: int):
    """The regimen at the trust with the unsaved local figures beside the alliance's (htmx)."""
    session = get_session()
    trust = get_trust_or_404(ods_code)
    regimen = get_or_404(session, Regimen, regimen_id)
    require(current_user.may_edit_trust(trust.id))
    form = RegimenOverrideForm()
    form.validate()
    if any(getattr(form, name).errors for name in RegimenOverrideForm.FIGURES if "Enter at least one" not in " ".join(getattr(form, name).errors)):
        return preview_response(preview.problem(f"Impact at {trust.name}", _first_problem(form)))
    return preview_response(_regimen_preview(session, trust, regimen, _timing_from_form(form), preview_patients()))


@bp.route("/trusts/<ods_code>/regimens/<int:regimen_id>/local/remove", methods=["POST"])
def regimen_override_remove(ods_code: str, regimen_id: int):
    """Go back to the alliance's figures for this regimen (on the record)."""
    session = get_session()
    trust = get_trust_or_404(ods_code)
    regimen = get_or_404(session, Regimen, regimen_id)
    require(current_user.may_edit_trust(trust.id))
    override = editing_queries.regimen_override(session=session, trust_id=trust.id, regimen_id=regimen_id)
    if override is not None:
        actor = current_actor()
        for name in (*RegimenOverrideForm.FIGURES, "note"):
            value = getattr(override, name)
            if value not in (None, ""):
                audit.record(session, actor, trust, "update", _local_field(regimen, name), value, None)
        session.delete(override)
        session.commit()
        flash(f"Your trust's local figures for {regimen.name} are removed: the alliance's figures apply again.")
    return redirect(url_for("editing.trust_local", ods_code=trust.ods_code))


# --- a trust's capacity ------------------------------------------------------------------------------

# The core's planning defaults (appraisal_impact/core/capacity.py), never retyped.
PLANNING_DEFAULTS = {
    "chair_hours_per_day": f"{DEFAULT_HOURS_PER_DAY:g} hours a day",
    "days_per_week": f"{DEFAULT_DAYS_PER_WEEK:g} days a week",
    "target_utilisation": f"{DEFAULT_TARGET_UTILISATION * 100:g}%",
}


def _capacity_values(form: CapacityForm) -> dict[str, Any]:
    values = {name: getattr(form, name).data for name in CapacityForm.FIGURES}
    if values["target_utilisation"] is not None:
        values["target_utilisation"] = round(values["target_utilisation"] / 100, 6)  # stored as a fraction
    return values


@bp.route("/trusts/<ods_code>/capacity", methods=["GET", "POST"])
def capacity(ods_code: str):
    """Edit a trust's capacity figures (its own trust for a pharmacist), each change with its source."""
    session = get_session()
    trust = get_trust_or_404(ods_code)
    require(current_user.may_edit_trust(trust.id))
    sources = figure_sources(session=session, entity="trust", entity_id=trust.id)
    context = dict(trust=trust, sources=sources, defaults=PLANNING_DEFAULTS)
    if request.method == "GET":
        data = {name: getattr(trust, name) for name in CapacityForm.FIGURES}
        if data["target_utilisation"] is not None:
            data["target_utilisation"] = round(data["target_utilisation"] * 100, 4)
        form = CapacityForm(formdata=None, data=data)
        stamp_opened(form, trust)
        return form_page("editing/capacity.html", form, **context,
                         preview=saved_preview(preview.capacity_preview(session, current_user, trust=trust, figures=data)))
    form = CapacityForm()
    valid = form.validate()
    values = _capacity_values(form) if valid else {}
    if valid:
        changed = [name for name, value in values.items() if as_text(value) != as_text(getattr(trust, name))]
        if changed and not (form.source.data or "").strip():
            form.source.errors.append("Enter where the changed figures come from, like 'day unit rota, April 2026'")
            valid = False
    if not valid:
        return form_page("editing/capacity.html", form, **context, preview=None)
    actor = current_actor()
    since = opened_at(form)
    try:
        changes = audit.apply_changes(session, actor, trust, values, expected_version=posted_version(form))
        for name in changes:
            save_source(session, actor, entity="trust", entity_id=trust.id, field=name, source=form.source.data.strip())
        session.commit()
    except (EditConflict, StaleDataError):
        session.rollback()
        current = get_trust_or_404(ods_code)
        session.refresh(current)
        return conflict_page(
            what="trust's capacity", back_url=url_for("editing.capacity", ods_code=trust.ods_code), row_label=current.name,
            entity="trust", entity_ids=[trust.id], since=since, differences=differences_between(values, current),
        )
    flash("The capacity figures are saved." if changes else "Nothing had changed: nothing was saved.")
    return redirect(url_for("trusts.show", ods_code=trust.ods_code))


@bp.route("/trusts/<ods_code>/capacity/preview", methods=["POST"])
def capacity_preview(ods_code: str):
    """The pipeline against the unsaved capacity figures (htmx)."""
    session = get_session()
    trust = get_trust_or_404(ods_code)
    require(current_user.may_edit_trust(trust.id))
    form = CapacityForm()
    if not form.validate():
        return preview_response(preview.problem(f"Capacity at {trust.name}", _first_problem(form)))
    figures = {name: getattr(form, name).data for name in CapacityForm.FIGURES}
    return preview_response(preview.capacity_preview(session, current_user, trust=trust, figures=figures))
