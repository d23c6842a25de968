"""API resources of the referencing frameworks: the versions, and one version's requirements.

Every answer is described by a component schema registered here, from which the OpenAPI
document is written; the tests validate real answers against those schemas.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, url_for

from catalogue import db
from catalogue.api.caching import conditional
from catalogue.api.spec import Param, api_route, register_schema
from catalogue.frameworks import queries as framework_queries
from catalogue.frameworks.models import Framework, FrameworkStatus, Requirement
from catalogue.frameworks.vocabulary import (
    COMPLIANCE_OUTCOMES,
    EVIDENCE_KINDS,
    PREDICATES,
    TRACK_DAYS_MAX,
    TRACK_KINDS,
)

TAG = "Référentiels"

_DATE = {"type": "string", "format": "date"}
_NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
_NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}
_PREDICATE = {"type": "string", "enum": list(PREDICATES)}

_SUMMARY_PROPERTIES: dict[str, Any] = {
    "code": {"type": "string", "description": "Code du référentiel, ex. ENS."},
    "version": {"type": "string", "pattern": r"^\d{4}\.[1-9]\d*$", "description": "Ex. 2026.1."},
    "label": {"type": "string", "description": "Code et version, ex. « ENS 2026.1 »."},
    "title": {"type": "string"},
    "title_en": {"type": "string"},
    "status": {
        "type": "string",
        "enum": [s.value for s in FrameworkStatus],
        "description": "draft : publiée, pas encore en vigueur ; in_force : en vigueur ; "
                       "retired : remplacée par une version plus récente.",
    },
    "effective_from": {**_DATE, "description": "Date d'entrée en vigueur."},
    "compliance_deadline": {
        **_NULLABLE_DATE,
        "description": "Date limite de mise en conformité des services référencés selon une "
                       "version antérieure.",
    },
    "on_compliance_deadline": {
        "type": "string", "enum": list(COMPLIANCE_OUTCOMES),
        "description": "État où passent, à la date limite de mise en conformité, les fiches "
                       "référencées selon une version antérieure sans décision favorable de "
                       "mise en conformité.",
    },
    "tracks": {
        "type": "object",
        "additionalProperties": False,
        "properties": {kind: {"type": "integer", "minimum": 1, "maximum": TRACK_DAYS_MAX}
                       for kind in TRACK_KINDS},
        "description": "Durée d'instruction (jours calendaires) par type de dossier, quand la "
                       "version la fixe ; sinon la durée par défaut de la plateforme.",
    },
    "in_force_at": {**_NULLABLE_DATETIME, "description": "Mise en vigueur effective (UTC)."},
    "retired_at": {**_NULLABLE_DATETIME, "description": "Retrait effectif (UTC)."},
    "content_hash": {
        "type": "string", "pattern": "^[0-9a-f]{64}$",
        "description": "SHA-256 du contenu normalisé de la version : il ne change jamais une "
                       "fois la version en vigueur.",
    },
    "requirement_count": {"type": "integer", "minimum": 0,
                          "description": "Nombre d'exigences de la version."},
    "mandatory_count": {"type": "integer", "minimum": 0,
                        "description": "Dont obligatoires."},
    "links": {
        "type": "object",
        "required": ["self", "html"],
        "additionalProperties": False,
        "properties": {
            "self": {"type": "string", "description": "Cette version dans l'API."},
            "html": {"type": "string", "description": "Sa page publique."},
        },
    },
}

FRAMEWORK_SUMMARY = register_schema("FrameworkSummary", {
    "type": "object",
    "required": list(_SUMMARY_PROPERTIES),
    "additionalProperties": False,
    "properties": _SUMMARY_PROPERTIES,
})

FRAMEWORK_LIST = register_schema("FrameworkList", {
    "type": "object",
    "required": ["items"],
    "additionalProperties": False,
    "properties": {
        "items": {
            "type": "array", "items": FRAMEWORK_SUMMARY,
            "description": "Toutes les versions publiées, par code puis de la plus récente à "
                           "la plus ancienne.",
        },
    },
})

CATEGORY = register_schema("FrameworkCategory", {
    "type": "object",
    "required": ["code", "title", "title_en"],
    "additionalProperties": False,
    "properties": {
        "code": {"type": "string"},
        "title": {"type": "string"},
        "title_en": {"type": "string"},
    },
})

REQUIREMENT = register_schema("Requirement", {
    "type": "object",
    "required": ["code", "category", "title", "title_en", "statement", "mandatory",
                 "applies_if", "allow_not_applicable", "evidence"],
    "additionalProperties": False,
    "properties": {
        "code": {"type": "string", "pattern": r"^[A-Z]{2,4}-\d{2}$",
                 "description": "Le même code d'une version à l'autre désigne la même exigence."},
        "category": {"type": "string", "description": "Code d'une catégorie de la version."},
        "title": {"type": "string"},
        "title_en": {"type": "string"},
        "statement": {"type": "string", "description": "Énoncé (en français)."},
        "mandatory": {"type": "boolean"},
        "applies_if": {
            "type": "array", "items": _PREDICATE, "uniqueItems": True,
            "description": "L'exigence s'applique quand toutes ces caractéristiques du profil "
                           "du service sont vraies ; liste vide : à tous les services.",
        },
        "allow_not_applicable": {
            "type": "boolean",
            "description": "L'éditeur peut répondre « non applicable », avec une justification.",
        },
        "evidence": {
            "type": "array", "uniqueItems": True,
            "items": {"type": "string", "enum": list(EVIDENCE_KINDS)},
            "description": "Types de pièces justificatives attendues.",
        },
    },
})

FRAMEWORK_DETAIL = register_schema("FrameworkDetail", {
    "type": "object",
    "required": [*_SUMMARY_PROPERTIES, "categories", "profile", "requirements"],
    "additionalProperties": False,
    "properties": {
        **_SUMMARY_PROPERTIES,
        "categories": {"type": "array", "items": CATEGORY},
        "profile": {
            "type": ["array", "null"], "items": _PREDICATE,
            "description": "Le profil demandé par `profile`, ou null sans filtre.",
        },
        "requirements": {
            "type": "array", "items": REQUIREMENT,
            "description": "Dans l'ordre du référentiel ; avec `profile`, seulement celles qui "
                           "s'appliquent.",
        },
    },
})

_CODE = Param("code", {"type": "string"}, "Code du référentiel, ex. ENS.", location="path")
_VERSION = Param("version", {"type": "string"}, "Version, ex. 2026.1.", location="path")
_PROFILE = Param(
    "profile",
    # The empty item is what ``profile=`` reads as: an empty value (no characteristic) is
    # allowed, and a serialised list with only empty values is the same request.
    {"type": "array", "items": {"type": "string", "enum": [*PREDICATES, ""]}, "uniqueItems": True},
    "Caractéristiques vraies du service, séparées par des virgules (ex. "
    "`processes_health_data,uses_ai`) : seules les exigences qui s'appliquent à ce profil sont "
    "renvoyées. Vide (`profile=`) : un service qu'aucune ne décrit. Un seul paramètre "
    "`profile` (répété : 400).",
    explode_csv=True,
)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _summary(framework: Framework, total: int, mandatory: int) -> dict[str, Any]:
    return {
        "code": framework.code,
        "version": framework.version,
        "label": framework.label,
        "title": framework.title,
        "title_en": framework.title_en,
        "status": framework.status.value,
        "effective_from": framework.effective_from.isoformat(),
        "compliance_deadline": _iso(framework.compliance_deadline),
        "on_compliance_deadline": framework.on_compliance_deadline,
        "tracks": dict(framework.tracks or {}),
        "in_force_at": _iso(framework.in_force_at),
        "retired_at": _iso(framework.retired_at),
        "content_hash": framework.content_hash,
        "requirement_count": total,
        "mandatory_count": mandatory,
        "links": {
            "self": url_for("api.get_framework", code=framework.code, version=framework.version),
            "html": url_for("frameworks.show", code=framework.code, version=framework.version),
        },
    }


def _requirement(requirement: Requirement) -> dict[str, Any]:
    return {
        "code": requirement.code,
        "category": requirement.category,
        "title": requirement.title,
        "title_en": requirement.title_en,
        "statement": requirement.statement,
        "mandatory": requirement.mandatory,
        "applies_if": list(requirement.applies_if),
        "allow_not_applicable": requirement.allow_not_applicable,
        "evidence": list(requirement.evidence),
    }


@api_route(
    "/frameworks",
    operation_id="list_frameworks",
    summary="Versions publiées des référentiels, avec leur statut et leurs dates",
    tag=TAG,
    response=FRAMEWORK_LIST,
)
def list_frameworks(query: dict[str, Any]) -> Response:
    def build() -> Response:
        summaries = framework_queries.list_frameworks(db.session)
        return jsonify({
            "items": [
                _summary(s.framework, s.requirement_count, s.mandatory_count) for s in summaries
            ]
        })

    return conditional(framework_queries.frameworks_token(db.session), build)


@api_route(
    "/frameworks/<code>/<version>",
    operation_id="get_framework",
    summary="Une version d'un référentiel et ses exigences, éventuellement filtrées par profil",
    tag=TAG,
    params=[_CODE, _VERSION, _PROFILE],
    response=FRAMEWORK_DETAIL,
    not_found=True,
)
def get_framework(query: dict[str, Any], code: str, version: str) -> Response:
    profile = query.get("profile")

    def build() -> Response:
        framework = framework_queries.get_framework(db.session, code, version)
        requirements = (
            framework.requirements if profile is None
            else framework_queries.requirements_for_profile(framework, profile)
        )
        body = _summary(
            framework,
            len(framework.requirements),
            sum(1 for r in framework.requirements if r.mandatory),
        )
        body["categories"] = [
            {"code": c.code, "title": c.title, "title_en": c.title_en}
            for c in framework.categories
        ]
        # Canonical order, whatever order the client listed the predicates in.
        body["profile"] = None if profile is None else [p for p in PREDICATES if p in profile]
        body["requirements"] = [_requirement(r) for r in requirements]
        return jsonify(body)

    # A matching ETag was given for this very URL under the same data (frameworks are never
    # deleted), so a 304 needs no look-up; an unknown version raises NotFound in build.
    return conditional(framework_queries.frameworks_token(db.session), build)
