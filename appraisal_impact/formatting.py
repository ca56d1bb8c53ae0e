"""How numbers, dates and field names read on a page: UK dates, thousands separators, units."""

from __future__ import annotations

import math
import re
from datetime import date, datetime

FIELD_LABELS = {
    "expected_publication_date": "Expected publication",
    "draft_guidance_date": "Draft guidance",
    "fdg_date": "Final draft guidance",
    "publication_date": "Publication",
    "marketing_authorisation_date": "Marketing authorisation",
    "deadline_override": "Deadline override",
    "national_eligible_per_year": "Eligible people a year (England)",
    "chair_minutes_first_cycle": "Chair minutes, first cycle",
    "chair_minutes_later_cycles": "Chair minutes, later cycles",
    "cycle_length_days": "Cycle length (days)",
    "max_cycles": "Maximum cycles",
    "median_time_on_treatment_days": "Median time on treatment (days)",
    "patients_per_year": "Patients a year",
    "chairs": "Chairs",
    "chair_hours_per_day": "Chair hours a day",
    "days_per_week": "Days a week",
    "target_utilisation": "Target utilisation",
    "baseline_chair_hours_per_week": "Baseline chair hours a week",
    "aseptic_hours_per_week": "Aseptic hours a week",
    "baseline_aseptic_hours_per_week": "Baseline aseptic hours a week",
    "clinic_slots_per_week": "Clinic slots a week",
    "baseline_clinic_appointments_per_week": "Baseline clinic appointments a week",
    "catchment_population": "Catchment population",
    "list_price": "List price",
}


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


def date_uk(value: date | None, missing: str = "Not yet known") -> str:
    if value is None:
        return missing
    return f"{value.day} {value:%B %Y}"


def datetime_uk(value: datetime | None) -> str:
    if value is None:
        return "never"
    return f"{value.day} {value:%B %Y} at {value:%H:%M} UTC"


def number(value: float | int | None, places: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{places}f}"


def money(value: float | None, places: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.{places}f}"


def percent(value: float | None, places: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{places}f}%"


def days_left(deadline: date | None, today: date) -> str:
    """'in 23 days', 'today', 'overdue by 5 days', or 'not yet known'."""
    if deadline is None:
        return "not yet known"
    delta = (deadline - today).days
    if delta == 0:
        return "today"
    unit = "day" if abs(delta) == 1 else "days"
    return f"in {delta} {unit}" if delta > 0 else f"overdue by {-delta} {unit}"


def start_wording(start: date | None, today: date) -> str:
    """'starts in 23 days', 'starts today', 'started 5 days ago' (a start is never 'overdue')."""
    if start is None:
        return "not yet known"
    delta = (start - today).days
    if delta == 0:
        return "starts today"
    unit = "day" if abs(delta) == 1 else "days"
    return f"starts in {delta} {unit}" if delta > 0 else f"started {-delta} {unit} ago"


def error_link(error: tuple[str, str]) -> dict:
    field_id, message = error
    return {"text": message, "href": f"#{field_id}"}


FILTERS = {
    "field_label": field_label,
    "date_uk": date_uk,
    "datetime_uk": datetime_uk,
    "number": number,
    "money": money,
    "percent": percent,
    "error_link": error_link,
}


def init_app(app) -> None:
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals["days_left"] = days_left
    app.jinja_env.globals["start_wording"] = start_wording


def as_date(value: date | str | None) -> date | None:
    """A date from a date or an ISO date string (summaries travel as JSON); None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def iso_date_uk(value: date | str | None, missing: str = "Not yet known") -> str:
    """`date_uk` for a date or an ISO date string."""
    return date_uk(as_date(value), missing)


FILTERS["as_date"] = as_date
FILTERS["iso_date_uk"] = iso_date_uk


def figure_text(value: float | None, kind: str = "rate", money: str = "pounds") -> str:
    """A figure carried as a plain number (a summary's JSON) written by the figures layer's rules:
    whole patients above 10, one decimal below; no "-0"; money to £1 or £k; "not yet known" for None."""
    from .figures import number_text

    try:
        number = None if value is None else float(value)
    except (TypeError, ValueError):  # a field an older snapshot does not have
        number = None
    return number_text(number, kind, money)


FILTERS["figure_text"] = figure_text


_ESTIMATE_TAG = re.compile(r"\s*\[estimate\][\s.,;:]*", re.IGNORECASE)
_PLANNING_DEFAULT = re.compile(r"planning default[,;]?\s*(replace (it )?with (your |a )?local (figures?|value)s?\.?)?",
                               re.IGNORECASE)
_INTERNAL_REFERENCE = re.compile(r"\s*\((?:see )?(?:shared/)?domain(?: guide| method|\.md)?[^)]*\)|\s*\(?\bseeds/[\w/.-]*\)?",
                                 re.IGNORECASE)
_DOMAIN_ANYWHERE = re.compile(r"(?:figures in )?(?:the )?domain (?:guide|method)\s*(?:§\s*[\d.]+)?[;,]?\s*", re.IGNORECASE)
_SEED_FILES = re.compile(r"(?:from )?the seed files?(?: / reference values)?", re.IGNORECASE)
_SECTION = re.compile(r"§\s*(\d[\d.]*)")


def source_words(text: str | None) -> str:
    """A source as users read it: no bracketed tag, file, folder or section of an internal document.

    "[estimate] planning default, replace with local figures" → "Planning estimate: replace with your
    trust's figure"; "... (domain guide §5)" and "seeds/reference" are dropped; a section of a NICE document,
    "TA1023 §4", reads "TA1023 section 4". Whether a figure is an estimate is shown by its own tag.
    """
    words = _INTERNAL_REFERENCE.sub("", text or "")
    words = _DOMAIN_ANYWHERE.sub("", words).replace("()", "")
    words = _SEED_FILES.sub("as entered in this tool", words)
    words = _ESTIMATE_TAG.sub(" ", words).strip(" ;,.")
    words = _PLANNING_DEFAULT.sub("Planning estimate: replace with your trust's figure", words)
    words = _SECTION.sub(r"section \1", words)
    return re.sub(r"\s{2,}", " ", words).strip()


FILTERS["source_words"] = source_words
