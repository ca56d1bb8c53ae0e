"""Load the seed data (`seeds/`): reference figures, regimens and the example pipeline.

Each seed file is a CSV whose leading `#` lines state its sources; `seeds/README.md` documents every column.
Loading is idempotent: rows are matched on their natural key (ODS code, drug name, regimen name, HRG code,
reference key, appraisal title, e-mail ...), created when missing, updated when a seeded value differs, and
left alone otherwise. Everything is validated before anything is written, and the whole load is one
transaction: a bad value raises `SeedError` naming file, line and column, and nothing is loaded.

Example appraisals store their milestone dates as day offsets from the load date, so that their deadlines
fall in the coming months. Those dates are set when the appraisal is first created and are not moved by
later loads unless `move_example_dates=True` (a re-seed should not silently shift the pipeline; a move is
recorded in `DateChange` with origin "seed").
"""

from __future__ import annotations

import csv
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, select
from werkzeug.security import generate_password_hash

from . import bounds
from .audit import Actor, record
from .models import Scenario, ScenarioChange
from .models import (
    Appraisal,
    AppraisalRegimen,
    DateChange,
    DoseBasis,
    Drug,
    DrugPack,
    FigureSource,
    FunnelStep,
    HrgCost,
    Icb,
    ReferenceValue,
    Regimen,
    RegimenComponent,
    RegimenPhase,
    Role,
    Trust,
    TumourSiteShare,
    UptakeYear,
    User,
    utcnow,
)

SEEDS_ROOT = Path(__file__).resolve().parent.parent / "seeds"
DEFAULT_FOLDERS = (SEEDS_ROOT / "reference", SEEDS_ROOT / "example")
CREDENTIALS_FILE_NAME = "example-sign-in.txt"

ORIGIN = "seed"
SEED_ACTOR = Actor(user_id=None, name="seed", origin=ORIGIN)

APPRAISAL_STATUSES = ("in development", "published", "terminated", "suspended")
RECOMMENDATIONS = (
    "recommended",
    "optimised",
    "only in research",
    "not recommended",
    "managed access",
    "terminated",
)
REGIMEN_ROLES = ("brings in", "displaces")
# the kinds of change a seeded scenario may hold (those needing only a regimen name or a number)
SCENARIO_CHANGE_KINDS = ("extended interval", "growth")
APPRAISAL_DATE_FIELDS = (
    "draft_guidance_date",
    "fdg_date",
    "expected_publication_date",
    "publication_date",
    "marketing_authorisation_date",
)
TRUST_FIGURES = (
    "catchment_population",
    "chairs",
    "chair_hours_per_day",
    "days_per_week",
    "target_utilisation",
    "baseline_chair_hours_per_week",
    "aseptic_hours_per_week",
    "baseline_aseptic_hours_per_week",
    "clinic_slots_per_week",
    "baseline_clinic_appointments_per_week",
)
APPRAISAL_FIGURES = ("national_eligible_per_year", "eligible_growth_pct")


class SeedError(ValueError):
    """A seed file that cannot be loaded: names the file, line and column."""

    def __init__(self, file: str, line: int | None, column: str | None, problem: str):
        self.file, self.line, self.column, self.problem = file, line, column, problem
        where = file
        if line is not None:
            where += f", line {line}"
        if column:
            where += f", column '{column}'"
        super().__init__(f"{where}: {problem}")


@dataclass
class FileReport:
    """Rows of one seed file: created, updated (a seeded value differed) and unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class SeedReport:
    """What one load did.

    files: per seed file name ("trusts.csv"), its row counts; the `FigureSource` rows written alongside
        trusts and appraisals are counted under "figure sources".
    credentials_file: where newly generated example passwords were written, if anywhere.
    generated_passwords: e-mail -> password for users created in this load with a generated password
        (so a command can show them when there was no file to write to); never printed by `repr`.
    """

    files: dict[str, FileReport]
    credentials_file: Path | None = None
    generated_passwords: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def created(self) -> int:
        return sum(r.created for r in self.files.values())

    @property
    def updated(self) -> int:
        return sum(r.updated for r in self.files.values())

    @property
    def unchanged(self) -> int:
        return sum(r.unchanged for r in self.files.values())

    def __str__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        """One line per file, for the `flask seed` command."""
        return "\n".join(
            f"{name}: {r.created} created, {r.updated} updated, {r.unchanged} unchanged"
            for name, r in self.files.items()
        )


# --- reading and checking ------------------------------------------------------------------------

TEXT, INT, FLOAT, BOOL, DATE = "text", "int", "float", "bool", "date"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = TEXT
    required: bool = False
    choices: tuple[str, ...] = ()


def _columns(*specs: Column | str) -> tuple[Column, ...]:
    return tuple(Column(s) if isinstance(s, str) else s for s in specs)


# Files in load order (a file may refer to those above it). Only the files present are loaded.
FILE_COLUMNS: dict[str, tuple[Column, ...]] = {
    "icbs.csv": _columns(
        Column("ods_code", required=True),
        Column("name", required=True),
        Column("population", INT),
        "population_source",
        Column("is_estimate", BOOL),
    ),
    "trusts.csv": _columns(
        Column("ods_code", required=True),
        Column("name", required=True),
        Column("icb_ods_code", required=True),
        "notes",
        Column("catchment_population", INT),
        Column("chairs", INT),
        Column("chair_hours_per_day", FLOAT),
        Column("days_per_week", FLOAT),
        Column("target_utilisation", FLOAT),
        Column("baseline_chair_hours_per_week", FLOAT),
        Column("aseptic_hours_per_week", FLOAT),
        Column("baseline_aseptic_hours_per_week", FLOAT),
        Column("clinic_slots_per_week", FLOAT),
        Column("baseline_clinic_appointments_per_week", FLOAT),
        Column("figures_source", required=True),
        Column("figures_is_estimate", BOOL),
    ),
    "reference_values.csv": _columns(
        Column("key", required=True),
        Column("value", FLOAT, required=True),
        "unit",
        "label",
        Column("source", required=True),
        Column("is_estimate", BOOL),
    ),
    "hrg_costs.csv": _columns(
        Column("code", required=True),
        Column("description", required=True),
        Column("cost", FLOAT, required=True),
        "cost_year",
        Column("source", required=True),
        Column("is_estimate", BOOL),
    ),
    "drugs.csv": _columns(Column("name", required=True), Column("is_oral", BOOL)),
    "drug_packs.csv": _columns(
        Column("drug", required=True),
        Column("description", required=True),
        Column("pack_mg", FLOAT, required=True),
        Column("list_price", FLOAT),
        Column("price_source", required=True),
        Column("price_date", DATE),
        Column("is_estimate", BOOL),
    ),
    "regimens.csv": _columns(
        Column("name", required=True),
        "indication",
        "tumour_site",
        Column("cycle_length_days", INT, required=True),
        Column("attendance_days", required=True),
        Column("is_oral", BOOL),
        Column("max_cycles", INT),
        Column("median_time_on_treatment_days", FLOAT),
        Column("max_years", FLOAT),
        Column("verification_minutes_per_cycle", FLOAT, required=True),
        Column("clinic_type", required=True),
        Column("clinic_minutes", FLOAT, required=True),
        Column("clinic_every_n_cycles", INT, required=True),
        Column("delivery_hrg_first", required=True),
        Column("delivery_hrg_subsequent", required=True),
        Column("source", required=True),
        Column("is_estimate", BOOL),
    ),
    "regimen_components.csv": _columns(
        Column("regimen", required=True),
        Column("position", INT, required=True),
        Column("drug", required=True),
        Column("dose", FLOAT, required=True),
        Column("dose_basis", required=True, choices=tuple(b.value for b in DoseBasis)),
        Column("dose_cap_mg", FLOAT),
        Column("route", required=True, choices=("IV", "SC", "oral")),
        Column("days", required=True),
        Column("chair_minutes_first_cycle", FLOAT, required=True),
        Column("chair_minutes_later_cycles", FLOAT, required=True),
        Column("aseptic_items", FLOAT, required=True),
        Column("aseptic_minutes_per_item", FLOAT, required=True),
    ),
    "regimen_phases.csv": _columns(
        Column("regimen", required=True),
        Column("position", INT, required=True),
        Column("phase_regimen", required=True),
        Column("share_going_on_pct", FLOAT, required=True),
        Column("gap_days", INT, required=True),
        Column("source", required=True),
    ),
    "tumour_site_shares.csv": _columns(
        Column("tumour_site", required=True),
        Column("trust", required=True),
        Column("share_pct", FLOAT, required=True),
        Column("source", required=True),
    ),
    "appraisals.csv": _columns(
        Column("title", required=True),
        "gid",
        "id_number",
        "ta_number",
        "medicine",
        "indication",
        "tumour_site",
        "process",
        Column("status", required=True, choices=APPRAISAL_STATUSES),
        Column("recommendation", choices=RECOMMENDATIONS),
        *(Column(f.removesuffix("_date") + "_offset_days", INT) for f in APPRAISAL_DATE_FIELDS),
        *(Column(f, DATE) for f in APPRAISAL_DATE_FIELDS),
        Column("expected_publication_tbc", BOOL),
        Column("national_eligible_per_year", FLOAT),
        Column("eligible_from_funnel", BOOL),
        Column("eligible_growth_pct", FLOAT),
        Column("eligible_data_year", INT),
        Column("eligible_source", required=True),
        Column("eligible_is_estimate", BOOL),
        Column("source", required=True),
        "nice_url",
        Column("is_example", BOOL),
    ),
    "funnel_steps.csv": _columns(
        Column("appraisal", required=True),
        Column("position", INT, required=True),
        Column("name", required=True),
        Column("value", FLOAT, required=True),
        Column("source", required=True),
        "path",
    ),
    "uptake.csv": _columns(
        Column("appraisal", required=True),
        Column("year", INT, required=True),
        Column("percent", FLOAT, required=True),
        Column("source", required=True),
    ),
    "appraisal_regimens.csv": _columns(
        Column("appraisal", required=True),
        Column("regimen", required=True),
        Column("role", required=True, choices=REGIMEN_ROLES),
        Column("share_pct", FLOAT, required=True),
        "source",
        Column("given_alongside", BOOL),
    ),
    "users.csv": _columns(
        Column("email", required=True),
        Column("name", required=True),
        Column("role", required=True, choices=tuple(r.value for r in Role)),
        "trust",
        Column("can_see_confidential_prices", BOOL),
        Column("is_example", BOOL),
    ),
    # what-if scenarios (issue #17): one row per change, in order; the scenario is created with its first row
    "scenario_changes.csv": _columns(
        Column("scenario", required=True),
        Column("description", required=True),
        Column("position", INT, required=True),
        Column("kind", required=True, choices=SCENARIO_CHANGE_KINDS),
        "regimen",
        "new_name",
        Column("cycle_length_days", INT),
        Column("growth_pct", FLOAT),
        Column("source", required=True),
    ),
}

# Optional columns a file may leave out entirely (everything else in FILE_COLUMNS must be in the header).
OPTIONAL_HEADER_COLUMNS = {
    "appraisals.csv": {
        *(f.removesuffix("_date") + "_offset_days" for f in APPRAISAL_DATE_FIELDS),
        *APPRAISAL_DATE_FIELDS,
        "is_example",
        "gid",
        "id_number",
        "nice_url",
        "eligible_data_year",
    },
    "users.csv": {"is_example", "can_see_confidential_prices"},
    "appraisal_regimens.csv": {"given_alongside"},
    "funnel_steps.csv": {"path"},
}

# Numbers that may legitimately be below zero: dates in the past, a shrinking population.
MAY_BE_NEGATIVE = {
    *(f.removesuffix("_date") + "_offset_days" for f in APPRAISAL_DATE_FIELDS),
    "eligible_growth_pct",
}

_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n", ""}


@dataclass(frozen=True)
class Row:
    file: str
    line: int
    values: dict[str, Any]

    def __getitem__(self, column: str) -> Any:
        return self.values.get(column)

    def error(self, column: str | None, problem: str) -> SeedError:
        return SeedError(self.file, self.line, column, problem)


def _convert(raw: str, column: Column, file: str, line: int) -> Any:
    text = raw.strip()
    if text == "":
        if column.required:
            raise SeedError(file, line, column.name, "a value is required")
        return False if column.kind == BOOL else None
    try:
        if column.kind == INT:
            return int(text.replace(",", ""))
        if column.kind == FLOAT:
            return float(text.replace(",", ""))
        if column.kind == DATE:
            return date.fromisoformat(text)
    except ValueError:
        expected = {INT: "a whole number", FLOAT: "a number", DATE: "a date as YYYY-MM-DD"}[column.kind]
        raise SeedError(file, line, column.name, f"expected {expected}, found {text!r}") from None
    if column.kind == BOOL:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise SeedError(file, line, column.name, f"expected true or false, found {text!r}")
    if column.choices and text not in column.choices:
        raise SeedError(file, line, column.name, f"{text!r} is not one of: {', '.join(column.choices)}")
    return text


def read_seed_file(path: Path) -> list[Row]:
    """The typed rows of one seed file; `#` comment lines (after optional spaces) and blank lines skipped.

    Each row must sit on one line (a quoted value may not span lines), so that errors can name the line.
    """
    name = path.name
    columns = FILE_COLUMNS[name]
    by_name = {c.name: c for c in columns}
    header: list[str] | None = None
    rows: list[Row] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line_number, text in enumerate(handle, start=1):
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            cells = next(csv.reader([text]))
            if header is None:
                header = [c.strip() for c in cells]
                unknown = [c for c in header if c not in by_name]
                if unknown:
                    raise SeedError(name, line_number, unknown[0], "unknown column")
                optional = OPTIONAL_HEADER_COLUMNS.get(name, set())
                missing = [c.name for c in columns if c.name not in header and c.name not in optional]
                if missing:
                    raise SeedError(name, line_number, missing[0], "column missing from the header")
                continue
            if len(cells) != len(header):
                raise SeedError(
                    name, line_number, None, f"expected {len(header)} values, found {len(cells)}"
                )
            values = {
                column: _convert(raw, by_name[column], name, line_number)
                for column, raw in zip(header, cells, strict=True)
            }
            for column in columns:
                values.setdefault(column.name, False if column.kind == BOOL else None)
            rows.append(Row(name, line_number, values))
    if header is None:
        raise SeedError(name, None, None, "no header line")
    return rows


def _seed_folders(path: Path | None) -> list[Path]:
    if path is None:
        return list(DEFAULT_FOLDERS)
    if not path.is_dir():
        raise SeedError(str(path), None, None, "not a folder")
    subfolders = [path / "reference", path / "example"]
    if not any(path.glob("*.csv")) and any(p.is_dir() for p in subfolders):
        return [p for p in subfolders if p.is_dir()]
    return [path]


def _read_folders(folders: list[Path]) -> dict[str, list[Row]]:
    """Rows by file name, the same file name in a later folder adding to the earlier one's rows."""
    rows: dict[str, list[Row]] = {}
    for folder in folders:
        for file in sorted(folder.iterdir()):
            if file.suffix.lower() not in (".csv", ".json"):
                continue
            if file.name not in FILE_COLUMNS:
                raise SeedError(file.name, None, None, f"unknown seed file in {folder}")
            rows.setdefault(file.name, []).extend(read_seed_file(file))
    return {name: rows[name] for name in FILE_COLUMNS if name in rows}


def _day_list(row: Row, column: str) -> list[int]:
    try:
        days = [int(part) for part in str(row[column]).split(",")]
    except ValueError:
        raise row.error(column, f"expected days such as 1 or 1,8, found {row[column]!r}") from None
    if any(d < 1 for d in days) or days != sorted(set(days)):
        raise row.error(column, "days must be increasing whole numbers from 1")
    return days


# Seed files whose numbers are bounded by `bounds.BOUNDS`, and the table each file fills.
BOUNDED_FILES = {
    "trusts.csv": "trust",
    "hrg_costs.csv": "hrgcost",
    "drug_packs.csv": "drugpack",
    "regimens.csv": "regimen",
    "regimen_components.csv": "regimencomponent",
    "tumour_site_shares.csv": "tumoursiteshare",
    "appraisals.csv": "appraisal",
    "uptake.csv": "uptakeyear",
    "appraisal_regimens.csv": "appraisalregimen",
}


def _check_bounds(rows: dict[str, list[Row]]) -> None:
    """Every number within its clinical bound (the same table as the forms and the importer)."""
    for file, table in BOUNDED_FILES.items():
        for row in rows.get(file, []):
            for column in row.values:
                message = bounds.problem(f"{table}.{column}", row[column])
                if message:
                    raise row.error(column, message)
    for row in rows.get("reference_values.csv", []):
        message = bounds.problem(f"referencevalue.{row['key']}", row["value"])
        if message:
            raise row.error("value", message)
    first_steps: dict[str, int] = {}
    for row in rows.get("funnel_steps.csv", []):
        first_steps[row["appraisal"]] = min(first_steps.get(row["appraisal"], row["position"]), row["position"])
    for row in rows.get("funnel_steps.csv", []):
        key = "funnelstep.start_count" if row["position"] == first_steps[row["appraisal"]] else "funnelstep.percent"
        message = bounds.problem(key, row["value"])
        if message:
            raise row.error("value", message)


def _check(rows: dict[str, list[Row]], session: Session) -> None:
    """Check keys, references between files (and to rows already in the database) and value ranges."""

    def known(file: str, column: str, table_column) -> set[str]:
        in_files = {r[column] for r in rows.get(file, [])}
        return in_files | set(session.exec(select(table_column)).all())

    def unique(file: str, *columns: str) -> None:
        seen: set[tuple] = set()
        for row in rows.get(file, []):
            key = tuple(row[c] for c in columns)
            if key in seen:
                raise row.error(columns[-1], f"duplicate {' / '.join(map(str, key))}")
            seen.add(key)

    def refers(file: str, column: str, targets: set[str], what: str, *, optional: bool = False) -> None:
        for row in rows.get(file, []):
            if optional and row[column] is None:
                continue
            if row[column] not in targets:
                raise row.error(column, f"unknown {what} {row[column]!r}")

    for file, key in [
        ("icbs.csv", ("ods_code",)),
        ("trusts.csv", ("ods_code",)),
        ("reference_values.csv", ("key",)),
        ("hrg_costs.csv", ("code",)),
        ("drugs.csv", ("name",)),
        ("drug_packs.csv", ("drug", "description")),
        ("regimens.csv", ("name",)),
        ("regimen_components.csv", ("regimen", "position")),
        ("regimen_phases.csv", ("regimen", "position")),
        ("tumour_site_shares.csv", ("tumour_site", "trust")),
        ("appraisals.csv", ("title",)),
        ("funnel_steps.csv", ("appraisal", "position")),
        ("uptake.csv", ("appraisal", "year")),
        ("appraisal_regimens.csv", ("appraisal", "regimen", "role")),
        ("users.csv", ("email",)),
        ("scenario_changes.csv", ("scenario", "position")),
    ]:
        unique(file, *key)

    for file, file_rows in rows.items():
        counts = [c for c in FILE_COLUMNS[file] if c.kind in (INT, FLOAT) and c.name not in MAY_BE_NEGATIVE]
        for row in file_rows:
            for column in counts:
                if row[column.name] is not None and row[column.name] < 0:
                    raise row.error(column.name, "must not be negative")
    for row in rows.get("regimens.csv", []):
        if not 1 <= row["cycle_length_days"] <= 365:
            raise row.error("cycle_length_days", "expected 1 to 365 days")

    icbs = known("icbs.csv", "ods_code", Icb.ods_code)
    trusts = known("trusts.csv", "ods_code", Trust.ods_code)
    hrgs = known("hrg_costs.csv", "code", HrgCost.code)
    drugs = known("drugs.csv", "name", Drug.name)
    regimens = known("regimens.csv", "name", Regimen.name)
    appraisals = known("appraisals.csv", "title", Appraisal.title)

    refers("trusts.csv", "icb_ods_code", icbs, "ICB code")
    for row in rows.get("trusts.csv", []):
        utilisation = row["target_utilisation"]
        if utilisation is not None and not 0 < utilisation <= 1:
            raise row.error("target_utilisation", "expected a fraction between 0 and 1")
    refers("drug_packs.csv", "drug", drugs, "drug")

    regimen_days: dict[str, list[int]] = {
        r.name: [int(d) for d in r.attendance_days.split(",")]
        for r in session.exec(select(Regimen)).all()
    }
    for row in rows.get("regimens.csv", []):
        days = _day_list(row, "attendance_days")
        if days[-1] > row["cycle_length_days"]:
            raise row.error("attendance_days", "a day falls after the end of the cycle")
        for column in ("delivery_hrg_first", "delivery_hrg_subsequent"):
            if row[column] not in hrgs:
                raise row.error(column, f"unknown HRG code {row[column]!r}")
        regimen_days[row["name"]] = days

    refers("regimen_components.csv", "regimen", regimens, "regimen")
    refers("regimen_components.csv", "drug", drugs, "drug")
    for row in rows.get("regimen_components.csv", []):
        if not set(_day_list(row, "days")) <= set(regimen_days[row["regimen"]]):
            raise row.error("days", "the drug is given on a day the regimen has no attendance")

    refers("regimen_phases.csv", "regimen", regimens, "regimen")
    refers("regimen_phases.csv", "phase_regimen", regimens, "regimen")
    for row in rows.get("regimen_phases.csv", []):
        if row["position"] < 2:
            raise row.error("position", "phase 1 is the regimen itself: later phases are 2, 3, ...")
        if row["phase_regimen"] == row["regimen"]:
            raise row.error("phase_regimen", "a phase must be another regimen")

    refers("tumour_site_shares.csv", "trust", trusts, "trust code")
    for file, column in [
        ("tumour_site_shares.csv", "share_pct"),
        ("uptake.csv", "percent"),
        ("appraisal_regimens.csv", "share_pct"),
        ("regimen_phases.csv", "share_going_on_pct"),
    ]:
        for row in rows.get(file, []):
            if not 0 <= row[column] <= 100:
                raise row.error(column, "expected a percentage from 0 to 100")

    for row in rows.get("appraisals.csv", []):
        for date_field in APPRAISAL_DATE_FIELDS:
            offset = date_field.removesuffix("_date") + "_offset_days"
            if row[date_field] is not None and row[offset] is not None:
                raise row.error(offset, f"give {date_field} or {offset}, not both")
        if row["eligible_from_funnel"] == (row["national_eligible_per_year"] is not None):
            raise row.error(
                "national_eligible_per_year",
                "give a national figure, or set eligible_from_funnel=true and leave it blank",
            )

    refers("funnel_steps.csv", "appraisal", appraisals, "appraisal")
    refers("uptake.csv", "appraisal", appraisals, "appraisal")
    for row in rows.get("uptake.csv", []):
        if not 1 <= row["year"] <= 5:
            raise row.error("year", "expected a year from 1 to 5")
    refers("appraisal_regimens.csv", "appraisal", appraisals, "appraisal")
    refers("appraisal_regimens.csv", "regimen", regimens, "regimen")

    refers("users.csv", "trust", trusts, "trust code", optional=True)
    for row in rows.get("users.csv", []):
        if row["role"] == Role.pharmacist.value and row["trust"] is None:
            raise row.error("trust", "a pharmacist needs a trust")
    for row in rows.get("scenario_changes.csv", []):
        if row["kind"] == "extended interval":
            if row["regimen"] not in regimens:
                raise row.error("regimen", f"unknown regimen {row['regimen']!r}")
            if not row["new_name"] or not row["cycle_length_days"]:
                raise row.error("cycle_length_days", "an extended interval needs a new name and a cycle length")
        elif row["growth_pct"] is None:
            raise row.error("growth_pct", "a change of growth needs a rate")
    _check_bounds(rows)


# --- writing -------------------------------------------------------------------------------------


class _Loader:
    """Writes checked rows: one upsert per row, an audit entry per created row and per changed field."""

    def __init__(self, session: Session, today: date, move_example_dates: bool):
        self.session = session
        self.today = today
        self.move_example_dates = move_example_dates
        self.files: dict[str, FileReport] = {}
        self.generated_passwords: dict[str, str] = {}

    def _audit(self, obj, action: str, field_name: str = "", old: Any = None, new: Any = None) -> None:
        record(self.session, SEED_ACTOR, obj, action, field_name, old, new)

    def upsert(
        self,
        report_name: str,
        model,
        key: dict[str, Any],
        values: dict[str, Any],
        *,
        create_only: frozenset[str] = frozenset(),
        on_change: Callable[[Any, str, Any, Any], None] | None = None,
    ):
        """The row with `key`, created or brought up to date with `values`; counted in the report."""
        report = self.files.setdefault(report_name, FileReport())
        obj = self.session.exec(select(model).filter_by(**key)).first()
        if obj is None:
            obj = model(**key, **values)
            self.session.add(obj)
            self.session.flush()
            self._audit(obj, "create", new=" / ".join(str(v) for v in key.values()))
            report.created += 1
            return obj
        changes = {
            name: (getattr(obj, name), value)
            for name, value in values.items()
            if name not in create_only and getattr(obj, name) != value
        }
        if not changes:
            report.unchanged += 1
            return obj
        for name, (old, new) in changes.items():
            setattr(obj, name, new)
        if hasattr(obj, "version"):
            obj.version += 1
        if hasattr(obj, "updated_at"):
            obj.updated_at = utcnow()
        self.session.add(obj)
        self.session.flush()
        for name, (old, new) in changes.items():
            self._audit(obj, "update", name, old, new)
            if on_change is not None:
                on_change(obj, name, old, new)
        report.updated += 1
        return obj

    def figure_source(self, entity: str, entity_id: int, field_name: str, source: str, estimate: bool):
        self.upsert(
            "figure sources",
            FigureSource,
            {"entity": entity, "entity_id": entity_id, "field": field_name},
            {"source": source, "is_estimate": estimate, "entered_by_id": None},
        )

    def one(self, model, **key):
        return self.session.exec(select(model).filter_by(**key)).one()

    # one method per file, named after it

    def icbs(self, row: Row):
        icb = self.upsert(
            row.file,
            Icb,
            {"ods_code": row["ods_code"]},
            {
                "name": row["name"],
                "population": row["population"],
                "population_source": row["population_source"] or "",
            },
        )
        if row["population"] is not None:
            self.figure_source(
                "icb", icb.id, "population", row["population_source"] or "", row["is_estimate"]
            )

    def trusts(self, row: Row):
        icb = self.one(Icb, ods_code=row["icb_ods_code"])
        figures = {name: row[name] for name in TRUST_FIGURES}
        trust = self.upsert(
            row.file,
            Trust,
            {"ods_code": row["ods_code"]},
            {"name": row["name"], "icb_id": icb.id, "notes": row["notes"] or "", **figures},
        )
        for name, value in figures.items():
            if value is not None:
                self.figure_source(
                    "trust", trust.id, name, row["figures_source"], row["figures_is_estimate"]
                )

    def reference_values(self, row: Row):
        self.upsert(
            row.file,
            ReferenceValue,
            {"key": row["key"]},
            {
                "value": row["value"],
                "unit": row["unit"] or "",
                "label": row["label"] or "",
                "source": row["source"],
                "is_estimate": row["is_estimate"],
            },
        )

    def hrg_costs(self, row: Row):
        self.upsert(
            row.file,
            HrgCost,
            {"code": row["code"]},
            {
                "description": row["description"],
                "cost": row["cost"],
                "cost_year": row["cost_year"] or "",
                "source": row["source"],
                "is_estimate": row["is_estimate"],
            },
        )

    def drugs(self, row: Row):
        self.upsert(row.file, Drug, {"name": row["name"]}, {"is_oral": row["is_oral"]})

    def drug_packs(self, row: Row):
        drug = self.one(Drug, name=row["drug"])
        self.upsert(
            row.file,
            DrugPack,
            {"drug_id": drug.id, "description": row["description"]},
            {
                "pack_mg": row["pack_mg"],
                "list_price": row["list_price"],
                "price_source": row["price_source"],
                "price_date": row["price_date"],
                "is_estimate": row["is_estimate"],
            },
        )

    def regimens(self, row: Row):
        values = {
            name: row[name]
            for name in (
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
                "delivery_hrg_subsequent",
                "source",
                "is_estimate",
            )
        }
        values["indication"] = row["indication"] or ""
        values["tumour_site"] = row["tumour_site"] or ""
        self.upsert(row.file, Regimen, {"name": row["name"]}, values)

    def regimen_components(self, row: Row):
        regimen = self.session.exec(select(Regimen).filter_by(name=row["regimen"])).first()
        drug = self.one(Drug, name=row["drug"])
        self.upsert(
            row.file,
            RegimenComponent,
            {"regimen_id": regimen.id, "position": row["position"]},
            {
                "drug_id": drug.id,
                "dose": row["dose"],
                "dose_basis": DoseBasis(row["dose_basis"]),
                "dose_cap_mg": row["dose_cap_mg"],
                "route": row["route"],
                "days": row["days"],
                "chair_minutes_first_cycle": row["chair_minutes_first_cycle"],
                "chair_minutes_later_cycles": row["chair_minutes_later_cycles"],
                "aseptic_items": row["aseptic_items"],
                "aseptic_minutes_per_item": row["aseptic_minutes_per_item"],
            },
        )

    def regimen_phases(self, row: Row):
        regimen = self.session.exec(select(Regimen).filter_by(name=row["regimen"])).first()
        phase = self.session.exec(select(Regimen).filter_by(name=row["phase_regimen"])).first()
        self.upsert(
            row.file,
            RegimenPhase,
            {"regimen_id": regimen.id, "position": row["position"]},
            {"phase_regimen_id": phase.id, "share_going_on_pct": row["share_going_on_pct"],
             "gap_days": row["gap_days"], "source": row["source"]},
        )

    def tumour_site_shares(self, row: Row):
        trust = self.one(Trust, ods_code=row["trust"])
        self.upsert(
            row.file,
            TumourSiteShare,
            {"tumour_site": row["tumour_site"], "trust_id": trust.id},
            {"share_pct": row["share_pct"], "source": row["source"]},
        )

    def appraisals(self, row: Row):
        dates: dict[str, date | None] = {}
        moved_by_offset: set[str] = set()
        for date_field in APPRAISAL_DATE_FIELDS:
            offset = row[date_field.removesuffix("_date") + "_offset_days"]
            if offset is not None:
                dates[date_field] = self.today + timedelta(days=offset)
                moved_by_offset.add(date_field)
            else:
                dates[date_field] = row[date_field]
        values = {
            "gid": row["gid"],
            "id_number": row["id_number"],
            "ta_number": row["ta_number"],
            "medicine": row["medicine"] or "",
            "indication": row["indication"] or "",
            "tumour_site": row["tumour_site"] or "",
            "process": row["process"] or "single technology appraisal",
            "status": row["status"],
            "recommendation": row["recommendation"],
            "expected_publication_tbc": row["expected_publication_tbc"],
            "national_eligible_per_year": row["national_eligible_per_year"],
            "eligible_from_funnel": row["eligible_from_funnel"],
            "eligible_growth_pct": row["eligible_growth_pct"] or 0.0,
            "source": row["source"],
            "nice_url": row["nice_url"] or "",
            "is_example": row["is_example"],
            **dates,
        }
        if row["eligible_data_year"] is not None:  # optional column: a blank leaves the stored year alone
            values["eligible_data_year"] = row["eligible_data_year"]
        # Offset dates are anchored at creation: a later load must not drift the pipeline by itself.
        create_only = frozenset() if self.move_example_dates else frozenset(moved_by_offset)

        def record_date_change(obj, name, old, new):
            if name in APPRAISAL_DATE_FIELDS:
                self.session.add(
                    DateChange(
                        appraisal_id=obj.id,
                        field=name,
                        old_value="" if old is None else old.isoformat(),
                        new_value="" if new is None else new.isoformat(),
                        origin=ORIGIN,
                    )
                )

        appraisal = self.upsert(
            row.file,
            Appraisal,
            {"title": row["title"]},
            values,
            create_only=create_only,
            on_change=record_date_change,
        )
        for name in APPRAISAL_FIGURES:
            self.figure_source(
                "appraisal", appraisal.id, name, row["eligible_source"], row["eligible_is_estimate"]
            )

    def funnel_steps(self, row: Row):
        appraisal = self.one(Appraisal, title=row["appraisal"])
        self.upsert(
            row.file,
            FunnelStep,
            {"appraisal_id": appraisal.id, "position": row["position"]},
            {"name": row["name"], "value": row["value"], "source": row["source"], "path": row["path"] or ""},
        )

    def uptake(self, row: Row):
        appraisal = self.one(Appraisal, title=row["appraisal"])
        self.upsert(
            row.file,
            UptakeYear,
            {"appraisal_id": appraisal.id, "year": row["year"]},
            {"percent": row["percent"], "source": row["source"]},
        )

    def appraisal_regimens(self, row: Row):
        appraisal = self.one(Appraisal, title=row["appraisal"])
        regimen = self.session.exec(select(Regimen).filter_by(name=row["regimen"])).first()
        self.upsert(
            row.file,
            AppraisalRegimen,
            {"appraisal_id": appraisal.id, "regimen_id": regimen.id, "role": row["role"]},
            {"share_pct": row["share_pct"], "source": row["source"] or "",
             "counts_patients": not row["given_alongside"]},
        )

    def users(self, row: Row):
        trust_id = self.one(Trust, ods_code=row["trust"]).id if row["trust"] else None
        existing = self.session.exec(select(User).filter_by(email=row["email"])).first()
        values = {
            "name": row["name"],
            "role": Role(row["role"]),
            "trust_id": trust_id,
            "can_see_confidential_prices": row["can_see_confidential_prices"],
            "is_example": row["is_example"],
        }
        if existing is None:  # an existing user's password is never changed by a load
            shared_password = os.environ.get("EXAMPLE_PASSWORD")
            password = shared_password or secrets.token_urlsafe(12)
            if not shared_password:
                self.generated_passwords[row["email"]] = password
            values["password_hash"] = generate_password_hash(password)
        self.upsert(row.file, User, {"email": row["email"]}, values)

    def scenario_changes(self, row: Row):
        scenario = self.session.exec(select(Scenario).filter_by(name=row["scenario"])).first()
        if scenario is None:
            scenario = Scenario(name=row["scenario"], description=row["description"], is_example=True)
            self.session.add(scenario)
            self.session.flush()
            self._audit(scenario, "create", new=scenario.name)
            self.files.setdefault("scenarios", FileReport()).created += 1
        regimen = self.session.exec(select(Regimen).filter_by(name=row["regimen"])).first() if row["regimen"] else None
        self.upsert(
            row.file, ScenarioChange, {"scenario_id": scenario.id, "position": row["position"]},
            {"kind": row["kind"], "regimen_id": regimen.id if regimen else None, "new_name": row["new_name"] or "",
             "cycle_length_days": row["cycle_length_days"], "growth_pct": row["growth_pct"], "source": row["source"]},
        )


def _credentials_file_default() -> Path | None:
    try:
        from flask import current_app

        return Path(current_app.instance_path) / CREDENTIALS_FILE_NAME
    except RuntimeError:  # no application context: passwords only in the report
        return None


def seed_database(
    session: Session,
    path: Path | None = None,
    *,
    today: date | None = None,
    credentials_file: Path | None = None,
    move_example_dates: bool = False,
) -> SeedReport:
    """Load seed files into the database, in one transaction, and commit.

    path: a folder of seed files (any subset of the file names in `FILE_COLUMNS`), or a folder holding
        `reference/` and `example/`; None loads the repository's `seeds/reference` then `seeds/example`.
    today: the date example offsets count from [date]; default today.
    credentials_file: where to write generated passwords of newly created users; default
        `<instance_path>/example-sign-in.txt` inside a Flask app context. Passwords come from the
        `EXAMPLE_PASSWORD` environment variable when it is set, and are then not written anywhere.
    move_example_dates: re-anchor existing appraisals' offset dates on `today` (recorded in DateChange).

    Raises SeedError (file, line, column) on any bad value; nothing is loaded then.
    """
    today = today or date.today()
    rows = _read_folders(_seed_folders(path))
    _check(rows, session)

    loader = _Loader(session, today, move_example_dates)
    current: Row | None = None
    try:
        for file_name, file_rows in rows.items():
            loader.files.setdefault(file_name, FileReport())
            write = getattr(loader, file_name.removesuffix(".csv"))
            for current in file_rows:
                write(current)
        session.flush()
    except SeedError:
        session.rollback()
        raise
    except Exception as exc:  # a database constraint the checks did not foresee
        session.rollback()
        if current is None:
            raise
        raise current.error(None, f"could not be loaded: {exc}") from exc

    session.commit()

    generated = loader.generated_passwords
    written_to = None
    if generated:
        written_to = credentials_file or _credentials_file_default()
        if written_to is not None:
            _write_credentials(written_to, generated)
    return SeedReport(files=loader.files, credentials_file=written_to, generated_passwords=generated)


def _write_credentials(path: Path, passwords: dict[str, str]) -> None:
    """Append sign-in details for new example users to a file only its owner can read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new_file = not path.exists()
    with path.open("a", encoding="utf-8") as handle:
        if new_file:
            handle.write("# Example sign-in details, generated by the seed loader. Do not commit.\n")
        for email, password in passwords.items():
            handle.write(f"{email}\t{password}\n")
    path.chmod(0o600)
