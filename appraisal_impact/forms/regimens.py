"""Forms for the shared regimen library: a regimen with its components, a drug, a pack and its list price,
and a confidential (PAS) price.

Bounds are clinical, not technical: a cycle is 1–365 days, a dose is more than 0, a chair is booked for
at most a day. Cross-field rules (attendance days inside the cycle, a stop rule, a component given on
an attendance day) live in `RegimenForm.validate`.
"""

from __future__ import annotations

from datetime import date

from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from .fields import (
    CheckedForm,
    InBounds,
    DatePartsField,
    MaxLength,
    NumberField,
    Optional,
    Required,
    WholeNumberField,
    day_list_text,
    parse_day_list,
)

MAX_COMPONENTS = 12



def options(*pairs: tuple[str, str]) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


DOSE_BASES = options(("mg", "mg (flat dose)"), ("mg/kg", "mg/kg (by weight)"), ("mg/m2", "mg/m² (by body surface area)"))
ROUTES = options(("IV", "Intravenous (IV)"), ("SC", "Subcutaneous (SC)"), ("oral", "Oral"), ("IM", "Intramuscular (IM)"))
CLINIC_TYPES = [
    "nurse-led review",
    "consultant review",
    "consultant or nurse-led review",
    "pharmacist-led review",
    "none",
]
HRG_FIRST = options(
    ("SB12Z", "SB12Z – simple parenteral chemotherapy, first attendance"),
    ("SB13Z", "SB13Z – more complex parenteral chemotherapy, first attendance"),
    ("SB14Z", "SB14Z – complex chemotherapy with prolonged infusion, first attendance"),
    ("SB15Z", "SB15Z – subsequent elements of a cycle"),
    ("SB11Z", "SB11Z – exclusively oral chemotherapy"),
)


def choices_with(choices: list, current: str | None) -> list:
    """The fixed choices, plus a stored value that is not one of them (so an edit never loses it)."""
    values = [c.value if isinstance(c, SelectChoice) else c for c in choices]
    if current and current not in values:
        return [*choices, SelectChoice(current) if isinstance(choices[0], SelectChoice) else current]
    return choices


class ComponentForm(Form):
    """One drug in a regimen. A plain Form: the CSRF token belongs to the page's form, not each row."""

    component_id = HiddenField()
    drug = StringField("Drug", [Required("Enter the drug's name, like Pembrolizumab"), MaxLength(200, "The drug's name must be 200 characters or fewer")])
    dose = NumberField(
        "Dose",
        [Required("Enter the dose"), InBounds("regimencomponent.dose")],
        invalid_message="The dose must be a number, like 200 or 5.4",
    )
    dose_basis = SelectField("Dose unit", choices=DOSE_BASES, default="mg")
    dose_cap_mg = NumberField(
        "Maximum dose (optional)",
        [Optional(), InBounds("regimencomponent.dose_cap_mg")],
        invalid_message="The maximum dose must be a number of mg, like 125",
    )
    route = SelectField("Route", choices=ROUTES, default="IV")
    days = StringField("Days of the cycle it is given", default="1")
    chair_minutes_first_cycle = NumberField(
        "Chair minutes, first cycle",
        [Required("Enter the chair minutes for the first cycle (0 for an oral drug)"), InBounds("regimencomponent.chair_minutes_first_cycle")],
        invalid_message="Chair minutes for the first cycle must be a number, like 60",
    )
    chair_minutes_later_cycles = NumberField(
        "Chair minutes, later cycles",
        [Required("Enter the chair minutes for later cycles (0 for an oral drug)"), InBounds("regimencomponent.chair_minutes_later_cycles")],
        invalid_message="Chair minutes for later cycles must be a number, like 30",
    )
    aseptic_items = NumberField(
        "Aseptic items",
        [Required("Enter the aseptic items each time it is given (0 if none)"), InBounds("regimencomponent.aseptic_items")],
        invalid_message="Aseptic items must be a number, like 1",
        default=1,
    )
    aseptic_minutes_per_item = NumberField(
        "Aseptic minutes per item",
        [Required("Enter the aseptic staff minutes per item"), InBounds("regimencomponent.aseptic_minutes_per_item")],
        invalid_message="Aseptic minutes must be a number, like 51",
        default=51,
    )


class RegimenForm(CheckedForm):
    name = StringField("Regimen name", [Required("Enter the regimen's name"), MaxLength(200, "The name must be 200 characters or fewer")])
    indication = StringField("Indication", [MaxLength(500, "The indication must be 500 characters or fewer")])
    tumour_site = StringField("Tumour site", [MaxLength(100, "The tumour site must be 100 characters or fewer")])
    cycle_length_days = WholeNumberField(
        "Cycle length",
        [Required("Enter the cycle length in days"), InBounds("regimen.cycle_length_days")],
        invalid_message="The cycle length must be a whole number of days, like 21",
    )
    attendance_days = StringField("Attendance days", [Required("Enter the days of the cycle the patient attends, like 1 or 1,8")], default="1")
    is_oral = BooleanField("Oral regimen: no chair time, but verification, dispensing and clinic time")
    max_cycles = WholeNumberField(
        "Maximum number of cycles",
        [Optional(), InBounds("regimen.max_cycles")],
        invalid_message="The maximum number of cycles must be a whole number, like 35",
    )
    median_time_on_treatment_days = NumberField(
        "Median time on treatment",
        [Optional(), InBounds("regimen.median_time_on_treatment_days")],
        invalid_message="The median time on treatment must be a number of days, like 240",
    )
    max_years = NumberField(
        "Stop after",
        [Optional(), InBounds("regimen.max_years")],
        invalid_message="The stop rule must be a number of years, like 2",
    )
    verification_minutes_per_cycle = NumberField(
        "Verification minutes a cycle",
        [Required("Enter the pharmacist verification minutes a cycle"), InBounds("regimen.verification_minutes_per_cycle")],
        invalid_message="Verification minutes must be a number, like 10",
        default=10,
    )
    clinic_type = SelectField("Clinic type", choices=CLINIC_TYPES, default="nurse-led review")
    clinic_minutes = NumberField(
        "Clinic minutes",
        [Required("Enter the clinic appointment minutes (0 if none)"), InBounds("regimen.clinic_minutes")],
        invalid_message="Clinic minutes must be a number, like 20",
        default=20,
    )
    clinic_every_n_cycles = WholeNumberField(
        "Clinic every",
        [Required("Enter how often the clinic is, in cycles"), InBounds("regimen.clinic_every_n_cycles")],
        invalid_message="How often the clinic is must be a whole number of cycles, like 1",
        default=1,
    )
    delivery_hrg_first = SelectField("Delivery HRG for the first attendance of a cycle", choices=HRG_FIRST, default="SB12Z")
    source = TextAreaField("Source of these figures", [MaxLength(1000, "The source must be 1,000 characters or fewer")])
    is_estimate = BooleanField("Some of these figures are planning estimates")
    components = FieldList(FormField(ComponentForm), min_entries=1, max_entries=MAX_COMPONENTS)
    version = HiddenField()
    opened_at = HiddenField()

    def attendance_day_list(self) -> list[int] | None:
        try:
            return parse_day_list(self.attendance_days.data or "")
        except ValueError:
            return None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        cycle = self.cycle_length_days.data
        days = None
        if self.attendance_days.data and not self.attendance_days.errors:
            days = self.attendance_day_list()
            if days is None:
                self.attendance_days.errors.append("Enter the attendance days as numbers separated by commas, like 1,8")
            elif cycle and (days[0] < 1 or days[-1] > cycle):
                self.attendance_days.errors.append(f"Attendance days must be between day 1 and day {cycle} of the cycle")
                days = None
            else:
                self.attendance_days.data = day_list_text(days)
        if (
            self.max_cycles.data is None
            and self.median_time_on_treatment_days.data is None
            and self.max_years.data is None
            and not (self.max_cycles.errors or self.median_time_on_treatment_days.errors or self.max_years.errors)
        ):
            self.max_cycles.errors.append(
                "Enter a stop rule: a maximum number of cycles, a time to stop after, or a median time on treatment"
            )
        for entry in self.components.entries:
            component = entry.form
            if component.days.errors:
                continue
            try:
                given = parse_day_list(component.days.data or "")
            except ValueError:
                component.days.errors.append("Enter the days it is given as numbers separated by commas, like 1 or 1,8")
                continue
            component.days.data = day_list_text(given)
            if days is not None and not set(given) <= set(days):
                outside = ", ".join(str(d) for d in given if d not in days)
                component.days.errors.append(
                    f"Day {outside} is not an attendance day of the regimen ({', '.join(map(str, days))})"
                )
        return valid and not self.errors_in_any_field()

    def errors_in_any_field(self) -> bool:
        if any(f.errors for f in self if f.name != "components"):
            return True
        return any(f.errors for entry in self.components.entries for f in entry.form)


class DrugForm(CheckedForm):
    name = StringField("Drug name (generic)", [Required("Enter the drug's generic name"), MaxLength(200, "The name must be 200 characters or fewer")])
    is_oral = BooleanField("Taken by mouth (oral)")


class PackForm(CheckedForm):
    description = StringField("Pack", [Required("Enter the pack, like 100 mg vial or 30 x 80 mg tablets"), MaxLength(200, "The pack must be 200 characters or fewer")])
    pack_mg = NumberField(
        "Milligrams in one pack",
        [Required("Enter the milligrams in one pack"), InBounds("drugpack.pack_mg")],
        invalid_message="The milligrams in one pack must be a number, like 100",
    )
    list_price = NumberField(
        "List price (excluding VAT)",
        [Optional(), InBounds("drugpack.list_price")],
        invalid_message="The list price must be an amount in pounds, like 2630 or 3807.69",
    )
    price_source = StringField("Source of the list price", [MaxLength(500, "The source must be 500 characters or fewer")])
    price_date = DatePartsField("Date of the price")
    is_estimate = BooleanField("The price is a planning estimate (for example from a press report)")
    version = HiddenField()
    opened_at = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.list_price.data is not None and not (self.price_source.data or "").strip():
            self.price_source.errors.append("Enter where the list price comes from, like NICE TA830 or the BNF")
            valid = False
        if self.price_date.data and self.price_date.data > date.today():
            self.price_date.errors.append("The date of the price must be today or in the past")
            valid = False
        return valid


class ConfidentialPriceForm(CheckedForm):
    trust = SelectField("Who the price applies to", coerce=str)
    price = NumberField(
        "Confidential price for one pack (excluding VAT)",
        [
            Required("Enter the confidential price for one pack"),
            InBounds("confidentialprice.price"),
        ],
        invalid_message="The price must be an amount in pounds, like 1234.56",
    )
    note = StringField("Agreement or reference (optional)", [MaxLength(500, "The note must be 500 characters or fewer")])
    versions = HiddenField()  # "alliance:0,RHM:2": each saved price's version when the page was opened
    opened_at = HiddenField()


class RegimenPhaseForm(CheckedForm):
    """A later phase of a regimen: the regimen given next, the share going on and the gap before it."""

    # the view checks the choice names a regimen ("Choose the regimen given in this phase")
    phase_regimen = SelectField("Regimen given in this phase", coerce=str, validate_choice=False)
    share_going_on_pct = NumberField(
        "Patients who go on to this phase",
        [Required("Enter the percentage of patients who go on to this phase"),
         InBounds("regimenphase.share_going_on_pct")],
        invalid_message="The percentage who go on must be a number, like 66",
    )
    gap_days = WholeNumberField(
        "Gap before this phase",
        [Required("Enter the gap before this phase in days, or 0 for none"),
         InBounds("regimenphase.gap_days")],
        invalid_message="The gap must be a whole number of days, like 56",
    )
    source = StringField("Source", [MaxLength(500, "The source must be 500 characters or fewer")])
    version = HiddenField()
    opened_at = HiddenField()
