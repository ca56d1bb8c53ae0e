"""The tables: every fact the tool keeps, for the whole domain (see shared/domain.md §2–§5).

Conventions:
- timestamps are naive UTC (`utcnow()`), dates are calendar dates;
- a figure's source lives either in a `*_source` column beside it or, for figures a user edits one by
  one (trust capacity, appraisal numbers), in `FigureSource` (who entered it, when, from where, and
  whether it is a planning estimate);
- rows people edit carry a `version` column, checked on save so that concurrent edits never silently
  overwrite each other;
- `AuditEntry` is append-only: the ORM refuses to update or delete it (see `db.py`).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

from pydantic import NaiveDatetime
from sqlalchemy import Index, LargeBinary, UniqueConstraint, event  # LargeBinary: BackgroundJob.file_content
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel


def _versioned():
    """Mapper arguments that make `version` SQLAlchemy's version counter (UPDATE ... WHERE version = n)."""

    @declared_attr
    def mapper_args(cls):
        return {"version_id_col": cls.__table__.c.version}

    return mapper_args


def utcnow() -> datetime:
    """Now, as naive UTC (SQLite keeps no time zone; every timestamp here is UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Role(str, enum.Enum):
    viewer = "viewer"
    pharmacist = "pharmacist"
    lead = "lead"
    alliance = "alliance"
    admin = "admin"


ROLE_LABELS = {
    Role.viewer: "Viewer",
    Role.pharmacist: "Trust pharmacist",
    Role.lead: "SACT lead",
    Role.alliance: "Alliance staff",
    Role.admin: "Administrator",
}


# --- organisations -------------------------------------------------------------------------------


class Icb(SQLModel, table=True):
    """An integrated care board: the commissioner of a group of trusts."""

    id: int | None = Field(default=None, primary_key=True)
    ods_code: str = Field(index=True, unique=True, max_length=10)
    name: str = Field(max_length=200)
    population: int | None = None
    population_source: str = ""


class Trust(SQLModel, table=True):
    """An NHS provider, with the capacity figures the model compares demand against.

    Each capacity figure's source and estimate flag is in `FigureSource` (entity "trust").
    """

    id: int | None = Field(default=None, primary_key=True)
    ods_code: str = Field(index=True, unique=True, max_length=10)
    name: str = Field(max_length=200)
    icb_id: int = Field(foreign_key="icb.id", index=True)
    notes: str = ""
    catchment_population: int | None = None
    chairs: int | None = None
    chair_hours_per_day: float | None = None
    days_per_week: float | None = None
    target_utilisation: float | None = None  # fraction 0–1
    baseline_chair_hours_per_week: float | None = None
    aseptic_hours_per_week: float | None = None  # capacity
    baseline_aseptic_hours_per_week: float | None = None  # demand today
    clinic_slots_per_week: float | None = None  # capacity
    baseline_clinic_appointments_per_week: float | None = None  # demand today
    version: int = 1

    # UPDATE ... WHERE version = n: a concurrent save fails instead of overwriting (StaleDataError).
    __mapper_args__ = _versioned()


class FigureSource(SQLModel, table=True):
    """Where one figure came from: the seed file, the NICE reference, or who entered it and when."""

    __table_args__ = (UniqueConstraint("entity", "entity_id", "field"),)

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=40)  # "trust", "appraisal", "regimen", ...
    entity_id: int = Field(index=True)
    field: str = Field(max_length=80)
    source: str = ""
    is_estimate: bool = False
    entered_by_id: int | None = Field(default=None, foreign_key="user.id")
    entered_at: NaiveDatetime = Field(default_factory=utcnow)


# --- people --------------------------------------------------------------------------------------


class User(SQLModel, table=True):
    """Someone who signs in. A pharmacist belongs to one trust."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=254)
    name: str = Field(max_length=200)
    password_hash: str
    role: Role = Role.viewer
    trust_id: int | None = Field(default=None, foreign_key="trust.id")
    can_see_confidential_prices: bool = False
    active: bool = True
    is_example: bool = False
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    last_seen_at: NaiveDatetime | None = None
    previous_visit_at: NaiveDatetime | None = None
    # Sessions that began before this moment are over (a password change ends every other session).
    password_changed_at: NaiveDatetime | None = None
    # Checked when an administrator saves the account page, so two administrators never overwrite each other.
    # Not SQLAlchemy's counter: signing in (last_seen_at) must not make an administrator's page stale.
    version: int = 1


# --- medicines and regimens ----------------------------------------------------------------------


class Drug(SQLModel, table=True):
    """A medicine, by its generic name."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=200)
    is_oral: bool = False


class DrugPack(SQLModel, table=True):
    """A pack (vial, tablet pack) with its published list price (excluding VAT)."""

    id: int | None = Field(default=None, primary_key=True)
    drug_id: int = Field(foreign_key="drug.id", index=True)
    description: str = Field(max_length=200)  # "100 mg vial", "30 x 80 mg tablets"
    pack_mg: float  # mg in one pack
    list_price: float | None = None  # £; None when not published (enter locally)
    price_source: str = ""
    price_date: date | None = None
    is_estimate: bool = False
    version: int = 1

    # UPDATE ... WHERE version = n: a concurrent save fails instead of overwriting (StaleDataError).
    __mapper_args__ = _versioned()


class ConfidentialPrice(SQLModel, table=True):
    """A confidential (PAS) price for a pack: commercial in confidence, kept apart from list prices.

    Only users allowed to see confidential prices (and of the trust, when trust-specific) may read it;
    it never reaches a shared page, an export or the API.
    """

    # One price per pack and trust (or alliance-wide): a unique rule on (pack, scope), where scope is the
    # trust's id or 0 for alliance-wide (a unique rule on trust_id would let alliance-wide rows repeat,
    # as NULLs never equal each other). Set from trust_id on every save (`_confidential_price_scope`).
    __table_args__ = (Index("uq_confidentialprice_pack_scope", "drug_pack_id", "trust_scope", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    drug_pack_id: int = Field(foreign_key="drugpack.id", index=True)
    trust_id: int | None = Field(default=None, foreign_key="trust.id")  # None: alliance-wide
    price: float
    note: str = ""
    entered_by_id: int | None = Field(default=None, foreign_key="user.id")
    entered_at: NaiveDatetime = Field(default_factory=utcnow)
    trust_scope: int = 0  # trust_id, or 0 for alliance-wide
    version: int = 1

    # UPDATE ... WHERE version = n: a concurrent save fails instead of overwriting (StaleDataError).
    __mapper_args__ = _versioned()


@event.listens_for(ConfidentialPrice, "before_insert")
@event.listens_for(ConfidentialPrice, "before_update")
def _confidential_price_scope(_mapper, _connection, price: ConfidentialPrice) -> None:
    price.trust_scope = price.trust_id or 0


class Regimen(SQLModel, table=True):
    """A SACT regimen: its schedule, stop rule, pharmacy and clinic pattern."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, max_length=200)
    indication: str = ""
    tumour_site: str = ""
    cycle_length_days: int
    attendance_days: str = "1"  # days within a cycle the patient attends, e.g. "1,8"
    is_oral: bool = False
    max_cycles: int | None = None
    median_time_on_treatment_days: float | None = None  # None: fixed course
    max_years: float | None = None
    verification_minutes_per_cycle: float = 10.0
    clinic_type: str = "nurse-led review"
    clinic_minutes: float = 20.0
    clinic_every_n_cycles: int = 1
    delivery_hrg_first: str = "SB12Z"
    delivery_hrg_subsequent: str = "SB15Z"
    source: str = ""
    is_estimate: bool = False
    version: int = 1

    # UPDATE ... WHERE version = n: a concurrent save fails instead of overwriting (StaleDataError).
    __mapper_args__ = _versioned()
    updated_at: NaiveDatetime = Field(default_factory=utcnow)


class RegimenPhase(SQLModel, table=True):
    """A later phase of a regimen given in phases: the regimen itself is phase 1; each row names the
    regimen given next (its own schedule and resources), the share of patients who go on to it and
    the gap before it (e.g. for surgery)."""

    __table_args__ = (UniqueConstraint("regimen_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    regimen_id: int = Field(foreign_key="regimen.id", index=True)  # the regimen given in phases
    position: int = 2  # 2, 3, ... (phase 1 is the regimen itself)
    phase_regimen_id: int = Field(foreign_key="regimen.id")  # this phase's schedule and resources
    share_going_on_pct: float = 100.0  # % of those completing the previous phase
    gap_days: int = 0  # days from the end of the previous phase to this phase's first cycle
    source: str = ""
    version: int = 1

    # UPDATE ... WHERE version = n: a concurrent save fails instead of overwriting (StaleDataError).
    __mapper_args__ = _versioned()


class DoseBasis(str, enum.Enum):
    flat = "mg"
    per_kg = "mg/kg"
    per_m2 = "mg/m2"


class RegimenComponent(SQLModel, table=True):
    """One drug in a regimen, with its dose and the chair and aseptic time it takes."""

    id: int | None = Field(default=None, primary_key=True)
    regimen_id: int = Field(foreign_key="regimen.id", index=True)
    position: int = 0
    drug_id: int = Field(foreign_key="drug.id")
    dose: float
    dose_basis: DoseBasis = DoseBasis.flat
    dose_cap_mg: float | None = None
    route: str = "IV"  # IV, SC, oral
    days: str = "1"  # attendance days it is given on, e.g. "1,8"
    chair_minutes_first_cycle: float = 0.0
    chair_minutes_later_cycles: float = 0.0
    aseptic_items: float = 0.0  # per administration
    aseptic_minutes_per_item: float = 51.0  # NCN capacity formula [estimate]


# --- appraisals ----------------------------------------------------------------------------------


class Appraisal(SQLModel, table=True):
    """A NICE technology appraisal in the pipeline, with its milestones and population figures."""

    id: int | None = Field(default=None, primary_key=True)
    gid: str | None = Field(default=None, index=True, max_length=30)  # GID-TA10914
    id_number: str | None = Field(default=None, max_length=20)  # ID4014
    ta_number: str | None = Field(default=None, index=True, max_length=20)  # TA1037
    title: str
    medicine: str = ""
    indication: str = ""
    tumour_site: str = ""
    process: str = "single technology appraisal"
    # in development, awaiting development, suspended, discontinued, terminated, published
    status: str = "in development"
    recommendation: str | None = None  # recommended, optimised, managed access, ...
    is_cancer: bool = True
    draft_guidance_date: date | None = None
    fdg_date: date | None = None
    expected_publication_date: date | None = None
    expected_publication_tbc: bool = False
    publication_date: date | None = None
    marketing_authorisation_date: date | None = None
    deadline_override: date | None = None
    deadline_override_reason: str = ""
    national_eligible_per_year: float | None = None  # NICE resource impact figure [people/year]
    eligible_from_funnel: bool = False
    eligible_growth_pct: float = 0.0  # a year
    # calendar year the eligible figure describes (e.g. a 2022 registry count); growth runs from it
    eligible_data_year: int | None = None
    eligible_low_pct: float = 80.0  # low scenario, % of central
    eligible_high_pct: float = 120.0
    uptake_low_pct: float = 80.0
    uptake_high_pct: float = 120.0
    time_on_treatment_low_pct: float = 80.0
    time_on_treatment_high_pct: float = 120.0
    source: str = ""  # NICE reference and resource impact document
    nice_url: str = ""
    nice_last_read_at: NaiveDatetime | None = None
    nice_last_read_status: str = ""
    # The last failed read from NICE (kept after a later success, shown with its time); never blanks data.
    nice_last_error: str = ""
    nice_last_error_at: NaiveDatetime | None = None
    # NICE's own status wording as last read ("Impacted by COVID-19", "Proposed"), beside the tool's `status`.
    nice_status: str = ""
    is_example: bool = False
    version: int = 1

    # UPDATE ... WHERE version = n: a concurrent save fails instead of overwriting (StaleDataError).
    __mapper_args__ = _versioned()
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    updated_at: NaiveDatetime = Field(default_factory=utcnow)


class FunnelStep(SQLModel, table=True):
    """One step of an eligible-population funnel: the starting count, then named percentages."""

    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", index=True)
    position: int = 0
    name: str = Field(max_length=200)
    value: float  # count for the first step, % for the others
    source: str = ""
    # a branched funnel: steps of one path share its name (the path's first step is its count); steps
    # with no path are common, applied after the paths are summed
    path: str = Field(default="", max_length=200)


class UptakeYear(SQLModel, table=True):
    """Uptake in year N from the start date, % of eligible patients (NICE resource impact templates)."""

    __table_args__ = (UniqueConstraint("appraisal_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", index=True)
    year: int  # 1..5
    percent: float
    source: str = ""


class AppraisalRegimen(SQLModel, table=True):
    """A regimen an appraisal brings in, or one it displaces, for a share of its patients."""

    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", index=True)
    regimen_id: int = Field(foreign_key="regimen.id", index=True)
    role: str = "brings in"  # "brings in" | "displaces"
    share_pct: float = 100.0
    # False for a regimen given alongside another one the appraisal brings in (e.g. extra loading
    # doses): it adds chair, pharmacy, clinic time and cost, but not patients.
    counts_patients: bool = True
    source: str = ""


class TumourSiteShare(SQLModel, table=True):
    """The alliance's share of a tumour site's patients treated at a trust (e.g. from SACT dataset)."""

    __table_args__ = (UniqueConstraint("tumour_site", "trust_id"),)

    id: int | None = Field(default=None, primary_key=True)
    tumour_site: str = Field(max_length=100)
    trust_id: int = Field(foreign_key="trust.id")
    share_pct: float
    source: str = ""


class DateChange(SQLModel, table=True):
    """History of an appraisal's dates: expected publication moved from A to B, and so on."""

    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", index=True)
    field: str = Field(max_length=60)
    old_value: str = ""
    new_value: str = ""
    changed_at: NaiveDatetime = Field(default_factory=utcnow, index=True)
    changed_by_id: int | None = Field(default=None, foreign_key="user.id")
    origin: str = "user"  # "user", "NICE refresh", "seed"


# --- trust overrides -----------------------------------------------------------------------------


class TrustAppraisalOverride(SQLModel, table=True):
    """A trust's own expected patients a year for an appraisal, replacing the share-based figure."""

    __table_args__ = (UniqueConstraint("trust_id", "appraisal_id"),)

    id: int | None = Field(default=None, primary_key=True)
    trust_id: int = Field(foreign_key="trust.id", index=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", index=True)
    patients_per_year: float
    note: str = ""
    entered_by_id: int | None = Field(default=None, foreign_key="user.id")
    entered_at: NaiveDatetime = Field(default_factory=utcnow)
    version: int = 1

    # UPDATE ... WHERE version = n: a concurrent save fails instead of overwriting (StaleDataError).
    __mapper_args__ = _versioned()


class TrustRegimenOverride(SQLModel, table=True):
    """A trust's local timings for a regimen (None keeps the alliance default)."""

    __table_args__ = (UniqueConstraint("trust_id", "regimen_id"),)

    id: int | None = Field(default=None, primary_key=True)
    trust_id: int = Field(foreign_key="trust.id", index=True)
    regimen_id: int = Field(foreign_key="regimen.id", index=True)
    chair_minutes_first_cycle: float | None = None
    chair_minutes_later_cycles: float | None = None
    clinic_minutes: float | None = None
    clinic_every_n_cycles: int | None = None
    verification_minutes_per_cycle: float | None = None
    note: str = ""
    entered_by_id: int | None = Field(default=None, foreign_key="user.id")
    entered_at: NaiveDatetime = Field(default_factory=utcnow)
    version: int = 1

    # UPDATE ... WHERE version = n: a concurrent save fails instead of overwriting (StaleDataError).
    __mapper_args__ = _versioned()


class Readiness(SQLModel, table=True):
    """A trust's readiness to deliver an appraisal, signed off by a SACT lead."""

    __table_args__ = (UniqueConstraint("trust_id", "appraisal_id"),)

    id: int | None = Field(default=None, primary_key=True)
    trust_id: int = Field(foreign_key="trust.id", index=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", index=True)
    status: str = "not started"  # not started, assessing, ready, implemented
    note: str = ""
    set_by_id: int | None = Field(default=None, foreign_key="user.id")
    set_at: NaiveDatetime = Field(default_factory=utcnow)
    version: int = 1

    # UPDATE ... WHERE version = n: a concurrent save fails instead of overwriting (StaleDataError).
    __mapper_args__ = _versioned()


# --- reference values ----------------------------------------------------------------------------


class HrgCost(SQLModel, table=True):
    """A chemotherapy delivery HRG and its cost per attendance (National Cost Collection)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=10)
    description: str
    cost: float  # £ per attendance
    cost_year: str = ""
    source: str = ""
    is_estimate: bool = False


class ReferenceValue(SQLModel, table=True):
    """A named planning constant (England population, default weight and BSA, growth rate ...)."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=80)
    value: float
    unit: str = ""
    label: str = ""
    source: str = ""
    is_estimate: bool = False


# --- records, sharing and NICE -------------------------------------------------------------------


class AuditEntry(SQLModel, table=True):
    """Append-only record of every change: who, when, what, old value, new value."""

    id: int | None = Field(default=None, primary_key=True)
    at: NaiveDatetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")  # None: the system
    user_name: str = ""  # kept as it was at the time
    entity: str = Field(max_length=40, index=True)
    entity_id: int | None = Field(default=None, index=True)
    action: str = "update"  # create, update, delete
    field: str = ""
    old_value: str = ""
    new_value: str = ""
    origin: str = "web"  # web, import, NICE refresh, seed, cli


class ShareLink(SQLModel, table=True):
    """A read-only link to a summary page for someone who does not sign in. Only the token's hash is kept."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    label: str = Field(max_length=200)
    summary: str  # "icb" | "appraisal"
    target_id: int
    frozen: bool = True  # snapshot of the figures when shared, or live
    snapshot_json: str | None = None
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    expires_at: NaiveDatetime
    revoked_at: NaiveDatetime | None = None
    last_opened_at: NaiveDatetime | None = None
    open_count: int = 0


class ApiToken(SQLModel, table=True):
    """A token for the read-only JSON API, created by an admin. Only its hash is kept."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    label: str = Field(max_length=200)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    revoked_at: NaiveDatetime | None = None
    last_used_at: NaiveDatetime | None = None
    expires_at: NaiveDatetime | None = None  # refused after this; None only for tokens made before expiry dates


class NiceCandidate(SQLModel, table=True):
    """A cancer appraisal found on NICE's in-development list, offered for tracking."""

    id: int | None = Field(default=None, primary_key=True)
    gid: str = Field(index=True, unique=True, max_length=30)
    title: str
    url: str = ""
    expected_publication: str = ""
    matched_term: str = ""
    reason: str = ""  # why the title was picked, in words (the classifier's reason)
    decision: str = "new"  # new, accepted, dismissed
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: NaiveDatetime | None = None
    found_at: NaiveDatetime = Field(default_factory=utcnow)


class NiceSavedPage(SQLModel, table=True):
    """A NICE page a person saved from their browser and uploaded (or pasted) when NICE refused the tool.

    Kept so the confirm step saves what the preview showed, and as the source of what was saved."""

    id: int | None = Field(default=None, primary_key=True)
    url: str = ""  # the page's address on nice.org.uk, when the person gave it
    file_name: str = ""
    text: str
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id")
    uploaded_at: NaiveDatetime = Field(default_factory=utcnow)
    appraisal_id: int | None = Field(default=None, foreign_key="appraisal.id")  # set once confirmed


class NiceListSkip(SQLModel, table=True):
    """An item of NICE's list that the last look for new appraisals did not offer, and why (replaced each look)."""

    id: int | None = Field(default=None, primary_key=True)
    title: str
    url: str = ""
    reason: str = ""
    listed_at: NaiveDatetime = Field(default_factory=utcnow)
# --- accounts and sessions -----------------------------------------------------------------------


class SignInSession(SQLModel, table=True):
    """One signed-in session, kept on the server so that signing out, idling or a password change ends it.

    The browser's cookie holds only a random token; its hash is kept here."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    started_at: NaiveDatetime = Field(default_factory=utcnow)
    last_seen_at: NaiveDatetime = Field(default_factory=utcnow)
    ended_at: NaiveDatetime | None = None
    ended_reason: str = ""  # signed out, idle, too long, password changed, deactivated
    address: str = Field(default="", max_length=64)


class SignInEvent(SQLModel, table=True):
    """Append-only record of every sign-in, failed sign-in, refusal and sign-out."""

    id: int | None = Field(default=None, primary_key=True)
    at: NaiveDatetime = Field(default_factory=utcnow, index=True)
    email: str = Field(default="", max_length=254, index=True)  # as typed (lower case), even if unknown
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    outcome: str = Field(max_length=40)  # signed in, wrong password, unknown address, deactivated, too many attempts, signed out
    address: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=200)


class AccountLink(SQLModel, table=True):
    """A one-time, expiring link sent by email: to set a first password (invite) or a new one (reset).

    Only the token's hash is kept."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    purpose: str = Field(max_length=20)  # invite, reset
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    expires_at: NaiveDatetime
    used_at: NaiveDatetime | None = None


class RateLimitCounter(SQLModel, table=True):
    """Sign-in throttling counters (Flask-Limiter's fixed windows) kept in the app's own database, so every
    gunicorn worker and every machine sees the same count."""

    key: str = Field(primary_key=True, max_length=255)
    hits: int = 0
    expires_at: float = 0.0  # seconds since the epoch
class BackgroundJob(SQLModel, table=True):
    """Long work done outside a web request (refresh everything from NICE, build a PDF): what was
    asked, by whom, how far it has got, and what came of it. The same row on SQLite and PostgreSQL;
    the page polls it for progress (see `jobs/`)."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True, max_length=40)  # "nice_refresh_all", "summary_pdf"
    params: str = "{}"  # JSON: what to do (e.g. which summary)
    state: str = Field(default="queued", index=True, max_length=20)  # queued, running, done, failed
    requested_by_id: int | None = Field(default=None, foreign_key="user.id")
    requested_by_name: str = Field(default="", max_length=200)  # "nightly schedule" when no user asked
    progress_done: int = 0
    progress_total: int = 0
    message: str = ""  # one line a user reads: what is happening, or what came of it
    result: str = "{}"  # JSON: the lines a user reads when it has finished
    file_name: str = Field(default="", max_length=200)
    file_content: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: NaiveDatetime = Field(default_factory=utcnow, index=True)
    started_at: NaiveDatetime | None = None
    finished_at: NaiveDatetime | None = None


# --- what-if scenarios (issue #17) ---------------------------------------------------------------


class Scenario(SQLModel, table=True):
    """A named what-if: a set of changes on top of the agreed figures, never changing them. Its history
    is the audit trail (entity "scenario" and "scenario change")."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    description: str = ""
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    is_example: bool = False  # seeded from public facts, labelled as an example
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    updated_at: NaiveDatetime = Field(default_factory=utcnow)
    version: int = 1

    # UPDATE ... WHERE version = n: a concurrent save fails instead of overwriting (StaleDataError).
    __mapper_args__ = _versioned()


class ScenarioChange(SQLModel, table=True):
    """One change of a scenario, in order. ``kind`` says which columns it uses (core/scenarios.py):
    "switch form" (regimen, new regimen, share, from date), "extended interval" (regimen, new name,
    cycle length), "capacity" (trust, chairs, hours a day, aseptic staff hours, from date), "growth"
    (growth), "uptake" (appraisal, uptake by year), "eligible" (appraisal, eligible a year)."""

    __table_args__ = (UniqueConstraint("scenario_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True)
    position: int = 1
    kind: str = Field(max_length=40)
    regimen_id: int | None = Field(default=None, foreign_key="regimen.id")
    new_regimen_id: int | None = Field(default=None, foreign_key="regimen.id")
    new_name: str = Field(default="", max_length=200)
    share_pct: float | None = None
    cycle_length_days: int | None = None
    from_date: date | None = None
    trust_id: int | None = Field(default=None, foreign_key="trust.id")
    chairs: float | None = None
    hours_per_day: float | None = None
    aseptic_staff_hours_per_week: float | None = None
    growth_pct: float | None = None
    appraisal_id: int | None = Field(default=None, foreign_key="appraisal.id")
    uptake_pct_by_year: str = Field(default="", max_length=200)  # "20, 40, 60": year 1, 2, 3 ...
    eligible_per_year: float | None = None
    source: str = ""  # where the figures of the change came from, in words
    version: int = 1

    # UPDATE ... WHERE version = n: a concurrent save fails instead of overwriting (StaleDataError).
    __mapper_args__ = _versioned()
