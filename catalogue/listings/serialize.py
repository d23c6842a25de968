"""Listings as public data: the API's items and resources, the open data exports.

Assessed facts come from the decided profile (``Listing.profile``), never the live app.

Codes stay codes (stable for machines); the API's ``/categories`` gives labels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from catalogue.listings.models import Listing

if TYPE_CHECKING:
    from catalogue.listings.listing_page import ListingPage
    from catalogue.listings.queries import ListingCard

FRAMEWORK_NAME = "ENS"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def summary(listing: Listing | ListingCard | ListingPage, base_url: str = "") -> dict[str, Any]:
    """One item of ``GET /api/v1/apps`` (and one row of the exports), from a listing or
    its card (``queries.load_cards``)."""
    app = listing.app
    decided = listing.profile
    return {
        "slug": app.slug,
        "name": app.name,
        "summary": app.summary,
        "category": app.category,
        "audiences": list(decided.audiences),
        "platforms": list(decided.platforms),
        "pricing": app.pricing.value,
        "medical_device": decided.is_medical_device,
        "services": list(decided.connected_services),
        "publisher": app.organisation.legal_name,
        "status": listing.state.value,
        "referenced_at": _iso(listing.decided_at),
        "valid_until": _iso(listing.valid_until),
        "url": f"{base_url}/catalogue/{app.slug}",
        "api_url": f"{base_url}/api/v1/apps/{app.slug}",
    }


def detail(listing: Listing | ListingPage, base_url: str = "") -> dict[str, Any]:
    """``GET /api/v1/apps/{slug}``: everything the public listing page shows (from the
    ``Listing`` or its ``listing_page.ListingPage``)."""
    app = listing.app
    decided = listing.profile
    organisation = app.organisation
    framework = listing.framework
    return {
        **summary(listing, base_url),
        "description": app.description,
        "price_text": app.price_text,
        "languages": list(app.languages or []),
        "website_url": app.website_url or None,
        "privacy_policy_url": app.privacy_policy_url or None,
        "accessibility_statement_url": app.accessibility_statement_url or None,
        "support_contact": app.support_contact or None,
        "publisher": {
            "name": organisation.legal_name,
            "siren": organisation.siren,
            "city": organisation.city or None,
            "verified": organisation.status.value == "verified",
        },
        "data_categories": list(decided.data_categories),
        "hosting": {
            "provider": decided.hosting_provider or None,
            "hds_certified": decided.hds_certified,
            "hds_certificate": decided.hds_certificate_ref or None,
        },
        "medical_device_class": decided.medical_device_class,
        "connected_services": list(decided.connected_services),
        "referencing": {
            "framework": framework.code,
            "framework_version": framework.version,
            "opinion": listing.opinion,
            "decided_at": _iso(listing.decided_at),
            "valid_until": _iso(listing.valid_until),
            "status": listing.state.value,
            "status_reason": listing.state_reason if listing.state.value != "published" else None,
        },
        "history": [
            {"kind": event.kind.value, "occurred_at": _iso(event.occurred_at),
             "note": event.public_note or None}
            for event in sorted(listing.events, key=lambda e: (e.occurred_at, e.id))
        ],
    }


CSV_COLUMNS = (
    "slug", "name", "summary", "category", "audiences", "platforms", "pricing",
    "medical_device", "services", "publisher", "status", "referenced_at", "valid_until", "url",
)
