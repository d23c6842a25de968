"""Listings as FHIR R4 resources, built from the JSON API's own serialisation.

Each listing is a ``DeviceDefinition`` (as the German DiGA directory describes each
health app), its publisher an ``Organization``. What FHIR has no element for (the
referencing decision, its validity and the listing's status) is carried by the
complex extension ``ens-referencing`` that we define (``structure_definitions``).

Every builder returns a ``fhir.resources`` model: building it validates it, and the
views answer its JSON, so nothing unvalidated leaves the server.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.devicedefinition import DeviceDefinition
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.structuredefinition import StructureDefinition

from catalogue.apps import vocabulary as v
from catalogue.clock import today
from catalogue.listings.models import Listing
from catalogue.listings.serialize import summary

FHIR_VERSION = "4.0.1"
# Canonical URLs name our definitions everywhere, whatever the deployment's address.
CANONICAL = "https://catalogue-ens.fr/fhir"
REFERENCING_URL = f"{CANONICAL}/StructureDefinition/ens-referencing"
CODE_SYSTEMS = {
    "category": f"{CANONICAL}/CodeSystem/ens-app-category",
    "data_category": f"{CANONICAL}/CodeSystem/ens-data-category",
    "platform": f"{CANONICAL}/CodeSystem/ens-platform",
    "audience": f"{CANONICAL}/CodeSystem/ens-audience",
    "service": f"{CANONICAL}/CodeSystem/ens-national-service",
    "property": f"{CANONICAL}/CodeSystem/ens-property",
}
SLUG_SYSTEM = f"{CANONICAL}/sid/app-slug"
# The SIREN slice of FR Core Organization (Interop'Santé, hl7.fhir.fr.core).
SIREN_SYSTEM = "https://sirene.fr"
FR_CORE_V2_0203 = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"

# The sub-extensions of ens-referencing: name, FHIR type, cardinality, meaning.
REFERENCING_PARTS: tuple[tuple[str, str, str, str], ...] = (
    ("framework", "string", "1", "Code of the framework (référentiel) assessed, e.g. ENS"),
    ("frameworkVersion", "string", "1", "Version (wave) of the framework, e.g. 2026.1"),
    ("opinion", "code", "1", "The commission's opinion: favourable, favourable_with_reservations…"),
    ("decision", "code", "1", "The State's decision in force: referenced"),
    ("decidedAt", "dateTime", "1", "When the decision was made"),
    ("validity", "Period", "1", "Period during which the referencing is valid"),
    ("status", "code", "1", "Listing status: published, suspended, delisted, expired"),
    ("statusReason", "string", "0", "Public reason of a suspension or delisting"),
    ("listing", "url", "1", "The listing's public page"),
)


def _coding(kind: str, code: str) -> dict[str, Any]:
    table = {"category": v.CATEGORIES, "data_category": v.DATA_CATEGORIES,
             "platform": v.PLATFORMS, "audience": v.AUDIENCES,
             "service": v.NATIONAL_SERVICES}[kind]
    display = table.get(code, (code, code))[0]
    return {"system": CODE_SYSTEMS[kind], "code": code, "display": display}


def _property(code: str, kind: str, values: list[str]) -> dict[str, Any]:
    return {"type": {"coding": [{"system": CODE_SYSTEMS["property"], "code": code}]},
            "valueCode": [{"coding": [_coding(kind, value)]} for value in values]}


def _day(moment: str | None) -> str | None:
    return moment[:10] if moment else None


def referencing_extension(listing: Listing, page_url: str) -> dict[str, Any]:
    """The decision in force, its validity and the listing's status."""
    framework = listing.framework
    parts: list[dict[str, Any]] = [
        {"url": "framework", "valueString": framework.code},
        {"url": "frameworkVersion", "valueString": framework.version},
        {"url": "opinion", "valueCode": listing.opinion},
        {"url": "decision", "valueCode": "referenced"},
        {"url": "decidedAt", "valueDateTime": listing.decided_at.isoformat()},
        {"url": "validity", "valuePeriod": {"start": _day(listing.decided_at.isoformat()),
                                            "end": listing.valid_until.isoformat()}},
        {"url": "status", "valueCode": listing.state.value},
    ]
    if listing.state.value != "published" and listing.state_reason:
        parts.append({"url": "statusReason", "valueString": listing.state_reason})
    parts.append({"url": "listing", "valueUrl": page_url})
    return {"url": REFERENCING_URL, "extension": parts}


def device_definition(listing: Listing, base: str) -> DeviceDefinition:
    """A listing as a DeviceDefinition (from the API's ``summary`` of it)."""
    item = summary(listing, base)
    app = listing.app
    properties = [
        _property("data-category", "data_category", list(app.data_categories or [])),
        _property("platform", "platform", item["platforms"]),
        _property("audience", "audience", item["audiences"]),
        _property("national-service", "service", item["services"]),
    ]
    resource: dict[str, Any] = {
        "resourceType": "DeviceDefinition",
        "id": str(listing.id),
        "extension": [referencing_extension(listing, item["url"])],
        "identifier": [{"system": SLUG_SYSTEM, "value": item["slug"]}],
        "deviceName": [{"name": item["name"], "type": "user-friendly-name"}],
        "manufacturerReference": {"reference": f"Organization/{app.organisation_id}",
                                  "display": item["publisher"]},
        "owner": {"reference": f"Organization/{app.organisation_id}",
                  "display": item["publisher"]},
        "type": {"coding": [_coding("category", item["category"])]},
        "languageCode": [{"coding": [{"system": "urn:ietf:bcp:47", "code": code}]}
                         for code in app.languages or []],
        "property": [p for p in properties if p["valueCode"]],
        "onlineInformation": app.website_url or item["url"],
        "note": [{"text": item["summary"]}] if item["summary"] else None,
    }
    if item["medical_device"]:
        resource["safety"] = [{"text": "Dispositif médical"
                               + (f" de classe {app.medical_device_class}"
                                  if app.medical_device_class else "")}]
    return DeviceDefinition.model_validate({k: val for k, val in resource.items() if val})


def organization(listing: Listing) -> Organization:
    """The listing's publisher."""
    org = listing.app.organisation
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(org.id),
        "active": True,
        "identifier": [{"use": "official", "system": SIREN_SYSTEM, "value": org.siren,
                        "type": {"coding": [{"system": FR_CORE_V2_0203, "code": "SIREN"}]}}],
        "name": org.legal_name,
    }
    if org.city:
        resource["address"] = [{"city": org.city, "country": "FR"}]
    return Organization.model_validate(resource)


def searchset(entries: list[tuple[str, Any]], *, total: int, links: dict[str, str]) -> Bundle:
    """A search result: ``entries`` are (fullUrl, resource) pairs, all matches."""
    return Bundle.model_validate({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": [{"relation": relation, "url": url} for relation, url in links.items()],
        "entry": [{"fullUrl": full_url, "resource": resource.model_dump(mode="json"),
                   "search": {"mode": "match"}} for full_url, resource in entries] or None,
    })


def outcome(code: str, diagnostics: str) -> OperationOutcome:
    return OperationOutcome.model_validate({
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
    })


def capability_statement(base: str, software_version: str = "1") -> CapabilityStatement:
    """What this server does: read and search of the catalogue, nothing else."""
    search_params = [
        {"name": "name", "type": "string",
         "documentation": "Recherche plein texte dans le nom et la description (insensible aux "
                          "accents et à la casse, racinisation française)."},
        {"name": "identifier", "type": "token",
         "documentation": f"Identifiant de l'application ({SLUG_SYSTEM}|<slug>)."},
        {"name": "_count", "type": "number", "documentation": "Résultats par page (1 à 100)."},
    ]
    return CapabilityStatement.model_validate({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": today().isoformat(),
        "publisher": "Catalogue ENS",
        "kind": "instance",
        "software": {"name": "Catalogue ENS", "version": software_version},
        "implementation": {"description": "Vue FHIR R4 en lecture seule du catalogue des "
                                          "applications référencées", "url": f"{base}/fhir/r4"},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": "Lecture seule, sans authentification. Le référencement et sa "
                             f"validité sont portés par l'extension {REFERENCING_URL}.",
            "resource": [
                {"type": "DeviceDefinition",
                 "interaction": [{"code": "read"}, {"code": "search-type"}],
                 "searchParam": search_params},
                {"type": "Organization", "interaction": [{"code": "read"}]},
                {"type": "StructureDefinition", "interaction": [{"code": "read"}]},
            ],
        }],
    })


def _element(element_id: str, path: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"id": element_id, "path": path or element_id, **fields}


def referencing_structure_definition() -> StructureDefinition:
    """The StructureDefinition of ``ens-referencing`` (served and shipped in docs/fhir/)."""
    elements = [
        _element("Extension", short="Référencement ENS : décision en vigueur et validité",
                 definition="The referencing decision in force for the app, its validity "
                            "period and the status of its listing in Catalogue ENS.",
                 min=0, max="1"),
        _element("Extension.extension", min=1,
                 slicing={"discriminator": [{"type": "value", "path": "url"}],
                          "rules": "closed"}),
    ]
    for name, type_, minimum, meaning in REFERENCING_PARTS:
        prefix = f"Extension.extension:{name}"
        elements += [
            _element(prefix, path="Extension.extension", sliceName=name, short=meaning,
                     definition=meaning, min=int(minimum), max="1"),
            _element(f"{prefix}.url", path="Extension.extension.url", fixedUri=name),
            _element(f"{prefix}.value[x]", path="Extension.extension.value[x]",
                     type=[{"code": type_}], min=1),
        ]
    elements += [
        _element("Extension.url", fixedUri=REFERENCING_URL),
        _element("Extension.value[x]", max="0"),
    ]
    return StructureDefinition.model_validate({
        "resourceType": "StructureDefinition",
        "id": "ens-referencing",
        "url": REFERENCING_URL,
        "version": "1.0.0",
        "name": "EnsReferencing",
        "title": "Référencement ENS",
        "status": "active",
        "publisher": "Catalogue ENS",
        "description": "The referencing decision in force for a health app listed in Catalogue "
                       "ENS (framework and wave, commission opinion, State decision, validity "
                       "period) and the listing's status. Used on DeviceDefinition.",
        "fhirVersion": FHIR_VERSION,
        "kind": "complex-type",
        "abstract": False,
        "context": [{"type": "element", "expression": "DeviceDefinition"}],
        "type": "Extension",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
        "derivation": "constraint",
        "differential": {"element": elements},
    })
