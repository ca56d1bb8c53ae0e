"""OpenAPI paths and schemas of the analysts' API (:mod:`appraisal_impact.views.api_data`).

Every property is described, with its unit where it has one; ``api_schema.openapi_document`` adds
these to the document it serves.
"""

from __future__ import annotations

from typing import Any

from .figures.series import COMPONENTS, FREQUENCIES, LEVELS, MEASURES

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}


def _p(schema: dict, description: str, **extra) -> dict:
    return {**schema, "description": description, **extra}


def _object(description: str, properties: dict[str, dict]) -> dict:
    return {"type": "object", "description": description, "properties": properties,
            "required": list(properties), "additionalProperties": False}


PAGING = {
    "generated_at": _p({"type": "string", "format": "date-time"},
                       "When this answer was made, ISO 8601 with its time zone (UTC)"),
    "page": _p({"type": "integer", "minimum": 1}, "This page's number, from 1"),
    "page_size": _p({"type": "integer", "minimum": 0}, "Rows a page holds [rows]"),
    "total_rows": _p({"type": "integer", "minimum": 0}, "Rows matching the query, on every page [rows]"),
    "next_page": _p({"type": ["string", "null"], "format": "uri"},
                    "The address of the next page, or null on the last page"),
}

SERIES_ROW = _object("One figure: a period, an area, an appraisal and a measure.", {
    "period_start": _p({"type": "string", "format": "date"}, "The period's first day (a Monday for weeks)"),
    "period_end": _p({"type": "string", "format": "date"}, "The period's last day"),
    "frequency": _p({"type": "string", "enum": list(FREQUENCIES)}, "week or month"),
    "component": _p({"type": "string", "enum": list(COMPONENTS)},
                    "net (brought in minus displaced), brought in (the new medicine alone: gross) or "
                    "displaced (the treatments it replaces: savings)"),
    "area_type": _p({"type": "string", "enum": list(LEVELS)}, "trust, icb or alliance"),
    "area_code": _p(_STRING, "The trust's or ICB's ODS code, or ALL for the alliance"),
    "area_name": _p(_STRING, "The trust's or ICB's name"),
    "icb_code": _p(_STRING, "The ODS code of the trust's ICB (empty for the alliance)"),
    "appraisal_id": _p({"type": "integer"}, "The appraisal's id in this tool (see /api/v1/appraisals)"),
    "appraisal_name": _p(_STRING, "The appraisal's title"),
    "measure": _p({"type": "string", "enum": list(MEASURES)}, "What is counted (see /api/v1/measures)"),
    "value": _p({"type": ["number", "null"]},
                "The figure, unrounded, in the row's unit; null when not yet known (reason in not_yet_known). "
                "A flow is the period's total, patients_on_treatment the period's mean"),
    "unit": _p(_STRING, "The value's unit, e.g. 'chair-hours a month', '£ a week', 'patients'"),
    "not_yet_known": _p(_NULLABLE_STRING, "Why the value is not yet known; null when it is known"),
})

SERIES_PAGE = _object("A page of the time series.", {
    "generated_at": PAGING["generated_at"],
    "figures_as_at": _p({"type": "string", "format": "date"}, "The date the figures are worked out as at"),
    "price_basis": _p(_STRING, "The prices costs use: NHS list prices excluding VAT (never confidential prices)"),
    "frequency": _p({"type": "string", "enum": list(FREQUENCIES)}, "week or month"),
    "component": _p({"type": "string", "enum": list(COMPONENTS)}, "net, brought in or displaced"),
    "level": _p({"type": "string", "enum": list(LEVELS)}, "trust rows, or their totals by ICB or for the alliance"),
    "model_starts": _p({"type": "string", "format": "date"}, "The first day the model covers"),
    "model_ends": _p({"type": "string", "format": "date"}, "The day after the last day the model covers"),
    **{k: v for k, v in PAGING.items() if k != "generated_at"},
    "rows": _p({"type": "array", "items": {"$ref": "#/components/schemas/SeriesRow"}}, "This page's rows"),
})

MEASURE_ROW = _object("A measure of the time series.", {
    "measure": _p({"type": "string", "enum": list(MEASURES)}, "The measure's name, as in the series' measure column"),
    "unit_week": _p(_STRING, "Its unit in weekly rows"),
    "unit_month": _p(_STRING, "Its unit in monthly rows"),
    "definition": _p(_STRING, "What it counts"),
})

ICB_ROW = _object("An integrated care board.", {
    "ods_code": _p(_STRING, "The ICB's ODS code (e.g. QVV)"),
    "name": _p(_STRING, "The ICB's name"),
    "population": _p({"type": ["integer", "null"]}, "People living in the ICB's area [people]; null if not entered"),
    "population_source": _p(_NULLABLE_STRING, "Where the population figure comes from"),
})

TRUST_ROW = _object("An NHS trust in the alliance.", {
    "ods_code": _p(_STRING, "The trust's ODS code (e.g. RHM)"),
    "name": _p(_STRING, "The trust's name"),
    "icb_code": _p(_NULLABLE_STRING, "The ODS code of the trust's ICB"),
    "catchment_population": _p({"type": ["integer", "null"]},
                               "People in the trust's catchment [people]; null if not entered"),
})

APPRAISAL_ROW = _object("A NICE technology appraisal.", {
    "appraisal_id": _p({"type": "integer"}, "The appraisal's id in this tool"),
    "reference": _p(_NULLABLE_STRING, "NICE's reference: TA number once published, else GID or ID number"),
    "title": _p(_STRING, "The appraisal's title"),
    "medicine": _p(_NULLABLE_STRING, "The medicine appraised"),
    "tumour_site": _p(_NULLABLE_STRING, "The tumour site"),
    "status": _p(_STRING, "Where the appraisal is in NICE's process"),
    "recommendation": _p(_NULLABLE_STRING, "NICE's recommendation, once known"),
    "publication_date": _p({"type": ["string", "null"], "format": "date"}, "When final guidance was published"),
    "expected_publication_date": _p({"type": ["string", "null"], "format": "date"},
                                    "When NICE expects to publish (null while 'to be confirmed')"),
    "funding_deadline": _p({"type": ["string", "null"], "format": "date"},
                           "The date by which trusts must fund it; null when not yet known"),
    "funding_deadline_rule": _p(_STRING, "The rule that gives the funding deadline, or why it is not known"),
    "effective_start": _p({"type": ["string", "null"], "format": "date"},
                          "The date trusts may first be asked to treat (the model's start)"),
    "is_example": _p({"type": "boolean"}, "True for the tool's example data, not a real appraisal"),
})

REGIMEN_ROW = _object("A treatment regimen in the library.", {
    "regimen_id": _p({"type": "integer"}, "The regimen's id in this tool"),
    "name": _p(_STRING, "The regimen's name"),
    "indication": _p(_NULLABLE_STRING, "What it treats"),
    "tumour_site": _p(_NULLABLE_STRING, "The tumour site"),
    "cycle_length_days": _p({"type": "integer"}, "Length of a cycle [days]"),
    "attendance_days": _p(_STRING, "The days of a cycle the patient attends, e.g. '1,8'"),
    "is_oral": _p({"type": "boolean"}, "True when taken by mouth (no chair time)"),
    "max_cycles": _p({"type": ["integer", "null"]}, "Most cycles given [cycles]; null: no fixed number"),
    "median_time_on_treatment_days": _p({"type": ["number", "null"]},
                                        "Median time on treatment [days]; null for a fixed course"),
    "updated_at": _p({"type": "string", "format": "date-time"}, "When last changed, ISO 8601 with its time zone"),
})


def _list_page(item: str, description: str) -> dict:
    return _object(description, {**PAGING, "rows": _p({"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
                                                       "This page's rows")})


SCHEMAS = {
    "SeriesRow": SERIES_ROW, "SeriesPage": SERIES_PAGE,
    "MeasureRow": MEASURE_ROW, "MeasurePage": _list_page("MeasureRow", "The measures of the time series."),
    "IcbRow": ICB_ROW, "IcbPage": _list_page("IcbRow", "The alliance's ICBs."),
    "TrustRow": TRUST_ROW, "TrustPage": _list_page("TrustRow", "The alliance's trusts."),
    "AppraisalRow": APPRAISAL_ROW, "AppraisalPage": _list_page("AppraisalRow", "Every appraisal in the tool."),
    "RegimenRow": REGIMEN_ROW, "RegimenPage": _list_page("RegimenRow", "Every regimen in the library."),
}


def _query(name: str, description: str, schema: dict, example=None) -> dict:
    parameter = {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
    if example is not None:
        parameter["example"] = example
    return parameter


PAGE_PARAMETERS = [
    _query("page", "The page to send, from 1 (the CSV twin sends every row unless page or page_size is given)",
           {"type": "integer", "minimum": 1, "default": 1}),
    _query("page_size", "Rows a page [rows], at most 10,000", {"type": "integer", "minimum": 1, "maximum": 10000,
                                                                "default": 1000}),
]

SERIES_PARAMETERS = [
    _query("frequency", "week or month (calendar months wholly modelled)",
           {"type": "string", "enum": list(FREQUENCIES), "default": "month"}),
    _query("component", "net, brought in (gross) or displaced (savings)",
           {"type": "string", "enum": list(COMPONENTS), "default": "net"}),
    _query("level", "trust rows, or their unrounded totals by ICB or for the alliance",
           {"type": "string", "enum": list(LEVELS), "default": "trust"}),
    _query("measure", "Only these measures (comma-separated)", _STRING, "chair_hours,drug_cost"),
    _query("trust", "Only these trusts' rows (ODS codes, comma-separated)", _STRING, "RHM"),
    _query("icb", "Only the trusts of these ICBs (ODS codes, comma-separated)", _STRING, "QRL"),
    _query("appraisal", "Only these appraisals (ids, comma-separated)", _STRING),
    _query("from", "Only periods ending on or after this date", {"type": "string", "format": "date"}),
    _query("to", "Only periods starting on or before this date", {"type": "string", "format": "date"}),
    *PAGE_PARAMETERS,
]


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _get(operation_id: str, summary: str, description: str, schema: str, parameters: list, csv: bool) -> dict:
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}} if not csv else {
        "text/csv": {"schema": {"type": "string"}}}
    responses = {"200": {"description": summary, "content": content},
                 "401": _error_response("No token, or a token that is unknown or withdrawn")}
    if parameters:
        responses["400"] = _error_response("A query parameter the API cannot use; the message says which")
    return {"get": {"operationId": operation_id, "summary": summary, "description": description,
                    "tags": ["tables"], "parameters": parameters, "responses": responses}}


def paths() -> dict[str, Any]:
    """The analysts' API paths, JSON and CSV twins."""
    result = {}
    series_description = (
        "Long format, one row per period, area, appraisal and measure, unrounded, with its unit: trusts add up to "
        "their ICB and the alliance exactly. List prices only.")
    for suffix, csv in (("", False), (".csv", True)):
        name = "Csv" if csv else ""
        result[f"/api/v1/series{suffix}"] = _get(
            f"getSeries{name}", "Weekly or monthly figures" + (" (CSV)" if csv else ""), series_description,
            "SeriesPage", SERIES_PARAMETERS, csv)
        for path, schema, summary in (("icbs", "IcbPage", "The alliance's ICBs"),
                                      ("trusts", "TrustPage", "The alliance's trusts"),
                                      ("appraisals", "AppraisalPage", "Every appraisal, with its funding deadline"),
                                      ("regimens", "RegimenPage", "Every regimen in the library")):
            result[f"/api/v1/{path}{suffix}"] = _get(
                f"list{path.title()}{name}", summary + (" (CSV)" if csv else ""), summary + ".", schema,
                PAGE_PARAMETERS, csv)
    result["/api/v1/measures"] = _get("listMeasures", "The measures of the time series",
                                      "Each measure's units a week and a month and what it counts.",
                                      "MeasurePage", PAGE_PARAMETERS, False)
    return result
