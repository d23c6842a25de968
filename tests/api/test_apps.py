"""``/api/v1/apps``, ``/api/v1/apps/{slug}``, ``/api/v1/categories``: the public contract of
DESIGN §6, field by field; answers validated against the OpenAPI document's schemas."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.listings import services as listings
from tests.factories_listings import reload

PROFILES = [
    {"name": "Glycémie Facile", "category": "chronic_disease", "audiences": ["chronic_patients"],
     "platforms": ["ios", "android"], "pricing": "free", "summary": "Suivi du diabète.",
     "connected_services": ["mes_dmp"], "decided_on": __import__("datetime").date(2026, 2, 1)},
    {"name": "Sérénité", "category": "mental_health", "audiences": ["general_public"],
     "platforms": ["web"], "pricing": "paid", "summary": "Gérer le stress.",
     "decided_on": __import__("datetime").date(2026, 4, 1)},
    {"name": "Écoute Bébé", "category": "pregnancy_parenthood", "audiences": ["parents"],
     "platforms": ["ios"], "pricing": "freemium", "is_medical_device": True,
     "medical_device_class": "IIa", "connected_services": ["mes_dmp", "mssante"],
     "summary": "Grossesse sereine.", "decided_on": __import__("datetime").date(2026, 3, 1)},
]


@pytest.fixture
def catalogue(bulk_listings: Any) -> list[Any]:
    return bulk_listings(PROFILES)


@pytest.fixture(scope="module")
def spec(app: Any) -> dict[str, Any]:
    with app.test_client() as client:
        document = client.get("/api/v1/openapi.json").json
    return document


def _validator(spec: dict[str, Any], name: str) -> Draft202012Validator:
    registry = Registry().with_resource("urn:spec", Resource.from_contents(
        spec, default_specification=__import__("referencing").jsonschema.DRAFT202012))
    schema = {"$ref": f"urn:spec#/components/schemas/{name}"}
    return Draft202012Validator(schema, registry=registry)


def test_openapi_document_is_valid_and_describes_the_catalogue(spec: dict[str, Any]) -> None:
    validate(spec)
    paths = spec["paths"]
    assert {"/api/v1/apps", "/api/v1/apps/{slug}", "/api/v1/categories"} <= set(paths)
    params = {p["name"] for p in paths["/api/v1/apps"]["get"]["parameters"]}
    assert params == {"q", "category", "audience", "platform", "pricing", "medical_device",
                      "service", "status", "sort", "page", "per_page"}
    for path in ("/api/v1/apps", "/api/v1/apps/{slug}", "/api/v1/categories"):
        responses = paths[path]["get"]["responses"]
        assert {"200", "400", "304"} <= set(responses)
    assert "404" in paths["/api/v1/apps/{slug}"]["get"]["responses"]


def test_list_answer_matches_the_contract(client: Any, spec: dict[str, Any], catalogue: list[Any]) -> None:
    response = client.get("/api/v1/apps")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.json
    _validator(spec, "AppList").validate(body)
    assert body["total"] == 3 and body["page"] == 1 and body["per_page"] == 20
    assert body["sort"] == "name"
    assert [i["name"] for i in body["items"]] == ["Écoute Bébé", "Glycémie Facile", "Sérénité"]
    item = body["items"][0]
    assert item["category"] == "pregnancy_parenthood" and item["pricing"] == "freemium"
    assert item["medical_device"] is True and item["services"] == ["mes_dmp", "mssante"]
    assert item["status"] == "published" and item["valid_until"] == "2029-02-28"
    assert item["url"].endswith(f"/catalogue/{item['slug']}")
    assert body["facets"]["platform"] == {"ios": 2, "android": 1, "web": 1}
    assert body["facets"]["medical_device"] == {"false": 2, "true": 1}
    assert body["links"]["next"] is None and body["links"]["prev"] is None


@pytest.mark.parametrize(("query", "names"), [
    ({"q": "serenite"}, ["Sérénité"]),
    ({"category": "chronic_disease"}, ["Glycémie Facile"]),
    ({"category": "chronic_disease,mental_health"}, ["Glycémie Facile", "Sérénité"]),
    ({"audience": "parents"}, ["Écoute Bébé"]),
    ({"platform": "ios"}, ["Écoute Bébé", "Glycémie Facile"]),
    ({"platform": "ios", "pricing": "free"}, ["Glycémie Facile"]),
    ({"pricing": "paid"}, ["Sérénité"]),
    ({"medical_device": "true"}, ["Écoute Bébé"]),
    ({"medical_device": "false"}, ["Glycémie Facile", "Sérénité"]),
    ({"service": "mssante"}, ["Écoute Bébé"]),
    ({"status": "suspended"}, []),
    ({"sort": "-referenced_at"}, ["Sérénité", "Écoute Bébé", "Glycémie Facile"]),
    ({"per_page": "1", "page": "2"}, ["Glycémie Facile"]),
])
def test_every_filter(client: Any, catalogue: list[Any], query: dict[str, str], names: list[str]) -> None:
    response = client.get("/api/v1/apps", query_string=query)
    assert response.status_code == 200, response.json
    assert [i["name"] for i in response.json["items"]] == names


def test_facets_are_disjunctive_within_a_facet(client: Any, catalogue: list[Any]) -> None:
    body = client.get("/api/v1/apps?platform=web").json
    assert body["total"] == 1
    assert body["facets"]["platform"] == {"ios": 2, "android": 1, "web": 1}  # its own filter aside
    assert body["facets"]["category"] == {"mental_health": 1}


def test_pagination_links_and_past_the_end(client: Any, catalogue: list[Any]) -> None:
    body = client.get("/api/v1/apps?per_page=1&platform=ios,web&page=2").json
    assert body["links"]["next"].endswith("page=3") and "platform=ios,web" in body["links"]["next"]
    assert body["links"]["prev"].endswith("page=1") and "per_page=1" in body["links"]["prev"]
    past = client.get("/api/v1/apps?per_page=2&page=7")
    assert past.status_code == 200
    body = past.json
    assert body["items"] == [] and body["total"] == 3 and body["links"]["next"] is None
    assert body["links"]["prev"].endswith("page=2") and body["links"]["last"].endswith("page=2")


@pytest.mark.parametrize(("query", "bad"), [
    ({"page": "0"}, ["page"]),
    ({"page": "abc"}, ["page"]),
    ({"per_page": "101"}, ["per_page"]),
    ({"per_page": "0", "page": "-1"}, ["page", "per_page"]),
    ({"category": "nope"}, ["category"]),
    ({"platform": "ios,beos"}, ["platform"]),
    ({"pricing": "cheap"}, ["pricing"]),
    ({"medical_device": "yes"}, ["medical_device"]),
    ({"status": "withdrawn"}, ["status"]),
    ({"sort": "price"}, ["sort"]),
    ({"q": "x" * 201}, ["q"]),
    ({"colour": "blue"}, ["colour"]),
])
def test_bad_parameters_are_problems_naming_each_one(client: Any, spec: dict[str, Any],
                                                      query: dict[str, str], bad: list[str]) -> None:
    response = client.get("/api/v1/apps", query_string=query)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    _validator(spec, "Problem").validate(response.json)
    assert sorted(response.json["errors"]) == bad
    assert response.json["status"] == 400 and response.json["title"]


def test_relevance_without_a_search_is_the_name_order(client: Any) -> None:
    # ``relevance`` is in the documented enum: without ``q`` it is the default order.
    response = client.get("/api/v1/apps?sort=relevance")
    assert response.status_code == 200 and response.json["sort"] == "name"


def test_repeated_parameter_is_refused(client: Any) -> None:
    response = client.get("/api/v1/apps?page=1&page=2")
    assert response.status_code == 400 and "page" in response.json["errors"]


def test_detail_answer_matches_the_contract(client: Any, spec: dict[str, Any], catalogue: list[Any]) -> None:
    listing = catalogue[2]
    slug, reference_year = listing.app.slug, listing.decided_at.year
    response = client.get(f"/api/v1/apps/{slug}")
    assert response.status_code == 200
    body = response.json
    _validator(spec, "AppDetail").validate(body)
    assert body["publisher"]["verified"] is True and len(body["publisher"]["siren"]) == 9
    assert body["data_categories"] == ["measurements", "documents"]
    assert body["hosting"] == {"provider": "Hébergeur Santé", "hds_certified": True,
                               "hds_certificate": "HDS-1"}
    assert body["medical_device_class"] == "IIa"
    assert body["connected_services"] == ["mes_dmp", "mssante"]
    assert body["referencing"] == {
        "framework": "ENS", "framework_version": "2026.1", "opinion": "favourable",
        "decided_at": f"{reference_year}-03-01T14:00:00+00:00", "valid_until": "2029-02-28",
        "status": "published", "status_reason": None,
    }
    assert [h["kind"] for h in body["history"]] == ["published"]


def test_detail_of_suspended_delisted_and_unknown(client: Any, session: Any, catalogue: list[Any],
                                                 make_user: Any, spec: dict[str, Any]) -> None:
    slug = catalogue[0].app.slug
    secretariat = make_user(roles=[Role.SECRETARIAT])
    decider = make_user(roles=[Role.DECISION_MAKER])
    listings.suspend_listing(session, catalogue[0], actor=secretariat, reason="Faille signalée.")
    db.commit()
    body = client.get(f"/api/v1/apps/{slug}").json
    assert body["referencing"]["status"] == "suspended"
    assert body["referencing"]["status_reason"] == "Faille signalée."
    assert [h["kind"] for h in body["history"]] == ["published", "suspended"]
    assert client.get("/api/v1/apps?status=suspended").json["total"] == 1
    listings.delist_listing(session, reload(catalogue[0]), actor=reload(decider), reason="Fin.")
    db.commit()
    # A delisted app keeps answering, with its reason and history (DESIGN §6).
    delisted = client.get(f"/api/v1/apps/{slug}")
    assert delisted.status_code == 200 and delisted.json["referencing"]["status"] == "delisted"
    assert delisted.json["referencing"]["status_reason"] == "Fin."
    assert client.get("/api/v1/apps?status=delisted").json["total"] == 1
    response = client.get("/api/v1/apps/jamais-publiee")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    _validator(spec, "Problem").validate(response.json)


def test_categories_with_counts(client: Any, spec: dict[str, Any], catalogue: list[Any]) -> None:
    body = client.get("/api/v1/categories").json
    _validator(spec, "CategoryList").validate(body)
    counts = {c["code"]: c["count"] for c in body["items"]}
    assert counts["chronic_disease"] == 1 and counts["caregivers"] == 0
    assert len(body["items"]) >= 10
    assert body["items"][0]["label"] and body["items"][0]["label_en"]


def test_conditional_get_and_cache_headers(client: Any, catalogue: list[Any]) -> None:
    first = client.get("/api/v1/apps?q=diabete")
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert "Set-Cookie" not in first.headers
    etag = first.headers["ETag"]
    assert client.get("/api/v1/apps?q=diabete", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/api/v1/apps?q=diabete", headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    other = client.get("/api/v1/apps?q=stress", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag
