"""The analysts' API: long-format series and lists with CSV twins, paged; JSON errors everywhere under /api;
time zones on timestamps; the OpenAPI document valid (openapi-spec-validator) with every new property
described; the series loaded into pandas with trusts adding up to their ICBs and the alliance."""

from __future__ import annotations

import io
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from appraisal_impact.api_data_schema import SCHEMAS
from appraisal_impact.api_schema import openapi_document
from appraisal_impact.figures.series import month_weights
from tests.conftest import sign_in
from tests.test_api import _create_token

TIMESTAMP_WITH_ZONE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\+00:00|Z)$")


@pytest.fixture
def headers(client, seeded, users):
    sign_in(client, users["admin"])
    return {"Authorization": f"Bearer {_create_token(client)}"}


@pytest.fixture
def reader(app):
    return app.test_client()


def _valid(document: dict, schema_name: str, value) -> None:
    """Check ``value`` against a component schema of the served document (JSON Schema 2020-12)."""
    root = {**document, "$ref": f"#/components/schemas/{schema_name}"}
    errors = sorted(Draft202012Validator(root).iter_errors(value), key=str)
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def _csv(reader, url, headers) -> pd.DataFrame:
    response = reader.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    return pd.read_csv(io.StringIO(response.get_data(as_text=True)), keep_default_na=True)


# --- the OpenAPI document --------------------------------------------------------------------------


def test_the_document_is_valid_openapi_and_describes_every_new_property_with_its_unit(reader):
    document = reader.get("/api/v1/openapi.json").json
    validate(document)  # raises on any fault
    for name in SCHEMAS:
        for prop, schema in document["components"]["schemas"][name]["properties"].items():
            assert schema.get("description"), f"{name}.{prop} has no description"
    row = document["components"]["schemas"]["SeriesRow"]["properties"]
    assert "unrounded" in row["value"]["description"] and "unit" in row["value"]["description"]
    assert "[people]" in document["components"]["schemas"]["TrustRow"]["properties"]["catchment_population"]["description"]


def test_every_api_route_is_in_the_document(app):
    document = openapi_document()
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/")}
    assert routes <= set(document["paths"]), routes - set(document["paths"])


# --- the time series --------------------------------------------------------------------------------


def test_month_weights_split_a_straddling_week_by_its_days():
    # grid from Monday 1 June 2026, 5 weeks: to Sunday 5 July. June is wholly on it; July is not.
    months, weights = month_weights(date(2026, 6, 1), 5)
    assert months == [(date(2026, 6, 1), date(2026, 7, 1))]
    np.testing.assert_allclose(weights[0], [1, 1, 1, 1, 2 / 7])
    assert weights[0].sum() * 7 == pytest.approx(30)  # June's 30 days


def test_a_series_page_matches_its_schema_and_carries_its_time_zone(reader, headers):
    response = reader.get("/api/v1/series?frequency=month&measure=chair_hours&page_size=50", headers=headers)
    assert response.status_code == 200
    body = response.json
    _valid(openapi_document(), "SeriesPage", body)
    assert TIMESTAMP_WITH_ZONE.match(body["generated_at"])
    assert body["figures_as_at"] == "2026-06-01" and body["price_basis"] == "list prices"
    assert len(body["rows"]) == 50 and body["total_rows"] > 50
    assert {row["measure"] for row in body["rows"]} == {"chair_hours"}
    assert {row["unit"] for row in body["rows"]} == {"chair-hours a month"}
    second = reader.get(body["next_page"], headers=headers).json
    assert second["page"] == 2 and second["rows"][0] != body["rows"][0]


def test_trusts_add_up_to_their_icbs_and_the_alliance_in_pandas(reader, headers):
    base = "/api/v1/series.csv?frequency=month&measure=chair_hours,drug_cost,new_starts"
    trusts = _csv(reader, base, headers)
    alliance = _csv(reader, base + "&level=alliance", headers)
    icbs = _csv(reader, base + "&level=icb", headers)
    assert set(trusts["area_type"]) == {"trust"} and set(alliance["area_code"]) == {"ALL"}
    assert trusts["area_code"].nunique() > 1 and trusts["value"].notna().any()
    keys = ["period_start", "appraisal_id", "measure"]
    summed = trusts.groupby(keys)["value"].sum(min_count=1).rename("trusts")
    joined = alliance.set_index(keys)["value"].to_frame("alliance").join(summed, how="outer")
    assert len(joined) == len(alliance)
    known = joined["alliance"].notna()
    assert (joined["trusts"].notna() == known).all()  # unknown stays unknown, never 0
    np.testing.assert_allclose(joined.loc[known, "trusts"], joined.loc[known, "alliance"], rtol=1e-12)
    by_icb = trusts.groupby(["icb_code", *keys])["value"].sum(min_count=1)
    icb_values = icbs.set_index(["area_code", *keys])["value"]
    icb_values.index = icb_values.index.set_names(["icb_code", *keys])
    np.testing.assert_allclose(by_icb.reindex(icb_values.index).fillna(-1), icb_values.fillna(-1), rtol=1e-12)


def test_net_is_brought_in_minus_displaced(reader, headers):
    base = "/api/v1/series.csv?frequency=month&measure=chair_hours&level=alliance"
    net, gross, displaced = (_csv(reader, f"{base}&component={c}", headers)["value"] for c in ("net", "brought in", "displaced"))
    known = net.notna()
    assert known.any()
    np.testing.assert_allclose(net[known], (gross - displaced)[known], atol=1e-9)


def test_an_appraisal_without_a_start_date_is_null_with_the_reason_never_zero(reader, headers):
    rows = reader.get("/api/v1/series?measure=new_starts&page_size=10000", headers=headers).json["rows"]
    unknown = [r for r in rows if r["value"] is None]
    assert unknown, "the seeds hold an appraisal whose start date is not yet known"
    assert all(r["not_yet_known"] for r in unknown)
    assert all(r["not_yet_known"] is None for r in rows if r["value"] is not None)


def test_weekly_rows_start_on_mondays(reader, headers):
    rows = reader.get("/api/v1/series?frequency=week&measure=attendances&trust=RHM&page_size=200", headers=headers).json["rows"]
    assert rows and {date.fromisoformat(r["period_start"]).weekday() for r in rows} == {0}
    assert {r["area_code"] for r in rows} == {"RHM"} and {r["unit"] for r in rows} == {"attendances a week"}


@pytest.mark.parametrize("query, words", [
    ("frequency=year", "frequency must be one of"),
    ("measure=chairs", "measure must be one or more of"),
    ("page=0", "page must be a whole number"),
    ("page_size=20000", "page_size must be 10,000 or fewer"),
    ("from=1st June", "from must be a date"),
    ("from=2027-01-01&to=2026-01-01", "from must be on or before to"),
    ("appraisal=TA1037", "appraisal must be the appraisal's id"),
])
def test_bad_queries_answer_400_in_json(reader, headers, query, words):
    response = reader.get(f"/api/v1/series?{query}", headers=headers)
    assert response.status_code == 400 and response.is_json
    assert words in response.json["error"] and response.json["status"] == 400


# --- lists -------------------------------------------------------------------------------------------


def test_lists_of_icbs_trusts_appraisals_and_regimens(reader, headers):
    document = openapi_document()
    for path, schema in (("icbs", "IcbPage"), ("trusts", "TrustPage"), ("appraisals", "AppraisalPage"),
                         ("regimens", "RegimenPage"), ("measures", "MeasurePage")):
        body = reader.get(f"/api/v1/{path}?page_size=10000", headers=headers).json
        _valid(document, schema, body)
        assert body["rows"], path
    icbs = {r["ods_code"] for r in reader.get("/api/v1/icbs", headers=headers).json["rows"]}
    assert {"QVV", "QRL"} <= icbs
    trusts = {r["ods_code"]: r["icb_code"] for r in reader.get("/api/v1/trusts", headers=headers).json["rows"]}
    assert trusts["RHM"] == "QRL" and trusts["R0D"] == "QVV"
    regimens = reader.get("/api/v1/regimens", headers=headers).json["rows"]
    assert all(TIMESTAMP_WITH_ZONE.match(r["updated_at"]) for r in regimens)
    trusts_csv = _csv(reader, "/api/v1/trusts.csv", headers)
    assert list(trusts_csv.columns) == ["ods_code", "name", "icb_code", "catchment_population"]
    assert set(trusts_csv["ods_code"]) == set(trusts)


def test_older_summaries_give_their_timestamps_a_time_zone(reader, headers):
    assert TIMESTAMP_WITH_ZONE.match(reader.get("/api/v1/pipeline", headers=headers).json["generated_at"])


# --- JSON errors everywhere under /api -----------------------------------------------------------


def test_new_routes_need_a_token(reader, seeded):
    for url in ("/api/v1/series", "/api/v1/series.csv", "/api/v1/icbs", "/api/v1/trusts.csv"):
        response = reader.get(url)
        assert response.status_code == 401 and response.is_json, url


def test_errors_under_api_are_json_never_html(app, reader, headers, monkeypatch):
    for url in ("/api/v1/nowhere", "/api", "/api/v2/pipeline", "/api/v1/series.xlsx"):
        response = reader.get(url, headers=headers)
        assert response.status_code == 404 and response.is_json, url
        assert response.json == {"error": "Not found", "status": 404}
    response = reader.post("/api/v1/series", headers=headers)
    assert response.status_code == 405 and response.is_json and "GET" in response.headers["Allow"]
    assert reader.delete("/api/v1/trusts", headers=headers).json["status"] == 405

    from appraisal_impact.views import api_data

    def broken(**_kwargs):
        raise RuntimeError("the database lost a table")

    monkeypatch.setattr(api_data.queries, "list_icbs", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = reader.get("/api/v1/icbs", headers=headers)
    assert response.status_code == 500 and response.is_json
    assert "database" not in response.get_data(as_text=True)  # no trace or detail leaks
    # pages outside /api keep their HTML error pages
    assert "<html" in reader.get("/nowhere").get_data(as_text=True).lower()


def test_csv_text_that_looks_like_a_formula_is_made_inert_and_numbers_stay_numbers(reader, headers, seeded):
    from appraisal_impact.models import Regimen

    regimen = seeded.exec(__import__("sqlmodel").select(Regimen)).first()
    regimen.indication = "=HYPERLINK(\"http://evil.example\")"
    seeded.add(regimen)
    seeded.commit()
    text = reader.get("/api/v1/regimens.csv", headers=headers).get_data(as_text=True)
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text and "\"=HYPERLINK" not in text
    series = reader.get("/api/v1/series.csv?measure=chair_hours&level=alliance", headers=headers).get_data(as_text=True)
    negative = [line for line in series.splitlines() if ",-" in line]
    assert all(",'-" not in line for line in negative)  # a negative figure is still a number
