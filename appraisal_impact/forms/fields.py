"""Form fields and validators that speak the users' language: numbers with units and clinical bounds,
NHS-style day/month/year dates, and error messages that say what to do ("Enter the dose in mg").

Every message follows the NHS service manual: say what went wrong and how to fix it, no jargon, no
"invalid". The user's own text is always shown back to them (`_value()` returns what they typed).
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

from flask_wtf import FlaskForm
from wtforms import Field, FloatField, IntegerField
from wtforms.utils import unset_value
from wtforms.validators import StopValidation, ValidationError


def _clean_number_text(text: str) -> str:
    """'£1,234.50' → '1234.50'; '35 %' → '35'. People paste figures from spreadsheets."""
    return text.strip().replace(",", "").replace("£", "").removesuffix("%").strip()


def _read_number(field, valuelist, *, whole: bool) -> None:
    """Set `field.data` from what was typed: None for blank; the field's message for anything that is
    not a (whole) number, with data left None so nothing half-read is saved."""
    if not valuelist:
        return
    text = _clean_number_text(valuelist[0])
    field.data = None
    if text == "":
        return
    try:
        value = float(text)
    except ValueError:
        raise ValueError(field.invalid_message) from None
    if not math.isfinite(value) or (whole and not value.is_integer()):
        raise ValueError(field.invalid_message)
    field.data = int(value) if whole else value


class NumberField(FloatField):
    """A decimal number. Text that is not a number gets `invalid_message`; blank gives None."""

    def __init__(self, label=None, validators=None, invalid_message: str | None = None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message or f"{self.label.text} must be a number"

    def process_formdata(self, valuelist):
        _read_number(self, valuelist, whole=False)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_number(self.data)


class WholeNumberField(IntegerField):
    """A whole number ("21", not "21.5" or "three weeks")."""

    def __init__(self, label=None, validators=None, invalid_message: str | None = None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message or f"{self.label.text} must be a whole number"

    def process_formdata(self, valuelist):
        _read_number(self, valuelist, whole=True)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


def format_number(value) -> str:
    """A stored number as a person would type it: 30.0 → '30', 0.85 → '0.85'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Required:
    """The field must be filled in (0 counts as filled in, unlike WTForms' DataRequired)."""

    field_flags = {"required": True}

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if field.process_errors:
            raise StopValidation()  # "must be a number" says enough
        if field.data is None or (isinstance(field.data, str) and not field.data.strip()):
            raise StopValidation(self.message)


class Optional:
    """Blank is allowed: stop here without an error (a number typed as text still errors)."""

    field_flags = {"optional": True}

    def __call__(self, form, field):
        if field.process_errors:
            raise StopValidation()
        if field.data is None or (isinstance(field.data, str) and not field.data.strip()):
            raise StopValidation()


class Between:
    """A number within clinical bounds; `above` makes the lower bound exclusive (a dose of 0 is no dose)."""

    def __init__(self, low: float | None = None, high: float | None = None, message: str = "", *, above: bool = False):
        self.low, self.high, self.above, self.message = low, high, above, message

    def __call__(self, form, field):
        value = field.data
        if value is None:
            return
        too_low = self.low is not None and (value <= self.low if self.above else value < self.low)
        too_high = self.high is not None and value > self.high
        if too_low or too_high:
            raise ValidationError(self.message)


class InBounds:
    """A number within its clinical bound from the one table (`bounds.BOUNDS`), with its reason.

    `scale` turns the stored unit into the form's (a fraction stored, a % asked for: 100); `label` names
    the figure where the form has several of one kind ("Uptake in year 2"); `message` replaces the
    table's wording where a form has a better one for its users.
    """

    def __init__(self, key: str, *, scale: float = 1, unit: str | None = None, label: str | None = None, message: str | None = None):
        from ..bounds import BOUNDS

        self.key, self.scale = key, scale
        bound = BOUNDS[key]
        if label:
            bound = replace(bound, label=label)
        self.bound = bound
        self.message = message or bound.message(scale=scale, unit=unit)

    def __call__(self, form, field):
        value = field.data
        if value is None:
            return
        if not self.bound.allows(value / self.scale):
            raise ValidationError(self.message)


class MaxLength:
    def __init__(self, length: int, message: str):
        self.length, self.message = length, message

    def __call__(self, form, field):
        if field.data and len(field.data) > self.length:
            raise ValidationError(self.message)


def parse_day_list(text: str) -> list[int]:
    """'1, 8' → [1, 8]; also '1+8' and 'D1 D8'. Raises ValueError for anything else."""
    cleaned = text.upper().replace("D", " ").replace("+", ",").replace(";", ",").replace(" ", ",")
    parts = [part for part in cleaned.split(",") if part]
    if not parts:
        raise ValueError("no days")
    days = []
    for part in parts:
        if not part.isdigit():
            raise ValueError(part)
        days.append(int(part))
    return sorted(set(days))


def day_list_text(days: list[int]) -> str:
    return ",".join(str(day) for day in days)


class DatePartsField(Field):
    """A date as three boxes (day, month, year): the NHS date input pattern.

    The boxes are named `<name>-day`, `<name>-month`, `<name>-year`; errors link to the day box.
    """

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.parts = {"day": "", "month": "", "year": ""}

    @property
    def anchor(self) -> str:
        return f"{self.id}-day"

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = data
        self.data = data
        self.raw_data = None
        if isinstance(data, date):
            self.parts = {"day": str(data.day), "month": str(data.month), "year": str(data.year)}
        if formdata is None:
            return
        keys = {part: f"{self.name}-{part}" for part in ("day", "month", "year")}
        if not any(key in formdata for key in keys.values()):
            return
        self.parts = {part: formdata.get(key, "").strip() for part, key in keys.items()}
        self.raw_data = list(self.parts.values())
        self.data = None
        if not any(self.parts.values()):
            return
        name = self.label.text
        missing = [part for part in ("day", "month", "year") if not self.parts[part]]
        if missing:
            self.process_errors.append(f"{name} must include a {' and '.join(missing)}")
            return
        try:
            day, month, year = (int(self.parts[p]) for p in ("day", "month", "year"))
            if not 1900 <= year <= 2100:
                raise ValueError
            self.data = date(year, month, day)
        except ValueError:
            self.process_errors.append(f"{name} must be a real date, like 15 3 2026")

    def _value(self):
        return self.parts


NULL_CHARACTER = "\x00"


def refuse_null_characters(form) -> bool:
    """Give every field (rows of a list too) that was sent a NUL character an error beside it.

    A NUL is never typed: it comes from a paste out of another program or from someone probing the
    service. PostgreSQL cannot store one. Returns False if any field had one.
    """
    clean = True
    for field in form:
        if field.type in ("FieldList",):
            for entry in field.entries:
                clean = refuse_null_characters(entry.form if hasattr(entry, "form") else [entry]) and clean
            continue
        if field.type == "FormField":
            clean = refuse_null_characters(field.form) and clean
            continue
        raw = field.raw_data or []
        if any(isinstance(value, str) and NULL_CHARACTER in value for value in raw):
            message = f"{field.label.text} contains a character that cannot be saved (a null character): type it again rather than pasting it"
            if isinstance(field.errors, list) or field.errors is None:
                field.errors = [message, *[e for e in (field.errors or []) if isinstance(e, str)]]
            else:
                field.errors = [message]
            field.data = None
            clean = False
    return clean


class CheckedForm(FlaskForm):
    """Every form of the app: refuses NUL characters beside the field, then its own checks."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return refuse_null_characters(self) and valid
