"""Forms for an appraisal's assumptions and a trust's own figures (overrides and capacity)."""

from __future__ import annotations

from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, RadioField, SelectField, StringField, TextAreaField

from ..bounds import BOUNDS
from ..formatting import date_uk
from .regimens import options
from .fields import CheckedForm, DatePartsField, InBounds, MaxLength, NumberField, Optional, Required, WholeNumberField

UPTAKE_YEARS = 5
MAX_FUNNEL_STEPS = 12
MAX_REGIMEN_LINKS = 12

# Milestones in the order NICE reaches them; each must be on or after the ones before it.
MILESTONE_ORDER = ("draft_guidance_date", "fdg_date", "publication_date")


class FunnelStepForm(Form):
    name = StringField("Step", [Required("Enter a name for this step, like 'with PD-L1 of 50% or more'"), MaxLength(200, "The step's name must be 200 characters or fewer")])
    value = NumberField("Value", [Required("Enter the step's value")], invalid_message="The step's value must be a number")
    source = StringField("Source", [MaxLength(500, "The source must be 500 characters or fewer")])


class RegimenLinkForm(Form):
    regimen_id = SelectField("Regimen", coerce=str)
    role = SelectField("Brings in or displaces", choices=options(("brings in", "Brings in"), ("displaces", "Displaces")))
    share_pct = NumberField(
        "Share of patients",
        [Required("Enter the share of the appraisal's patients, from 0 to 100%"), InBounds("appraisalregimen.share_pct")],
        invalid_message="The share must be a percentage, like 60",
    )
    source = StringField("Source", [MaxLength(500, "The source must be 500 characters or fewer")])


def _uptake_field(year: int) -> NumberField:
    return NumberField(
        f"Year {year}",
        [Optional(), InBounds("uptakeyear.percent", label=f"Uptake in year {year}")],
        invalid_message=f"Uptake in year {year} must be a percentage, like 35",
    )


class AppraisalAssumptionsForm(CheckedForm):
    eligible_method = RadioField(
        "How is the number of eligible people worked out?",
        choices=options(("nice", "The NICE resource impact figure"), ("funnel", "Step by step, from a starting count")),
        default="nice",
    )
    national_eligible_per_year = NumberField(
        "Eligible people a year in England",
        [Optional(), InBounds("appraisal.national_eligible_per_year")],
        invalid_message="Eligible people a year must be a number, like 352",
    )
    eligible_source = StringField("Source of the eligible figure", [MaxLength(500, "The source must be 500 characters or fewer")])
    eligible_growth_pct = NumberField(
        "Growth a year",
        [Optional(), InBounds("appraisal.eligible_growth_pct")],
        invalid_message="Growth must be a percentage, like 1.5",
    )
    funnel_steps = FieldList(FormField(FunnelStepForm), min_entries=1, max_entries=MAX_FUNNEL_STEPS)
    uptake_1 = _uptake_field(1)
    uptake_2 = _uptake_field(2)
    uptake_3 = _uptake_field(3)
    uptake_4 = _uptake_field(4)
    uptake_5 = _uptake_field(5)
    uptake_source = StringField("Source of the uptake figures", [MaxLength(500, "The source must be 500 characters or fewer")])
    regimens = FieldList(FormField(RegimenLinkForm), min_entries=0, max_entries=MAX_REGIMEN_LINKS)
    marketing_authorisation_date = DatePartsField("Marketing authorisation")
    draft_guidance_date = DatePartsField("Draft guidance")
    fdg_date = DatePartsField("Final draft guidance")
    expected_publication_date = DatePartsField("Expected publication")
    expected_publication_tbc = BooleanField("Expected publication is 'TBC' on the NICE website")
    publication_date = DatePartsField("Publication")
    source = TextAreaField("Source of these assumptions", [MaxLength(1000, "The source must be 1,000 characters or fewer")])
    version = HiddenField()
    opened_at = HiddenField()

    def uptake_fields(self):
        return [getattr(self, f"uptake_{year}") for year in range(1, UPTAKE_YEARS + 1)]

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        if self.eligible_method.data == "nice":
            # The funnel is kept as entered but not used: an unfinished step is no reason to refuse the save.
            for entry in self.funnel_steps.entries:
                for sub in entry.form:
                    sub.errors = []
            if self.national_eligible_per_year.data is None and not self.national_eligible_per_year.errors:
                self.national_eligible_per_year.errors.append("Enter the number of eligible people a year, or build it step by step")
        else:
            steps = self.funnel_steps.entries
            for position, entry in enumerate(steps):
                value = entry.form.value
                if value.data is None or value.errors:
                    continue
                bound = BOUNDS["funnelstep.start_count" if position == 0 else "funnelstep.percent"]
                if not bound.allows(value.data):
                    value.errors.append(bound.message())
        uptake = self.uptake_fields()
        if not any(f.data is not None for f in uptake) and not any(f.errors for f in uptake):
            self.uptake_1.errors.append("Enter the uptake in year 1, from 0 to 100%")
        last_filled = max((i for i, f in enumerate(uptake) if f.data is not None), default=-1)
        for i, f in enumerate(uptake[:last_filled]):
            if f.data is None and not f.errors:
                f.errors.append(f"Enter the uptake in year {i + 1}, or leave the later years blank")
        for role in ("brings in", "displaces"):
            links = [e.form for e in self.regimens.entries if e.form.role.data == role and e.form.share_pct.data is not None]
            total = sum(link.share_pct.data for link in links)
            if links and total > 100 + 1e-9:
                links[-1].share_pct.errors.append(
                    f"The shares of the regimens it {'brings in' if role == 'brings in' else 'displaces'} add up to "
                    f"{total:g}%: they must add up to 100% or less"
                )
        for entry in self.regimens.entries:
            if not entry.form.regimen_id.data and not entry.form.regimen_id.errors:
                entry.form.regimen_id.errors.append("Choose a regimen, or remove this row")
        seen: set[tuple[str, str]] = set()
        for entry in self.regimens.entries:
            key = (entry.form.regimen_id.data, entry.form.role.data)
            if key in seen:
                entry.form.regimen_id.errors.append("This regimen is listed twice: give it one row with its whole share")
            seen.add(key)
        self._check_milestone_order()
        return not self.has_errors()

    def _check_milestone_order(self) -> None:
        dates = [(name, getattr(self, name)) for name in MILESTONE_ORDER]
        known = [(name, f) for name, f in dates if f.data is not None and not f.errors]
        for index, (_name, earlier) in enumerate(known):
            for _later_name, later in known[index + 1 :]:
                if earlier.data > later.data:
                    earlier.errors.append(
                        f"{earlier.label.text} ({date_uk(earlier.data)}) must be on or before "
                        f"{later.label.text.lower()} ({date_uk(later.data)})"
                    )
                    break
        draft, expected = self.draft_guidance_date, self.expected_publication_date
        if draft.data and expected.data and not draft.errors and not expected.errors and draft.data > expected.data:
            draft.errors.append(
                f"Draft guidance ({date_uk(draft.data)}) must be on or before expected publication ({date_uk(expected.data)})"
            )

    def has_errors(self) -> bool:
        for f in self:
            if f.type == "FieldList":
                if any(sub.errors for entry in f.entries for sub in entry.form):
                    return True
            elif f.errors:
                return True
        return False


class AppraisalOverrideForm(CheckedForm):
    patients_per_year = NumberField(
        "Patients a year at your trust",
        [Required("Enter the patients a year your trust expects"), InBounds("trustappraisaloverride.patients_per_year")],
        invalid_message="Patients a year must be a number, like 24",
    )
    note = StringField("Where this figure comes from", [Required("Enter where this figure comes from, like 'SACT dataset 2024/25, our MDT'"), MaxLength(500, "The note must be 500 characters or fewer")])
    version = HiddenField()
    opened_at = HiddenField()


class RegimenOverrideForm(CheckedForm):
    chair_minutes_first_cycle = NumberField(
        "Chair minutes an attendance, first cycle",
        [Optional(), InBounds("trustregimenoverride.chair_minutes_first_cycle")],
        invalid_message="Chair minutes for the first cycle must be a number, like 60",
    )
    chair_minutes_later_cycles = NumberField(
        "Chair minutes an attendance, later cycles",
        [Optional(), InBounds("trustregimenoverride.chair_minutes_later_cycles")],
        invalid_message="Chair minutes for later cycles must be a number, like 30",
    )
    verification_minutes_per_cycle = NumberField(
        "Verification minutes a cycle",
        [Optional(), InBounds("trustregimenoverride.verification_minutes_per_cycle")],
        invalid_message="Verification minutes must be a number, like 10",
    )
    clinic_minutes = NumberField(
        "Clinic minutes",
        [Optional(), InBounds("trustregimenoverride.clinic_minutes")],
        invalid_message="Clinic minutes must be a number, like 20",
    )
    clinic_every_n_cycles = WholeNumberField(
        "Clinic every",
        [Optional(), InBounds("trustregimenoverride.clinic_every_n_cycles")],
        invalid_message="How often the clinic is must be a whole number of cycles, like 2",
    )
    note = StringField("Where these figures come from", [MaxLength(500, "The note must be 500 characters or fewer")])
    version = HiddenField()
    opened_at = HiddenField()

    FIGURES = (
        "chair_minutes_first_cycle",
        "chair_minutes_later_cycles",
        "verification_minutes_per_cycle",
        "clinic_minutes",
        "clinic_every_n_cycles",
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and all(getattr(self, name).data is None for name in self.FIGURES):
            self.chair_minutes_first_cycle.errors.append(
                "Enter at least one local figure, or use 'Go back to the alliance figures'"
            )
            return False
        if valid and not (self.note.data or "").strip():
            self.note.errors.append("Enter where these figures come from, like 'our day unit audit, March 2026'")
            return False
        return valid


def _capacity_field(column: str, example: str, *, whole: bool = False, percent: bool = False):
    """A trust capacity figure, bounded by `bounds.BOUNDS["trust.<column>"]` (utilisation asked for as a %)."""
    field_class = WholeNumberField if whole else NumberField
    label = BOUNDS[f"trust.{column}"].label
    return field_class(
        label,
        [Optional(), InBounds(f"trust.{column}", scale=100, unit="%") if percent else InBounds(f"trust.{column}")],
        invalid_message=f"{label} must be a {'whole ' if whole else ''}number, like {example}",
    )


class CapacityForm(CheckedForm):
    catchment_population = _capacity_field("catchment_population", "650000", whole=True)
    chairs = _capacity_field("chairs", "40", whole=True)
    chair_hours_per_day = _capacity_field("chair_hours_per_day", "10")
    days_per_week = _capacity_field("days_per_week", "5")
    target_utilisation = _capacity_field("target_utilisation", "85", percent=True)
    baseline_chair_hours_per_week = _capacity_field("baseline_chair_hours_per_week", "1600")
    aseptic_hours_per_week = _capacity_field("aseptic_hours_per_week", "400")
    baseline_aseptic_hours_per_week = _capacity_field("baseline_aseptic_hours_per_week", "360")
    clinic_slots_per_week = _capacity_field("clinic_slots_per_week", "900")
    baseline_clinic_appointments_per_week = _capacity_field("baseline_clinic_appointments_per_week", "830")
    source = StringField("Where the changed figures come from", [MaxLength(500, "The source must be 500 characters or fewer")])
    version = HiddenField()
    opened_at = HiddenField()

    FIGURES = (
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
