"""Live preview: a trust's impact computed from values that are not saved yet.

The editing pages post their unsaved form here (htmx, debounced). Stored rows come through
`impact_service.model_inputs` and draft regimens through `impact_service.RegimenCosting` (the same
wiring, approximations and price visibility as every other page); the draft values replace the stored
ones in the core's inputs before the model runs, and the figures layer (`appraisal_impact.figures`)
turns that run into the same named figures every page shows. Nothing is written: draft regimens and
components are transient rows that never join the session.

Figures shown (per row, as the figures layer defines them): new patients starting in year 1 from the
effective start [patients]; then, once fully running: patients on treatment, net chair hours a week,
chairs, aseptic staff hours a week, clinic appointments a week; and the net cost in year 1 [£].
Capacity: the figures layer's one capacity function, at its stated date.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from types import SimpleNamespace

from sqlmodel import Session, select

from . import impact_service as service
from . import models as m
from .core import impact as core
from .figures import (
    Figure,
    Kind,
    PipelineFigures,
    ResourceCapacity,
    build_figures,
    capacity_figures,
    figures_of_loaded,
    growth_percent_of,
    trust_capacity,
)
from .planning import deadlines_for

PREVIEW_PATIENTS_DEFAULT = 10.0
DRAFT_KEY = "draft"


@dataclass(frozen=True)
class ImpactFigures:
    """One line of the preview table: figures chosen from the figures layer (units in the module docstring)."""

    label: str
    new_patients_year1: Figure
    patients_on_treatment: Figure
    chair_hours_per_week: Figure
    chairs: Figure
    aseptic_hours_per_week: Figure
    clinic_appointments_per_week: Figure
    cost_year1: Figure
    emphasis: bool = False
    group: str = ""  # lines compared side by side (alliance figures, your figures) share a group

    @classmethod
    def chosen(cls, figures, label: str, *, emphasis: bool = False, group: str = "") -> ImpactFigures:
        """The preview's figures from a set of the figures layer (one appraisal at a trust, or a total)."""
        return cls(
            label=label,
            new_patients_year1=figures.year1.new_patients,
            patients_on_treatment=figures.steady_state.patients_on_treatment,
            chair_hours_per_week=figures.steady_state.chair_hours_per_week,
            chairs=figures.steady_state.chairs_needed,
            aseptic_hours_per_week=figures.steady_state.aseptic_hours_per_week,
            clinic_appointments_per_week=figures.steady_state.clinic_appointments_per_week,
            cost_year1=figures.year1.total_cost,
            emphasis=emphasis,
            group=group,
        )


@dataclass(frozen=True)
class Preview:
    heading: str
    rows: tuple[ImpactFigures, ...] = ()
    capacity: tuple[ResourceCapacity, ...] = ()
    notes: tuple[str, ...] = ()
    problem: str | None = None
    price_label: str = "list prices"
    saved: bool = False  # the figures saved now (a page just opened), not a form's unsaved values

    @property
    def groups(self) -> list[tuple[str, list[ImpactFigures]]]:
        """Lines by group, in order; one group of every line when nothing is compared."""
        if not any(row.group for row in self.rows):
            return [("", list(self.rows))]
        out: dict[str, list[ImpactFigures]] = {}
        for row in self.rows:
            out.setdefault(row.group, []).append(row)
        return list(out.items())


def problem(heading: str, message: str) -> Preview:
    """A preview that cannot be worked out yet (the form has a problem)."""
    return Preview(heading=heading, problem=message)


# --- drafts: unsaved values as transient rows ---------------------------------------------------------


@dataclass(frozen=True)
class DraftComponent:
    drug_name: str
    dose: float
    dose_basis: str
    dose_cap_mg: float | None
    route: str
    days: str
    chair_minutes_first_cycle: float
    chair_minutes_later_cycles: float
    aseptic_items: float
    aseptic_minutes_per_item: float


@dataclass(frozen=True)
class RegimenTiming:
    """A trust's local timings for a regimen (None keeps the alliance figure)."""

    chair_minutes_first_cycle: float | None = None
    chair_minutes_later_cycles: float | None = None
    verification_minutes_per_cycle: float | None = None
    clinic_minutes: float | None = None
    clinic_every_n_cycles: int | None = None

    @property
    def is_empty(self) -> bool:
        return all(value is None for value in vars(self).values())


def draft_regimen(values: dict, components: list[DraftComponent], drugs_by_name: dict[str, m.Drug]):
    """Transient Regimen and RegimenComponent rows (never added to a session) from form values."""
    regimen = m.Regimen(**values)
    rows = []
    for position, draft in enumerate(components, start=1):
        drug = drugs_by_name.get(draft.drug_name.strip().lower())
        rows.append(
            m.RegimenComponent(
                id=-position,  # the service keys components by id: distinct, and never a real one
                regimen_id=-1,
                position=position,
                drug_id=drug.id if drug else -position,
                dose=draft.dose,
                dose_basis=m.DoseBasis(draft.dose_basis),
                dose_cap_mg=draft.dose_cap_mg,
                route=draft.route,
                days=draft.days,
                chair_minutes_first_cycle=draft.chair_minutes_first_cycle,
                chair_minutes_later_cycles=draft.chair_minutes_later_cycles,
                aseptic_items=draft.aseptic_items,
                aseptic_minutes_per_item=draft.aseptic_minutes_per_item,
            )
        )
    return regimen, rows


# --- the model, fed with stored rows and drafts -------------------------------------------------------


class _Model:
    """Stored inputs for some appraisals, with what the viewer may see, and helpers to swap in drafts."""

    def __init__(self, session: Session, viewer, appraisal_ids: set[int], today: date | None = None):
        self.session = session
        self.prices = service.PriceView.for_user(viewer)
        self.today = today or _today()
        self.loaded = service.model_inputs(session, prices=self.prices, appraisal_ids=appraisal_ids, today=self.today)
        self.costing = service.RegimenCosting(session, self.prices)
        self.drugs = self.costing.drugs
        # the pages' grid (the whole pipeline's): "once fully running" is its last year, so a preview on
        # the same grid shows the same figures as the pages for the same values
        self.pipeline_grid = service.pipeline_impact(session, prices=self.prices, today=self.today)[1].week_starts[0].date()

    def grid_for(self, *starts) -> date:
        """The pipeline's grid, moved earlier if a draft starts before it (as the pages would move it)."""
        return service.grid_start(self.today, [self.pipeline_grid, *starts])

    def core_regimen(self, regimen: m.Regimen, components: list[m.RegimenComponent], trust_id: int | None,
                     name: str | None = None) -> tuple[core.Regimen, bool]:
        """The core's regimen, its drugs costed at the prices the viewer may see for `trust_id`."""
        return self.costing.build(regimen, components, trust_id, name)

    def stored_regimen(self, regimen_id: int, trust_id: int | None) -> core.Regimen:
        regimen = self.session.get(m.Regimen, regimen_id)
        components = list(
            self.session.exec(
                select(m.RegimenComponent).where(m.RegimenComponent.regimen_id == regimen_id).order_by(m.RegimenComponent.position)
            )
        )
        return self.core_regimen(regimen, components, trust_id)[0]

    def trust(self, code: str) -> core.Trust:
        return next(t for t in self.loaded.inputs.trusts if t.code == code)

    def run(self, appraisals, trusts, *, local_patients=None, regimen_overrides=(), grid_start=None) -> core.ImpactResult:
        grid_start = grid_start or self.pipeline_grid
        inputs = replace(
            self.loaded.inputs,
            # five whole years from every start on this run's own grid, as the pages' run holds them
            n_weeks=service.horizon_weeks(grid_start, [a.effective_start for a in appraisals]),
            appraisals=tuple(appraisals),
            trusts=tuple(trusts),
            local_patients={**self.loaded.inputs.local_patients, **(local_patients or {})},
            regimen_overrides=tuple(regimen_overrides),
            grid_start=grid_start,
        )
        return core.run_model(inputs, core.Scenario.CENTRAL)

    def figures(self, result: core.ImpactResult, unpriced: tuple[str, ...] = ()) -> PipelineFigures:
        """The figures layer's sets for a run of drafts (the same definitions every page uses)."""
        return build_figures(result, today=self.today, unpriced_regimens=unpriced, price_label=self.prices.label())


def _with_known_start(appraisal: core.Appraisal, start: date) -> tuple[core.Appraisal, bool]:
    if appraisal.effective_start is not None:
        return appraisal, False
    return replace(appraisal, effective_start=start), True


def _swap_regimen(appraisal: core.Appraisal, old_name: str, new: core.Regimen) -> core.Appraisal:
    def swap(uses):
        return tuple(core.RegimenUse(new, use.share) if use.regimen.name == old_name else use for use in uses)

    return replace(appraisal, brings_in=swap(appraisal.brings_in), displaces=swap(appraisal.displaces))


def _timing_override(trust_code: str, regimen_name: str, timing: RegimenTiming | None) -> core.RegimenOverride | None:
    if timing is None or timing.is_empty:
        return None
    return core.RegimenOverride(
        trust_code=trust_code,
        regimen_name=regimen_name,
        chair_minutes_first_cycle=timing.chair_minutes_first_cycle,
        chair_minutes_later_cycles=timing.chair_minutes_later_cycles,
        verification_minutes_per_cycle=timing.verification_minutes_per_cycle,
        clinic_minutes_per_appointment=timing.clinic_minutes,
        clinic_appointments_per_cycle=(1 / timing.clinic_every_n_cycles) if timing.clinic_every_n_cycles else None,
    )


def _price_note(model: _Model, complete: bool, regimen_name: str) -> list[str]:
    notes = [f"Drug costs use {model.prices.label()}."]
    if not complete:
        notes.append(f"A drug in {regimen_name} has no price you may see, so its cost is not yet known.")
    return notes


# --- the previews -------------------------------------------------------------------------------------


def regimen_preview(
    session: Session,
    viewer,
    *,
    trust: m.Trust,
    regimen_values: dict,
    components: list[DraftComponent],
    regimen_id: int | None,
    timing: RegimenTiming | None = None,
    compare_timing: bool = False,
    trust_label: str = "Your figures",
    patients_per_year: float = PREVIEW_PATIENTS_DEFAULT,
    today: date | None = None,
) -> Preview:
    """A (draft) regimen at one trust: for each appraisal using it, and for `patients_per_year` new patients.

    `timing` is the trust's local timings (draft or stored); with `compare_timing`, each line is shown
    with the alliance figures and then with the trust's own, headed `trust_label`.
    """
    links = []
    stored_name = None
    if regimen_id is not None:
        stored = session.get(m.Regimen, regimen_id)
        stored_name = stored.name if stored else None
        links = list(session.exec(select(m.AppraisalRegimen).where(m.AppraisalRegimen.regimen_id == regimen_id)))
    model = _Model(session, viewer, {link.appraisal_id for link in links}, today)
    drugs_by_name = {d.name.lower(): d for d in model.drugs.values()}
    regimen_row, component_rows = draft_regimen(regimen_values, components, drugs_by_name)
    name = stored_name or (regimen_values.get("name") or "New regimen")
    try:
        draft, complete = model.core_regimen(regimen_row, component_rows, trust.id, name=name)
        draft.schedule.expected_cycles  # noqa: B018 - a schedule the core cannot run raises here
    except (ValueError, ZeroDivisionError) as error:
        return problem(f"Impact at {trust.name}", f"The preview will show when the schedule is complete ({error}).")

    core_trust = model.trust(trust.ods_code)
    grid = model.pipeline_grid
    appraisals, labels, notes = [], [], []
    alliance_name = f"{name} (alliance figures)"
    alliance_draft = replace(draft, name=alliance_name)
    for appraisal in model.loaded.inputs.appraisals:
        row = model.loaded.appraisal_rows[int(appraisal.key)]
        appraisal, moved = _with_known_start(appraisal, grid)
        if moved:
            notes.append(f"{row.ta_number or row.gid or row.title}: start date not yet known, shown as if it started on {grid:%-d %B %Y}.")
        label = row.ta_number or row.gid or row.title
        if compare_timing:
            appraisals.append(replace(_swap_regimen(appraisal, stored_name or name, alliance_draft), key=f"{appraisal.key}:alliance"))
            labels.append((f"{appraisal.key}:alliance", "Alliance figures", False, label))
            labels.append((appraisal.key, trust_label, True, label))
        else:
            labels.append((appraisal.key, label, False, ""))
        appraisals.append(_swap_regimen(appraisal, stored_name or name, draft))

    hypothetical = core.Appraisal(
        key=DRAFT_KEY, name="preview", eligible_per_year=patients_per_year, uptake_percent_by_year=(100.0,),
        effective_start=grid, brings_in=(core.RegimenUse(draft, 1.0),),
    )
    local = {(DRAFT_KEY, trust.ods_code): patients_per_year}
    per_patients = f"{patients_per_year:g} new patients a year"
    if compare_timing:
        alliance_key = f"{DRAFT_KEY}:alliance"
        appraisals.append(replace(hypothetical, key=alliance_key, brings_in=(core.RegimenUse(alliance_draft, 1.0),)))
        local[(alliance_key, trust.ods_code)] = patients_per_year
        labels.append((alliance_key, "Alliance figures", False, per_patients))
        labels.append((DRAFT_KEY, trust_label, True, per_patients))
    else:
        labels.append((DRAFT_KEY, per_patients, False, ""))
    appraisals.append(hypothetical)

    overrides = [o for o in model.loaded.inputs.regimen_overrides if not (o.trust_code == trust.ods_code and o.regimen_name == (stored_name or name))]
    override = _timing_override(trust.ods_code, name, timing)
    if override is not None:
        overrides.append(override)
    result = model.run(appraisals, [core_trust], local_patients=local, regimen_overrides=overrides)
    unpriced = () if complete else (name, alliance_name)
    figures = model.figures(result, unpriced + tuple(model.loaded.unpriced_regimens))
    rows = tuple(ImpactFigures.chosen(figures.at(key, core_trust.code), label, emphasis=emphasis, group=group)
                 for key, label, emphasis, group in labels)
    return Preview(
        heading=f"Impact at {trust.name}",
        rows=rows,
        notes=tuple(notes + _price_note(model, complete, name)),
        price_label=model.prices.label(),
    )


@dataclass(frozen=True)
class AppraisalDraft:
    national_eligible_per_year: float | None
    funnel: tuple[tuple[str, float, str], ...] | None  # (name, value, source); first is the count
    eligible_growth_pct: float
    uptake: tuple[float, ...]
    links: tuple[tuple[int, str, float], ...]  # (regimen id, "brings in" | "displaces", share %)
    dates: dict


def appraisal_preview(session: Session, viewer, *, appraisal: m.Appraisal, draft: AppraisalDraft,
                      trust_codes: list[str] | None = None, today: date | None = None) -> Preview:
    """A (draft) appraisal at each trust, and the alliance in total."""
    model = _Model(session, viewer, {appraisal.id}, today)
    if draft.funnel:
        eligible: float | core.EligibleFunnel = core.EligibleFunnel(
            start_count=draft.funnel[0][1],
            steps=tuple(core.FunnelStep(name, value, source) for name, value, source in draft.funnel[1:]),
        )
    else:
        eligible = draft.national_eligible_per_year or 0.0
    milestones = {field: getattr(appraisal, field) for field in (
        "process", "recommendation", "is_cancer", "deadline_override", "deadline_override_reason",
    )} | draft.dates
    start = deadlines_for(SimpleNamespace(**milestones)).effective_start.date
    notes = []
    if start is None:
        start = model.today
        notes.append(f"Start date not yet known: shown as if it started on {start:%-d %B %Y}.")
    brings_in, displaces, unpriced = [], [], []
    for regimen_id, role, share in draft.links:
        if session.get(m.Regimen, regimen_id) is None:
            continue
        # a regimen given in phases runs as its phases, as on the saved pages
        uses, regimen_unpriced = model.costing.uses(session, regimen_id, share)
        unpriced += regimen_unpriced
        (brings_in if role == "brings in" else displaces).extend(uses)
    stored = next((a for a in model.loaded.inputs.appraisals), None)
    core_appraisal = core.Appraisal(
        key=DRAFT_KEY,
        name=appraisal.title,
        eligible_per_year=eligible,
        uptake_percent_by_year=draft.uptake or (0.0,),
        effective_start=start,
        brings_in=tuple(brings_in),
        displaces=tuple(displaces),
        tumour_site=appraisal.tumour_site or None,
        eligible_growth_percent_per_year=draft.eligible_growth_pct,
        eligible_data_year=appraisal.eligible_data_year,  # growth counts from the year the figure describes
    )
    local = {}
    if stored is not None:
        local = {(DRAFT_KEY, code): value for (key, code), value in model.loaded.inputs.local_patients.items() if key == stored.key}
    trusts = [t for t in model.loaded.inputs.trusts if trust_codes is None or t.code in trust_codes]
    result = model.run(
        [core_appraisal], trusts, local_patients=local, regimen_overrides=model.loaded.inputs.regimen_overrides,
        grid_start=model.grid_for(start),
    )
    figures = model.figures(result, tuple(unpriced)).appraisal(DRAFT_KEY)
    rows = [ImpactFigures.chosen(figures.by_trust[t.code], t.name) for t in trusts]
    if len(rows) > 1:
        rows.append(ImpactFigures.chosen(figures.alliance, "Alliance total", emphasis=True))
    notes.append(f"Drug costs use {model.prices.label()}.")
    if unpriced:
        notes.append(f"No price you may see for a drug in {', '.join(unpriced)}, so the cost is not yet known.")
    return Preview(heading="Impact at each trust", rows=tuple(rows), notes=tuple(notes), price_label=model.prices.label())


def appraisal_override_preview(session: Session, viewer, *, trust: m.Trust, appraisal: m.Appraisal,
                               patients_per_year: float | None, today: date | None = None) -> Preview:
    """One appraisal at one trust: with the alliance's share, and with the trust's own patients a year."""
    model = _Model(session, viewer, {appraisal.id}, today)
    if not model.loaded.inputs.appraisals:
        return problem(f"Impact at {trust.name}", "This appraisal is not in the model yet.")
    stored, moved = _with_known_start(model.loaded.inputs.appraisals[0], model.today)
    key = stored.key
    default_key = f"{key}:alliance"
    core_trust = model.trust(trust.ods_code)
    # The alliance line runs under another key, so no stored override of this trust reaches it.
    appraisals = [replace(stored, key=default_key)]
    labels = [(default_key, "Alliance share", False)]
    local = {}
    if patients_per_year is not None:
        local[(key, trust.ods_code)] = patients_per_year
        appraisals.append(stored)
        labels.append((key, "Your figure", True))
    result = model.run(appraisals, [core_trust], local_patients=local, regimen_overrides=model.loaded.inputs.regimen_overrides,
                       grid_start=model.grid_for(stored.effective_start))
    group = appraisal.ta_number or appraisal.gid or "This appraisal"
    figures = model.figures(result, model.loaded.unpriced_regimens)
    rows = tuple(ImpactFigures.chosen(figures.at(k, core_trust.code), label, emphasis=emph, group=group)
                 for k, label, emph in labels)
    notes = [f"Drug costs use {model.prices.label()}."]
    if moved:
        notes.insert(0, "Start date not yet known: shown as if it started today.")
    return Preview(heading=f"Impact at {trust.name}", rows=rows, notes=tuple(notes), price_label=model.prices.label())


def alliance_patients(session: Session, *, trust: m.Trust, appraisal: m.Appraisal) -> tuple[float | None, str]:
    """The trust's eligible patients a year in year 1 without its own figure, and the rule that shared them."""
    loaded = service.model_inputs(session, appraisal_ids={appraisal.id})
    if not loaded.inputs.appraisals:
        return None, ""
    stored = loaded.inputs.appraisals[0]
    core_trust = next(t for t in loaded.inputs.trusts if t.code == trust.ods_code)
    local = {k: v for k, v in loaded.inputs.local_patients.items() if k[1] != trust.ods_code}
    result = core.run_model(replace(loaded.inputs, appraisals=(stored,), trusts=(core_trust,), local_patients=local,
                                    regimen_overrides=(), n_weeks=1))
    return float(result.shares[0, 0] * stored.national_eligible_per_year), result.share_sources[0][0]


def capacity_preview(session: Session, viewer, *, trust: m.Trust, figures: dict, today: date | None = None) -> Preview:
    """The whole pipeline at a trust against its (draft) capacity: the figures layer's one capacity
    function, at its stated date, with the draft capacity and demand today."""
    prices = service.PriceView.for_user(viewer)
    today = today or _today()
    loaded, result = service.pipeline_impact(session, prices=prices, today=today)
    utilisation = figures.get("target_utilisation")
    capacity = trust_capacity(
        chairs=figures.get("chairs"),
        chair_hours_per_day=figures.get("chair_hours_per_day"),
        days_per_week=figures.get("days_per_week"),
        target_utilisation=utilisation / 100 if utilisation else None,
        aseptic_hours_per_week=figures.get("aseptic_hours_per_week"),
        clinic_slots_per_week=figures.get("clinic_slots_per_week"),
    )
    growth = growth_percent_of({row.key: row for row in session.exec(select(m.ReferenceValue))})
    weekly = result.trust_weekly(trust.ods_code)
    lines = capacity_figures(
        capacity,
        baseline_chair_hours_per_week=figures.get("baseline_chair_hours_per_week"),
        baseline_aseptic_hours_per_week=figures.get("baseline_aseptic_hours_per_week"),
        baseline_clinic_appointments_per_week=figures.get("baseline_clinic_appointments_per_week"),
        pipeline_weekly={name: weekly[name].to_numpy() for name in ("chair_hours", "aseptic_hours", "clinic_appointments")},
        grid_start=result.week_starts[0].date(),
        today=today,
        growth_percent=growth,
    )
    stored = figures_of_loaded(loaded, result, today=today, growth_percent=growth, price_label=prices.label())
    chair_hours = stored.trusts[trust.ods_code].pipeline.steady_state.chair_hours_per_week
    chairs_needed = (
        Figure.of(chair_hours.value / capacity.bookable_hours_per_chair_week, "chairs", Kind.CHAIRS)
        if chair_hours.value is not None else Figure.unknown(chair_hours.reason, "chairs", Kind.CHAIRS)
    )
    at = lines[0].at
    notes = (
        f"Once fully running the pipeline needs {chairs_needed.text()} chairs at these opening hours and utilisation.",
        f"Demand without the pipeline is today's, grown to {at.day} {at:%B %Y} at {growth:g}% a year; "
        "the pipeline's demand is that week's.",
    )
    return Preview(heading=f"Capacity at {trust.name}", capacity=lines, notes=notes, price_label=prices.label())


def _today() -> date:
    """The app's date (its TODAY setting where a test or demonstration fixes one), else the real date."""
    from flask import current_app, has_app_context

    if has_app_context() and current_app.config.get("TODAY"):
        return current_app.config["TODAY"]
    return date.today()
