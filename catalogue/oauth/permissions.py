"""Who may do what with OAuth clients and tokens, with the reason why not (French)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from catalogue.accounts.models import User
from catalogue.apps.models import App
from catalogue.clock import now
from catalogue.consents.models import ConsentState
from catalogue.oauth import queries
from catalogue.oauth.models import OAuthToken
from catalogue.publishers.services import member_role


def client_management_refusal(session: Session, user: User, app: App) -> str | None:
    """Only the members of the app's publisher manage its OAuth client."""
    if member_role(session, app.organisation_id, user.id) is None:
        return "Seuls les membres de l'éditeur de l'application gèrent son client OAuth."
    return None


def token_refusal(session: Session, token: OAuthToken | None) -> str | None:
    """Why an access token does not open the patient's data now (None: it does).

    Checked at every call: the token's own state, then the consent it rests on
    (revoked or suspended stops it), then the app's listing (suspended, delisted
    or expired stops it).
    """
    if token is None:
        return "unknown"
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= now():
        return "expired"
    if token.consent.state != ConsentState.ACTIVE:
        return f"consent_{token.consent.state.value}"
    if not queries.client_usable(session, token.client):
        return "listing_not_published"
    return None
