"""The read-only API: token required (401 without, 401 once withdrawn), admin-only token page, the OpenAPI
document (3.1, every /api/v1 route in its paths) and every response checked against its schema."""

from __future__ import annotations

import hashlib
import re
from datetime import date

import pytest
from sqlmodel import select

from appraisal_impact.models import ApiToken, AuditEntry, Role
from tests.conftest import make_user, sign_in

API_ROUTES = [
    "/api/v1/pipeline",
    "/api/v1/appraisals/{appraisal_id}/impact",
    "/api/v1/icbs/QVV/summary",
    "/api/v1/trusts/RHM/capacity",
]


def _create_token(client, label="Alliance dashboard") -> str:
    response = client.post("/admin/api-tokens", data={"label": label})
    assert response.status_code == 201, response.get_data(as_text=True)[:1000]
    return re.search(r'id="api-token" type="text" readonly value="([A-Za-z0-9_-]{43})"', response.get_data(as_text=True)).group(1)


@pytest.fixture
def token(client, users):
    sign_in(client, users["admin"])
    return _create_token(client)


@pytest.fixture
def reader(app):
    """A client with no session cookie: the API reads with its token alone."""
    return app.test_client()


def _first_appraisal_id(db) -> int:
    from appraisal_impact.models import Appraisal

    return db.exec(select(Appraisal.id).order_by(Appraisal.id)).first()


def _urls(db) -> list[str]:
    return [route.format(appraisal_id=_first_appraisal_id(db)) for route in API_ROUTES]


def test_without_a_token_every_route_answers_401(reader, db, users):
    for url in _urls(db):
        response = reader.get(url)
        assert response.status_code == 401, url
        assert response.json["status"] == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        for header in ({"Authorization": "Bearer " + "x" * 43}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}):
            assert reader.get(url, headers=header).status_code == 401, (url, header)


def test_a_signed_in_session_is_not_enough(client, db, users):
    sign_in(client, users["admin"])
    assert client.get("/api/v1/pipeline").status_code == 401


def test_with_a_token_every_route_answers_and_the_use_is_noted(reader, db, token):
    row = db.exec(select(ApiToken)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.last_used_at is None
    for url in _urls(db):
        response = reader.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["Cache-Control"] == "no-store"
    db.expire_all()
    assert db.get(ApiToken, row.id).last_used_at is not None


def test_a_withdrawn_token_answers_401_at_once(client, reader, db, token):
    headers = {"Authorization": f"Bearer {token}"}
    assert reader.get("/api/v1/pipeline", headers=headers).status_code == 200
    row = db.exec(select(ApiToken)).one()
    assert client.post(f"/admin/api-tokens/{row.id}/revoke").status_code == 302
    assert reader.get("/api/v1/pipeline", headers=headers).status_code == 401
    assert db.exec(select(AuditEntry).where(AuditEntry.entity == "apitoken", AuditEntry.field == "revoked_at")).first()
    assert "Withdrawn" in client.get("/admin/api-tokens").get_data(as_text=True)


def test_the_token_page_shows_each_token_once_then_only_when_it_was_last_used(client, reader, db, token):
    listing = client.get("/admin/api-tokens").get_data(as_text=True)
    assert token not in listing
    assert "Alliance dashboard" in listing and "Not used yet" in listing
    reader.get("/api/v1/pipeline", headers={"Authorization": f"Bearer {token}"})
    assert "Not used yet" not in client.get("/admin/api-tokens").get_data(as_text=True)
    assert db.exec(select(AuditEntry).where(AuditEntry.entity == "apitoken", AuditEntry.action == "create")).first()


@pytest.mark.parametrize("role", [Role.viewer, Role.alliance, Role.lead])
def test_only_admins_manage_tokens(client, db, users, role):
    sign_in(client, make_user(db, role, email=f"{role.value}.api@example.nhs.uk"))
    assert client.get("/admin/api-tokens").status_code == 403
    assert client.post("/admin/api-tokens", data={"label": "mine"}).status_code == 403
    assert db.exec(select(ApiToken)).first() is None


def test_a_token_needs_a_label(client, db, users):
    sign_in(client, users["admin"])
    response = client.post("/admin/api-tokens", data={"label": "  "})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r"<title>\s*Error: ", page) and 'href="#label"' in page
    assert db.exec(select(ApiToken)).first() is None


def test_unknown_things_are_json_404s(reader, token):
    headers = {"Authorization": f"Bearer {token}"}
    for url in ("/api/v1/appraisals/999999/impact", "/api/v1/icbs/XXX/summary", "/api/v1/trusts/XXX/capacity"):
        response = reader.get(url, headers=headers)
        assert response.status_code == 404, url
        assert response.json == {"error": "Not found", "status": 404}


def test_the_api_is_exempt_from_csrf_but_the_token_page_is_not(csrf_app):
    from sqlmodel import Session

    from appraisal_impact.db import engine
    from appraisal_impact.seeding import seed_database
    from tests.conftest import PASSWORD

    with csrf_app.app_context():
        with Session(engine(), expire_on_commit=False) as session:
            seed_database(session, None, today=date(2026, 6, 1))
            session.commit()
            admin = make_user(session, Role.admin)
        client = csrf_app.test_client()
        csrf_token = re.search(r'data-token="([^"]+)"', client.get("/sign-in").get_data(as_text=True)).group(1)
        client.post("/sign-in", data={"email": admin.email, "password": PASSWORD, "csrf_token": csrf_token})
        assert client.post("/admin/api-tokens", data={"label": "no csrf"}).status_code == 400
        made = client.post("/admin/api-tokens", data={"label": "with csrf", "csrf_token": csrf_token})
        assert made.status_code == 201
        api_token = re.search(r'id="api-token" type="text" readonly value="([^"]+)"', made.get_data(as_text=True)).group(1)
        api = csrf_app.test_client()
        # a GET with a bearer token needs no CSRF token; a POST to the read-only API is not allowed at all
        assert api.get("/api/v1/pipeline", headers={"Authorization": f"Bearer {api_token}"}).status_code == 200
        assert api.post("/api/v1/pipeline", headers={"Authorization": f"Bearer {api_token}"}).status_code == 405
        # only the API's blueprints (its summaries and the analysts' tables) are exempt
        assert csrf_app.extensions["csrf"]._exempt_blueprints == {csrf_app.blueprints["api"], csrf_app.blueprints["api_data"]}


# --- the OpenAPI document ----------------------------------------------------------------------------


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        _hash, _components, _schemas, name = schema["$ref"].split("/")
        schema = document["components"]["schemas"][name]
    return schema


def _check(document: dict, schema: dict, value, where: str) -> None:
    """A small JSON Schema check: $ref, anyOf, type (one or a list), properties, required, items, additionalProperties."""
    schema = _resolve(document, schema)
    if "anyOf" in schema:
        problems = []
        for option in schema["anyOf"]:
            try:
                _check(document, option, value, where)
                return
            except AssertionError as problem:
                problems.append(str(problem))
        raise AssertionError(f"{where}: matches none of anyOf: {problems}")
    types = schema.get("type")
    types = [types] if isinstance(types, str) else types
    if types:
        python = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "null": type(None),
                  "object": dict, "array": list}
        assert any(isinstance(value, python[t]) and not (t in ("integer", "number") and isinstance(value, bool))
                   for t in types), f"{where}: {value!r} is not {types}"
        if isinstance(value, str) and schema.get("format") == "date":
            date.fromisoformat(value)
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, f"{where}: missing {key}"
        if schema.get("additionalProperties") is False:
            extra = set(value) - set(schema.get("properties", {}))
            assert not extra, f"{where}: keys not in the schema: {extra}"
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                _check(document, sub, value[key], f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _check(document, schema["items"], item, f"{where}[{i}]")


@pytest.fixture
def document(reader, users):
    response = reader.get("/api/v1/openapi.json")  # needs no token
    assert response.status_code == 200
    return response.json


def test_the_openapi_document_is_3_1_and_describes_every_api_route(app, document):
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"] and document["info"]["version"]
    assert document["components"]["securitySchemes"]["bearerToken"] == {
        **document["components"]["securitySchemes"]["bearerToken"], "type": "http", "scheme": "bearer"}
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")
    }
    assert routes == set(document["paths"])
    for path, item in document["paths"].items():
        for parameter in re.findall(r"{(\w+)}", path):
            assert parameter in {p["name"] for p in item["get"]["parameters"]}, (path, parameter)
        assert "200" in item["get"]["responses"]
        if path != "/api/v1/openapi.json":
            assert "401" in item["get"]["responses"]
    # every $ref points at a schema that exists
    text = str(document)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in document["components"]["schemas"]


def test_every_response_matches_its_schema(reader, db, token, document):
    headers = {"Authorization": f"Bearer {token}"}
    for template in API_ROUTES:
        url = template.format(appraisal_id=_first_appraisal_id(db))
        schema = document["paths"][template.replace("QVV", "{ods_code}").replace("RHM", "{ods_code}")]["get"]["responses"]["200"]
        body = reader.get(url, headers=headers).json
        response_schema = _resolve(document, schema["content"]["application/json"]["schema"])
        assert set(response_schema["required"]) <= set(body), url  # top-level keys
        _check(document, response_schema, body, url)
    unauthorised = reader.get("/api/v1/pipeline").json
    _check(document, document["paths"]["/api/v1/pipeline"]["get"]["responses"]["401"]["content"]["application/json"]["schema"],
           unauthorised, "401")


def test_the_pipeline_lists_appraisals_soonest_deadline_first_with_list_prices(reader, token):
    body = reader.get("/api/v1/pipeline", headers={"Authorization": f"Bearer {token}"}).json
    deadlines = [a["funding_deadline"]["date"] for a in body["appraisals"]]
    known = [d for d in deadlines if d]
    assert known == sorted(known)
    assert deadlines[: len(known)] == known  # unknown deadlines last
    assert "list prices" in body["price_basis"]
    assert len(body["appraisals"]) >= 5
