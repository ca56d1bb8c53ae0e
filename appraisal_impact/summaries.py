"""Summaries for people who do not use the tool: one for an ICB, one for an appraisal.

A summary is a frozen dataclass built from the database and the impact model, and `to_dict()` turns it
into plain JSON-ready data. That one dict feeds the page, a share link's frozen snapshot, the PDF, the
Excel and CSV files and the API, so that they all show the same figures.

Summaries ALWAYS use list prices (`PriceView.list_only()`), whoever builds them: they are made to be
shared, and confidential (PAS) prices must never leave the tool.

Units are in the field names or the docstrings: `_per_week` [per week], `_per_year` [per year],
`cost_` [£, excluding VAT], `chair_hours` [chair-hours], `aseptic_hours` [aseptic staff hours],
`patients` [people]. Every figure is chosen from the figures layer (`appraisal_impact.figures`), which
defines it once; nothing here works one out. "Once fully running" is the average week of the last year
modelled. A figure that cannot be worked out yet (no effective start date, no price, say) is None, and
the reason is in the object's `not_yet_known` (field name → reason; for a total, how many parts are
missing). Money is kept to £1 and other figures to 4 decimal places: pages write them by the figures
layer's rules.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlmodel import Session

from . import queries
from .queries import sharing as summary_queries
from .core.deadlines import DatedRule, Deadlines
from .figures import STEADY_STATE_WORDS as FULLY_RUNNING_WORDS
from .formatting import source_words
from .figures import (
    Figure,
    GroupFigures,
    Kind,
    PeriodFigures,
    PipelineFigures,
    capacity_of_trust_row,
    number_text,
    pipeline_figures,
    total,
)
from .impact_service import PriceView
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
STEADY_STATE_WORDS = FULLY_RUNNING_WORDS
TRUSTS_MOST_AFFECTED = 3
DELIVERY_COST_SOURCE = "NHS England National Cost Collection: chemotherapy delivery HRG costs (SB11Z to SB15Z)"


# --- building blocks -----------------------------------------------------------------------------

_WORDED = frozenset({"source", "rule", "national_eligible_source", "uptake_source", "population_source", "sources"})


class _InUsersWords:
    """Sources and rules in the words users read (`formatting.source_words`): no bracketed tag, file or
    section of an internal document, whatever the stored text says. Every page, file and the API show them."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if f.name in _WORDED:
                value = getattr(self, f.name)
                if isinstance(value, str):
                    object.__setattr__(self, f.name, source_words(value))
                elif isinstance(value, tuple):
                    object.__setattr__(self, f.name, tuple(dict.fromkeys(source_words(v) for v in value if v)))



@dataclass(frozen=True)
class DatedLine(_InUsersWords):
    """A date with the rule that gives it and the rule's source; `date` None means not yet known."""

    label: str
    date: date | None
    rule: str
    source: str
    days_from_figures_date: int | None  # negative: already passed [days]


@dataclass(frozen=True)
class Assumption(_InUsersWords):
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
    the 1st/2nd year from the effective start]; net_change_in_patients_year1 [people: less those no longer
    starting a treatment it displaces]; people_treated_year1 [people with at least one cycle in year 1];
    patients_on_treatment [people, once fully running];
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
    net_change_in_patients_year1: float | None
    people_treated_year1: float | None
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
    not_yet_known: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Treatment(_InUsersWords):
    """A regimen the appraisal brings in or displaces, for `share_percent` [%] of its patients."""

    regimen: str
    role: str  # "brings in" | "displaces"
    share_percent: float
    source: str


@dataclass(frozen=True)
class AppraisalFacts(_InUsersWords):
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
class Patients(_InUsersWords):
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
class AppraisalSummary(_InUsersWords):
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
class IcbFacts(_InUsersWords):
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
    not_yet_known: dict[str, str] = dataclasses.field(default_factory=dict)


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
    not_yet_known: dict[str, str] = dataclasses.field(default_factory=dict)


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
    not_yet_known: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class CapacityLine(_InUsersWords):
    """One trust's resource on the stated date `at` (12 months after the figures date), from the figures
    layer's one capacity function. All in `unit` (a week): capacity; demand today (as entered); demand on
    `at` without the pipeline (today's grown at the growth rate); the pipeline's demand in the week of `at`;
    headroom = capacity − demand on `at` (negative: over capacity), so headroom with the pipeline =
    capacity − demand without it − pipeline. first_week_over_* : Monday of the first week demand exceeds
    capacity, from the figures date to the end of the years modelled, or None if it does not.
    """

    ods_code: str
    trust: str
    resource: str
    unit: str
    at: date
    capacity_per_week: float
    demand_today_per_week: float
    demand_at_date_without_pipeline_per_week: float
    pipeline_at_date_per_week: float
    headroom_at_date_without_pipeline: float
    headroom_at_date_with_pipeline: float
    first_week_over_without_pipeline: date | None
    first_week_over_with_pipeline: date | None
    horizon_end: date
    source: str
    is_estimate: bool


@dataclass(frozen=True)
class IcbSummary(_InUsersWords):
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
    if isinstance(value, datetime):  # stored timestamps are naive UTC: say so
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).replace(microsecond=0).isoformat()
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


def _figure(value: Any, places: int = 4) -> float | None:
    """A plain number (not from the figures layer: an input shown back), kept for JSON; NaN is None."""
    if value is None:
        return None
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return None
    return round(value, places) + 0.0


def _kept(figure: Figure) -> float | None:
    """A figures-layer figure as a summary keeps it: money to £1 (as every page shows it, so a page made from
    a summary shows what every other page shows), other figures to 4 decimal places (pages show at most one);
    never -0.0; None when not yet known."""
    if figure.value is None:
        return None
    if figure.kind == "money":
        return round(figure.value) + 0.0
    kept = round(figure.value, 4) + 0.0
    if number_text(kept, figure.kind) != figure.text():
        # rounding twice must not move what a page shows (0.04996 kept as 0.05 would read "0.1", not "0.0"):
        # keep the digits that decide it
        kept = round(figure.value, 8) + 0.0
    return kept


def _reasons(**figures: Figure) -> dict[str, str]:
    """Field name → why it is not (wholly) known, for the figures that are not."""
    return {name: figure.note for name, figure in figures.items() if figure.note}


def _chosen(cls, **figures: Figure):
    """`cls` built from figures-layer figures (plus `not_yet_known`); other fields go in as they are."""
    values = {name: _kept(f) if isinstance(f, Figure) else f for name, f in figures.items()}
    return cls(**values, not_yet_known=_reasons(**{n: f for n, f in figures.items() if isinstance(f, Figure)}))


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


def _trust_impact(code: str, name: str, icb: str, share_source: str, figures) -> TrustImpact:
    """One appraisal at a trust (or a total over trusts), chosen from a figures-layer set."""
    year1, year2, steady = figures.year1, figures.year2, figures.steady_state
    return _chosen(
        TrustImpact,
        ods_code=code, name=name, icb_code=icb, share_source=share_source,
        eligible_per_year=figures.eligible_per_year,
        new_patients_year1=year1.new_patients,
        new_patients_year2=year2.new_patients,
        net_change_in_patients_year1=year1.net_change_in_patients,
        people_treated_year1=year1.people_treated,
        patients_on_treatment=steady.patients_on_treatment,
        chair_hours_per_week=steady.chair_hours_per_week,
        chairs_needed=steady.chairs_needed,
        aseptic_hours_per_week=steady.aseptic_hours_per_week,
        verification_hours_per_week=steady.verification_hours_per_week,
        clinic_appointments_per_week=steady.clinic_appointments_per_week,
        clinic_hours_per_week=steady.clinic_hours_per_week,
        cost_drug_year1=year1.drug_cost,
        cost_delivery_year1=year1.delivery_cost,
        cost_clinic_year1=year1.clinic_cost,
        cost_total_year1=year1.total_cost,
        cost_total_year2=year2.total_cost,
    )


def _displaced_impact(figures) -> TrustImpact:
    """What the displaced treatments would have taken, across the alliance (already netted off)."""
    year1, year2, steady = figures.year1, figures.year2, figures.steady_state
    unknown = Figure.unknown("shown net only", "")
    return _chosen(
        TrustImpact,
        ods_code="ALL", name="Treatments displaced, all trusts", icb_code="", share_source="",
        eligible_per_year=unknown,
        new_patients_year1=year1.patients_displaced, new_patients_year2=year2.patients_displaced,
        net_change_in_patients_year1=unknown, people_treated_year1=unknown, patients_on_treatment=unknown,
        chair_hours_per_week=steady.chair_hours_per_week_displaced, chairs_needed=unknown,
        aseptic_hours_per_week=unknown, verification_hours_per_week=unknown, clinic_appointments_per_week=unknown,
        clinic_hours_per_week=unknown,
        cost_drug_year1=year1.drug_cost_displaced, cost_delivery_year1=unknown, cost_clinic_year1=unknown,
        cost_total_year1=year1.total_cost_displaced, cost_total_year2=year2.total_cost_displaced,
    )


def _pipeline_line(figures: PipelineFigures, trust: Trust) -> TrustPipelineLine:
    """The whole pipeline at one trust: once fully running, and its cost in the 12 months from the figures date."""
    pipeline = figures.trusts[trust.ods_code].pipeline
    steady = pipeline.steady_state
    return _chosen(
        TrustPipelineLine,
        ods_code=trust.ods_code,
        name=trust.name,
        patients_on_treatment=steady.patients_on_treatment,
        chair_hours_per_week=steady.chair_hours_per_week,
        chairs_needed=steady.chairs_needed,
        aseptic_hours_per_week=steady.aseptic_hours_per_week,
        clinic_appointments_per_week=steady.clinic_appointments_per_week,
        cost_next_12_months=pipeline.next_12_months.total_cost,
    )


def _nothing_known(figures: PipelineFigures, reason: str) -> GroupFigures:
    """A set whose every figure is not yet known, for ``reason``."""
    return GroupFigures(periods={p.key: PeriodFigures.unknown(p.key, reason) for p in figures.periods},
                        eligible_per_year=Figure.unknown(reason, "patients a year", Kind.PATIENTS))


def _list_price_figures(session: Session, today: date) -> PipelineFigures:
    """The figures every summary uses: list prices only, whoever asks."""
    return pipeline_figures(session, prices=PriceView.list_only(), today=today)


def _price_assumptions(session: Session, drug_names: set[str]) -> list[Assumption]:
    lines = []
    for pack, drug_name in summary_queries.drug_packs_with_names(session=session):
        if drug_name not in drug_names:
            continue
        value = f"£{pack.list_price:,.2f} per {pack.description}" if pack.list_price is not None else "not published: its cost is not yet known"
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
    figures = _list_price_figures(session, today)
    this = figures.appraisal(appraisal.id)
    trusts = tuple(
        _trust_impact(row.trust_code, row.trust_name, row.icb, row.share_source, row) for row in this.by_trust.values()
    )
    total = _trust_impact("ALL", "All trusts in the alliance", "", "", this.alliance)
    links = appraisal_queries.regimen_links(session=session, appraisal_id=appraisal.id)
    has_displaced = any(link.link.role == "displaces" for link in links)
    displaced_total = _displaced_impact(this.alliance) if has_displaced else None
    treatments = tuple(
        Treatment(link.regimen.name, link.link.role, float(link.link.share_pct), link.link.source or "Not recorded")
        for link in links
    )
    uptake = appraisal_queries.uptake_years(session=session, appraisal_id=appraisal.id)
    sources = queries.figure_sources(session=session, entity="appraisal", entity_id=appraisal.id)
    eligible_source = sources.get("national_eligible_per_year")
    if appraisal.eligible_from_funnel:
        steps = appraisal_queries.funnel_steps(session=session, appraisal_id=appraisal.id)
        national_value = this.england.eligible_per_year.value
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
    if this.unpriced_regimens:
        notes.append("No published list price for a medicine in " + ", ".join(this.unpriced_regimens)
                     + ", so its cost is not yet known.")
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
        sources=_unique([appraisal.source, eligible_text, *regimen_sources, DELIVERY_COST_SOURCE]),
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


def _appraisal_lines(appraisals: list[Appraisal], figures: PipelineFigures, icb: str | None,
                     today: date) -> list[tuple[IcbAppraisalLine, object]]:
    """Each appraisal with a funding requirement at one ICB's trusts (``icb``) or the whole alliance
    (None), soonest deadline first, with the figures-layer set it was chosen from."""
    lines = []
    for appraisal in appraisals:
        deadlines = deadlines_for(appraisal)
        if not deadlines.has_funding_requirement or str(appraisal.id) not in figures.appraisals:
            continue
        this = figures.appraisal(appraisal.id)
        group = this.alliance if icb is None else this.by_icb.get(icb) or _nothing_known(figures, "the ICB has no trusts yet")
        steady = group.steady_state
        line = _chosen(
            IcbAppraisalLine,
            appraisal_id=appraisal.id,
            title=appraisal.title,
            medicine=appraisal.medicine,
            tumour_site=appraisal.tumour_site,
            status=appraisal.status,
            nice_reference=nice_reference(appraisal),
            funding_deadline=_dated("Funding deadline", deadlines.funding_deadline, today),
            effective_start=_dated("Trusts may first be asked to treat", deadlines.effective_start, today),
            new_patients_year1=group.year1.new_patients,
            patients_on_treatment=steady.patients_on_treatment,
            chair_hours_per_week=steady.chair_hours_per_week,
            aseptic_hours_per_week=steady.aseptic_hours_per_week,
            clinic_appointments_per_week=steady.clinic_appointments_per_week,
            cost_total_year1=group.year1.total_cost,
        )
        lines.append((line, group))
    lines.sort(key=lambda pair: (pair[0].funding_deadline.date or date.max, pair[0].title.lower()))
    return lines


def build_icb_summary(session: Session, icb: Icb, *, today: date | None = None) -> IcbSummary:
    """Every pipeline appraisal's net impact on `icb`'s trusts, at list prices, as at `today`."""
    today = today or date.today()
    figures = _list_price_figures(session, today)
    trusts = queries.list_trusts(session=session, icb_id=icb.id)
    appraisals = queries.list_appraisals(session=session)
    chosen = _appraisal_lines(appraisals, figures, icb.ods_code, today)
    lines = [line for line, _group in chosen]
    pipeline_rows = [_pipeline_line(figures, trust) for trust in trusts]
    most_affected = tuple(sorted(pipeline_rows, key=lambda r: -(r.chair_hours_per_week or 0))[:TRUSTS_MOST_AFFECTED])

    # the headline adds the appraisals with a funding requirement (the lines below it), unrounded
    names = [str(line.appraisal_id) for line in lines]

    def added(period: str, measure: str) -> Figure:
        return total((getattr(group[period], measure) for _line, group in chosen), names=names, noun="appraisals",
                     empty_reason="no appraisal with a funding requirement" if trusts else "the ICB has no trusts yet")

    upcoming = [line for line in lines if line.funding_deadline.date and line.funding_deadline.date >= today]
    headline = _chosen(
        IcbHeadline,
        appraisals=len(lines),
        new_patients_next_12_months=added("next_12_months", "new_patients"),
        patients_on_treatment=added("steady_state", "patients_on_treatment"),
        chair_hours_per_week=added("steady_state", "chair_hours_per_week"),
        chairs_needed=added("steady_state", "chairs_needed"),
        aseptic_hours_per_week=added("steady_state", "aseptic_hours_per_week"),
        clinic_appointments_per_week=added("steady_state", "clinic_appointments_per_week"),
        cost_next_12_months=added("next_12_months", "total_cost"),
        next_deadline=upcoming[0].funding_deadline.date if upcoming else None,
        next_deadline_appraisal=upcoming[0].title if upcoming else "",
    )

    capacity = tuple(_capacity_lines(session, trusts, figures))
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
    unpriced = sorted({name for line in lines for name in figures.appraisal(line.appraisal_id).unpriced_regimens})
    if unpriced:
        notes.append("No published list price for a medicine in: " + ", ".join(unpriced)
                     + ", so the cost of its appraisal is not yet known.")
    if figures.left_out:
        notes.append("Left out until a figure is corrected (it cannot be modelled): "
                     + "; ".join(item.title for item in figures.left_out.values()) + ".")
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
                        + [icb.population_source, DELIVERY_COST_SOURCE]),
        notes=tuple(notes),
    )


def _trust_figures_source(session: Session, trust: Trust) -> tuple[str, bool]:
    sources = queries.figure_sources(session=session, entity="trust", entity_id=trust.id)
    texts = _unique(fs.source for fs in sources.values())
    return ("; ".join(texts) or "Not recorded", any(fs.is_estimate for fs in sources.values()))


def _capacity_words(trust: Trust) -> str:
    capacity = capacity_of_trust_row(trust)
    parts = []
    if trust.chairs is not None:
        parts.append(f"{trust.chairs} chairs × {capacity.hours_per_day:g} hours a day × "
                     f"{capacity.days_per_week:g} days a week × {100 * capacity.target_utilisation:g}% usable")
    if trust.aseptic_hours_per_week is not None:
        parts.append(f"aseptic {trust.aseptic_hours_per_week:,.0f} staff hours a week")
    if trust.clinic_slots_per_week is not None:
        parts.append(f"clinic {trust.clinic_slots_per_week:,.0f} slots a week")
    return "; ".join(parts) or "not recorded"


def _capacity_lines(session: Session, trusts: list[Trust], figures: PipelineFigures):
    """Each trust's resources from the figures layer's one capacity function (known ones only)."""
    for trust in trusts:
        source, estimate = _trust_figures_source(session, trust)
        for line in figures.trusts[trust.ods_code].capacity:
            if not line.is_known:
                continue
            yield CapacityLine(
                ods_code=trust.ods_code,
                trust=trust.name,
                resource=line.label,
                unit=line.unit,
                at=line.at,
                capacity_per_week=_kept(line.capacity),
                demand_today_per_week=_kept(line.baseline_today),
                demand_at_date_without_pipeline_per_week=_kept(line.baseline_at),
                pipeline_at_date_per_week=_kept(line.pipeline_at),
                headroom_at_date_without_pipeline=_kept(line.headroom_without_pipeline),
                headroom_at_date_with_pipeline=_kept(line.headroom_with_pipeline),
                first_week_over_without_pipeline=line.first_week_over_without_pipeline,
                first_week_over_with_pipeline=line.first_week_over_with_pipeline,
                horizon_end=line.horizon_end,
                source=source + f"; demand grows {line.growth_percent:g}% a year (Royal College of Radiologists, 2023)",
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
    figures = _list_price_figures(session, today)
    appraisals = queries.list_appraisals(session=session)
    lines = [line for line, _group in _appraisal_lines(appraisals, figures, None, today)]
    return PipelineSummary(PIPELINE_SCHEMA, "pipeline", today, utcnow(), PRICE_BASIS, tuple(lines),
                           len(appraisals) - len(lines))


@dataclass(frozen=True)
class TrustFacts(_InUsersWords):
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
    figures = _list_price_figures(session, today)
    icb = session.get(Icb, trust.icb_id)
    source, estimate = _trust_figures_source(session, trust)
    chair_capacity = figures.trusts[trust.ods_code].resource("chair_hours").capacity
    return TrustCapacitySummary(
        schema=TRUST_CAPACITY_SCHEMA,
        kind="trust-capacity",
        figures_as_at=today,
        generated_at=utcnow(),
        price_basis=PRICE_BASIS,
        trust=TrustFacts(
            ods_code=trust.ods_code, name=trust.name, icb_code=icb.ods_code if icb else "",
            chairs=trust.chairs, chair_hours_per_day=trust.chair_hours_per_day, days_per_week=trust.days_per_week,
            target_utilisation=trust.target_utilisation, chair_hours_capacity_per_week=_kept(chair_capacity),
            baseline_chair_hours_per_week=trust.baseline_chair_hours_per_week,
            aseptic_hours_per_week=trust.aseptic_hours_per_week,
            baseline_aseptic_hours_per_week=trust.baseline_aseptic_hours_per_week,
            clinic_slots_per_week=trust.clinic_slots_per_week,
            baseline_clinic_appointments_per_week=trust.baseline_clinic_appointments_per_week,
            source=source, is_estimate=estimate,
        ),
        pipeline=_pipeline_line(figures, trust),
        capacity=tuple(_capacity_lines(session, [trust], figures)),
    )
