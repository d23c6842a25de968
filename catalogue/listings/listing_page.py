"""What a listing's public page and the API's resource show, read from their columns.

``ListingPage`` has the shape of a ``Listing`` as the page and ``serialize.detail`` read it
(``page.app.organisation.legal_name``, ``page.framework.code``, ``page.profile``…), built
from one query for the listing, its app, publisher, framework and dossier, one for its
public history and, for the page, one for the screenshots. Hydrating the ORM objects
instead (five entities and their JSON columns) was half the CPU of a listing page.
Writers keep using ``queries.public_listing``, which gives the ORM ``Listing``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from catalogue.apps.models import App, Pricing, Screenshot
from catalogue.dossiers.models import Dossier
from catalogue.frameworks.models import Framework
from catalogue.listings.models import Listing, ListingEvent, ListingEventKind, ListingState
from catalogue.listings.profile import DecidedProfile
from catalogue.listings.queries import PAGE_STATES
from catalogue.publishers.models import Organisation, OrganisationStatus


@dataclass(frozen=True, slots=True)
class PagePublisher:
    legal_name: str
    status: OrganisationStatus
    siren: str
    city: str


@dataclass(frozen=True, slots=True)
class PageScreenshot:
    id: int
    alt_text: str


@dataclass(frozen=True, slots=True)
class PageApp:
    id: int
    slug: str
    name: str
    summary: str
    description: str
    category: str
    pricing: Pricing
    price_text: str
    languages: list[str]
    website_url: str
    privacy_policy_url: str
    accessibility_statement_url: str
    support_contact: str
    organisation: PagePublisher
    screenshots: list[PageScreenshot]  # empty when not asked for (the API does not show them)


@dataclass(frozen=True, slots=True)
class PageFramework:
    code: str
    version: str


@dataclass(frozen=True, slots=True)
class PageDossier:
    reference: str | None


@dataclass(frozen=True, slots=True)
class PageEvent:
    id: int
    kind: ListingEventKind
    occurred_at: datetime
    public_note: str


@dataclass(frozen=True, slots=True)
class ListingPage:
    id: int
    state: ListingState
    state_changed_at: datetime
    state_reason: str | None
    opinion: str
    decided_at: datetime
    valid_until: date
    profile: DecidedProfile
    framework: PageFramework
    dossier: PageDossier
    app: PageApp
    events: list[PageEvent]


_L, _A, _O = Listing.__table__, App.__table__, Organisation.__table__
_F, _D, _E, _S = Framework.__table__, Dossier.__table__, ListingEvent.__table__, Screenshot.__table__
# Built once, on the tables' columns: no ORM entity is involved.
_LISTING = select(
    _L.c.id, _L.c.state, _L.c.state_changed_at, _L.c.state_reason, _L.c.opinion, _L.c.decided_at,
    _L.c.valid_until, _D.c.profile_snapshot, _F.c.code, _F.c.version, _D.c.reference,
    _A.c.id, _A.c.slug, _A.c.name, _A.c.summary, _A.c.description, _A.c.category, _A.c.pricing,
    _A.c.price_text, _A.c.languages, _A.c.website_url, _A.c.privacy_policy_url,
    _A.c.accessibility_statement_url, _A.c.support_contact,
    _O.c.legal_name, _O.c.status, _O.c.siren, _O.c.city,
).select_from(
    _L.join(_A, _A.c.id == _L.c.app_id)
    .join(_O, _O.c.id == _A.c.organisation_id)
    .join(_F, _F.c.id == _L.c.framework_id)
    .join(_D, _D.c.id == _L.c.dossier_id)
).where(_A.c.slug == bindparam("slug"), _L.c.state.in_(PAGE_STATES))
_EVENTS = (select(_E.c.id, _E.c.kind, _E.c.occurred_at, _E.c.public_note)
           .where(_E.c.listing_id == bindparam("listing_id")).order_by(_E.c.occurred_at, _E.c.id))
_SCREENSHOTS = (select(_S.c.id, _S.c.alt_text)
                .where(_S.c.app_id == bindparam("app_id")).order_by(_S.c.position))


def listing_page(session: Session, slug: str, *, screenshots: bool = True) -> ListingPage | None:
    """A listing the public may see (as ``queries.public_listing``), with its history and,
    unless told otherwise, its app's screenshots."""
    row = session.execute(_LISTING, {"slug": slug}).first()
    if row is None:
        return None
    (listing_id, state, state_changed_at, state_reason, opinion, decided_at, valid_until, snapshot,
     framework_code, framework_version, reference, app_id, app_slug, name, summary, description,
     category, pricing, price_text, languages, website_url, privacy_url, accessibility_url, support,
     legal_name, status, siren, city) = row
    events = [PageEvent(event_id, kind, occurred_at, note) for event_id, kind, occurred_at, note
              in session.execute(_EVENTS, {"listing_id": listing_id})]
    shots = [PageScreenshot(shot_id, alt) for shot_id, alt
             in session.execute(_SCREENSHOTS, {"app_id": app_id})] if screenshots else []
    app = PageApp(app_id, app_slug, name, summary, description, category, pricing, price_text,
                  languages, website_url, privacy_url, accessibility_url, support,
                  PagePublisher(legal_name, status, siren, city), shots)
    return ListingPage(listing_id, state, state_changed_at, state_reason, opinion, decided_at,
                       valid_until, DecidedProfile.from_snapshot(snapshot),
                       PageFramework(framework_code, framework_version), PageDossier(reference),
                       app, events)
