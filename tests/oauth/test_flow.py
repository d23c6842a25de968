"""The code flow end to end through HTTP: consent screen, token, protected resource,
refresh rotation, introspection, and what stops the app's next call."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from sqlalchemy import select

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.audit.models import AuditEvent
from catalogue.consents.models import Consent, ConsentState
from catalogue.listings import services as listings
from catalogue.oauth.models import OAuthToken
from tests.accounts.helpers import post_form
from tests.factories_listings import reload
from tests.factories_oauth import bearer


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_metadata_is_valid_rfc8414_and_built_from_base_url(client: Any, app: Any) -> None:
    # Another Host is refused before anything is built (TRUSTED_HOSTS, F2)…
    assert client.get("/.well-known/oauth-authorization-server",
                      headers={"Host": "evil.example"}).status_code == 400
    # …and the document's URLs come from BASE_URL, not from the request.
    response = client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    document = response.get_json()
    AuthorizationServerMetadata(document).validate()
    base = app.config["BASE_URL"]
    assert document["issuer"] == base
    assert document["token_endpoint"] == f"{base}/oauth/token"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert "patient/documents.read" in document["scopes_supported"]


def test_consent_screen_shows_trust_facts_and_each_requested_category(
        client: Any, login: Any, make_patient: Any, oauth_app: Any) -> None:
    target = oauth_app()
    login(make_patient())
    response = client.get(target.authorize_url())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert reload(target.listing).app.organisation.legal_name in html
    assert "app.exemple.fr" in html  # where the patient will be sent back
    assert 'value="measurements"' in html and 'value="documents"' in html
    assert html.count('type="checkbox"') == 2
    assert "lecture" in html


def test_grant_is_the_consent_and_the_app_reads_only_what_was_granted(
        client: Any, login: Any, make_patient: Any, oauth_app: Any) -> None:
    target = oauth_app()
    patient = make_patient()
    login(patient)
    tokens = target.tokens(client, categories=["measurements"])
    assert tokens["token_type"].lower() == "bearer"
    assert tokens["expires_in"] == 600
    assert tokens["scope"] == "patient/measurements.read"
    consent = db.session.scalar(select(Consent).where(Consent.patient_id == patient.id))
    assert consent.scopes == ["measurements"] and consent.state == ConsentState.ACTIVE
    stored = db.session.scalar(select(OAuthToken))
    assert tokens["access_token"] not in (stored.access_token_hash, stored.refresh_token_hash)

    read = client.get("/api/patient/v1/measurements", headers=bearer(tokens["access_token"]))
    assert read.status_code == 200
    assert read.get_json()["category"] == "measurements" and read.get_json()["items"]
    assert read.headers["Cache-Control"] == "no-store"
    other = client.get("/api/patient/v1/documents", headers=bearer(tokens["access_token"]))
    assert other.status_code == 403
    assert 'error="insufficient_scope"' in other.headers["WWW-Authenticate"]
    assert {"oauth.authorized", "oauth.token_issued", "oauth.data_read",
            "oauth.access_refused", "consent.granted"} <= set(_actions())


def test_revoking_the_consent_makes_the_next_call_fail(
        client: Any, login: Any, make_patient: Any, oauth_app: Any) -> None:
    target = oauth_app()
    login(make_patient())
    tokens = target.tokens(client)
    headers = bearer(tokens["access_token"])
    assert client.get("/api/patient/v1/documents", headers=headers).status_code == 200
    consent = db.session.scalar(select(Consent))
    revoked = post_form(client, f"/compte/connexions/{consent.id}/revoquer", {},
                        form_page="/compte/connexions")
    assert revoked.status_code == 302
    after = client.get("/api/patient/v1/documents", headers=headers)
    assert after.status_code == 401
    assert 'error="invalid_token"' in after.headers["WWW-Authenticate"]
    refused = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "oauth.access_refused")).all()
    assert refused[-1].payload["reason"] == "consent_revoked"
    # Nor can the app refresh its way back in.
    refresh = client.post("/oauth/token", headers=target.basic(), data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 400 and refresh.get_json()["error"] == "invalid_grant"


def test_suspending_then_delisting_the_listing_makes_the_next_call_fail(
        client: Any, login: Any, make_patient: Any, make_user: Any, oauth_app: Any) -> None:
    target = oauth_app()
    login(make_patient())
    tokens = target.tokens(client)
    headers = bearer(tokens["access_token"])
    assert client.get("/api/patient/v1/documents", headers=headers).status_code == 200
    secretariat = make_user(roles=[Role.SECRETARIAT])
    listings.suspend_listing(db.session, reload(target.listing), actor=secretariat,
                             reason="Incident de sécurité")
    db.commit()
    assert client.get("/api/patient/v1/documents", headers=headers).status_code == 401
    # The client itself is disabled: no new authorization, no token.
    assert client.get(target.authorize_url()).status_code == 400
    token = client.post("/oauth/token", headers=target.basic(), data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert token.status_code == 401 and token.get_json()["error"] == "invalid_client"
    listings.delist_listing(db.session, reload(target.listing),
                            actor=make_user(roles=[Role.DECISION_MAKER]), reason="Retrait définitif")
    db.commit()
    assert client.get("/api/patient/v1/documents", headers=headers).status_code == 401


def test_refresh_rotates_and_an_old_refresh_token_is_refused(
        client: Any, login: Any, make_patient: Any, oauth_app: Any) -> None:
    target = oauth_app()
    login(make_patient())
    first = target.tokens(client)
    rotated = client.post("/oauth/token", headers=target.basic(), data={
        "grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    second = rotated.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/api/patient/v1/documents",
                      headers=bearer(first["access_token"])).status_code == 401
    assert client.get("/api/patient/v1/documents",
                      headers=bearer(second["access_token"])).status_code == 200
    again = client.post("/oauth/token", headers=target.basic(), data={
        "grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"


def test_access_token_expires(client: Any, login: Any, make_patient: Any, oauth_app: Any,
                              clock: Any) -> None:
    target = oauth_app()
    login(make_patient())
    tokens = target.tokens(client)
    headers = bearer(tokens["access_token"])
    assert client.get("/api/patient/v1/documents", headers=headers).status_code == 200
    clock.shift(timedelta(seconds=601))
    expired = client.get("/api/patient/v1/documents", headers=headers)
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
    introspected = client.post("/oauth/introspect", headers=target.basic(),
                               data={"token": tokens["access_token"]})
    assert introspected.get_json() == {"active": False}


def test_introspection_and_revocation(client: Any, login: Any, make_patient: Any,
                                      oauth_app: Any) -> None:
    target = oauth_app()
    login(make_patient())
    tokens = target.tokens(client)
    info = client.post("/oauth/introspect", headers=target.basic(),
                       data={"token": tokens["access_token"]}).get_json()
    assert info["active"] is True and info["client_id"] == target.client_id
    assert info["scope"] == "patient/measurements.read patient/documents.read"
    assert info["sub"] and "@" not in info["sub"]
    revoked = client.post("/oauth/revoke", headers=target.basic(),
                          data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"})
    assert revoked.status_code == 200
    assert client.get("/api/patient/v1/documents",
                      headers=bearer(tokens["access_token"])).status_code == 401
    assert "oauth.token_revoked" in _actions()
    info = client.post("/oauth/introspect", headers=target.basic(),
                       data={"token": tokens["access_token"]}).get_json()
    assert info == {"active": False}




def test_consent_screen_lets_the_browser_follow_the_redirect_to_the_app(
        client: Any, login: Any, make_patient: Any, oauth_app: Any) -> None:
    target = oauth_app()
    login(make_patient())
    csp = client.get(target.authorize_url()).headers["Content-Security-Policy"]
    assert "form-action 'self' https://app.exemple.fr;" in csp
    assert "frame-ancestors 'none'" in csp
