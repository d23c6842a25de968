"""The FHIR R4 view: every answer parses and validates with fhir.resources; the same
listings as the JSON API; paging links; errors as OperationOutcome."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.devicedefinition import DeviceDefinition
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.structuredefinition import StructureDefinition

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.fhir.serialize import REFERENCING_URL, SLUG_SYSTEM
from catalogue.listings import services as listings
from catalogue.listings.models import Listing

FHIR_JSON = "application/fhir+json"


def _get(client: Any, url: str, status: int = 200) -> dict[str, Any]:
    # Absolute URLs come from BASE_URL; another Host never gets this far (TRUSTED_HOSTS, F2).
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    assert response.mimetype == FHIR_JSON
    return response.get_json()


def _extension(resource: dict[str, Any]) -> dict[str, Any]:
    ext = next(e for e in resource["extension"] if e["url"] == REFERENCING_URL)
    return {part["url"]: next(v for k, v in part.items() if k.startswith("value"))
            for part in ext["extension"]}


@pytest.fixture
def catalogue_apps(bulk_listings: Any) -> list[int]:
    """Listing ids (objects expire at the end of each request)."""
    return [listing.id for listing in bulk_listings([
        {"name": "Glyco Suivi", "summary": "Suivre sa glycémie au quotidien.",
         "data_categories": ["measurements"], "is_medical_device": True,
         "medical_device_class": "IIa"},
        {"name": "Tension Facile", "summary": "Noter sa tension artérielle."},
        {"name": "Sommeil Serein", "summary": "Mieux dormir."},
    ])]


def test_metadata_is_a_valid_capability_statement(client: Any, app: Any) -> None:
    body = _get(client, "/fhir/r4/metadata")
    statement = CapabilityStatement.model_validate(body)
    assert statement.fhirVersion == "4.0.1"
    resources = {r.type: r for r in statement.rest[0].resource}
    assert {"DeviceDefinition", "Organization"} <= set(resources)
    assert statement.implementation.url == app.config["BASE_URL"] + "/fhir/r4"


def test_structure_definition_of_the_referencing_extension(client: Any) -> None:
    definition = StructureDefinition.model_validate(
        _get(client, "/fhir/r4/StructureDefinition/ens-referencing"))
    assert definition.url == REFERENCING_URL and definition.type == "Extension"
    slices = {e.sliceName for e in definition.differential.element if e.sliceName}
    assert {"framework", "opinion", "decidedAt", "validity", "status"} <= slices


def test_read_device_definition_matches_the_json_api(client: Any, catalogue_apps: list[int]) -> None:
    listing_id = catalogue_apps[0]
    slug = db.session.get(Listing, listing_id).app.slug
    body = _get(client, f"/fhir/r4/DeviceDefinition/{listing_id}")
    device = DeviceDefinition.model_validate(body)
    api = client.get(f"/api/v1/apps/{slug}").get_json()
    assert device.deviceName[0].name == api["name"]
    assert device.identifier[0].system == SLUG_SYSTEM and device.identifier[0].value == api["slug"]
    referencing = _extension(body)
    assert referencing["framework"] == api["referencing"]["framework"]
    assert referencing["frameworkVersion"] == api["referencing"]["framework_version"]
    assert referencing["opinion"] == api["referencing"]["opinion"]
    assert referencing["validity"]["end"] == api["referencing"]["valid_until"]
    assert referencing["status"] == "published" and referencing["decision"] == "referenced"
    assert referencing["listing"].startswith("http://127.0.0.1:5000/catalogue/")
    assert "Dispositif médical de classe IIa" in device.safety[0].text

    organisation = Organization.model_validate(
        _get(client, "/fhir/r4/" + device.owner.reference))
    assert organisation.name == api["publisher"]["name"]
    assert organisation.identifier[0].value == api["publisher"]["siren"]


def test_suspended_listing_says_so_and_delisted_is_gone(client: Any, make_user: Any,
                                                        catalogue_apps: list[int]) -> None:
    listing_id = catalogue_apps[1]
    listings.suspend_listing(db.session, db.session.get(Listing, listing_id),
                             actor=make_user(roles=[Role.SECRETARIAT]), reason="Incident de sécurité")
    db.commit()
    referencing = _extension(_get(client, f"/fhir/r4/DeviceDefinition/{listing_id}"))
    assert referencing["status"] == "suspended"
    assert referencing["statusReason"] == "Incident de sécurité"
    listings.delist_listing(db.session, db.session.get(Listing, listing_id),
                            actor=make_user(roles=[Role.DECISION_MAKER]), reason="Retrait")
    db.commit()
    OperationOutcome.model_validate(_get(client, f"/fhir/r4/DeviceDefinition/{listing_id}", 404))


def test_search_by_name_with_paging_links(client: Any, catalogue_apps: list[int]) -> None:
    first = Bundle.model_validate(_get(client, "/fhir/r4/DeviceDefinition?_count=2"))
    assert first.type == "searchset" and first.total == 3 and len(first.entry) == 2
    links = {link.relation: link.url for link in first.link}
    assert set(links) == {"self", "first", "last", "next"}
    assert links["next"].startswith("http://127.0.0.1:5000/fhir/r4/DeviceDefinition?")
    query = parse_qs(urlsplit(links["next"]).query)
    assert query["_count"] == ["2"] and query["_page"] == ["2"]
    second = Bundle.model_validate(_get(client, links["next"].replace("http://127.0.0.1:5000", "")))
    assert len(second.entry) == 1 and "previous" in {link.relation for link in second.link}
    names = [e.resource.deviceName[0].name for e in first.entry + second.entry]
    assert names == ["Glyco Suivi", "Sommeil Serein", "Tension Facile"]

    found = Bundle.model_validate(_get(client, "/fhir/r4/DeviceDefinition?name=glycemie"))
    assert [e.resource.deviceName[0].name for e in found.entry] == ["Glyco Suivi"]
    assert found.entry[0].fullUrl.endswith(f"/fhir/r4/DeviceDefinition/{catalogue_apps[0]}")
    none = Bundle.model_validate(_get(client, "/fhir/r4/DeviceDefinition?name=introuvablexyz"))
    assert none.total == 0 and not none.entry


def test_search_by_identifier(client: Any, catalogue_apps: list[int]) -> None:
    slug = db.session.get(Listing, catalogue_apps[2]).app.slug
    bundle = Bundle.model_validate(
        _get(client, f"/fhir/r4/DeviceDefinition?identifier={SLUG_SYSTEM}|{slug}"))
    assert bundle.total == 1 and bundle.entry[0].resource.identifier[0].value == slug


@pytest.mark.parametrize("query", ["_count=0", "_count=101", "_count=abc", "_page=0",
                                   "colour=blue", "name=" + "x" * 201])
def test_bad_parameters_get_an_operation_outcome(client: Any, query: str) -> None:
    outcome = OperationOutcome.model_validate(
        _get(client, f"/fhir/r4/DeviceDefinition?{query}", 400))
    assert outcome.issue[0].severity == "error"


def test_unknown_resources_and_writes(client: Any) -> None:
    OperationOutcome.model_validate(_get(client, "/fhir/r4/DeviceDefinition/999999", 404))
    OperationOutcome.model_validate(_get(client, "/fhir/r4/Organization/999999", 404))
    OperationOutcome.model_validate(_get(client, "/fhir/r4/Patient/1", 404))
    write = client.post("/fhir/r4/DeviceDefinition", json={"resourceType": "DeviceDefinition"})
    assert write.status_code == 405 and write.mimetype == FHIR_JSON


def test_answers_carry_etags(client: Any, catalogue_apps: list[int]) -> None:
    first = client.get(f"/fhir/r4/DeviceDefinition/{catalogue_apps[0]}")
    again = client.get(f"/fhir/r4/DeviceDefinition/{catalogue_apps[0]}",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_search_page_query_count_does_not_grow(client: Any, bulk_listings: Any,
                                               count_queries: Any) -> None:
    bulk_listings([{"name": f"Appli {i}"} for i in range(3)])
    with count_queries() as small:
        client.get("/fhir/r4/DeviceDefinition?_count=50")
    bulk_listings([{"name": f"Autre {i}"} for i in range(12)])
    with count_queries() as large:
        client.get("/fhir/r4/DeviceDefinition?_count=50")
    assert large.count == small.count


def test_shipped_structure_definition_is_the_served_one(client: Any) -> None:
    shipped = Path(__file__).resolve().parents[2] / "docs/fhir/StructureDefinition-ens-referencing.json"
    served = _get(client, "/fhir/r4/StructureDefinition/ens-referencing")
    assert json.loads(shipped.read_text()) == served, (
        "docs/fhir/ is stale: regenerate it from catalogue.fhir.serialize")
