"""The frameworks in the JSON API v1 and in its OpenAPI document."""

from __future__ import annotations

from datetime import date

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate

from catalogue import db
from catalogue.frameworks import queries as framework_queries
from catalogue.frameworks.applicability import applicable_requirements
from catalogue.frameworks.lifecycle import bring_into_force
from catalogue.frameworks.vocabulary import PREDICATES


def wave(version: str):
    return framework_queries.get_framework(db.session, "ENS", version)


@pytest.fixture
def openapi(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def conforms(document: dict, schema_name: str, body: dict) -> None:
    """Validate an answer against a component schema of the OpenAPI document."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    errors = sorted(Draft202012Validator(schema, format_checker=FormatChecker())
                    .iter_errors(body), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_openapi_document_is_valid_and_describes_the_routes(openapi):
    validate(openapi)
    paths = openapi["paths"]
    listing = paths["/api/v1/frameworks"]["get"]
    detail = paths["/api/v1/frameworks/{code}/{version}"]["get"]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/FrameworkList"}
    assert detail["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/FrameworkDetail"}
    assert {"400", "404", "304"} <= set(detail["responses"])
    params = {p["name"]: p for p in detail["parameters"]}
    assert params["code"]["in"] == "path" and params["code"]["required"] is True
    # Every characteristic, and the empty value that ``profile=`` stands for.
    assert params["profile"]["schema"]["items"]["enum"] == [*PREDICATES, ""]
    assert params["profile"]["style"] == "form" and params["profile"]["explode"] is False


def test_list_answers_every_version_with_its_fields(client, ens_waves, openapi):
    response = client.get("/api/v1/frameworks")

    assert response.status_code == 200
    body = response.json
    conforms(openapi, "FrameworkList", body)
    first, second = body["items"]
    assert (first["version"], first["status"]) == ("2027.1", "draft")
    assert (second["version"], second["status"]) == ("2026.1", "in_force")
    assert first["effective_from"] == "2027-01-01"
    assert first["compliance_deadline"] == "2027-12-31"
    assert second["compliance_deadline"] is None
    assert second["in_force_at"] is not None and first["in_force_at"] is None
    assert second["requirement_count"] == 67 and second["mandatory_count"] == 51
    assert first["requirement_count"] == 76
    assert second["links"] == {"self": "/api/v1/frameworks/ENS/2026.1",
                               "html": "/referentiels/ENS/2026.1"}
    assert second["content_hash"] == wave("2026.1").content_hash
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_detail_answers_every_requirement_with_all_its_fields(client, ens_waves, openapi):
    response = client.get("/api/v1/frameworks/ENS/2026.1")

    assert response.status_code == 200
    body = response.json
    conforms(openapi, "FrameworkDetail", body)
    framework = wave("2026.1")
    assert body["profile"] is None
    assert [c["code"] for c in body["categories"]] == [c.code for c in framework.categories]
    assert [r["code"] for r in body["requirements"]] == [r.code for r in framework.requirements]
    heb = next(r for r in body["requirements"] if r["code"] == "HEB-01")
    row = next(r for r in framework.requirements if r.code == "HEB-01")
    assert heb == {
        "code": "HEB-01", "category": row.category, "title": row.title,
        "title_en": row.title_en, "statement": row.statement, "mandatory": row.mandatory,
        "applies_if": row.applies_if, "allow_not_applicable": row.allow_not_applicable,
        "evidence": row.evidence,
    }


def test_profile_filters_to_the_applicable_requirements(client, ens_waves, openapi):
    response = client.get("/api/v1/frameworks/ENS/2027.1?profile=uses_ai,processes_health_data")

    assert response.status_code == 200
    body = response.json
    conforms(openapi, "FrameworkDetail", body)
    expected = applicable_requirements(wave("2027.1"), ["uses_ai", "processes_health_data"])
    assert [r["code"] for r in body["requirements"]] == [r.code for r in expected]
    assert len(expected) < body["requirement_count"]
    assert body["profile"] == ["processes_health_data", "uses_ai"]

    bare = client.get("/api/v1/frameworks/ENS/2027.1?profile=").json
    assert bare["profile"] == []
    assert bare["requirements"] and all(not r["applies_if"] for r in bare["requirements"])


def test_unknown_predicate_is_a_400_problem_naming_the_parameter(client, ens_waves, openapi):
    response = client.get("/api/v1/frameworks/ENS/2026.1?profile=uses_ai,flies")

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    body = response.json
    conforms(openapi, "Problem", body)
    assert body["status"] == 400
    assert set(body["errors"]) == {"profile"}
    assert "Valeur inconnue" in body["errors"]["profile"]


def test_unknown_query_parameter_is_a_400(client, ens_waves):
    response = client.get("/api/v1/frameworks?page=2")
    assert response.status_code == 400
    assert response.json["errors"] == {"page": "Paramètre inconnu."}


@pytest.mark.parametrize("url", ["/api/v1/frameworks/ENS/1999.1", "/api/v1/frameworks/XYZ/2026.1"])
def test_unknown_code_or_version_is_a_404_problem(client, ens_waves, openapi, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    conforms(openapi, "Problem", response.json)
    assert "n'existe pas" in response.json["detail"]


def test_answers_carry_etags_and_answer_304(client, ens_waves, session):
    urls = ("/api/v1/frameworks", "/api/v1/frameworks/ENS/2026.1",
            "/api/v1/frameworks/ENS/2026.1?profile=uses_ai")
    etags = {}
    for url in urls:
        first = client.get(url)
        assert first.headers["Cache-Control"] == "public, max-age=60"
        etags[url] = first.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etags[url]})
        assert again.status_code == 304
        assert again.headers["ETag"] == etags[url]
        assert again.headers["Cache-Control"] == "public, max-age=60"
        assert again.get_data() == b""
    # Different answers, different tags.
    assert len(set(etags.values())) == len(urls)

    # A wave coming into force changes what the answers say: the tags move.
    bring_into_force(session, date(2027, 1, 1))
    db.commit()
    for url in urls:
        changed = client.get(url, headers={"If-None-Match": etags[url]})
        assert changed.status_code == 200
        assert changed.headers["ETag"] != etags[url]
    assert client.get("/api/v1/frameworks/ENS/2026.1").json["status"] == "retired"


def test_etag_check_does_not_load_the_framework(client, ens_waves, count_queries):
    url = "/api/v1/frameworks/ENS/2027.1"
    etag = client.get(url).headers["ETag"]
    with count_queries() as counter:
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert counter.count == 1, counter.statements
