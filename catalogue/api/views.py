"""The JSON API v1: read-only, anonymous, CORS open. Routes live in one module per
resource and register themselves on ``bp`` through ``spec.api_route``."""

from __future__ import annotations

from flask import Response, jsonify

from catalogue.api.spec import bp, document

# Resource modules register their routes on import.
from catalogue.api import resources  # noqa: F401  isort: skip


@bp.after_request
def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag, Link"
    return response


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document())


__all__ = ["bp"]
