"""Clinical bounds on every stored number: one table, read by the forms, the importer, the seed loader
and the impact model's check before it runs.

A bound is clinical, not technical: it says what a real figure can be, in the users' units, and why
(`reason`, in plain English, shown beside the field when a figure is refused). Figures are keyed as
`table.column` with the value as stored (a utilisation is stored as a fraction; its form asks for %).

A figure outside its bound is a slip (a unit typed wrongly, a column pasted into the wrong place): it is
refused where it is entered, and if one reaches the database by another way the model leaves the
appraisals it touches out of the run and says which figure to fix (`impact_service`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Bound:
    """A figure's allowed range [low, high] in `unit`; `above` makes the lower bound exclusive."""

    label: str  # the figure, as a sentence starts: "The milligrams in one pack"
    low: float | None
    high: float | None
    unit: str = ""
    reason: str = ""
    above: bool = False
    whole: bool = False

    def allows(self, value) -> bool:
        if value is None:
            return True
        try:
            number = float(value)
        except (TypeError, ValueError):
            return False
        if not math.isfinite(number):
            return False
        if self.whole and not number.is_integer():
            return False
        if self.low is not None and (number <= self.low if self.above else number < self.low):
            return False
        return self.high is None or number <= self.high

    def message(self, *, scale: float = 1, unit: str | None = None) -> str:
        """What to enter, and why: 'The milligrams in one pack must be from 0.01 to 1,000,000 mg: ...'."""
        unit = self.unit if unit is None else unit
        low = None if self.low is None else self.low * scale
        high = None if self.high is None else self.high * scale
        # the unit once, after the range ("between 1 and 365 days"); pounds and % on both ends
        low_unit = unit if unit == "£" or (unit.startswith("%") and not self.above) else ""
        if low is not None and high is not None:
            range_text = (f"more than {_number(low, low_unit)} and at most {_number(high, unit)}" if self.above
                          else f"between {_number(low, low_unit)} and {_number(high, unit)}")
        elif low is not None:
            range_text = f"more than {_number(low, unit)}" if self.above else f"at least {_number(low, unit)}"
        else:
            range_text = f"at most {_number(high, unit)}"
        text = f"{self.label} must be {range_text}"
        return f"{text} ({self.reason})" if self.reason else text


def _number(value: float, unit: str) -> str:
    if unit == "£":
        return f"£{value:,g}" if value < 1e6 else f"£{value:,.0f}"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"
    if unit.startswith("%"):
        return f"{text}{unit}"
    return f"{text} {unit}" if unit else text


_CHAIR = "a whole day"
_MINUTES = "more than 4 hours a cycle is a slip of units"

BOUNDS: dict[str, Bound] = {
    # medicines and prices
    "drugpack.pack_mg": Bound(
        "The milligrams in one pack", 0.01, 1_000_000, "mg",
        "the smallest SACT vials hold micrograms, like blinatumomab's 38.5 micrograms: less than "
        "10 micrograms is a slip of units"),
    "drugpack.list_price": Bound("The list price", 0, 1_000_000, "£", "no single pack costs more than £1,000,000"),
    "confidentialprice.price": Bound("The price", 0, 1_000_000, "£",
                                     "a confidential price of £0 is almost always a slip; no pack costs more than £1,000,000",
                                     above=True),
    "hrgcost.cost": Bound("The cost per attendance", 0, 100_000, "£", "a delivery HRG costs hundreds of pounds, not more"),
    # regimens
    "regimen.cycle_length_days": Bound("The cycle length", 1, 365, "days", "a cycle is from a day to a year", whole=True),
    "regimen.max_cycles": Bound("The maximum number of cycles", 1, 1000, "", "", whole=True),
    "regimen.median_time_on_treatment_days": Bound("The median time on treatment", 1, 3650, "days", "at most 10 years"),
    "regimen.max_years": Bound("The stop rule", 0, 10, "years", "", above=True),
    "regimenphase.share_going_on_pct": Bound("The percentage who go on", 0, 100, "%", "a share of the patients"),
    "regimenphase.gap_days": Bound("The gap before this phase", 0, 730, "days", "at most two years", whole=True),
    "regimen.verification_minutes_per_cycle": Bound("Verification minutes", 0, 240, "", _MINUTES),
    "regimen.clinic_minutes": Bound("Clinic minutes", 0, 240, "", "a clinic appointment is at most 4 hours"),
    "regimen.clinic_every_n_cycles": Bound("How often the clinic is", 1, 52, "cycles", "", whole=True),
    "regimencomponent.dose": Bound("The dose", 0, 100_000, "", "", above=True),
    "regimencomponent.dose_cap_mg": Bound("The maximum dose", 0, 100_000, "mg", "", above=True),
    "regimencomponent.chair_minutes_first_cycle": Bound("Chair minutes for the first cycle", 0, 1440, "", _CHAIR),
    "regimencomponent.chair_minutes_later_cycles": Bound("Chair minutes for later cycles", 0, 1440, "", _CHAIR),
    "regimencomponent.aseptic_items": Bound("Aseptic items", 0, 20, "", "no dose needs more than 20 items"),
    "regimencomponent.aseptic_minutes_per_item": Bound("Aseptic minutes per item", 0, 600, "",
                                                       "an item takes minutes to hours, not days"),
    # appraisals
    "appraisal.national_eligible_per_year": Bound("Eligible people a year", 0, 1_000_000, "",
                                                  "more than the people diagnosed with cancer in England each year is a slip"),
    "appraisal.eligible_growth_pct": Bound("Growth", -50, 50, "% a year"),
    "appraisal.eligible_low_pct": Bound("The low scenario of eligible people", 0, 500, "%", "of the central figure"),
    "appraisal.eligible_high_pct": Bound("The high scenario of eligible people", 0, 500, "%", "of the central figure"),
    "appraisal.uptake_low_pct": Bound("The low scenario of uptake", 0, 500, "%", "of the central figure"),
    "appraisal.uptake_high_pct": Bound("The high scenario of uptake", 0, 500, "%", "of the central figure"),
    "appraisal.time_on_treatment_low_pct": Bound("The low scenario of time on treatment", 0, 500, "%", "of the central figure"),
    "appraisal.time_on_treatment_high_pct": Bound("The high scenario of time on treatment", 0, 500, "%", "of the central figure"),
    "uptakeyear.percent": Bound("Uptake", 0, 100, "%", "a share of the eligible people"),
    "funnelstep.start_count": Bound("The starting count", 0, 10_000_000, "people a year",
                                    "more than England's population is a slip", above=True),
    "funnelstep.percent": Bound("Each step", 0, 100, "%", "a share of the step before"),
    "appraisalregimen.share_pct": Bound("The share", 0, 100, "%", "a share of the appraisal's patients"),
    # trusts
    "trust.catchment_population": Bound("Catchment population", 0, 10_000_000, "people", "", whole=True),
    "trust.chairs": Bound("Chairs", 0, 500, "chairs", "", whole=True),
    "trust.chair_hours_per_day": Bound("Chair hours a day", 0, 24, "hours", "", above=True),
    "trust.days_per_week": Bound("Days a week", 0, 7, "days", "", above=True),
    "trust.target_utilisation": Bound("Target utilisation", 0, 1, "", "", above=True),
    "trust.baseline_chair_hours_per_week": Bound("Baseline chair hours a week", 0, 100_000, "hours"),
    "trust.aseptic_hours_per_week": Bound("Aseptic hours a week", 0, 100_000, "hours"),
    "trust.baseline_aseptic_hours_per_week": Bound("Baseline aseptic hours a week", 0, 100_000, "hours"),
    "trust.clinic_slots_per_week": Bound("Clinic slots a week", 0, 100_000, "slots"),
    "trust.baseline_clinic_appointments_per_week": Bound("Baseline clinic appointments a week", 0, 100_000, "appointments"),
    "tumoursiteshare.share_pct": Bound("The share", 0, 100, "%", "a share of the tumour site's patients"),
    "trustappraisaloverride.patients_per_year": Bound("Patients a year", 0, 100_000, "", ""),
    "trustregimenoverride.chair_minutes_first_cycle": Bound("Chair minutes for the first cycle", 0, 1440, "", _CHAIR),
    "trustregimenoverride.chair_minutes_later_cycles": Bound("Chair minutes for later cycles", 0, 1440, "", _CHAIR),
    "trustregimenoverride.verification_minutes_per_cycle": Bound("Verification minutes", 0, 240, "", _MINUTES),
    "trustregimenoverride.clinic_minutes": Bound("Clinic minutes", 0, 240, "", "a clinic appointment is at most 4 hours"),
    "trustregimenoverride.clinic_every_n_cycles": Bound("How often the clinic is", 1, 52, "cycles", "", whole=True),
    # planning constants (reference values), by key
    "referencevalue.england_population": Bound("England's population", 0, 100_000_000, "people",
                                                   "every trust's share is divided by it", above=True),
    "referencevalue.default_weight_kg": Bound("The default weight", 20, 300, "kg", "an adult's weight"),
    "referencevalue.default_bsa_m2": Bound("The default body surface area", 0.5, 3.5, "m²", "an adult's body surface area"),
}


def bound(key: str) -> Bound:
    return BOUNDS[key]


def problem(key: str, value) -> str | None:
    """The message for `value` of figure `key` if it is outside its bound, else None."""
    found = BOUNDS.get(key)
    if found is None or found.allows(value):
        return None
    return found.message()


def row_problems(row, *, first_step: bool = False) -> list[tuple[str, str]]:
    """(column, message) for each stored figure of a table row outside its bound.

    A funnel step is a count when it is the first (`first_step`), else a percentage; a reference
    value's bound depends on its key.
    """
    table = type(row).__tablename__
    out = []
    if table == "funnelstep":
        key = "funnelstep.start_count" if first_step else "funnelstep.percent"
        message = problem(key, row.value)
        return [("value", message)] if message else []
    if table == "referencevalue":
        message = problem(f"referencevalue.{row.key}", row.value)
        return [("value", message)] if message else []
    for key in BOUNDS:
        prefix, _, column = key.partition(".")
        if prefix == table:
            message = problem(key, getattr(row, column, None))
            if message:
                out.append((column, message))
    return out
