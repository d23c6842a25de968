"""Demo part ``oauth``: registers the demo client of ``demo/connect_demo.py``.

The client belongs to a published listing of ``editeur@demo.ens.fr`` when there is
one (else the first published listing), with a fixed client id and secret so that
the README's three steps work on every machine. Idempotent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.accounts.models import User
from catalogue.apps.models import App
from catalogue.listings.models import Listing, ListingState
from catalogue.listings.queries import agreed_data_categories
from catalogue.oauth import queries
from catalogue.oauth import services as oauth
from catalogue.publishers.models import Membership

DEMO_CLIENT_ID = "ens-demo-client"
DEMO_CLIENT_SECRET = "demo-client-secret-ENS-2026"  # noqa: S105 - published demo value (README)
DEMO_REDIRECT_URI = "http://127.0.0.1:8765/callback"
DEMO_CATEGORY = "measurements"


def _demo_listing(session: Session) -> Listing | None:
    """A published listing whose agreement covers measurements (the script reads them) and,
    if possible, another category (the patient then chooses), the demo publisher's first."""
    published = select(Listing).join(App, App.id == Listing.app_id).where(
        Listing.state == ListingState.PUBLISHED).order_by(Listing.sort_key, Listing.id)
    own = published.join(Membership, Membership.organisation_id == App.organisation_id).join(
        User, User.id == Membership.user_id).where(User.email == "editeur@demo.ens.fr")
    fallback = None
    for stmt in (own, published.limit(200)):
        for listing in session.scalars(stmt):
            agreed = agreed_data_categories(session, listing)
            if DEMO_CATEGORY in agreed and len(agreed) > 1:
                return listing
            if DEMO_CATEGORY in agreed and fallback is None:
                fallback = listing
    return fallback


def seed(session: Session, options: Any) -> list[str]:
    existing = queries.client_by_client_id(session, DEMO_CLIENT_ID)
    listing = _demo_listing(session) if existing is None else None
    if existing is None and listing is None:
        return ["OAuth : aucune fiche publiée, pas de client de démonstration."]
    client = existing or oauth.ensure_client(session, listing.app)
    client.client_id = DEMO_CLIENT_ID
    client.redirect_uris = [DEMO_REDIRECT_URI]
    client.secret_hash = queries.digest(DEMO_CLIENT_SECRET)
    session.flush()
    return [f"OAuth : client de démonstration « {DEMO_CLIENT_ID} » (secret {DEMO_CLIENT_SECRET}) "
            f"pour « {client.app.name} », retour {DEMO_REDIRECT_URI} ; "
            "lancer : python demo/connect_demo.py"]
