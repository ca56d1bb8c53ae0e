"""The app's editing forms (Flask-WTF), with validators that carry clinical bounds and clear messages.

`error_list(form)` gives the NHS error summary its (anchor, message) pairs in page order.
"""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField

from .editing import AppraisalAssumptionsForm, AppraisalOverrideForm, CapacityForm, RegimenOverrideForm
from .fields import CheckedForm, DatePartsField
from .regimens import ComponentForm, ConfidentialPriceForm, DrugForm, PackForm, RegimenForm, options

__all__ = [
    "AppraisalAssumptionsForm",
    "AppraisalOverrideForm",
    "CapacityForm",
    "ComponentForm",
    "ConfidentialPriceForm",
    "DrugForm",
    "ImportUploadForm",
    "ImportConfirmForm",
    "PackForm",
    "RegimenForm",
    "RegimenOverrideForm",
    "error_list",
]

ROW_LABELS = {"components": "Component", "funnel_steps": "Step", "regimens": "Regimen row"}


class ImportUploadForm(CheckedForm):
    kind = RadioField(
        "What are you importing?",
        choices=options(("regimens", "Regimens and their components"), ("prices", "Drug packs and list prices")),
        default="regimens",
    )
    upload = FileField("CSV or Excel file")


class ImportConfirmForm(CheckedForm):
    kind = HiddenField()
    filename = HiddenField()
    content = HiddenField()  # the uploaded file, base64; parsed and checked again on confirm


def _anchor(field) -> str:
    return field.anchor if isinstance(field, DatePartsField) else field.id


def error_list(form) -> list[tuple[str, str]]:
    """(anchor id, message) for each field in error, in the order the fields appear."""
    errors: list[tuple[str, str]] = []
    for field in form:
        if field.type == "FieldList":
            label = ROW_LABELS.get(field.short_name, "Row")
            for number, entry in enumerate(field.entries, start=1):
                for sub in entry.form:
                    if sub.errors:
                        errors.append((_anchor(sub), f"{label} {number}: {sub.errors[0]}"))
            if field.errors and all(isinstance(e, str) for e in field.errors):
                errors.append((field.id, field.errors[0]))
        elif field.errors and isinstance(field.errors, list) and isinstance(field.errors[0], str):
            errors.append((_anchor(field), field.errors[0]))
    return errors
