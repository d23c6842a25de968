"""The OpenAPI document and the query-parameter validation, from one declaration.

Each API route is declared with ``api_route``: its parameters (a JSON Schema
each) validate the query string *and* are written into the OpenAPI document,
so the document cannot drift from what the code accepts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, request
from jsonschema import Draft202012Validator

from catalogue.web import problem

bp = Blueprint("api", __name__, url_prefix="/api/v1")

API_VERSION = "1.0.0"
_PATHS: dict[str, dict[str, Any]] = {}
_SCHEMAS: dict[str, dict[str, Any]] = {
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
}


@dataclass(frozen=True)
class Param:
    """A query or path parameter; ``schema`` is JSON Schema (strings come converted)."""

    name: str
    schema: dict[str, Any]
    description: str
    location: str = "query"
    required: bool = False
    # Turns the raw string into the value the schema checks (int, bool, list…).
    convert: Callable[[str], Any] | None = None
    explode_csv: bool = False

    def openapi(self) -> dict[str, Any]:
        declared = {
            "name": self.name, "in": self.location, "required": self.required or
            self.location == "path", "description": self.description, "schema": self.schema,
        }
        if self.explode_csv:
            # One parameter holding comma-separated values (``profile=a,b``; ``profile=`` is
            # the empty list), as parsed; repeating the parameter is refused.
            declared.update(style="form", explode=False)
        return declared

    @functools.cached_property
    def validator(self) -> Draft202012Validator:
        """The schema's validator, built once: building it costs as much as checking a value."""
        return Draft202012Validator(self.schema)


@dataclass
class ParsedParams:
    values: dict[str, Any] = field(default_factory=dict)


class BadParameters(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("bad parameters")
        self.errors = errors


def register_schema(name: str, schema: dict[str, Any]) -> dict[str, str]:
    """Add a component schema; returns its ``$ref``."""
    _SCHEMAS[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


def parse_query(params: list[Param]) -> dict[str, Any]:
    """Validate ``request.args`` against the declared query parameters.

    Unknown parameters, repeated ones and values outside their schema each get a
    French message under their name; raises ``BadParameters`` with all of them.
    """
    known = {p.name: p for p in params if p.location == "query"}
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in request.args:
        if name not in known:
            errors[name] = "Paramètre inconnu."
    for name, param in known.items():
        raw_values = request.args.getlist(name)
        if not raw_values:
            if "default" in param.schema:
                values[name] = param.schema["default"]
            continue
        if len(raw_values) > 1:
            errors[name] = "Paramètre répété."
            continue
        raw = raw_values[0]
        try:
            value: Any = raw
            if param.explode_csv:
                # A parameter whose items may be empty (``profile=``) keeps its empty items, so
                # that ``profile=,`` is the list it serialises (two empty items: not unique).
                keep_empty = "" in param.schema.get("items", {}).get("enum", [])
                value = [part.strip() for part in raw.split(",") if keep_empty or part.strip()]
            if param.convert is not None:
                value = [param.convert(v) for v in value] if param.explode_csv else param.convert(raw)
        except (TypeError, ValueError):
            errors[name] = "Valeur invalide."
            continue
        problems = sorted(param.validator.iter_errors(value), key=str)
        if problems:
            errors[name] = _french(problems[0])
            continue
        # Checked as sent; the views get the items that say something.
        values[name] = [v for v in value if v != ""] if param.explode_csv else value
    if errors:
        raise BadParameters(errors)
    return values


def _french(error: Any) -> str:
    validator = error.validator
    if validator == "enum":
        return "Valeur inconnue ; valeurs permises : " + ", ".join(map(str, error.validator_value)) + "."
    if validator == "minimum":
        return f"La valeur doit être au moins {error.validator_value}."
    if validator == "maximum":
        return f"La valeur doit être au plus {error.validator_value}."
    if validator == "maxLength":
        return f"Au plus {error.validator_value} caractères."
    if validator == "minLength":
        return f"Au moins {error.validator_value} caractère(s)."
    if validator == "type":
        return "Type de valeur invalide."
    return "Valeur invalide."


def api_route(
    rule: str,
    *,
    operation_id: str,
    summary: str,
    tag: str,
    params: list[Param] | None = None,
    response: dict[str, Any],
    not_found: bool = False,
    conditional: bool = True,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a GET route on the API blueprint and in the OpenAPI document.

    The view receives the validated query values as ``query=``; a bad parameter
    answers 400 problem+json naming each parameter.
    """
    params = params or []
    path = "/api/v1" + "".join(
        "{" + part[1:-1].split(":")[-1] + "}" if part.startswith("<") else part
        for part in _split(rule)
    )
    responses: dict[str, Any] = {
        "200": {"description": "OK", "content": {"application/json": {"schema": response}}},
        "400": {"description": "Paramètre invalide", "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
    }
    if conditional:
        responses["304"] = {"description": "Non modifié (If-None-Match)"}
    if not_found:
        responses["404"] = {"description": "Introuvable", "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    _PATHS.setdefault(path, {})["get"] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "parameters": [p.openapi() for p in params],
        "responses": responses,
    }

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(**kwargs: Any) -> Any:
            try:
                query = parse_query(params)
            except BadParameters as exc:
                return problem(400, "Paramètre invalide",
                               "Un ou plusieurs paramètres sont invalides.", errors=exc.errors)
            return view(query=query, **kwargs)

        bp.add_url_rule(rule, endpoint=operation_id, view_func=wrapped, methods=["GET"])
        return wrapped

    return decorator


def _split(rule: str) -> list[str]:
    parts, buf, depth = [], "", 0
    for ch in rule:
        if ch == "<":
            if buf:
                parts.append(buf)
            buf, depth = "<", 1
        elif ch == ">" and depth:
            parts.append(buf + ">")
            buf, depth = "", 0
        else:
            buf += ch
    if buf:
        parts.append(buf)
    return parts


def document(server_url: str = "/") -> dict[str, Any]:
    """The OpenAPI 3.1 document of every declared route."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Catalogue ENS — API ouverte",
            "version": API_VERSION,
            "description": "Catalogue public des services numériques référencés pour "
                           "Mon Espace Santé, et référentiels d'exigences. Lecture seule, "
                           "sans authentification.",
            "license": {"name": "Licence Ouverte 2.0", "identifier": "etalab-2.0"},
        },
        "servers": [{"url": server_url}],
        "paths": dict(sorted(_PATHS.items())),
        "components": {"schemas": dict(sorted(_SCHEMAS.items()))},
    }
