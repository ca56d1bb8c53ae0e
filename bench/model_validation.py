"""The model against NICE's own resource impact tables: `python -m bench.model_validation`.

Each case is a small seed folder in `tests/acceptance/cases/` holding NICE's inputs (eligible people,
growth, uptake, regimen, list price) and citing the report table each comes from. This module loads a
case into an empty in-memory database with the app's seed loader, runs the model through the app's own
wiring (`impact_service.model_inputs`), and sets England's figures beside NICE's. `main()` writes
`docs/model-validation.md`; the acceptance tests (`tests/acceptance/`) check the same rows.

Whether NICE's table agrees with itself: a people figure should be its eligible × uptake. Both are
rounded (eligible to 10 in TA1092 and TA1030, people to 10 or 5), so a printed figure agrees with its
own rows when |people − eligible × uptake| ≤ half the people rounding unit + half the eligible rounding
unit × uptake. Where it agrees, the model must be within 1% of the printed figure; where it does not,
the model is held to NICE's eligible × uptake (within 1%) and the page says which printed figure is off.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlmodel import Session

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CASES_ROOT = PROJECT_ROOT / "tests" / "acceptance" / "cases"
OUTPUT = PROJECT_ROOT / "docs" / "model-validation.md"
TOLERANCE = 0.01  # 1%


@dataclass(frozen=True)
class StartsTable:
    """NICE's table 1 for one appraisal: eligible, uptake and people starting, years 1–5."""

    report: str  # e.g. "NICE TA1037 resource impact summary report, table 1"
    eligible: tuple[float, ...]
    uptake_percent: tuple[float, ...]
    people: tuple[float, ...]
    people_label: str  # NICE's row heading
    eligible_rounding: float = 1.0
    people_rounding: float = 1.0
    inputs_note: str = ""  # where NICE's inputs are not complete, and what was read instead


@dataclass(frozen=True)
class Case:
    folder: str
    ta: str
    title: str
    starts: StartsTable | None = None
    course_cost: float | None = None  # NICE's cost of a course [£]
    course_cost_source: str = ""
    course_cost_exact: bool = False
    course_cost_note: str = ""


CASES: tuple[Case, ...] = (
    Case(
        "ta1037", "TA1037", "Pembrolizumab, adjuvant non-small-cell lung cancer",
        StartsTable(
            "NICE TA1037 resource impact summary report, table 1",
            eligible=(352, 355, 358, 362, 365), uptake_percent=(31, 32, 33, 34, 35),
            people=(109, 114, 108, 123, 128), people_label="People having pembrolizumab each year",
        ),
    ),
    Case(
        "ta1092", "TA1092", "Pembrolizumab with chemotherapy, endometrial cancer",
        StartsTable(
            "NICE TA1092 resource impact summary report, table 1",
            eligible=(2010, 2030, 2040, 2060, 2080), uptake_percent=(43, 63, 63, 63, 63),
            people=(870, 1270, 1280, 1290, 1300), people_label="People starting treatment each year",
            eligible_rounding=10, people_rounding=10,
        ),
    ),
    Case(
        "ta1030", "TA1030", "Perioperative durvalumab, resectable non-small-cell lung cancer",
        StartsTable(
            "NICE TA1030 resource impact summary report, table 1",
            eligible=(2020, 2040, 2060, 2070, 2090), uptake_percent=(15, 30, 33, 33, 33),
            people=(300, 610, 685, 690, 700), people_label="People starting treatment each year in neoadjuvant setting",
            eligible_rounding=10, people_rounding=5,
        ),
        course_cost=69_779, course_cost_source="NICE TA1030 section 2.3 (\"approximately £69,779\")",
        course_cost_note=(
            "The model's course is the licence maximum: 4 neoadjuvant doses for everyone and 12 adjuvant doses "
            "for the 66% who go on (table 1), 11.92 doses of 1,500 mg at £7,398 = £88,184 a person starting. "
            "NICE's £69,779 is 9.43 doses: it allows for people stopping early, which the report does not give, "
            "so the difference is not checked."
        ),
    ),
    Case(
        "ta1099", "TA1099", "Durvalumab, limited-stage small-cell lung cancer",
        StartsTable(
            "NICE TA1099 resource impact summary report, table 1",
            eligible=(525, 530, 534, 539, 544), uptake_percent=(45, 90, 90, 90, 90),
            people=(236, 477, 481, 485, 489), people_label="People having durvalumab each year",
            inputs_note=(
                "Eligible people come from the report's funnel (3,200 × 31.47% × 55.5% × 92% = 514.2 in 2022). The "
                "report gives no growth rate: 0.89% a year is read from table 1's eligible row and applied from "
                "2022 to the start year (2025), so year 1 holds 514.2 × 1.0089³ = 528.0 (NICE: 525)."
            ),
        ),
    ),
    Case(
        "ta830", "TA830", "Pembrolizumab, adjuvant renal cell carcinoma",
        course_cost=89_420, course_cost_source="NICE TA830 section 2 (17 cycles of 200 mg at £2,630 per 100 mg)",
        course_cost_exact=True,
    ),
)


@dataclass(frozen=True)
class Row:
    """One figure: NICE's, the model's, and what they are held to."""

    ta: str
    figure: str
    year: int | None
    nice: float | None  # None: a model figure NICE's table does not give
    model: float
    source: str
    checked_against: float | None  # the value the model must be within 1% of (None: not checked)
    reason: str

    @property
    def difference(self) -> float | None:
        """(model − NICE) / NICE [fraction], None without a NICE figure."""
        return None if self.nice is None else (self.model - self.nice) / self.nice

    @property
    def within_tolerance(self) -> bool:
        if self.checked_against is None:
            return True
        return abs(self.model - self.checked_against) <= TOLERANCE * abs(self.checked_against) + 1e-9


def load_case(session: Session, case: Case) -> None:
    """Seed one case folder into ``session``'s (empty) database."""
    from appraisal_impact.seeding import seed_database

    seed_database(session, CASES_ROOT / case.folder, today=date(2025, 1, 1))
    session.commit()


def case_rows(session: Session, case: Case) -> list[Row]:
    """NICE against the model for one case already loaded in ``session``."""
    from appraisal_impact import impact_service
    from appraisal_impact.core import course_drug_cost, run_model
    from appraisal_impact.models import Appraisal
    from sqlmodel import select

    stored = session.exec(select(Appraisal).where(Appraisal.ta_number == case.ta)).one()
    # the grid starts at the appraisal's effective start: "today" is that date
    loaded = impact_service.model_inputs(session, today=date(2100, 1, 1), appraisal_ids={stored.id})
    appraisal = loaded.inputs.appraisals[0]
    loaded = impact_service.model_inputs(session, today=appraisal.effective_start, appraisal_ids={stored.id})
    appraisal = loaded.inputs.appraisals[0]
    result = run_model(loaded.inputs)
    rows: list[Row] = []
    if case.starts is not None:
        table = case.starts
        starts = result.new_starts_by_year_from_start(appraisal.key)
        people_treated = result.people_treated_by_year_from_start(appraisal.key)
        growth = 1 + appraisal.eligible_growth_percent_per_year / 100
        for year in range(1, 6):
            eligible_model = appraisal.national_eligible_per_year * growth ** (year - 1)
            eligible_nice = table.eligible[year - 1]
            rows.append(Row(case.ta, "People eligible", year, eligible_nice, eligible_model, table.report,
                            eligible_nice if not table.inputs_note else None,
                            "From the table's eligible row (year 1 and growth)" if not table.inputs_note
                            else "Grown from the data year at a rate the report does not give (see note)"))
            uptake = table.uptake_percent[year - 1] / 100
            own_product = eligible_nice * uptake
            printed = table.people[year - 1]
            slack = table.people_rounding / 2 + table.eligible_rounding / 2 * uptake
            agrees = abs(printed - own_product) <= slack
            if agrees:
                reason = ("NICE's figure is its eligible × uptake, rounded" if table.people_rounding > 1
                          or table.eligible_rounding > 1 else "NICE's figure is its eligible × uptake")
                if table.inputs_note:
                    reason += "; growth read from the table (see note)"
                checked = float(printed)
            else:
                reason = (f"NICE's table disagrees with itself: {eligible_nice:,.0f} × {uptake:.0%} = "
                          f"{own_product:,.1f}, not {printed:,.0f}; the model is held to {own_product:,.1f}")
                checked = own_product
            rows.append(Row(case.ta, f"{table.people_label} (people starting)", year, printed,
                            float(starts[year]), table.report, checked, reason))
            rows.append(Row(case.ta, "People having treatment in the year (model only)", year, None,
                            float(people_treated[year]), table.report, None,
                            "Everyone with at least one cycle in the year, people still on a course begun "
                            "earlier included: NICE's table counts people starting"))
    if case.course_cost is not None:
        model_cost = course_drug_cost(appraisal)
        rows.append(Row(case.ta, "Drug cost of a course (£, list price)", None, case.course_cost, model_cost,
                        case.course_cost_source, case.course_cost if case.course_cost_exact else None,
                        "Exact: cycles × vials × list price" if case.course_cost_exact else case.course_cost_note))
    return rows


def all_rows() -> list[Row]:
    """Every case, each in a fresh in-memory database."""
    from appraisal_impact import create_app
    from appraisal_impact.db import create_schema

    rows = []
    for case in CASES:
        app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "model-validation",
                          "SERVER_NAME": "localhost"})
        engine = app.extensions["appraisal_impact.engine"]
        create_schema(engine)
        with Session(engine, expire_on_commit=False) as session:
            load_case(session, case)
            rows += case_rows(session, case)
        engine.dispose()
    return rows


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.1f}"


def markdown(rows: list[Row]) -> str:
    lines = [
        "# The model against NICE's resource impact tables",
        "",
        "Generated by `python -m bench.model_validation` from the seed folders in `tests/acceptance/cases/` (each",
        "holds NICE's inputs and names the report table each comes from); `tests/acceptance/` checks the same",
        "figures. England, central case, list prices, years from the effective start (years of 365.25 days).",
        "",
        "A figure marked *checked* must be within 1% of the value in that column: NICE's printed figure where",
        "NICE's table agrees with itself (its people = its eligible × uptake, within the rounding of both),",
        "otherwise NICE's own eligible × uptake. *People having treatment in the year* is the model's second",
        "count of patients, shown beside NICE's count of people starting for comparison only.",
        "",
    ]
    notes = {case.ta: case.starts.inputs_note for case in CASES if case.starts is not None and case.starts.inputs_note}
    for case in CASES:
        case_rows_ = [row for row in rows if row.ta == case.ta]
        if not case_rows_:
            continue
        lines += [f"## {case.ta}: {case.title}", ""]
        if case.ta in notes:
            lines += [f"Note: {notes[case.ta]}", ""]
        lines += ["| figure | year | NICE | model | difference | checked against | why |",
                  "|---|---|---|---|---|---|---|"]
        for row in case_rows_:
            checked = "not checked" if row.checked_against is None else (
                f"{_number(row.checked_against)} {'✓' if row.within_tolerance else '✗'}")
            nice = "" if row.nice is None else _number(row.nice)
            difference = "" if row.difference is None else f"{row.difference:+.1%}"
            lines.append(
                f"| {row.figure} | {row.year or ''} | {nice} | {_number(row.model)} | {difference} | {checked} | "
                f"{row.reason} |"
            )
        sources = sorted({row.source for row in case_rows_})
        lines += ["", "Source: " + "; ".join(sources) + ".", ""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    rows = all_rows()
    args.output.write_text(markdown(rows), encoding="utf-8")
    failing = [row for row in rows if not row.within_tolerance]
    print(f"Wrote {args.output} ({len(rows)} figures, {len(failing)} outside 1%).")


if __name__ == "__main__":
    main()
