"""``/api/v1/apps``, ``/api/v1/apps/{slug}`` and ``/api/v1/categories`` (DESIGN §6).

Parameters are declared once (``spec.Param``): they validate the query string and
describe it in the OpenAPI document; the answer schemas below are the ones the
document publishes (and the tests validate answers against them).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from catalogue import db
from catalogue.api.caching import conditional
from catalogue.api.spec import Param, api_route, register_schema
from catalogue.apps import vocabulary as v
from catalogue.listings import cache
from catalogue.listings.labels import FACET_TABLES, FACETS
from catalogue.listings.listing_page import listing_page
from catalogue.listings.queries import (
    MAX_PER_PAGE,
    SORTS,
    CatalogueQuery,
    category_counts,
    load_cards,
    search_catalogue,
)
from catalogue.listings.serialize import detail, summary
from catalogue.public_urls import base_url, public_url
from catalogue.web import problem

Q_MAX = 200
NULLABLE_STRING = {"type": ["string", "null"]}
STRING_LIST = {"type": "array", "items": {"type": "string"}}


def _csv_param(name: str, description: str) -> Param:
    return Param(
        name,
        {"type": "array", "items": {"type": "string", "enum": list(FACET_TABLES[name])},
         "minItems": 1, "uniqueItems": True},
        description + " Plusieurs valeurs séparées par des virgules : l'une ou l'autre.",
        explode_csv=True,
    )


def _int(raw: str) -> int:
    if not raw.strip().lstrip("-").isdigit():
        raise ValueError(raw)
    return int(raw)


LIST_PARAMS = [
    Param("q", {"type": "string", "maxLength": Q_MAX},
          "Recherche plein texte, insensible aux accents et à la casse, avec racinisation "
          "française ; le dernier mot est cherché comme préfixe."),
    _csv_param("category", "Catégorie (voir /api/v1/categories)."),
    _csv_param("audience", "Public visé."),
    _csv_param("platform", "Plateforme."),
    _csv_param("pricing", "Modèle tarifaire."),
    Param("medical_device", {"type": "string", "enum": ["true", "false"]},
          "Dispositif médical (true) ou non (false)."),
    _csv_param("service", "Service national connecté."),
    Param("status", {"type": "string", "enum": ["published", "suspended", "delisted"],
                     "default": "published"},
          "État des fiches : publiées (par défaut), suspendues ou déréférencées (dont "
          "l'historique public reste consultable)."),
    Param("sort", {"type": "string", "enum": list(SORTS)},
          "Tri : relevance (par défaut avec q ; sans q, l'ordre par nom), name (par défaut "
          "sans q), -referenced_at (référencement le plus récent d'abord)."),
    Param("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1},
          "Page, à partir de 1.", convert=_int),
    Param("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20},
          "Fiches par page (1 à 100).", convert=_int),
]

APP_SUMMARY = register_schema("AppSummary", {
    "type": "object",
    "required": ["slug", "name", "summary", "category", "audiences", "platforms", "pricing",
                 "medical_device", "services", "publisher", "status", "referenced_at",
                 "valid_until", "url", "api_url"],
    "properties": {
        "slug": {"type": "string"}, "name": {"type": "string"}, "summary": {"type": "string"},
        "category": {"type": "string"}, "audiences": STRING_LIST, "platforms": STRING_LIST,
        "pricing": {"type": "string", "enum": ["free", "freemium", "paid"]},
        "medical_device": {"type": "boolean"}, "services": STRING_LIST,
        "publisher": {"type": "string"},
        "status": {"type": "string", "enum": ["published", "suspended", "delisted"]},
        "referenced_at": {"type": "string", "format": "date-time"},
        "valid_until": {"type": "string", "format": "date"},
        "url": {"type": "string"}, "api_url": {"type": "string"},
    },
})

FACET_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}

APP_LIST = register_schema("AppList", {
    "type": "object",
    "required": ["items", "page", "per_page", "total", "facets", "links"],
    "properties": {
        "items": {"type": "array", "items": APP_SUMMARY},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        "total": {"type": "integer", "minimum": 0},
        "sort": {"type": "string", "enum": list(SORTS)},
        "facets": {"type": "object", "required": list(FACETS),
                   "properties": dict.fromkeys(FACETS, FACET_COUNTS)},
        "links": {
            "type": "object", "required": ["self", "next", "prev"],
            "properties": {"self": {"type": "string"}, "next": NULLABLE_STRING,
                           "prev": NULLABLE_STRING, "first": {"type": "string"},
                           "last": {"type": "string"}},
        },
    },
})

APP_DETAIL = register_schema("AppDetail", {
    "type": "object",
    "required": ["slug", "name", "summary", "description", "category", "publisher",
                 "data_categories", "hosting", "medical_device", "medical_device_class",
                 "connected_services", "referencing", "history"],
    "properties": {
        **{
            "slug": {"type": "string"}, "name": {"type": "string"},
            "summary": {"type": "string"}, "description": {"type": "string"},
            "category": {"type": "string"}, "audiences": STRING_LIST, "platforms": STRING_LIST,
            "languages": STRING_LIST,
            "pricing": {"type": "string", "enum": ["free", "freemium", "paid"]},
            "price_text": {"type": "string"}, "medical_device": {"type": "boolean"},
            "services": STRING_LIST, "status": {"type": "string"},
            "referenced_at": {"type": "string", "format": "date-time"},
            "valid_until": {"type": "string", "format": "date"},
            "url": {"type": "string"}, "api_url": {"type": "string"},
            "website_url": NULLABLE_STRING, "privacy_policy_url": NULLABLE_STRING,
            "accessibility_statement_url": NULLABLE_STRING, "support_contact": NULLABLE_STRING,
        },
        "publisher": {
            "type": "object", "required": ["name", "siren", "verified"],
            "properties": {"name": {"type": "string"}, "siren": {"type": "string"},
                           "city": NULLABLE_STRING, "verified": {"type": "boolean"}},
        },
        "data_categories": STRING_LIST,
        "hosting": {
            "type": "object", "required": ["provider", "hds_certified", "hds_certificate"],
            "properties": {"provider": NULLABLE_STRING, "hds_certified": {"type": "boolean"},
                           "hds_certificate": NULLABLE_STRING},
        },
        "medical_device_class": {"type": ["string", "null"], "enum": ["I", "IIa", "IIb", "III", None]},
        "connected_services": STRING_LIST,
        "referencing": {
            "type": "object",
            "required": ["framework", "framework_version", "opinion", "decided_at",
                         "valid_until", "status"],
            "properties": {
                "framework": {"type": "string"}, "framework_version": {"type": "string"},
                "opinion": {"type": "string", "enum": [
                    "favourable", "favourable_with_reservations",
                    "favourable_with_suspensive_reservations"]},
                "decided_at": {"type": "string", "format": "date-time"},
                "valid_until": {"type": "string", "format": "date"},
                "status": {"type": "string", "enum": ["published", "suspended", "delisted"]},
                "status_reason": NULLABLE_STRING,
            },
        },
        "history": {"type": "array", "items": {
            "type": "object", "required": ["kind", "occurred_at"],
            "properties": {"kind": {"type": "string"},
                           "occurred_at": {"type": "string", "format": "date-time"},
                           "note": NULLABLE_STRING}}},
    },
})

CATEGORY_LIST = register_schema("CategoryList", {
    "type": "object", "required": ["items"],
    "properties": {"items": {"type": "array", "items": {
        "type": "object", "required": ["code", "label", "label_en", "count"],
        "properties": {"code": {"type": "string"}, "label": {"type": "string"},
                       "label_en": {"type": "string"}, "count": {"type": "integer", "minimum": 0}},
    }}},
})


def _page_url(query: dict[str, Any], page: int) -> str:
    args = {k: (",".join(val) if isinstance(val, list) else val) for k, val in query.items()
            if val not in (None, "", [])}
    args["page"] = page
    return public_url("api.list_apps", **args)


@api_route("/apps", operation_id="list_apps", summary="Rechercher dans le catalogue",
           tag="Catalogue", params=LIST_PARAMS, response=APP_LIST)
def list_apps(query: dict[str, Any]) -> Response:
    if query.get("sort") == "relevance" and not (query.get("q") or "").strip():
        # Nothing to rank without a search: the default order, as documented (``sort`` says it).
        query = {k: v for k, v in query.items() if k != "sort"}
    filters = {facet: query[facet] for facet in FACETS if facet in query}
    if "medical_device" in filters:
        filters["medical_device"] = [filters["medical_device"]]
    catalogue_query = CatalogueQuery(
        q=query.get("q") or "", filters=filters, status=query["status"], sort=query.get("sort"),
        page=query["page"], per_page=query["per_page"],
    )
    token = cache.current_version(db.session)

    def build() -> Response:
        result = search_catalogue(db.session, catalogue_query, load=load_cards)
        echo = {k: val for k, val in query.items() if k != "page"}
        if echo.get("status") == "published":
            echo.pop("status")
        if echo.get("per_page") == 20:
            echo.pop("per_page")
        return jsonify({
            "items": [summary(item, _base()) for item in result.items],
            "page": result.page,
            "per_page": result.per_page,
            "total": result.total,
            "sort": result.sort,
            "facets": result.facets,
            "links": {
                "self": _page_url(echo, result.page),
                "next": _page_url(echo, result.page + 1) if result.has_next else None,
                "prev": _page_url(echo, result.prev_page) if result.prev_page else None,
                "first": _page_url(echo, 1),
                "last": _page_url(echo, result.pages),
            },
        })

    return conditional(token, build)


def _base() -> str:
    return base_url()


@api_route("/apps/<slug>", operation_id="get_app", summary="Une fiche du catalogue",
           tag="Catalogue", params=[Param("slug", {"type": "string", "maxLength": 80},
                                          "Identifiant de l'application.", location="path")],
           response=APP_DETAIL, not_found=True)
def get_app(query: dict[str, Any], slug: str) -> Response:
    token = cache.current_version(db.session)

    def build() -> Response:
        listing = listing_page(db.session, slug, screenshots=False)
        if listing is None:
            return problem(404, "Introuvable", "Aucune application publiée sous cet identifiant.")
        return jsonify(detail(listing, _base()))

    return conditional(token, build)


@api_route("/categories", operation_id="list_categories", summary="Catégories du catalogue",
           tag="Catalogue", response=CATEGORY_LIST)
def list_categories(query: dict[str, Any]) -> Response:
    token = cache.current_version(db.session)

    def build() -> Response:
        counts = category_counts(db.session)
        return jsonify({"items": [
            {"code": code, "label": fr, "label_en": en, "count": counts.get(code, 0)}
            for code, (fr, en) in v.CATEGORIES.items()
        ]})

    return conditional(token, build)
