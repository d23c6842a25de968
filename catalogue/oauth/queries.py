"""Reading OAuth clients, codes and tokens (by digest: the plain values are never stored)."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from catalogue.apps.models import App
from catalogue.consents.models import Consent
from catalogue.listings.models import Listing, ListingState
from catalogue.oauth.models import OAuthClient, OAuthCode, OAuthToken


def digest(value: str) -> str:
    """SHA-256 of a secret, code or token, as stored."""
    return hashlib.sha256(value.encode()).hexdigest()


def client_by_client_id(session: Session, client_id: str | None) -> OAuthClient | None:
    if not client_id:
        return None
    return session.scalar(
        select(OAuthClient).where(OAuthClient.client_id == client_id)
        .options(joinedload(OAuthClient.app).joinedload(App.organisation))
    )


def client_of_app(session: Session, app_id: int) -> OAuthClient | None:
    return session.scalar(select(OAuthClient).where(OAuthClient.app_id == app_id))


def listing_of_client(session: Session, client: OAuthClient) -> Listing | None:
    return session.scalar(
        select(Listing).where(Listing.app_id == client.app_id)
        .options(joinedload(Listing.app).joinedload(App.organisation),
                 joinedload(Listing.framework), joinedload(Listing.dossier))
    )


def client_usable(session: Session, client: OAuthClient) -> bool:
    """A client works only while its listing is published (not suspended, delisted, expired)."""
    state = session.scalar(select(Listing.state).where(Listing.app_id == client.app_id))
    return state == ListingState.PUBLISHED


def code_by_value(session: Session, code: str) -> OAuthCode | None:
    return session.scalar(select(OAuthCode).where(OAuthCode.code_hash == digest(code)))


def token_by_access(session: Session, access_token: str) -> OAuthToken | None:
    return session.scalar(
        select(OAuthToken).where(OAuthToken.access_token_hash == digest(access_token))
        .options(joinedload(OAuthToken.consent), joinedload(OAuthToken.client))
    )


def token_by_refresh(session: Session, refresh_token: str) -> OAuthToken | None:
    return session.scalar(
        select(OAuthToken).where(OAuthToken.refresh_token_hash == digest(refresh_token))
        .options(joinedload(OAuthToken.consent), joinedload(OAuthToken.client))
    )


def live_tokens_of_consent(session: Session, consent: Consent) -> list[OAuthToken]:
    return list(session.scalars(
        select(OAuthToken).where(OAuthToken.consent_id == consent.id,
                                 OAuthToken.revoked_at.is_(None))
    ))
