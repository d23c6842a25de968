"""The protected resource ``GET /api/patient/v1/<category>``.

A stand-in for the health space's own APIs: it answers demo data, but enforces the
real chain: a live token, issued on an active consent, for an app whose listing is
published, carrying ``patient/<category>.read`` within what the consent grants
now. Every call is audited (read, or refused with its reason).
"""

from __future__ import annotations

from authlib.integrations.flask_oauth2.requests import FlaskJsonRequest
from authlib.oauth2 import OAuth2Error
from flask import Response, jsonify, request

from catalogue import db
from catalogue.apps.vocabulary import DATA_CATEGORIES
from catalogue.errors import NotFound
from catalogue.oauth import permissions, queries, services
from catalogue.oauth.demo_data import records
from catalogue.oauth.server import resource, subject_for
from catalogue.oauth.views import bp


def _presented_token() -> str | None:
    kind, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if kind.lower() == "bearer" and value.strip() else None


@bp.get("/api/patient/v1/<category>")
def patient_data(category: str) -> Response:
    if category not in DATA_CATEGORIES:
        raise NotFound("Catégorie de données inconnue.")
    try:
        token = resource.validate_request([f"patient/{category}.read"], FlaskJsonRequest(request))
    except OAuth2Error as error:
        db.rollback()
        presented = _presented_token()
        row = queries.token_by_access(db.session, presented) if presented else None
        if row is not None:
            # A patient's data was asked for with a known token: the refusal is audited.
            reason = permissions.token_refusal(db.session, row) or error.error
            services.record_access(db.session, row, category, refused=reason)
            db.commit()
        response = jsonify(dict(error.get_body()))
        response.status_code = error.status_code
        for key, value in error.get_headers():
            if key.lower() != "content-type":
                response.headers[key] = value
        if "WWW-Authenticate" not in response.headers:
            # RFC 6750 §3: the 403 names the error and the scope needed (Authlib leaves it out).
            response.headers["WWW-Authenticate"] = (
                f'Bearer error="{error.error}", scope="patient/{category}.read"')
        response.headers["Cache-Control"] = "no-store"
        return response
    row = token.row
    services.record_access(db.session, row, category)
    db.commit()
    response = jsonify({
        "patient": subject_for(row.client, row.patient_id),
        "category": category,
        "items": records(category),
        "notice": "Démonstration : données fictives. Cette ressource remplace, pour la "
                  "démonstration, les API de l'espace santé.",
    })
    response.headers["Cache-Control"] = "no-store"
    return response
