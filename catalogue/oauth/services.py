"""OAuth writes: clients (created lazily, secrets rotated, redirect URIs), codes and tokens.

Clients are created lazily, by ``ensure_client``, the first time the publisher
opens the app's client page (or the demo seed registers it): nobody can use a
client before its publisher has read its id, so a client row made at publication
would add nothing, and no backfill is needed for apps listed before this
feature. Whether the client works is read from the listing's state at each
request (see ``queries.client_usable``).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlalchemy.orm import Session

from catalogue import db
from catalogue.accounts.models import User
from catalogue.apps.models import App
from catalogue.audit import services as audit
from catalogue.clock import now
from catalogue.consents.models import Consent
from catalogue.errors import PermissionDenied, ValidationFailed
from catalogue.oauth import permissions, queries
from catalogue.oauth.models import OAuthClient, OAuthCode, OAuthToken

CODE_SECONDS = 60
MAX_REDIRECT_URIS = 10
LOOPBACK_HOSTS = ("127.0.0.1", "[::1]", "localhost")


def ensure_client(session: Session, app: App) -> OAuthClient:
    """The app's OAuth client, created on first need (public until a secret is set)."""
    client = queries.client_of_app(session, app.id)
    if client is None:
        client = OAuthClient(client_id=f"ens-{secrets.token_urlsafe(18)}", app_id=app.id,
                             redirect_uris=[])
        session.add(client)
        session.flush()
        audit.record(session, "oauth.client_created", actor=None, subject=client,
                     payload={"app_id": app.id})
    return client


def _check_manager(session: Session, client: OAuthClient, actor: User) -> None:
    reason = permissions.client_management_refusal(session, actor, client.app)
    if reason:
        raise PermissionDenied(reason)


def redirect_uri_problem(uri: str) -> str | None:
    """Why a redirect URI is refused (RFC 9700 §2.1 / RFC 8252 §7.3), or None."""
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri:
        return "Une adresse de retour ne peut pas contenir de fragment (#)."
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1", "localhost"):
        return None
    return ("Une adresse de retour doit être en https:// (ou http:// sur la boucle locale "
            "127.0.0.1 pour une application native).")


def set_redirect_uris(session: Session, client: OAuthClient, uris: list[str], *,
                      actor: User) -> OAuthClient:
    """Replace the client's registered redirect URIs (compared exactly at authorization)."""
    _check_manager(session, client, actor)
    cleaned: list[str] = []
    for raw in uris:
        uri = raw.strip()
        if not uri or uri in cleaned:
            continue
        problem = redirect_uri_problem(uri)
        if problem:
            raise ValidationFailed(problem, errors={"redirect_uris": f"{uri} : {problem}"})
        cleaned.append(uri)
    if len(cleaned) > MAX_REDIRECT_URIS:
        raise ValidationFailed("Trop d'adresses.", errors={
            "redirect_uris": f"Au plus {MAX_REDIRECT_URIS} adresses de retour."})
    before = list(client.redirect_uris or [])
    client.redirect_uris = cleaned
    session.flush()
    audit.record(session, "oauth.redirect_uris_set", actor=actor, subject=client,
                 payload={"before": before, "after": cleaned})
    return client


def rotate_secret(session: Session, client: OAuthClient, *, actor: User | None) -> str:
    """A new client secret, returned once in clear and stored as its digest.

    The previous secret stops working at once; tokens already issued stay valid
    until they expire (the patient's consent, not the secret, governs them).
    """
    if actor is not None:
        _check_manager(session, client, actor)
    secret = secrets.token_urlsafe(32)
    client.secret_hash = queries.digest(secret)
    client.secret_set_at = now()
    session.flush()
    audit.record(session, "oauth.secret_rotated", actor=actor, subject=client)
    return secret


def save_code(session: Session, *, code: str, client: OAuthClient, patient: User,
              consent: Consent, redirect_uri: str, scope: str, code_challenge: str,
              code_challenge_method: str) -> OAuthCode:
    moment = now()
    row = OAuthCode(code_hash=queries.digest(code), client_pk=client.id, patient_id=patient.id,
                    consent_id=consent.id, redirect_uri=redirect_uri, scope=scope,
                    code_challenge=code_challenge, code_challenge_method=code_challenge_method,
                    created_at=moment, expires_at=moment + timedelta(seconds=CODE_SECONDS))
    session.add(row)
    session.flush()
    audit.record(session, "oauth.authorized", actor=patient, subject=consent,
                 payload={"client_id": client.id, "scope": scope})
    return row


def code_reused(session: Session, code: OAuthCode) -> None:
    """A used code presented again: revoke what it issued (RFC 9700 §4.5) and audit it."""
    revoked = db.changed_rows(session.execute(
        update(OAuthToken).where(OAuthToken.code_id == code.id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now())
    ))
    audit.record(session, "oauth.code_reused", actor=None, subject=code,
                 payload={"client_id": code.client_pk, "consent_id": code.consent_id,
                          "tokens_revoked": revoked})


def save_token(session: Session, token: dict[str, Any], *, client: OAuthClient, patient_id: int,
               consent_id: int, code: OAuthCode | None = None,
               rotated_from: OAuthToken | None = None, refresh_days: int) -> OAuthToken:
    """Store a token Authlib generated (digests only). A refresh revokes the token it rotates."""
    moment = now()
    refresh = token.get("refresh_token")
    row = OAuthToken(
        client_pk=client.id, patient_id=patient_id, consent_id=consent_id,
        code_id=code.id if code else (rotated_from.code_id if rotated_from else None),
        access_token_hash=queries.digest(token["access_token"]),
        refresh_token_hash=queries.digest(refresh) if refresh else None,
        scope=token.get("scope", ""), issued_at=moment,
        expires_at=moment + timedelta(seconds=int(token["expires_in"])),
        refresh_expires_at=moment + timedelta(days=refresh_days) if refresh else None,
    )
    if code is not None:
        code.used_at = moment
    if rotated_from is not None:
        rotated_from.revoked_at = moment
    session.add(row)
    session.flush()
    audit.record(session, "oauth.token_issued", actor=None, subject=row,
                 payload={"client_id": client.id, "consent_id": consent_id,
                          "grant": "refresh_token" if rotated_from else "authorization_code",
                          "scope": row.scope})
    return row


def revoke_token(session: Session, token: OAuthToken, *, by: str) -> None:
    """Revoke a token (RFC 7009): its access and its refresh token both stop."""
    if token.revoked_at is None:
        token.revoked_at = now()
        session.flush()
    audit.record(session, "oauth.token_revoked", actor=None, subject=token,
                 payload={"client_id": token.client_pk, "consent_id": token.consent_id, "by": by})


def record_access(session: Session, token: OAuthToken, category: str, *,
                  refused: str | None = None) -> None:
    """Audit a call on the patient's data: read, or refused with the reason."""
    action = "oauth.access_refused" if refused else "oauth.data_read"
    payload: dict[str, Any] = {"client_id": token.client_pk, "consent_id": token.consent_id,
                               "category": category}
    if refused:
        payload["reason"] = refused
    audit.record(session, action, actor=None, subject=token, payload=payload)

