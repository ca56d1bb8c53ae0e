"""The OpenAPI 3.1 document of the read-only API (served at /api/v1/openapi.json).

Response schemas are made from the summary dataclasses themselves (`summaries.py`), field by field, so the
document cannot drift from what the API sends: every field is required (a summary always has every key;
an unknown figure is null), and a field that may be unknown has type [..., "null"] (JSON Schema 2020-12,
as OpenAPI 3.1 uses). An object with figures carries `not_yet_known`: for each figure that is null (or a
total with parts missing), the reason in words. Figures are the figures layer's (`appraisal_impact.figures`),
money to £1, others to 4 decimal places (pages show whole patients at 10 or more, else one decimal).
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from datetime import date, datetime
from typing import Any

from . import summaries

API_VERSION = "1.0.0"

_SCALARS: dict[type, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    datetime: {"type": "string", "format": "date-time"},
    date: {"type": "string", "format": "date"},
}


def _schema_for(annotation: Any, components: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        nullable = len(members) < len(args)
        if len(members) == 1:
            inner = _schema_for(members[0], components)
            if not nullable:
                return inner
            if "$ref" in inner:
                return {"anyOf": [inner, {"type": "null"}]}
            return {**inner, "type": [inner["type"], "null"]}
        return {"anyOf": [_schema_for(m, components) for m in members] + ([{"type": "null"}] if nullable else [])}
    if origin in (tuple, list):
        return {"type": "array", "items": _schema_for(args[0], components)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema_for(args[1], components),
                "description": "figure name: why it is not yet known (or how many parts of a total are missing)"}
    if dataclasses.is_dataclass(annotation):
        return _component(annotation, components)
    if annotation in _SCALARS:
        return dict(_SCALARS[annotation])
    raise TypeError(f"no schema for {annotation!r}")


def _component(cls: type, components: dict[str, Any]) -> dict[str, Any]:
    """A $ref to the schema of dataclass `cls`, adding it (and what it uses) to `components`."""
    name = cls.__name__
    if name not in components:
        components[name] = {}  # placeholder, in case of recursion
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)
        components[name] = {
            "type": "object",
            "description": inspect.cleandoc(cls.__doc__ or name),
            "properties": {f.name: _schema_for(hints[f.name], components) for f in fields},
            "required": [f.name for f in fields],
            "additionalProperties": False,
        }
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema_ref: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": schema_ref}}}}


_ERRORS = {
    "401": _json("#/components/schemas/Error", "No token, or a token that is unknown or withdrawn"),
}


def _path_parameter(name: str, description: str, example: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string"}, "example": example}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document: every /api/v1 route, its parameters and response schemas."""
    components: dict[str, Any] = {}
    refs = {
        cls.__name__: _component(cls, components)
        for cls in (summaries.PipelineSummary, summaries.AppraisalSummary, summaries.IcbSummary,
                    summaries.TrustCapacitySummary)
    }
    components["Error"] = {
        "type": "object",
        "description": "What went wrong.",
        "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
        "required": ["error", "status"],
        "additionalProperties": False,
    }
    not_found = _json("#/components/schemas/Error", "No such appraisal, ICB or trust")

    def operation(operation_id: str, summary: str, description: str, schema: str, parameters=(), extra=None):
        responses = {"200": _json(refs[schema]["$ref"], summary), **_ERRORS}
        if parameters:
            responses["404"] = not_found
        return {"get": {
            "operationId": operation_id,
            "summary": summary,
            "description": description,
            "tags": ["figures"],
            "parameters": list(parameters),
            "responses": responses,
            **(extra or {}),
        }}

    paths = {
        "/api/v1/pipeline": operation(
            "getPipeline", "The pipeline",
            "Every appraisal with a funding requirement, with its deadlines and its net impact on all the "
            "alliance's trusts, soonest deadline first. List prices only.",
            "PipelineSummary"),
        "/api/v1/appraisals/{appraisal_id}/impact": operation(
            "getAppraisalImpact", "One appraisal's impact",
            "What the appraisal is, when it must be funded, and its patients, chair, pharmacy and clinic time "
            "and cost by trust and in total (list prices only), with its assumptions and sources.",
            "AppraisalSummary",
            [{"name": "appraisal_id", "in": "path", "required": True, "description": "The appraisal's id in this tool",
              "schema": {"type": "integer"}, "example": 1}]),
        "/api/v1/icbs/{ods_code}/summary": operation(
            "getIcbSummary", "One ICB's summary",
            "Every pipeline appraisal's net impact on the ICB's trusts: headline figures, deadlines, the trusts "
            "most affected and capacity headroom. List prices only.",
            "IcbSummary", [_path_parameter("ods_code", "The ICB's ODS code", "QVV")]),
        "/api/v1/trusts/{ods_code}/capacity": operation(
            "getTrustCapacity", "One trust's capacity",
            "The trust's chair, aseptic and clinic capacity, the whole pipeline's demand on it and the headroom "
            "left, with and without the pipeline.",
            "TrustCapacitySummary", [_path_parameter("ods_code", "The trust's ODS code", "RHM")]),
        "/api/v1/openapi.json": {"get": {
            "operationId": "getOpenApiDocument",
            "summary": "This document",
            "description": "The OpenAPI 3.1 description of this API. Needs no token.",
            "tags": ["about"],
            "security": [],
            "responses": {"200": {"description": "The OpenAPI document",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}},
        }},
    }
    from . import api_data_schema  # the analysts' tables: series and lists, with CSV twins

    paths.update(api_data_schema.paths())
    components.update(api_data_schema.SCHEMAS)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Appraisal Impact API",
            "version": API_VERSION,
            "summary": "Read-only figures on upcoming NICE cancer medicine appraisals and their impact on trusts.",
            "description": (
                "For the alliance's data dashboards. Every request needs an API token, made by an administrator "
                "of the tool, sent as `Authorization: Bearer <token>`. Costs use NHS list prices excluding VAT; "
                "confidential prices are never sent. Figures are worked out when asked for; `figures_as_at` "
                "gives their date."
            ),
        },
        "servers": [{"url": "/", "description": "This tool"}],
        "security": [{"bearerToken": []}],
        "tags": [{"name": "figures", "description": "Pipeline, appraisal, ICB and trust figures"},
                 {"name": "tables", "description": "Long-format time series and lists for Power BI and Excel"},
                 {"name": "about", "description": "About the API"}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {"bearerToken": {
                "type": "http", "scheme": "bearer",
                "description": "An API token from the tool's API tokens page (administrators only).",
            }},
        },
    }
