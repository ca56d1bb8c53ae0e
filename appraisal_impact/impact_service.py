"""From stored rows to the impact model and back: the one place the web app runs the core.

`model_inputs(session, prices=...)` turns the database into `core.impact.ModelInputs`;
`pipeline_impact(session, ...)` runs it (cached until the data change) and returns an
`ImpactResult` whose appraisal keys are the appraisals' ids as strings and trust codes ODS codes.

Prices: `PriceView.list_only()` (shared pages, exports, API, anyone not allowed) or
`PriceView.for_user(user)`: confidential (PAS) prices replace list prices only where that user
may see them — alliance-wide ones in the regimen's cost, a trust's own only for that trust.

Approximations (named, so a reader can check them):
- the core takes one chair time per attendance; a regimen whose components are given on different
  days (EV D1+D8 with pembrolizumab D1) gets the mean chair minutes per attendance of its cycle;
  aseptic items likewise;
- oral drugs are costed pro rata per mg dispensed (as NICE templates do), injectables with the
  cheapest combination of whole vials;
- a drug with no price the viewer may see (e.g. enfortumab vedotin, list price not published)
  costs £0 and `unpriced_regimens` names the regimens the pipeline uses that contain one, so pages
  can say so.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from . import input_checks
from . import models as m
from .input_checks import LeftOut
from .core import impact as core
from .core.capacity import TrustCapacity
from .core.drug_cost import Dose, DoseBasis, Pack, PatientSize, Wastage, administration_cost
from .core.phases import TreatmentPhase, phased_regimens
from .core.schedule import RegimenSchedule
from .planning import deadlines_for

# A tumour-site share is the trust's share of the alliance's patients with that cancer (the seed
# files' and the editing page's meaning); the core turns it into a fraction of England's patients
# with the alliance's population (core.impact.ModelInputs.alliance_site_shares).
TUMOUR_SITE_SHARE_NOTE = "share of the alliance's patients with this cancer treated at the trust"
DELIVERY_HRGS = ("SB12Z", "SB13Z", "SB14Z", "SB15Z")


@dataclass(frozen=True)
class PriceView:
    """Which confidential prices a computation may use: none, all alliance-wide, and which trusts' own."""

    alliance_confidential: bool = False
    trust_ids: frozenset[int] = frozenset()
    all_trusts: bool = False

    @classmethod
    def list_only(cls) -> PriceView:
        return cls()

    @classmethod
    def for_user(cls, user) -> PriceView:
        """What `user` (a SignedInUser) may see; anyone not allowed gets list prices."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.may_see_confidential(None):
            return cls()
        if user.may_edit_anything or user.role == m.Role.alliance:
            return cls(True, frozenset(), True)
        return cls(True, frozenset({user.trust_id}) if user.trust_id else frozenset(), False)

    @property
    def is_list_only(self) -> bool:
        return not self.alliance_confidential and not self.trust_ids and not self.all_trusts

    def key(self) -> tuple:
        return (self.alliance_confidential, tuple(sorted(self.trust_ids)), self.all_trusts)

    def label(self) -> str:
        return "list prices" if self.is_list_only else "confidential prices where you may see them, else list prices"


@dataclass(frozen=True)
class LoadedInputs:
    inputs: core.ModelInputs
    unpriced_regimens: tuple[str, ...]
    appraisal_rows: dict[int, m.Appraisal] = field(default_factory=dict)
    trust_rows: dict[str, m.Trust] = field(default_factory=dict)
    # appraisals the model could not run (a figure out of bounds, an error): why, and where to fix it
    left_out: dict[int, LeftOut] = field(default_factory=dict)
    # regimens whose drug cost could not be worked out: regimen id -> the error
    uncosted_regimens: dict[int, str] = field(default_factory=dict)
    # appraisal key (id as text) -> its own regimens with a drug the viewer has no price for
    unpriced_by_appraisal: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _reference(values: dict[str, m.ReferenceValue], key: str, default: float) -> float:
    row = values.get(key)
    return float(row.value) if row is not None else default


def _tariffs(session: Session, values: dict[str, m.ReferenceValue]) -> core.DeliveryTariffs:
    costs = {row.code: row.cost for row in session.exec(select(m.HrgCost))}
    defaults = core.DeliveryTariffs()
    return core.DeliveryTariffs(
        sb11z_oral_per_cycle=costs.get("SB11Z", defaults.sb11z_oral_per_cycle),
        sb12z_simple_first=costs.get("SB12Z", defaults.sb12z_simple_first),
        sb13z_complex_first=costs.get("SB13Z", defaults.sb13z_complex_first),
        sb14z_prolonged_first=costs.get("SB14Z", defaults.sb14z_prolonged_first),
        sb15z_subsequent=costs.get("SB15Z", defaults.sb15z_subsequent),
        clinic_per_appointment=_reference(values, "clinic_cost_per_appointment", defaults.clinic_per_appointment),
        source="Delivery HRG costs (National Cost Collection) and the clinic cost per appointment, as stored in the reference figures",
    )


def _days(text: str) -> tuple[int, ...]:
    return tuple(sorted({int(part) for part in str(text).replace(" ", "").split(",") if part}))


def _packs_by_drug(session: Session, prices: PriceView) -> tuple[dict[int, list[Pack]], dict[tuple[int, int], list[Pack]]]:
    """Packs each drug may be costed with: alliance-wide, and per trust where a trust's own price applies."""
    packs = list(session.exec(select(m.DrugPack)))
    confidential = list(session.exec(select(m.ConfidentialPrice))) if not prices.is_list_only else []
    alliance_price = {c.drug_pack_id: c.price for c in confidential if c.trust_id is None and prices.alliance_confidential}
    trust_price: dict[tuple[int, int], float] = {}
    for c in confidential:
        if c.trust_id is not None and (prices.all_trusts or c.trust_id in prices.trust_ids):
            trust_price[(c.trust_id, c.drug_pack_id)] = c.price
    by_drug: dict[int, list[Pack]] = {}
    for pack in packs:
        price = alliance_price.get(pack.id, pack.list_price)
        if price is not None:
            by_drug.setdefault(pack.drug_id, []).append(Pack(pack.pack_mg, float(price)))
    by_trust_drug: dict[tuple[int, int], list[Pack]] = {}
    for (trust_id, pack_id), price in trust_price.items():
        pack = next(p for p in packs if p.id == pack_id)
        others = [
            Pack(p.pack_mg, float(alliance_price.get(p.id, p.list_price)))
            for p in packs
            if p.drug_id == pack.drug_id and p.id != pack_id and alliance_price.get(p.id, p.list_price) is not None
        ]
        by_trust_drug.setdefault((trust_id, pack.drug_id), others).append(Pack(pack.pack_mg, float(price)))
    return by_drug, by_trust_drug


def _cycle_drug_cost(components, drugs: dict[int, m.Drug], packs_for, patient: PatientSize) -> tuple[float, bool]:
    """Drug cost of one cycle [£] and whether every drug had a price."""
    total, complete = 0.0, True
    for component in components:
        packs = packs_for(component.drug_id)
        if not packs:
            complete = False
            continue
        oral = component.route.lower() == "oral" or drugs[component.drug_id].is_oral
        dose = Dose(float(component.dose), DoseBasis(component.dose_basis.value if hasattr(component.dose_basis, "value") else component.dose_basis), component.dose_cap_mg)
        cost = administration_cost(dose, packs, patient=patient, wastage=Wastage.EXACT_MG if oral else Wastage.WHOLE_VIAL)
        total += cost.cost * max(len(_days(component.days)), 1)
    return total, complete


def _core_regimen(regimen: m.Regimen, components: list[m.RegimenComponent], drug_cost_per_cycle: float,
                  clinic_minutes: float, verification_minutes: float) -> core.Regimen:
    attendance_days = _days(regimen.attendance_days) or (1,)
    schedule = RegimenSchedule(
        cycle_length_days=int(regimen.cycle_length_days),
        attendance_days=attendance_days,
        max_cycles=regimen.max_cycles,
        median_time_on_treatment_days=regimen.median_time_on_treatment_days,
        max_years=regimen.max_years,
        is_oral=regimen.is_oral,
    )
    administrations = {c.id: max(len(_days(c.days)), 1) for c in components}
    per_attendance = 1 / len(attendance_days)
    chair_first = sum(c.chair_minutes_first_cycle * administrations[c.id] for c in components) * per_attendance
    chair_later = sum(c.chair_minutes_later_cycles * administrations[c.id] for c in components) * per_attendance
    items = sum(c.aseptic_items * administrations[c.id] for c in components) * per_attendance
    item_minutes = (
        sum(c.aseptic_items * administrations[c.id] * c.aseptic_minutes_per_item for c in components)
        / sum(c.aseptic_items * administrations[c.id] for c in components)
        if items
        else core.ASEPTIC_MINUTES_PER_ITEM
    )
    return core.Regimen(
        name=regimen.name,
        schedule=schedule,
        chair_minutes_first_cycle=0.0 if regimen.is_oral else chair_first,
        chair_minutes_later_cycles=0.0 if regimen.is_oral else chair_later,
        aseptic_items_per_attendance=0.0 if regimen.is_oral else items,
        aseptic_minutes_per_item=item_minutes,
        verification_minutes_per_cycle=verification_minutes,
        clinic_appointments_per_cycle=_clinic_appointments_per_cycle(regimen),
        clinic_minutes_per_appointment=clinic_minutes,
        drug_cost_per_cycle=drug_cost_per_cycle,
        first_attendance_hrg=_hrg(regimen.delivery_hrg_first, "SB12Z"),
        subsequent_attendance_hrg=_hrg(regimen.delivery_hrg_subsequent, "SB15Z"),
    )


def _hrg(code: str | None, default: str) -> str:
    """A chair attendance's delivery HRG as stored (SB12Z–SB15Z), else ``default``."""
    code = (code or "").strip().upper()
    return code if code in DELIVERY_HRGS else default


def _clinic_appointments_per_cycle(regimen: m.Regimen) -> float:
    """One review every `clinic_every_n_cycles` cycles; none where the regimen has no clinic."""
    if (regimen.clinic_type or "").strip().lower() in ("", "none") or not regimen.clinic_minutes:
        return 0.0
    return 1 / max(regimen.clinic_every_n_cycles or 1, 1)


def _uses(core_regimens: dict[int, core.Regimen], phases: dict[int, list[m.RegimenPhase]],
          link: m.AppraisalRegimen) -> tuple[core.RegimenUse, ...]:
    """The regimen a link names, as the core runs it: one use, or one per phase of a regimen given in
    phases (the regimen itself is phase 1), each for the link's share of patients."""
    regimen = core_regimens[link.regimen_id]
    later = []
    previous = regimen
    for phase in phases.get(link.regimen_id, []):
        if previous.schedule.cycle_cap is None:
            break  # nobody completes an uncapped "until progression" phase: later phases are never reached
        previous = core_regimens[phase.phase_regimen_id]
        later.append(phase)
    if later:
        regimens = phased_regimens(
            [TreatmentPhase(regimen)] + [
                TreatmentPhase(core_regimens[phase.phase_regimen_id], phase.share_going_on_pct / 100,
                               int(phase.gap_days or 0))
                for phase in later
            ],
            course=regimen.name,
        )
    else:
        regimens = (regimen,)
    if not link.counts_patients:
        regimens = tuple(replace(r, counts_patients=False) for r in regimens)
    return tuple(core.RegimenUse(r, link.share_pct / 100) for r in regimens)


def _eligible(appraisal: m.Appraisal, steps: list[m.FunnelStep]) -> float | core.EligibleFunnel:
    """The NICE figure, a funnel (first step the count, then percentages), or a branched funnel: steps
    named with a path form that path (its first step the count); steps with no path are then common
    percentages applied to the sum of the paths."""
    if not (appraisal.eligible_from_funnel and steps):
        return float(appraisal.national_eligible_per_year or 0.0)

    def funnel(path_steps: list[m.FunnelStep]) -> core.EligibleFunnel:
        return core.EligibleFunnel(
            start_count=float(path_steps[0].value),
            steps=tuple(core.FunnelStep(s.name, float(s.value), s.source) for s in path_steps[1:]),
            source=path_steps[0].source,
        )

    paths: dict[str, list[m.FunnelStep]] = {}
    for step in steps:
        if step.path:
            paths.setdefault(step.path, []).append(step)
    common = [step for step in steps if not step.path]
    if not paths:
        return funnel(common)
    return core.BranchedFunnel.of(
        tuple(funnel(path_steps) for path_steps in paths.values()),
        steps=tuple(core.FunnelStep(s.name, float(s.value), s.source) for s in common),
        source="; ".join(path_steps[0].source for path_steps in paths.values() if path_steps[0].source),
    )


def _spread(low_pct: float, high_pct: float) -> core.Spread:
    return core.Spread(low_pct / 100, high_pct / 100)


def grid_start(today: date, effective_starts: list[date | None]) -> date:
    """The grid's first Monday: today, or the earliest effective start if earlier (at most two years
    back), so that year 1 of an appraisal already being delivered is on the grid."""
    known = [d for d in effective_starts if d is not None]
    earliest = min([today, *known])
    return core.monday_on_or_before(max(earliest, date(today.year - 2, today.month, min(today.day, 28))))


def horizon_weeks(grid_first_monday: date, effective_starts: list[date | None]) -> int:
    """Weeks on the grid: at least 260, and enough that every appraisal with a known start has
    five whole years (5 × 365.25 days) from the Monday of its effective start."""
    whole_years = core.YEARS_MODELLED * core.DAYS_PER_YEAR
    weeks = core.HORIZON_WEEKS
    for start in effective_starts:
        if start is None:
            continue
        start_week = (core.monday_on_or_before(start) - grid_first_monday).days // 7
        weeks = max(weeks, start_week + math.ceil(whole_years / 7))
    return weeks


def model_inputs(session: Session, *, prices: PriceView = PriceView(), today: date | None = None,
                 appraisal_ids: set[int] | None = None) -> LoadedInputs:
    """Everything stored, as the core's inputs, with the prices `prices` allows."""
    today = today or date.today()
    values = {row.key: row for row in session.exec(select(m.ReferenceValue))}
    patient = PatientSize(
        weight_kg=_reference(values, "default_weight_kg", 70.0),
        body_surface_area_m2=_reference(values, "default_bsa_m2", 1.8),
    )
    icbs = {icb.id: icb for icb in session.exec(select(m.Icb))}
    trusts = list(session.exec(select(m.Trust).order_by(m.Trust.ods_code)))
    trust_by_id = {t.id: t for t in trusts}
    drugs = {d.id: d for d in session.exec(select(m.Drug))}
    regimens = {r.id: r for r in session.exec(select(m.Regimen))}
    components: dict[int, list[m.RegimenComponent]] = {}
    for c in session.exec(select(m.RegimenComponent).order_by(m.RegimenComponent.position)):
        components.setdefault(c.regimen_id, []).append(c)
    by_drug, by_trust_drug = _packs_by_drug(session, prices)

    unpriced: set[int] = set()
    uncosted: dict[int, str] = {}
    core_regimens: dict[int, core.Regimen] = {}
    for regimen in regimens.values():
        try:
            cost, complete = _cycle_drug_cost(components.get(regimen.id, []), drugs, lambda d: by_drug.get(d, []), patient)
        except (ValueError, ArithmeticError) as error:  # a pack the model cannot cost: its appraisals are left out
            uncosted[regimen.id], cost, complete = str(error), 0.0, True
        if not complete:
            unpriced.add(regimen.id)
        core_regimens[regimen.id] = _core_regimen(
            regimen, components.get(regimen.id, []), cost, regimen.clinic_minutes, regimen.verification_minutes_per_cycle
        )

    overrides: list[core.RegimenOverride] = []
    timing = {(o.trust_id, o.regimen_id): o for o in session.exec(select(m.TrustRegimenOverride))}
    trust_priced = {trust_id for trust_id, _drug in by_trust_drug}
    for trust in trusts:
        for regimen in regimens.values():
            local = timing.get((trust.id, regimen.id))
            local_cost = None
            if trust.id in trust_priced:
                regimen_drugs = {c.drug_id for c in components.get(regimen.id, [])}
                if any((trust.id, d) in by_trust_drug for d in regimen_drugs):
                    try:
                        local_cost, _ = _cycle_drug_cost(
                            components.get(regimen.id, []), drugs,
                            lambda d, t=trust.id: by_trust_drug.get((t, d), by_drug.get(d, [])), patient,
                        )
                    except (ValueError, ArithmeticError) as error:
                        uncosted.setdefault(regimen.id, str(error))
            if local is None and local_cost is None:
                continue
            overrides.append(core.RegimenOverride(
                trust_code=trust.ods_code,
                regimen_name=regimen.name,
                # a trust's chair minutes are for the whole attendance
                chair_minutes_first_cycle=local.chair_minutes_first_cycle if local and local.chair_minutes_first_cycle is not None else None,
                chair_minutes_later_cycles=local.chair_minutes_later_cycles if local and local.chair_minutes_later_cycles is not None else None,
                verification_minutes_per_cycle=local.verification_minutes_per_cycle if local else None,
                clinic_minutes_per_appointment=local.clinic_minutes if local else None,
                clinic_appointments_per_cycle=(1 / local.clinic_every_n_cycles) if local and local.clinic_every_n_cycles else None,
                drug_cost_per_cycle=local_cost,
            ))

    appraisal_query = select(m.Appraisal).order_by(m.Appraisal.id)
    appraisal_rows = [a for a in session.exec(appraisal_query) if appraisal_ids is None or a.id in appraisal_ids]
    uptake: dict[int, list[m.UptakeYear]] = {}
    for u in session.exec(select(m.UptakeYear).order_by(m.UptakeYear.year)):
        uptake.setdefault(u.appraisal_id, []).append(u)
    funnels: dict[int, list[m.FunnelStep]] = {}
    for step in session.exec(select(m.FunnelStep).order_by(m.FunnelStep.position, m.FunnelStep.id)):
        funnels.setdefault(step.appraisal_id, []).append(step)
    links: dict[int, list[m.AppraisalRegimen]] = {}
    for link in session.exec(select(m.AppraisalRegimen)):
        links.setdefault(link.appraisal_id, []).append(link)
    phases: dict[int, list[m.RegimenPhase]] = {}
    for phase in session.exec(select(m.RegimenPhase).order_by(m.RegimenPhase.position)):
        if phase.phase_regimen_id in core_regimens and phase.phase_regimen_id != phase.regimen_id:
            phases.setdefault(phase.regimen_id, []).append(phase)

    core_appraisals = []
    for a in appraisal_rows:
        eligible = _eligible(a, funnels.get(a.id, []))
        uses = links.get(a.id, [])
        core_appraisals.append(core.Appraisal(
            key=str(a.id),
            name=a.title,
            eligible_per_year=eligible,
            uptake_percent_by_year=tuple(float(u.percent) for u in uptake.get(a.id, [])) or (0.0,),
            effective_start=deadlines_for(a).effective_start.date,
            brings_in=tuple(use for u in uses if u.role == "brings in" for use in _uses(core_regimens, phases, u)),
            displaces=tuple(use for u in uses if u.role == "displaces" for use in _uses(core_regimens, phases, u)),
            tumour_site=a.tumour_site or None,
            eligible_growth_percent_per_year=a.eligible_growth_pct or 0.0,
            eligible_data_year=a.eligible_data_year,
            eligible_spread=_spread(a.eligible_low_pct, a.eligible_high_pct),
            uptake_spread=_spread(a.uptake_low_pct, a.uptake_high_pct),
            time_on_treatment_spread=_spread(a.time_on_treatment_low_pct, a.time_on_treatment_high_pct),
        ))

    core_trusts = tuple(
        core.Trust(
            code=t.ods_code,
            name=t.name,
            icb=icbs[t.icb_id].ods_code,
            catchment_population=float(t.catchment_population or 0),
            capacity=TrustCapacity(
                chairs=t.chairs,
                hours_per_day=t.chair_hours_per_day or 8.0,
                days_per_week=t.days_per_week or 5.0,
                target_utilisation=t.target_utilisation or 0.85,
                aseptic_staff_hours_per_week=t.aseptic_hours_per_week,
                clinic_slots_per_week=t.clinic_slots_per_week,
                source="trust capacity figures (see the trust's page for each source)",
            ),
        )
        for t in trusts
    )
    local_patients = {
        (str(o.appraisal_id), trust_by_id[o.trust_id].ods_code): float(o.patients_per_year)
        for o in session.exec(select(m.TrustAppraisalOverride))
        if appraisal_ids is None or o.appraisal_id in appraisal_ids
    }
    # share_pct is the trust's % of the alliance's patients with that cancer (see TUMOUR_SITE_SHARE_NOTE)
    site_shares = {
        (trust_by_id[s.trust_id].ods_code, s.tumour_site): s.share_pct / 100
        for s in session.exec(select(m.TumourSiteShare))
    }
    starts = [a.effective_start for a in core_appraisals]
    first_monday = grid_start(today, starts)
    inputs = core.ModelInputs(
        appraisals=tuple(core_appraisals),
        trusts=core_trusts,
        grid_start=first_monday,
        n_weeks=horizon_weeks(first_monday, starts),
        local_patients=local_patients,
        alliance_site_shares=site_shares,
        regimen_overrides=tuple(overrides),
        tariffs=_tariffs(session, values),
        england_population=_reference(values, "england_population", core.ENGLAND_POPULATION),
    )
    # only regimens the pipeline uses: a library regimen no appraisal brings in costs nobody anything
    def with_phases(regimen_id: int) -> set[int]:
        return {regimen_id} | {phase.phase_regimen_id for phase in phases.get(regimen_id, [])}

    used = {r for a in appraisal_rows for link in links.get(a.id, []) for r in with_phases(link.regimen_id)}
    unpriced_names = tuple(sorted(regimens[r].name for r in unpriced & used))
    unpriced_by_appraisal = {
        str(a.id): tuple(sorted({regimens[r].name for link in links.get(a.id, [])
                                 for r in with_phases(link.regimen_id) if r in unpriced}))
        for a in appraisal_rows
    }
    return LoadedInputs(inputs, unpriced_names, {a.id: a for a in appraisal_rows}, {t.ods_code: t for t in trusts},
                        unpriced_by_appraisal=unpriced_by_appraisal, uncosted_regimens=uncosted)


# --- cached runs --------------------------------------------------------------------------------

_CACHE: OrderedDict[tuple, tuple[LoadedInputs, core.ImpactResult]] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 16


_ROW_TABLES = (
    m.AuditEntry, m.Appraisal, m.AppraisalRegimen, m.UptakeYear, m.FunnelStep, m.Trust, m.Regimen,
    m.RegimenComponent, m.DrugPack, m.ConfidentialPrice, m.TrustAppraisalOverride, m.TrustRegimenOverride,
    m.TumourSiteShare, m.HrgCost, m.ReferenceValue, m.RegimenPhase,
)
_VERSIONED_TABLES = (m.Appraisal, m.Trust, m.Regimen, m.DrugPack, m.ConfidentialPrice, m.TrustAppraisalOverride,
                     m.TrustRegimenOverride, m.RegimenPhase)


def data_version(session: Session) -> tuple:
    """Changes whenever the model's stored inputs change, in one query: every change through the app
    writes an audit entry (audit.py), and rows added, removed or re-versioned are counted besides."""
    columns = []
    for table in _ROW_TABLES:
        columns += [select(func.count(table.id)).scalar_subquery(), select(func.max(table.id)).scalar_subquery()]
    columns += [select(func.sum(table.version)).scalar_subquery() for table in _VERSIONED_TABLES]
    columns.append(select(func.max(m.Appraisal.updated_at)).scalar_subquery())
    return (_engine_token(session.get_bind()), *session.exec(select(*columns)).one())


def _engine_token(bind) -> str:
    """A name for this engine that no other engine gets (`id()` can be reused once an engine is gone)."""
    token = getattr(bind, "_appraisal_impact_cache_token", None)
    if token is None:
        token = uuid.uuid4().hex
        bind._appraisal_impact_cache_token = token
    return token


def pipeline_impact(session: Session, *, scenario: str = "central", prices: PriceView = PriceView(),
                    today: date | None = None) -> tuple[LoadedInputs, core.ImpactResult]:
    """The whole pipeline's impact on every trust, cached until the data (or the day) change."""
    today = today or date.today()
    key = (data_version(session), scenario, prices.key(), today)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    loaded, result = _run_leaving_out_what_cannot_be_modelled(session, scenario, prices, today)
    with _CACHE_LOCK:
        _CACHE[key] = (loaded, result)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return loaded, result


def _emptied(appraisal: core.Appraisal) -> core.Appraisal:
    """An appraisal with nothing the model could trip on: no start date, no treatment, no one eligible."""
    return replace(appraisal, effective_start=None, brings_in=(), displaces=(), eligible_per_year=0.0)


def _run_leaving_out_what_cannot_be_modelled(session: Session, scenario: str, prices: PriceView,
                                              today: date) -> tuple[LoadedInputs, core.ImpactResult]:
    """Run the model on every appraisal that can be modelled; one bad row never takes the others down.

    Appraisals with a figure out of bounds are left out before the run (`input_checks`); any that still
    fail (a drug the model cannot cost, an error in the core) are found one by one and left out too.
    Each left-out appraisal is in `LoadedInputs.left_out` with the reason and the field to fix.
    """
    left_out = input_checks.unmodellable(session, confidential=not prices.is_list_only)
    loaded = model_inputs(session, prices=prices, today=today)
    links = {}
    for link in session.exec(select(m.AppraisalRegimen)):
        links.setdefault(link.appraisal_id, set()).add(link.regimen_id)
    for appraisal_id, regimen_ids in links.items():
        for regimen_id in sorted(regimen_ids & set(loaded.uncosted_regimens)):
            if appraisal_id in loaded.appraisal_rows and appraisal_id not in left_out:
                regimen = session.get(m.Regimen, regimen_id)
                left_out[appraisal_id] = input_checks.LeftOut(
                    appraisal_id, loaded.appraisal_rows[appraisal_id].title,
                    f"The drug cost of regimen '{regimen.name}' cannot be worked out from its packs "
                    f"({loaded.uncosted_regimens[regimen_id]}): check the pack sizes of its drugs",
                    "Change the regimen", "regimens.edit", (("regimen_id", regimen_id),), "components-0-drug")
    def with_left_out_emptied(appraisals):
        # a left-out appraisal stays in the run with nothing in it (no start, no treatment), so every
        # page still lists it, its figures "not yet known" with the reason (figures layer)
        return tuple(_emptied(a) if int(a.key) in left_out else a for a in appraisals)

    inputs = replace(loaded.inputs, appraisals=with_left_out_emptied(loaded.inputs.appraisals))
    try:
        result = core.run_model(inputs, scenario)
    except Exception:  # noqa: BLE001 - find which appraisals the core cannot run, and leave only those out
        for appraisal in inputs.appraisals:
            if int(appraisal.key) in left_out:
                continue
            try:
                core.run_model(replace(inputs, appraisals=(appraisal,)), scenario)
            except Exception as error:  # noqa: BLE001
                left_out[int(appraisal.key)] = input_checks.LeftOut(
                    int(appraisal.key), appraisal.name, f"The model cannot run with this appraisal's figures ({error})",
                    "Check the appraisal's assumptions", "editing.appraisal", (("appraisal_id", int(appraisal.key)),), "")
        inputs = replace(inputs, appraisals=with_left_out_emptied(inputs.appraisals))
        result = core.run_model(inputs, scenario)
    rows = {key: row for key, row in loaded.appraisal_rows.items() if key not in left_out}
    return replace(loaded, inputs=inputs, appraisal_rows=rows, left_out=left_out), result


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()
        _WHAT_IF_CACHE.clear()


# --- one regimen built as the model builds it (the live previews' public seam) --------------------


class RegimenCosting:
    """Builds the core's regimen from regimen and component rows — saved or not yet saved (transient rows
    never added to a session) — exactly as `model_inputs` builds a stored one, its drugs costed at the
    prices `prices` allows (a trust's own price only for that trust). The previews use this, never this
    module's private helpers."""

    def __init__(self, session: Session, prices: PriceView):
        from .core.drug_cost import DEFAULT_BODY_SURFACE_AREA_M2, DEFAULT_WEIGHT_KG

        values = {row.key: row for row in session.exec(select(m.ReferenceValue))}
        self.patient = PatientSize(
            weight_kg=_reference(values, "default_weight_kg", DEFAULT_WEIGHT_KG),
            body_surface_area_m2=_reference(values, "default_bsa_m2", DEFAULT_BODY_SURFACE_AREA_M2),
        )
        self.by_drug, self.by_trust_drug = _packs_by_drug(session, prices)
        self.drugs = {d.id: d for d in session.exec(select(m.Drug))}

    def build(self, regimen: m.Regimen, components: list[m.RegimenComponent], trust_id: int | None = None,
              name: str | None = None) -> tuple[core.Regimen, bool]:
        """The core's regimen (renamed `name` if given) and whether every drug had a price."""

        def packs_for(drug_id):
            if trust_id is not None and (trust_id, drug_id) in self.by_trust_drug:
                return self.by_trust_drug[(trust_id, drug_id)]
            return self.by_drug.get(drug_id, [])

        cost, complete = _cycle_drug_cost(components, self.drugs, packs_for, self.patient)
        built = _core_regimen(regimen, components, cost, regimen.clinic_minutes, regimen.verification_minutes_per_cycle)
        return (replace(built, name=name) if name else built), complete

    def uses(self, session: Session, regimen_id: int, share_pct: float, *,
             counts_patients: bool = True) -> tuple[tuple[core.RegimenUse, ...], tuple[str, ...]]:
        """A stored regimen as an appraisal's draft link uses it, phases included (exactly as `model_inputs`
        builds a saved link), and the names of its regimens with a drug that has no price."""
        phase_rows = list(session.exec(select(m.RegimenPhase).where(m.RegimenPhase.regimen_id == regimen_id)
                                       .order_by(m.RegimenPhase.position)))
        core_regimens, unpriced = {}, []
        for rid in [regimen_id, *(p.phase_regimen_id for p in phase_rows)]:
            row = session.get(m.Regimen, rid)
            if row is None or rid in core_regimens:
                continue
            components = list(session.exec(select(m.RegimenComponent).where(m.RegimenComponent.regimen_id == rid)
                                           .order_by(m.RegimenComponent.position)))
            core_regimens[rid], complete = self.build(row, components)
            if not complete:
                unpriced.append(row.name)
        phases = {regimen_id: [p for p in phase_rows if p.phase_regimen_id in core_regimens and p.phase_regimen_id != regimen_id]}
        link = m.AppraisalRegimen(regimen_id=regimen_id, share_pct=share_pct, counts_patients=counts_patients)
        return _uses(core_regimens, phases, link), tuple(unpriced)


# --- what-if scenarios (issue #17) ----------------------------------------------------------------

_WHAT_IF_CACHE: OrderedDict[tuple, tuple] = OrderedDict()


def scenario_impact(session: Session, scenario_id: int, *, scenario: str = "central", prices: PriceView = PriceView(),
                    today: date | None = None):
    """A stored what-if scenario run on the same inputs as the baseline (`pipeline_impact`, with the same
    appraisals left out), its changes applied by the pure core: (loaded inputs as run, the scenario's
    inputs and growth, the result). Cached like the baseline, until the data, the scenario or the day change."""
    from .core import scenarios as what_if
    from .queries import scenarios as scenario_queries

    today = today or date.today()
    loaded, _ = pipeline_impact(session, scenario=scenario, prices=prices, today=today)
    scenario_row = session.get(m.Scenario, scenario_id)
    rows = scenario_queries.changes_of(session, scenario_id)
    key = (data_version(session), scenario_id, None if scenario_row is None else scenario_row.version,
           tuple((row.id, row.version) for row in rows), scenario, prices.key(), today)
    with _CACHE_LOCK:
        if key in _WHAT_IF_CACHE:
            _WHAT_IF_CACHE.move_to_end(key)
            return _WHAT_IF_CACHE[key]
    costing = RegimenCosting(session, prices)

    def build(regimen_row: m.Regimen) -> core.Regimen:
        components = list(session.exec(select(m.RegimenComponent).where(m.RegimenComponent.regimen_id == regimen_row.id)
                                       .order_by(m.RegimenComponent.position)))
        return costing.build(regimen_row, components)[0]

    values = {row.key: row for row in session.exec(select(m.ReferenceValue))}
    from .figures import growth_percent_of

    applied = what_if.apply_changes(loaded.inputs, scenario_queries.core_changes(session, scenario_id, build),
                                    growth_percent_of(values))
    outcome = (replace(loaded, inputs=applied.inputs), applied, core.run_model(applied.inputs, scenario))
    with _CACHE_LOCK:
        _WHAT_IF_CACHE[key] = outcome
        while len(_WHAT_IF_CACHE) > _CACHE_SIZE:
            _WHAT_IF_CACHE.popitem(last=False)
    return outcome
