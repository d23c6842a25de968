"""The authorization server's machine endpoints: metadata (RFC 8414), token,
revocation (RFC 7009) and introspection (RFC 7662). Authlib answers; we commit."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify

from catalogue import db
from catalogue.extensions import csrf, limiter
from catalogue.oauth import scopes
from catalogue.oauth.server import AUTH_METHODS_CONFIDENTIAL, authorization
from catalogue.oauth.views import bp


def metadata_document() -> dict[str, Any]:
    """The server's metadata; every URL from ``BASE_URL``, never the request's Host."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "introspection_endpoint": f"{base}/oauth/introspect",
        "scopes_supported": scopes.all_supported(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [*AUTH_METHODS_CONFIDENTIAL, "none"],
        "revocation_endpoint_auth_methods_supported": [*AUTH_METHODS_CONFIDENTIAL, "none"],
        "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS_CONFIDENTIAL),
    }


@bp.get("/.well-known/oauth-authorization-server")
def metadata() -> Response:
    response = jsonify(metadata_document())
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _token_rate_limit() -> str:
    return str(current_app.config["OAUTH_TOKEN_RATE_LIMIT"])


def _committed(response: Response) -> Response:
    """Keep what a successful answer wrote; an error answer writes nothing."""
    if response.status_code < 300:
        db.commit()
    else:
        db.rollback()
    return response


@bp.post("/oauth/token")
@csrf.exempt
@limiter.limit(_token_rate_limit)
def token() -> Response:
    return _committed(authorization().create_token_response())


@bp.post("/oauth/revoke")
@csrf.exempt
@limiter.limit(_token_rate_limit)
def revoke() -> Response:
    return _committed(authorization().create_endpoint_response("revocation"))


@bp.post("/oauth/introspect")
@csrf.exempt
@limiter.limit(_token_rate_limit)
def introspect() -> Response:
    return _committed(authorization().create_endpoint_response("introspection"))
