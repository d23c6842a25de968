"""Authlib's authorization server and resource protector, wired to our models.

Authlib runs the protocol (RFC 6749 code grant, RFC 7636 PKCE, RFC 6750 bearer
tokens, RFC 7009 revocation, RFC 7662 introspection); this module only tells it
how to find and store clients, codes and tokens, and adds our rules:

- a client exists for Authlib only while its listing is published;
- scopes are bounded by the categories the app's agreement covers;
- a token opens data only while the patient's consent is active, and only for
  the categories that consent grants now.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import ResourceProtector
from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    ClientMixin,
    InvalidRequestError,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator, InvalidTokenError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Flask, current_app

from catalogue import db
from catalogue.accounts.models import User
from catalogue.clock import now
from catalogue.consents.models import Consent
from catalogue.listings.queries import agreed_data_categories
from catalogue.oauth import permissions, queries, scopes, services
from catalogue.oauth.models import OAuthClient, OAuthCode, OAuthToken

AUTH_METHODS_CONFIDENTIAL = ("client_secret_basic", "client_secret_post")


class Client(ClientMixin):
    """An OAuth client as Authlib sees it, with the categories its agreement covers."""

    def __init__(self, row: OAuthClient, agreed: list[str]) -> None:
        self.row = row
        self.agreed = agreed

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        # OAuth 2.1: the redirect URI may be left out only when exactly one is registered.
        uris = list(self.row.redirect_uris or [])
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str) -> str | None:
        """The scope when every category in it is covered by the agreement, else None
        (Authlib answers ``invalid_scope``): the app may not even ask beyond it."""
        pairs = scopes.parse(scope)
        if not pairs or scopes.within(pairs, self.agreed) != pairs:
            return None
        return scopes.render(pairs)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in (self.row.redirect_uris or [])

    def check_client_secret(self, client_secret: str) -> bool:
        stored = self.row.secret_hash
        return bool(stored) and hmac.compare_digest(queries.digest(client_secret), stored or "")

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.row.secret_hash:
            return method in AUTH_METHODS_CONFIDENTIAL
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


class Code(AuthorizationCodeMixin):
    def __init__(self, row: OAuthCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class Token(TokenMixin):
    def __init__(self, row: OAuthToken) -> None:
        self.row = row

    def check_client(self, client: Client) -> bool:
        return self.row.client_pk == client.row.id

    def get_scope(self) -> str:
        """The token's scope narrowed to what the consent grants now: a patient who
        unticks a category stops it at once, without a new token."""
        pairs = scopes.parse(self.row.scope) or []
        return scopes.render(scopes.within(pairs, self.row.consent.scopes or []))

    def get_expires_in(self) -> int:
        return max(0, int((self.row.expires_at - self.row.issued_at).total_seconds()))

    def is_expired(self) -> bool:
        return self.row.expires_at <= now()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None


@dataclass
class Grantor:
    """The patient's answer on our consent screen, handed to Authlib as its "user"."""

    user: User
    consent: Consent
    scope: str


def subject_for(client: OAuthClient, patient_id: int) -> str:
    """A pairwise pseudonymous identifier of the patient for one client (no user id leaks,
    and two apps cannot match their patients by it)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{client.client_id}:{patient_id}".encode(), hashlib.sha256).hexdigest()


def _query_client(client_id: str) -> Client | None:
    session = db.session
    row = queries.client_by_client_id(session, client_id)
    if row is None:
        return None
    listing = queries.listing_of_client(session, row)
    if listing is None or not queries.client_usable(session, row):
        return None
    return Client(row, agreed_data_categories(session, listing))


def _refresh_days() -> int:
    return int(current_app.config["OAUTH_REFRESH_TOKEN_DAYS"])


def _save_token(token: dict[str, Any], request: Any) -> None:
    client: Client = request.client
    code = getattr(request, "authorization_code", None)
    if code is not None:
        row = code.row
        services.save_token(db.session, token, client=client.row, patient_id=row.patient_id,
                            consent_id=row.consent_id, code=row, refresh_days=_refresh_days())
        return
    old: OAuthToken = request.refresh_token.row
    services.save_token(db.session, token, client=client.row, patient_id=old.patient_id,
                        consent_id=old.consent_id, rotated_from=old,
                        refresh_days=_refresh_days())


class S256Only(CodeChallenge):
    """PKCE required, with S256 only (OAuth 2.1 §4.1.1: "plain" is not allowed)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        # Authlib requires PKCE of public clients only; OAuth 2.1 requires it of every client.
        # The method must be named: RFC 7636 would read its absence as "plain".
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge'")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be 'S256'")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [*AUTH_METHODS_CONFIDENTIAL, "none"]

    def save_authorization_code(self, code: str, request: Any) -> None:
        grantor: Grantor = request.user
        data = request.payload.data
        services.save_code(
            db.session, code=code, client=request.client.row, patient=grantor.user,
            consent=grantor.consent, redirect_uri=request.payload.redirect_uri or "",
            scope=grantor.scope, code_challenge=data.get("code_challenge") or "",
            code_challenge_method=data.get("code_challenge_method") or "S256",
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        row = queries.code_by_value(db.session, code)
        if row is None or row.client_pk != client.row.id:
            return None
        if row.used_at is not None:
            services.code_reused(db.session, row)
            # The error answer rolls the request back: keep the revocation and its audit.
            db.commit()
            return None
        if row.expires_at <= now():
            return None
        return Code(row)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        """Kept, marked used by ``save_token``, so that a replay can be detected."""

    def authenticate_user(self, authorization_code: Code) -> User:
        return authorization_code.row.patient


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [*AUTH_METHODS_CONFIDENTIAL, "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        session = db.session
        row = queries.token_by_refresh(session, refresh_token)
        if row is None or row.refresh_expires_at is None or row.refresh_expires_at <= now():
            return None
        refusal = permissions.token_refusal(session, row)
        if refusal not in (None, "expired"):
            return None
        return Token(row)

    def authenticate_user(self, refresh_token: Token) -> User:
        return refresh_token.row.patient

    def revoke_old_credential(self, refresh_token: Token) -> None:
        """Done by ``save_token``, in the same flush as the new token (rotation)."""


def _token_by_hint(token_string: str, hint: str | None) -> Token | None:
    session = db.session
    order = (queries.token_by_refresh, queries.token_by_access) if hint == "refresh_token" \
        else (queries.token_by_access, queries.token_by_refresh)
    for finder in order:
        row = finder(session, token_string)
        if row is not None:
            return Token(row)
    return None


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = [*AUTH_METHODS_CONFIDENTIAL, "none"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        return _token_by_hint(token_string, token_type_hint)

    def revoke_token(self, token: Token, request: Any) -> None:
        services.revoke_token(db.session, token.row, by="client")


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = list(AUTH_METHODS_CONFIDENTIAL)

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        return _token_by_hint(token_string, token_type_hint)

    def check_permission(self, token: Token, client: Client, request: Any) -> bool:
        # A client learns about its own tokens only.
        return token.check_client(client)

    def introspect_token(self, token: Token) -> dict[str, Any]:
        row = token.row
        if permissions.token_refusal(db.session, row) is not None:
            return {"active": False}
        return {
            "active": True,
            "client_id": row.client.client_id,
            "token_type": "Bearer",
            "scope": token.get_scope(),
            "sub": subject_for(row.client, row.patient_id),
            "iss": current_app.config["BASE_URL"],
            "iat": int(row.issued_at.timestamp()),
            "exp": int(row.expires_at.timestamp()),
        }


class ConsentBearerValidator(BearerTokenValidator):
    """Bearer tokens of the resource server: our checks on top of Authlib's."""

    def authenticate_token(self, token_string: str) -> Token | None:
        row = queries.token_by_access(db.session, token_string)
        return Token(row) if row is not None else None

    def validate_token(self, token: Token | None, scopes_: Any, request: Any) -> None:
        if token is None or permissions.token_refusal(db.session, token.row) is not None:
            raise InvalidTokenError(realm=self.realm, extra_attributes=self.extra_attributes)
        super().validate_token(token, scopes_, request)


resource = ResourceProtector()
resource.register_token_validator(ConsentBearerValidator())


def init_app(app: Flask) -> None:
    """Build the application's authorization server (token lifetimes from its settings)."""
    server = AuthorizationServer()
    server.init_app(app, query_client=_query_client, save_token=_save_token)
    lifetime = int(app.config["OAUTH_ACCESS_TOKEN_SECONDS"])
    server.register_token_generator("default", BearerTokenGenerator(
        access_token_generator=lambda **_kw: generate_token(42),
        refresh_token_generator=lambda **_kw: generate_token(48),
        expires_generator=lambda client, grant_type: lifetime,
    ))
    server.scopes_supported = scopes.all_supported()
    server.register_grant(CodeGrant, [S256Only(required=True)])
    server.register_grant(RefreshGrant)
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
    app.extensions["oauth_server"] = server


def authorization() -> AuthorizationServer:
    """The current application's authorization server."""
    return current_app.extensions["oauth_server"]
