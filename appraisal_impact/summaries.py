"""Summaries for people who do not use the tool: one for an ICB, one for an appraisal.

A summary is a frozen dataclass built from the database and the impact model, and `to_dict()` turns it
into plain JSON-ready data. That one dict feeds the page, a share link's frozen snapshot, the PDF, the
Excel and CSV files and the API, so that they all show the same figures.

Summaries ALWAYS use list prices (`PriceView.list_only()`), whoever builds them: they are made to be
shared, and confidential (PAS) prices must never leave the tool.

Units are in the field names or the docstrings: `_per_week` [per week], `_per_year` [per year],
`cost_` [£, excluding VAT], `chair_hours` [chair-hours], `aseptic_hours` [aseptic staff hours],
`patients` [people]. "Once fully running" is the model's steady state: the average week of the last year
of its five-year horizon. A figure that cannot be worked out yet (no effective start date, say) is None
and reads "not yet known".
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlmodel import Session

from . import queries
from .queries import sharing as summary_queries
from .core import impact as core
from .core.capacity import BaselineDemand, TrustCapacity, capacity_outlook
from .core.deadlines import DatedRule, Deadlines
from .impact_service import PriceView, pipeline_impact
from .input_checks import AppraisalLeftOut
from .models import Appraisal, Icb, Trust, utcnow
from .planning import deadlines_for
from .queries import appraisals as appraisal_queries

APPRAISAL_SCHEMA = "appraisal-summary/1"
ICB_SCHEMA = "icb-summary/1"
PIPELINE_SCHEMA = "pipeline-summary/1"
TRUST_CAPACITY_SCHEMA = "trust-capacity/1"
PRICE_BASIS = (
    "Costs use NHS list prices, excluding VAT. Confidential discounts (patient access schemes) are never "
    "included in a summary, so the real cost to the NHS is usually lower."
)
STEADY_STATE_WORDS = "once fully running (the average week in year 5 of the model)"
TRUSTS_MOST_AFFECTED = 3


# --- building blocks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DatedLine:
    """A date with the rule that gives it and the rule's source; `date` None means not yet known."""

    label: str
    date: date | None
    rule: str
    source: str
    days_from_figures_date: int | None  # negative: already passed [days]


@dataclass(frozen=True)
class Assumption:
    """One input a reader should know about, with its value (and unit) and where it came from."""

    label: str
    value: str
    source: str
    is_estimate: bool = False


@dataclass(frozen=True)
class TrustImpact:
    """One appraisal's net impact on one trust (or on a group of trusts when `ods_code` is a total).

    Patient counts are of the people who receive the new medicine (brought in); time and cost are net of
    the treatments it displaces.
    eligible_per_year [people/year, year 1]; new_patients_year1/_year2 [people starting the new medicine in
    the 1st/2nd year from the effective start]; patients_on_treatment [people, once fully running];
    chair_hours_per_week, aseptic_hours_per_week, verification_hours_per_week, clinic_hours_per_week
    [hours/week, once fully running]; chairs_needed [chairs, once fully running];
    clinic_appointments_per_week [appointments/week]; cost_*_year1/_year2 [£, list prices, excluding VAT].
    """

    ods_code: str
    name: str
    icb_code: str
    share_source: str
    eligible_per_year: float | None
    new_patients_year1: float | None
    new_patients_year2: float | None
    patients_on_treatment: float | None
    chair_hours_per_week: float | None
    chairs_needed: float | None
    aseptic_hours_per_week: float | None
    verification_hours_per_week: float | None
    clinic_appointments_per_week: float | None
    clinic_hours_per_week: float | None
    cost_drug_year1: float | None
    cost_delivery_year1: float | None
    cost_clinic_year1: float | None
    cost_total_year1: float | None
    cost_total_year2: float | None


@dataclass(frozen=True)
class Treatment:
    """A regimen the appraisal brings in or displaces, for `share_percent` [%] of its patients."""

    regimen: str
    role: str  # "brings in" | "displaces"
    share_percent: float
    source: str


@dataclass(frozen=True)
class AppraisalFacts:
    id: int
    title: str
    medicine: str
    indication: str
    tumour_site: str
    nice_reference: str
    status: str
    recommendation: str | None
    process: str
    nice_url: str
    source: str
    is_example: bool


@dataclass(frozen=True)
class Patients:
    """Eligible people [people/year]: England (NICE or a funnel), and across the alliance's trusts."""

    national_eligible_per_year: float | None
    national_eligible_source: str
    uptake_percent_by_year: tuple[float, ...]
    uptake_source: str
    alliance_eligible_per_year: float | None
    alliance_new_patients_year1: float | None
    alliance_new_patients_year2: float | None
    alliance_patients_on_treatment: float | None


@dataclass(frozen=True)
class AppraisalSummary:
    """What one appraisal will do to the alliance's trusts: the whole story on one page."""

    schema: str
    kind: str
    figures_as_at: date
    generated_at: datetime
    price_basis: str
    appraisal: AppraisalFacts
    deadlines: tuple[DatedLine, ...]
    deadline_note: str
    has_funding_requirement: bool
    patients: Patients
    trusts: tuple[TrustImpact, ...]
    total: TrustImpact
    displaced_total: TrustImpact | None  # what the displaced treatments took (already netted off)
    treatments: tuple[Treatment, ...]
    assumptions: tuple[Assumption, ...]
    sources: tuple[str, ...]
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class IcbFacts:
    ods_code: str
    name: str
    population: int | None
    population_source: str
    trusts: tuple[str, ...]  # "RHM University Hospital Southampton ..."


@dataclass(frozen=True)
class IcbHeadline:
    """The pipeline's net impact on the ICB's trusts, all appraisals together.

    appraisals [count with a funding requirement]; new_patients_next_12_months [people starting a new
    medicine]; patients_on_treatment [people on the new medicines, once fully running]; chair_hours_per_week, chairs_needed,
    aseptic_hours_per_week, clinic_appointments_per_week (once fully running);
    cost_next_12_months [£, list prices, from the figures date]; next_deadline (the soonest one to come).
    """

    appraisals: int
    new_patients_next_12_months: float | None
    patients_on_treatment: float | None
    chair_hours_per_week: float | None
    chairs_needed: float | None
    aseptic_hours_per_week: float | None
    clinic_appointments_per_week: float | None
    cost_next_12_months: float | None
    next_deadline: date | None
    next_deadline_appraisal: str


@dataclass(frozen=True)
class IcbAppraisalLine:
    """One appraisal's net impact on the ICB's trusts (units as in TrustImpact)."""

    appraisal_id: int
    title: str
    medicine: str
    tumour_site: str
    status: str
    nice_reference: str
    funding_deadline: DatedLine
    effective_start: DatedLine
    new_patients_year1: float | None
    patients_on_treatment: float | None
    chair_hours_per_week: float | None
    aseptic_hours_per_week: float | None
    clinic_appointments_per_week: float | None
    cost_total_year1: float | None


@dataclass(frozen=True)
class TrustPipelineLine:
    """The whole pipeline's net impact on one trust, once fully running (units as in TrustImpact)."""

    ods_code: str
    name: str
    patients_on_treatment: float | None
    chair_hours_per_week: float | None
    chairs_needed: float | None
    aseptic_hours_per_week: float | None
    clinic_appointments_per_week: float | None
    cost_next_12_months: float | None


@dataclass(frozen=True)
class CapacityLine:
    """One trust's resource: capacity, demand today, and what baseline growth and the pipeline do to it.

    All in `unit` (a week). Headroom = capacity − demand (negative: over capacity), 12 months after the
    figures date. first_week_over_* : Monday of the first week demand exceeds capacity within the model's
    horizon (5 years), or None if it does not.
    """

    ods_code: str
    trust: str
    resource: str
    unit: str
    capacity_per_week: float
    demand_today_per_week: float
    pipeline_in_12_months_per_week: float
    headroom_in_12_months_without_pipeline: float
    headroom_in_12_months_with_pipeline: float
    first_week_over_without_pipeline: date | None
    first_week_over_with_pipeline: date | None
    source: str
    is_estimate: bool


@dataclass(frozen=True)
class IcbSummary:
    """Every pipeline appraisal's impact on one ICB's trusts."""

    schema: str
    kind: str
    figures_as_at: date
    generated_at: datetime
    price_basis: str
    icb: IcbFacts
    headline: IcbHeadline
    appraisals: tuple[IcbAppraisalLine, ...]
    trusts_most_affected: tuple[TrustPipelineLine, ...]
    trusts: tuple[TrustPipelineLine, ...]
    capacity: tuple[CapacityLine, ...]
    assumptions: tuple[Assumption, ...]
    sources: tuple[str, ...]
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


# --- JSON -----------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Dataclasses, tuples, dates and numpy numbers as JSON-ready values; NaN becomes None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    return value


def to_json(summary: AppraisalSummary | IcbSummary) -> str:
    """The summary as JSON text (what a frozen share link keeps)."""
    return json.dumps(summary.to_dict(), ensure_ascii=False, sort_keys=True)


# --- helpers --------------------------------------------------------------------------------------


def _figure(value: Any, places: int = 2) -> float | None:
    """A model figure, rounded for people (and JSON); NaN and None are None."""
    if value is None:
        return None
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return None
    return round(value, places)


def _sum(values) -> float | None:
    known = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return float(sum(known)) if known else None


def _dated(label: str, rule: DatedRule, today: date) -> DatedLine:
    return DatedLine(
        label=label,
        date=rule.date,
        rule=rule.rule,
        source=rule.source,
        days_from_figures_date=(rule.date - today).days if rule.date else None,
    )


def _deadline_lines(deadlines: Deadlines, today: date) -> tuple[DatedLine, ...]:
    return (
        _dated("Funding deadline", deadlines.funding_deadline, today),
        _dated("Trusts may first be asked to treat", deadlines.effective_start, today),
        _dated("90 days from publication (NHS England note)", deadlines.ninety_day_note, today),
    )


def _deadline_note(appraisal: Appraisal, deadlines: Deadlines) -> str:
    if not deadlines.has_funding_requirement:
        return "NICE has not recommended this medicine, so there is no funding deadline."
    if deadlines.is_overridden:
        return f"NHS England has varied the funding period: {appraisal.deadline_override_reason}."
    if deadlines.is_planned:
        return ("NICE has not published its final guidance yet, so the deadline is planned from the expected "
                "publication date and will move if that date moves.")
    return "The deadline is set by law: 3 calendar months after NICE publishes its final guidance."


def nice_reference(appraisal: Appraisal) -> str:
    return appraisal.ta_number or appraisal.gid or appraisal.id_number or "No NICE reference yet"


def _trust_impact(code: str, row, people=None, *, name: str | None = None, icb: str | None = None) -> TrustImpact:
    """`row`: net figures (time, cost); `people`: the brought-in figures the patient counts come from
    (the people who receive the new medicine), or `row` itself when not given."""
    people = row if people is None else people
    return TrustImpact(
        ods_code=code,
        name=name if name is not None else row["trust_name"],
        icb_code=icb if icb is not None else row["icb"],
        share_source=str(row.get("share_source", "")),
        eligible_per_year=_figure(row.get("local_eligible_per_year"), 1),
        new_patients_year1=_figure(people["new_starts_year1"], 1),
        new_patients_year2=_figure(people["new_starts_year2"], 1),
        patients_on_treatment=_figure(people["patients_on_treatment_steady_state"], 1),
        chair_hours_per_week=_figure(row["chair_hours_per_week_steady_state"], 1),
        chairs_needed=_figure(row["chairs_needed_steady_state"], 2),
        aseptic_hours_per_week=_figure(row["aseptic_hours_per_week_steady_state"], 1),
        verification_hours_per_week=_figure(row["verification_hours_per_week_steady_state"], 1),
        clinic_appointments_per_week=_figure(row["clinic_appointments_per_week_steady_state"], 1),
        clinic_hours_per_week=_figure(row["clinic_hours_per_week_steady_state"], 1),
        cost_drug_year1=_figure(row["drug_cost_year1"], 0),
        cost_delivery_year1=_figure(row["delivery_cost_year1"], 0),
        cost_clinic_year1=_figure(row["clinic_cost_year1"], 0),
        cost_total_year1=_figure(row["total_cost_year1"], 0),
        cost_total_year2=_figure(row["total_cost_year2"], 0),
    )


_SUMMED = (
    "local_eligible_per_year", "new_starts_year1", "new_starts_year2", "patients_on_treatment_steady_state",
    "chair_hours_per_week_steady_state", "chairs_needed_steady_state", "aseptic_hours_per_week_steady_state",
    "verification_hours_per_week_steady_state", "clinic_appointments_per_week_steady_state",
    "clinic_hours_per_week_steady_state", "drug_cost_year1", "delivery_cost_year1", "clinic_cost_year1",
    "total_cost_year1", "total_cost_year2",
)


def _total_row(frame) -> dict:
    """Column sums over trusts; a year figure unknown at every trust stays unknown (NaN)."""
    return {column: frame[column].sum(min_count=1) for column in _SUMMED}


def _pipeline_line(result: core.ImpactResult, trust: Trust, steady, next_year: slice) -> TrustPipelineLine:
    """The whole pipeline at one trust: `steady` its row of `result.trust_summary()`, `next_year` the grid
    weeks of the 12 months from the figures date."""
    weekly = result.trust_weekly(trust.ods_code).iloc[next_year]
    return TrustPipelineLine(
        ods_code=trust.ods_code,
        name=trust.name,
        patients_on_treatment=_figure(_people_on_new_medicines(result, trust.ods_code), 1),
        chair_hours_per_week=_figure(steady["chair_hours_per_week_steady_state"], 1),
        chairs_needed=_figure(steady["chairs_needed_steady_state"], 2),
        aseptic_hours_per_week=_figure(steady["aseptic_hours_per_week_steady_state"], 1),
        clinic_appointments_per_week=_figure(steady["clinic_appointments_per_week_steady_state"], 1),
        cost_next_12_months=_figure(sum(weekly[c].sum() for c in core.COST_MEASURES), 0),
    )


def _people_on_new_medicines(result: core.ImpactResult, trust_code: str) -> float:
    """People on the pipeline's new medicines at a trust once fully running [people] (brought in, not net:
    someone who would otherwise have had a displaced treatment is still a patient on the new one)."""
    weekly = result.trust_weekly(trust_code, component="brought in")
    return float(weekly["patients_on_treatment"].iloc[-core.STEADY_STATE_WEEKS:].mean())


def _list_price_run(session: Session, today: date):
    """The model run every summary uses: list prices only, whoever asks."""
    return pipeline_impact(session, prices=PriceView.list_only(), today=today)


def _week_index(result: core.ImpactResult, day: date) -> int:
    """Index of the grid week containing `day` (0 if before the grid)."""
    monday = core.monday_on_or_before(day)
    first = result.week_starts[0].date()
    return max(0, (monday - first).days // 7)


def _price_assumptions(session: Session, drug_names: set[str]) -> list[Assumption]:
    lines = []
    for pack, drug_name in summary_queries.drug_packs_with_names(session=session):
        if drug_name not in drug_names:
            continue
        value = f"£{pack.list_price:,.2f} per {pack.description}" if pack.list_price is not None else "not published: costed at £0"
        lines.append(Assumption(f"List price of {drug_name}", value, pack.price_source or "Not recorded", pack.is_estimate))
    return lines


def _reference_assumptions(session: Session, keys: tuple[str, ...]) -> list[Assumption]:
    values = queries.reference_values(session=session)
    lines = []
    for key in keys:
        row = values.get(key)
        if row is not None:
            number = f"{row.value:,.0f}" if float(row.value).is_integer() else f"{row.value:,.2f}"
            lines.append(Assumption(row.label or key, f"{number} {row.unit}".strip(), row.source or "Not recorded", row.is_estimate))
    return lines


def _hrg_assumptions(session: Session) -> list[Assumption]:
    return [
        Assumption(f"Delivery cost {row.code} ({row.description})", f"£{row.cost:,.2f} per attendance"
                   + (f" ({row.cost_year})" if row.cost_year else ""), row.source or "Not recorded", row.is_estimate)
        for row in summary_queries.hrg_costs(session=session)
    ]


# --- appraisal summary ---------------------------------------------------------------------------


def build_appraisal_summary(session: Session, appraisal: Appraisal, *, today: date | None = None) -> AppraisalSummary:
    """What `appraisal` will do to each trust of the alliance, at list prices, as at `today`."""
    today = today or date.today()
    deadlines = deadlines_for(appraisal)
    loaded, result = _list_price_run(session, today)
    if appraisal.id in loaded.left_out:
        raise AppraisalLeftOut(loaded.left_out[appraisal.id])
    key = str(appraisal.id)
    by_trust = result.appraisal_by_trust_summary(key)
    displaced = result.appraisal_by_trust_summary(key, component="displaced")

    brought_in = result.appraisal_by_trust_summary(key, component="brought in")
    trusts = tuple(_trust_impact(code, row, brought_in.loc[code]) for code, row in by_trust.iterrows())
    total = _trust_impact("ALL", _total_row(by_trust), _total_row(brought_in), name="All trusts in the alliance", icb="")
    links = appraisal_queries.regimen_links(session=session, appraisal_id=appraisal.id)
    has_displaced = any(link.link.role == "displaces" for link in links)
    displaced_total = (
        _trust_impact("ALL", _total_row(displaced), name="Treatments displaced, all trusts", icb="") if has_displaced else None
    )
    treatments = tuple(
        Treatment(link.regimen.name, link.link.role, float(link.link.share_pct), link.link.source or "Not recorded")
        for link in links
    )
    uptake = appraisal_queries.uptake_years(session=session, appraisal_id=appraisal.id)
    sources = queries.figure_sources(session=session, entity="appraisal", entity_id=appraisal.id)
    eligible_source = sources.get("national_eligible_per_year")
    if appraisal.eligible_from_funnel:
        steps = appraisal_queries.funnel_steps(session=session, appraisal_id=appraisal.id)
        national = loaded.inputs.appraisals[result.appraisal_keys.index(key)].eligible_per_year
        national_value = national.eligible_per_year if isinstance(national, core.EligibleFunnel) else national
        eligible_text = "; ".join(f"{s.name}: {s.source or 'not recorded'}" for s in steps) or "Funnel with no steps"
    else:
        national_value = appraisal.national_eligible_per_year
        eligible_text = (eligible_source.source if eligible_source else "") or appraisal.source or "Not recorded"

    patients = Patients(
        national_eligible_per_year=_figure(national_value, 0),
        national_eligible_source=eligible_text,
        uptake_percent_by_year=tuple(float(u.percent) for u in uptake),
        uptake_source="; ".join(sorted({u.source for u in uptake if u.source})) or "Not recorded",
        alliance_eligible_per_year=total.eligible_per_year,
        alliance_new_patients_year1=total.new_patients_year1,
        alliance_new_patients_year2=total.new_patients_year2,
        alliance_patients_on_treatment=total.patients_on_treatment,
    )

    regimen_sources = [f"{link.regimen.name}: {link.regimen.source or 'not recorded'}" for link in links]
    drug_names = {name for link in links for name in summary_queries.regimen_drug_names(session=session, regimen_id=link.regimen.id)}
    assumptions = [
        Assumption("Uptake by year from the start", ", ".join(f"year {u.year}: {u.percent:g}%" for u in uptake) or "not set",
                   patients.uptake_source, "[estimate]" in patients.uptake_source),
        *(Assumption(f"{link.regimen.name}: schedule", _schedule_words(link.regimen), link.regimen.source or "Not recorded",
                     link.regimen.is_estimate) for link in links),
        *_price_assumptions(session, drug_names),
        *_reference_assumptions(session, ("default_weight_kg", "default_bsa_m2", "aseptic_minutes_per_item",
                                          "clinic_cost_per_appointment", "england_population")),
        *_hrg_assumptions(session),
    ]
    notes = [
        "Time and cost are net: the treatments this medicine displaces have already been taken off. "
        "Patient numbers are the people who receive it.",
        f"Weekly figures are {STEADY_STATE_WORDS}.",
        "Year 1 and year 2 count from the date trusts may first be asked to treat.",
    ]
    unpriced = sorted({link.regimen.name for link in links} & set(loaded.unpriced_regimens))
    if unpriced:
        notes.append("No published list price for a medicine in " + ", ".join(unpriced)
                     + ": its drug cost is counted as £0, so the cost shown is too low.")
    if deadlines.effective_start.date is None:
        notes.append("The start date is not yet known, so yearly figures are not yet known.")
    if appraisal.is_example:
        notes.append("Example data: the dates of this appraisal have been moved for demonstration.")

    return AppraisalSummary(
        schema=APPRAISAL_SCHEMA,
        kind="appraisal",
        figures_as_at=today,
        generated_at=utcnow(),
        price_basis=PRICE_BASIS,
        appraisal=AppraisalFacts(
            id=appraisal.id,
            title=appraisal.title,
            medicine=appraisal.medicine,
            indication=appraisal.indication,
            tumour_site=appraisal.tumour_site,
            nice_reference=nice_reference(appraisal),
            status=appraisal.status,
            recommendation=appraisal.recommendation,
            process=appraisal.process,
            nice_url=appraisal.nice_url,
            source=appraisal.source or "Not recorded",
            is_example=appraisal.is_example,
        ),
        deadlines=_deadline_lines(deadlines, today),
        deadline_note=_deadline_note(appraisal, deadlines),
        has_funding_requirement=deadlines.has_funding_requirement,
        patients=patients,
        trusts=trusts,
        total=total,
        displaced_total=displaced_total,
        treatments=treatments,
        assumptions=tuple(assumptions),
        sources=_unique([appraisal.source, eligible_text, *regimen_sources, loaded.inputs.tariffs.source]),
        notes=tuple(notes),
    )


def _unique(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))


def _schedule_words(regimen) -> str:
    attendance = regimen.attendance_days.replace(",", ", ")
    stop = []
    if regimen.median_time_on_treatment_days:
        stop.append(f"until progression (median {regimen.median_time_on_treatment_days:g} days on treatment)")
    if regimen.max_cycles:
        stop.append(f"at most {regimen.max_cycles} cycles")
    route = "tablets at home" if regimen.is_oral else f"day-unit visits on day(s) {attendance}"
    return f"{regimen.cycle_length_days}-day cycles, {route}; " + (", ".join(stop) or "fixed course")


# --- ICB summary ----------------------------------------------------------------------------------

_RESOURCES = (
    # CapacityOutlook attribute (also the model's measure), label, unit
    ("chair_hours", "Chair time", "chair-hours a week"),
    ("aseptic_hours", "Aseptic pharmacy time", "staff hours a week"),
    ("clinic_appointments", "Clinic appointments", "appointments a week"),
)


def _appraisal_lines(appraisals: list[Appraisal], result: core.ImpactResult, codes: list[str],
                     today: date) -> list[IcbAppraisalLine]:
    """Each appraisal with a funding requirement, summed over the trusts `codes`, soonest deadline first."""
    lines: list[IcbAppraisalLine] = []
    for appraisal in appraisals:
        deadlines = deadlines_for(appraisal)
        if not deadlines.has_funding_requirement or str(appraisal.id) not in result.appraisal_keys:
            continue
        if codes:
            total = _total_row(result.appraisal_by_trust_summary(str(appraisal.id)).loc[codes])
            people = _total_row(result.appraisal_by_trust_summary(str(appraisal.id), component="brought in").loc[codes])
        else:
            total = people = {c: float("nan") for c in _SUMMED}
        lines.append(IcbAppraisalLine(
            appraisal_id=appraisal.id,
            title=appraisal.title,
            medicine=appraisal.medicine,
            tumour_site=appraisal.tumour_site,
            status=appraisal.status,
            nice_reference=nice_reference(appraisal),
            funding_deadline=_dated("Funding deadline", deadlines.funding_deadline, today),
            effective_start=_dated("Trusts may first be asked to treat", deadlines.effective_start, today),
            new_patients_year1=_figure(people["new_starts_year1"], 1),
            patients_on_treatment=_figure(people["patients_on_treatment_steady_state"], 1),
            chair_hours_per_week=_figure(total["chair_hours_per_week_steady_state"], 1),
            aseptic_hours_per_week=_figure(total["aseptic_hours_per_week_steady_state"], 1),
            clinic_appointments_per_week=_figure(total["clinic_appointments_per_week_steady_state"], 1),
            cost_total_year1=_figure(total["total_cost_year1"], 0),
        ))
    lines.sort(key=lambda line: (line.funding_deadline.date or date.max, line.title.lower()))
    return lines


def build_icb_summary(session: Session, icb: Icb, *, today: date | None = None) -> IcbSummary:
    """Every pipeline appraisal's net impact on `icb`'s trusts, at list prices, as at `today`."""
    today = today or date.today()
    loaded, result = _list_price_run(session, today)
    trusts = queries.list_trusts(session=session, icb_id=icb.id)
    codes = [t.ods_code for t in trusts]
    appraisals = queries.list_appraisals(session=session)
    now_week = _week_index(result, today)
    window = slice(now_week, now_week + 52)

    lines = _appraisal_lines(appraisals, result, codes, today)

    steady_by_trust = result.trust_summary()
    pipeline_rows = [_pipeline_line(result, trust, steady_by_trust.loc[trust.ods_code], window) for trust in trusts]
    most_affected = tuple(sorted(pipeline_rows, key=lambda r: -(r.chair_hours_per_week or 0))[:TRUSTS_MOST_AFFECTED])

    if codes:
        next_year = result.icb_weekly(icb.ods_code).iloc[window]
        new_patients = _figure(result.icb_weekly(icb.ods_code, component="brought in").iloc[window]["new_starts"].sum(), 1)
        cost_next_year = _figure(sum(next_year[c].sum() for c in core.COST_MEASURES), 0)
    else:
        new_patients = cost_next_year = None
    upcoming = [line for line in lines if line.funding_deadline.date and line.funding_deadline.date >= today]
    headline = IcbHeadline(
        appraisals=len(lines),
        new_patients_next_12_months=new_patients,
        patients_on_treatment=_figure(_sum(r.patients_on_treatment for r in pipeline_rows), 1),
        chair_hours_per_week=_figure(_sum(r.chair_hours_per_week for r in pipeline_rows), 1),
        chairs_needed=_figure(_sum(r.chairs_needed for r in pipeline_rows), 2),
        aseptic_hours_per_week=_figure(_sum(r.aseptic_hours_per_week for r in pipeline_rows), 1),
        clinic_appointments_per_week=_figure(_sum(r.clinic_appointments_per_week for r in pipeline_rows), 1),
        cost_next_12_months=cost_next_year,
        next_deadline=upcoming[0].funding_deadline.date if upcoming else None,
        next_deadline_appraisal=upcoming[0].title if upcoming else "",
    )

    capacity = tuple(_capacity_lines(session, trusts, result, today))
    assumptions = [
        *_reference_assumptions(session, ("baseline_sact_growth_pct", "england_population", "default_weight_kg",
                                          "default_bsa_m2", "aseptic_minutes_per_item", "clinic_cost_per_appointment")),
        *(Assumption(f"{t.ods_code} capacity figures", _capacity_words(t), source, estimate)
          for t, (source, estimate) in ((t, _trust_figures_source(session, t)) for t in trusts)),
        *_hrg_assumptions(session),
    ]
    notes = [
        "Time and cost are net: treatments each new medicine displaces have already been taken off. "
        "Patient numbers are the people who receive the new medicines.",
        f"Weekly figures are {STEADY_STATE_WORDS}, with every appraisal in the pipeline running.",
        "Only appraisals with a funding requirement are counted; NICE 'not recommended' appraisals are left out.",
        "Capacity figures are each trust's own; many are planning estimates for the trust to replace.",
    ]
    if loaded.unpriced_regimens:
        notes.append("No published list price for: " + ", ".join(loaded.unpriced_regimens)
                     + ". Their drug cost is counted as £0, so costs shown are too low.")
    if loaded.left_out:
        notes.append("Left out until a figure is corrected (it cannot be modelled): "
                     + "; ".join(item.title for item in loaded.left_out.values()) + ".")
    if any(a.is_example for a in appraisals):
        notes.append("Example data: the dates of the example appraisals have been moved for demonstration.")

    return IcbSummary(
        schema=ICB_SCHEMA,
        kind="icb",
        figures_as_at=today,
        generated_at=utcnow(),
        price_basis=PRICE_BASIS,
        icb=IcbFacts(icb.ods_code, icb.name, icb.population, icb.population_source or "Not recorded",
                     tuple(f"{t.ods_code} {t.name}" for t in trusts)),
        headline=headline,
        appraisals=tuple(lines),
        trusts_most_affected=most_affected,
        trusts=tuple(pipeline_rows),
        capacity=capacity,
        assumptions=tuple(assumptions),
        sources=_unique([a.source for a in appraisals if any(line.appraisal_id == a.id for line in lines)]
                        + [icb.population_source, loaded.inputs.tariffs.source]),
        notes=tuple(notes),
    )


def _trust_figures_source(session: Session, trust: Trust) -> tuple[str, bool]:
    sources = queries.figure_sources(session=session, entity="trust", entity_id=trust.id)
    texts = _unique(fs.source for fs in sources.values())
    return ("; ".join(texts) or "Not recorded", any(fs.is_estimate for fs in sources.values()))


def _capacity_words(trust: Trust) -> str:
    parts = []
    if trust.chairs is not None:
        parts.append(f"{trust.chairs} chairs × {trust.chair_hours_per_day or 8:g} hours a day × "
                     f"{trust.days_per_week or 5:g} days a week × {100 * (trust.target_utilisation or 0.85):g}% usable")
    if trust.aseptic_hours_per_week is not None:
        parts.append(f"aseptic {trust.aseptic_hours_per_week:,.0f} staff hours a week")
    if trust.clinic_slots_per_week is not None:
        parts.append(f"clinic {trust.clinic_slots_per_week:,.0f} slots a week")
    return "; ".join(parts) or "not recorded"


def _capacity_lines(session: Session, trusts: list[Trust], result: core.ImpactResult, today: date):
    growth = queries.reference_values(session=session).get("baseline_sact_growth_pct")
    growth_pct = float(growth.value) if growth is not None else 7.0
    start = _week_index(result, today)
    grid_today = core.monday_on_or_before(today)
    for trust in trusts:
        weekly = result.trust_weekly(trust.ods_code).iloc[start:]
        capacity = TrustCapacity(
            chairs=trust.chairs,
            hours_per_day=trust.chair_hours_per_day or 8.0,
            days_per_week=trust.days_per_week or 5.0,
            target_utilisation=trust.target_utilisation or 0.85,
            aseptic_staff_hours_per_week=trust.aseptic_hours_per_week,
            clinic_slots_per_week=trust.clinic_slots_per_week,
        )
        baseline = BaselineDemand(
            chair_hours_per_week=trust.baseline_chair_hours_per_week,
            aseptic_hours_per_week=trust.baseline_aseptic_hours_per_week,
            clinic_appointments_per_week=trust.baseline_clinic_appointments_per_week,
            growth_percent_per_year=growth_pct,
        )
        outlook = capacity_outlook(
            capacity, baseline,
            pipeline_chair_hours=weekly["chair_hours"].to_numpy(),
            pipeline_aseptic_hours=weekly["aseptic_hours"].to_numpy(),
            pipeline_clinic_appointments=weekly["clinic_appointments"].to_numpy(),
            grid_start=grid_today,
        )
        source, estimate = _trust_figures_source(session, trust)
        for resource, label, unit in _RESOURCES:
            line = getattr(outlook, resource)
            if line is None:
                continue
            in_a_year = min(52, len(line.baseline) - 1)
            yield CapacityLine(
                ods_code=trust.ods_code,
                trust=trust.name,
                resource=label,
                unit=unit,
                capacity_per_week=_figure(line.capacity_per_week, 1),
                demand_today_per_week=_figure(line.baseline[0], 1),
                pipeline_in_12_months_per_week=_figure(line.pipeline[in_a_year], 1),
                headroom_in_12_months_without_pipeline=_figure(line.headroom_without_pipeline[in_a_year], 1),
                headroom_in_12_months_with_pipeline=_figure(line.headroom_with_pipeline[in_a_year], 1),
                first_week_over_without_pipeline=line.first_week_exceeded_without_pipeline,
                first_week_over_with_pipeline=line.first_week_exceeded_with_pipeline,
                source=source + f"; demand grows {growth_pct:g}% a year (Royal College of Radiologists, 2023)",
                is_estimate=estimate,
            )


# --- pipeline and trust capacity (for the API) ----------------------------------------------------


@dataclass(frozen=True)
class PipelineSummary:
    """Every appraisal with a funding requirement, summed over all the alliance's trusts, soonest deadline
    first (units as in IcbAppraisalLine); `not_funded` counts the others (not recommended, terminated)."""

    schema: str
    kind: str
    figures_as_at: date
    generated_at: datetime
    price_basis: str
    appraisals: tuple[IcbAppraisalLine, ...]
    not_funded: int

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


def build_pipeline_summary(session: Session, *, today: date | None = None) -> PipelineSummary:
    """The pipeline across the whole alliance, at list prices, as at `today`."""
    today = today or date.today()
    _loaded, result = _list_price_run(session, today)
    appraisals = queries.list_appraisals(session=session)
    codes = [t.ods_code for t in queries.list_trusts(session=session)]
    lines = _appraisal_lines(appraisals, result, codes, today)
    return PipelineSummary(PIPELINE_SCHEMA, "pipeline", today, utcnow(), PRICE_BASIS, tuple(lines),
                           len(appraisals) - len(lines))


@dataclass(frozen=True)
class TrustFacts:
    """A trust's capacity figures as entered (None: not entered), with where they came from.

    chairs [chairs]; chair_hours_per_day [hours/day]; days_per_week [days/week]; target_utilisation
    [fraction 0-1]; chair_hours_capacity_per_week [chair-hours/week] = their product;
    aseptic_hours_per_week [staff hours/week]; clinic_slots_per_week [appointments/week]; baseline_* [the
    same units]: demand today, before the pipeline.
    """

    ods_code: str
    name: str
    icb_code: str
    chairs: int | None
    chair_hours_per_day: float | None
    days_per_week: float | None
    target_utilisation: float | None
    chair_hours_capacity_per_week: float | None
    baseline_chair_hours_per_week: float | None
    aseptic_hours_per_week: float | None
    baseline_aseptic_hours_per_week: float | None
    clinic_slots_per_week: float | None
    baseline_clinic_appointments_per_week: float | None
    source: str
    is_estimate: bool


@dataclass(frozen=True)
class TrustCapacitySummary:
    """One trust's capacity, the pipeline's demand on it and the headroom left."""

    schema: str
    kind: str
    figures_as_at: date
    generated_at: datetime
    price_basis: str
    trust: TrustFacts
    pipeline: TrustPipelineLine
    capacity: tuple[CapacityLine, ...]

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


def build_trust_capacity(session: Session, trust: Trust, *, today: date | None = None) -> TrustCapacitySummary:
    """A trust's capacity and headroom with the whole pipeline, at list prices, as at `today`."""
    today = today or date.today()
    _loaded, result = _list_price_run(session, today)
    icb = session.get(Icb, trust.icb_id)
    source, estimate = _trust_figures_source(session, trust)
    start = _week_index(result, today)
    chair_capacity = (
        trust.chairs * trust.chair_hours_per_day * trust.days_per_week * trust.target_utilisation
        if None not in (trust.chairs, trust.chair_hours_per_day, trust.days_per_week, trust.target_utilisation) else None
    )
    return TrustCapacitySummary(
        schema=TRUST_CAPACITY_SCHEMA,
        kind="trust-capacity",
        figures_as_at=today,
        generated_at=utcnow(),
        price_basis=PRICE_BASIS,
        trust=TrustFacts(
            ods_code=trust.ods_code, name=trust.name, icb_code=icb.ods_code if icb else "",
            chairs=trust.chairs, chair_hours_per_day=trust.chair_hours_per_day, days_per_week=trust.days_per_week,
            target_utilisation=trust.target_utilisation, chair_hours_capacity_per_week=_figure(chair_capacity, 1),
            baseline_chair_hours_per_week=trust.baseline_chair_hours_per_week,
            aseptic_hours_per_week=trust.aseptic_hours_per_week,
            baseline_aseptic_hours_per_week=trust.baseline_aseptic_hours_per_week,
            clinic_slots_per_week=trust.clinic_slots_per_week,
            baseline_clinic_appointments_per_week=trust.baseline_clinic_appointments_per_week,
            source=source, is_estimate=estimate,
        ),
        pipeline=_pipeline_line(result, trust, result.trust_summary().loc[trust.ods_code], slice(start, start + 52)),
        capacity=tuple(_capacity_lines(session, [trust], result, today)),
    )
