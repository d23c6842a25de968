"""``/fhir/r4/``: a read-only FHIR R4 view of the catalogue.

Fed by the same query layer as the JSON API (``catalogue.listings.queries``) and
the same serialisation (``catalogue.listings.serialize``); answers carry the same
ETags. Errors are ``OperationOutcome`` resources; an unknown parameter is a 400
(our public contract: never silently ignored).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select

from catalogue import db
from catalogue.api.caching import conditional
from catalogue.apps.models import App
from catalogue.core.lazy import lazy_module
from catalogue.extensions import csrf
from catalogue.listings import cache
from catalogue.listings.models import Listing
from catalogue.listings.queries import (
    MAX_PER_PAGE,
    PUBLIC_STATES,
    CatalogueQuery,
    load_listings,
    search_catalogue,
)

if TYPE_CHECKING:
    from catalogue.fhir import serialize as fhir
else:
    # Loaded at the first FHIR request: its pydantic models (fhir.resources) cost 17 MiB and
    # 0.15 s in every process, which a catalogue worker, the CLI or a job never needs.
    fhir = lazy_module("catalogue.fhir.serialize")

bp = Blueprint("fhir", __name__, url_prefix="/fhir/r4")

FHIR_JSON = "application/fhir+json"
SEARCH_PARAMS = {"name", "identifier", "_count", "_page", "_format"}
FORMATS = {"json", FHIR_JSON, "application/json"}
NAME_MAX = 200
DEFAULT_COUNT = 20


class FhirError(Exception):
    def __init__(self, status: int, code: str, diagnostics: str) -> None:
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics = status, code, diagnostics


@bp.errorhandler(FhirError)
def _fhir_error(exc: FhirError) -> Response:
    return _answer(fhir.outcome(exc.code, exc.diagnostics), exc.status)


@bp.after_request
def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    return response


def _answer(resource: Any, status: int = 200) -> Response:
    return Response(resource.model_dump_json(exclude_none=True), status=status,
                    mimetype=FHIR_JSON)


def _base() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def _endpoint() -> str:
    return f"{_base()}/fhir/r4"


def _check_format() -> None:
    wanted = request.args.get("_format")
    if wanted is not None and wanted not in FORMATS:
        raise FhirError(415, "not-supported", "Seul le format JSON est servi (_format=json).")


def _integer(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.strip().isdigit() or not low <= int(raw) <= high:
        raise FhirError(400, "invalid", f"{name} doit être un entier de {low} à {high}.")
    return int(raw)


@bp.get("/metadata")
def metadata() -> Response:
    _check_format()
    return _answer(fhir.capability_statement(_base()))


@bp.get("/StructureDefinition/<definition_id>")
def structure_definition(definition_id: str) -> Response:
    _check_format()
    if definition_id != "ens-referencing":
        raise FhirError(404, "not-found", f"StructureDefinition/{definition_id} inconnue.")
    return _answer(fhir.referencing_structure_definition())


def _page_link(params: dict[str, Any], page: int) -> str:
    query = {k: v for k, v in params.items() if v not in (None, "")}
    query["_page"] = page
    return f"{_endpoint()}/DeviceDefinition?{urlencode(query)}"


@bp.get("/DeviceDefinition")
def search_device_definitions() -> Response:
    _check_format()
    unknown = sorted(set(request.args) - SEARCH_PARAMS)
    if unknown:
        raise FhirError(400, "not-supported", "Paramètre de recherche non pris en charge : "
                        + ", ".join(unknown) + ".")
    name = request.args.get("name", "")
    if len(name) > NAME_MAX:
        raise FhirError(400, "invalid", f"name dépasse {NAME_MAX} caractères.")
    count = _integer("_count", DEFAULT_COUNT, 1, MAX_PER_PAGE)
    page = _integer("_page", 1, 1, 1_000_000)
    identifier = request.args.get("identifier")
    token = cache.current_version(db.session)

    def build() -> Response:
        if identifier is not None:
            items = _by_identifier(identifier)
            total, pages = len(items), 1
        else:
            result = search_catalogue(db.session, CatalogueQuery(q=name, page=page, per_page=count),
                                      with_facets=False)
            items, total, pages = result.items, result.total, result.pages
        params = {"name": name or None, "identifier": identifier, "_count": count}
        links = {"self": _page_link(params, page), "first": _page_link(params, 1),
                 "last": _page_link(params, pages)}
        if page > 1:
            links["previous"] = _page_link(params, min(page - 1, pages))
        if page < pages:
            links["next"] = _page_link(params, page + 1)
        entries = [(f"{_endpoint()}/DeviceDefinition/{item.id}",
                    fhir.device_definition(item, _base())) for item in items]
        return _answer(fhir.searchset(entries, total=total, links=links))

    return conditional(token, build)


def _by_identifier(raw: str) -> list[Listing]:
    system, _, value = raw.rpartition("|")
    if system and system != fhir.SLUG_SYSTEM:
        return []
    listing_id = db.session.scalar(
        select(Listing.id).join(App, App.id == Listing.app_id)
        .where(App.slug == value, Listing.state == "published"))
    return load_listings(db.session, [listing_id]) if listing_id else []


def _public_listing(listing_id: str) -> Listing:
    if not listing_id.isdigit():
        raise FhirError(404, "not-found", f"DeviceDefinition/{listing_id} inconnue.")
    listings = [item for item in load_listings(db.session, [int(listing_id)])
                if item.state.value in PUBLIC_STATES]
    if not listings:
        raise FhirError(404, "not-found", f"DeviceDefinition/{listing_id} inconnue.")
    return listings[0]


@bp.get("/DeviceDefinition/<listing_id>")
def read_device_definition(listing_id: str) -> Response:
    _check_format()
    token = cache.current_version(db.session)
    return conditional(token, lambda: _answer(
        fhir.device_definition(_public_listing(listing_id), _base())))


@bp.get("/Organization/<organisation_id>")
def read_organization(organisation_id: str) -> Response:
    """A publisher with at least one public listing (others are not part of the catalogue)."""
    _check_format()
    token = cache.current_version(db.session)

    def build() -> Response:
        listing_id = None
        if organisation_id.isdigit():
            listing_id = db.session.scalar(
                select(Listing.id).join(App, App.id == Listing.app_id)
                .where(App.organisation_id == int(organisation_id),
                       Listing.state.in_(PUBLIC_STATES)).limit(1))
        if listing_id is None:
            raise FhirError(404, "not-found", f"Organization/{organisation_id} inconnue.")
        return _answer(fhir.organization(load_listings(db.session, [listing_id])[0]))

    return conditional(token, build)


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@csrf.exempt
def unsupported(rest: str) -> Response:
    """Any other resource or interaction: this server is read-only and catalogue-only."""
    raise FhirError(404 if request.method == "GET" else 405, "not-supported",
                    f"{request.method} {rest} n'est pas pris en charge (voir /fhir/r4/metadata).")


