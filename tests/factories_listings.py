"""Listings factories.

- ``make_listing(**profile)`` → a listing published the real way: a publisher's dossier
  submitted, walked through the commission (opinion, decision), agreement signed by
  the owner (whose effect calls ``publish_from_dossier``).
- ``bulk_listings([profile, …])`` → many listings at once through the demo's bulk
  builder (same rows: publisher, app, dossier, opinion, decision, agreement, listing,
  facets, search index), for search and pagination tests.
- ``make_patient()`` → a patient account.

Each factory commits (the test's outer transaction still rolls everything back), since
every request of the test client ends with a rollback. After a request, objects are
detached: reload them (``reload(obj)``).
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.commission.models import OpinionValue
from catalogue.demo import listings as demo_listings
from catalogue.demo.cli import SeedOptions
from catalogue.dossiers import services as dossiers
from catalogue.listings.models import Listing
from catalogue.listings.services import listing_for_app

_seq = itertools.count(1)


@pytest.fixture
def make_listing(app: Any, make_submitted_dossier: Any, advance: Any) -> Any:
    def factory(**profile: Any) -> Listing:
        from tests.factories_publishers import owner_of

        session = db.session
        dossier = make_submitted_dossier(**profile)
        advance(dossier, "agreement_pending")
        dossiers.sign_agreement(session, dossier, actor=owner_of(session, dossier.app.organisation))
        # Committed (the test's outer transaction still rolls it back) so that requests of
        # the test client, which end with a rollback, see it.
        db.commit()
        return listing_for_app(session, dossier.app_id)

    return factory


@pytest.fixture
def bulk_listings(app: Any, make_user: Any) -> Any:
    """``bulk_listings([{"name": …, **profile}, …])`` → listings (published), in order."""

    def factory(profiles: list[dict[str, Any]]) -> list[Listing]:
        from tests.factories_publishers import ensure_framework_in_force

        session = db.session
        framework = ensure_framework_in_force(session)
        base = next(_seq) * 10_000
        specs = []
        for i, raw in enumerate(profiles):
            profile = {**_DEFAULT, **raw}
            name = profile.pop("name")
            specs.append(demo_listings.AppSpec(
                index=base + i, name=name, slug=f"{demo_listings.slugify(name)}-{base + i}",
                category=profile["category"], profile=profile,
                decided_on=profile.pop("decided_on", date(2026, 2, 1) + timedelta(days=i)),
                review_days=60, opinion=OpinionValue.FAVOURABLE,
            ))
        demo_listings.create_listings(
            session, specs, framework=framework,
            decision_maker=make_user(roles=[Role.DECISION_MAKER]),
            chair=make_user(roles=[Role.CHAIR, Role.MEMBER]),
        )
        db.commit()
        from sqlalchemy import select

        from catalogue.apps.models import App

        by_slug = {row.app.slug: row for row in session.scalars(
            select(Listing).join(App).where(App.slug.in_([s.slug for s in specs])))}
        return [by_slug[s.slug] for s in specs]

    return factory


_DEFAULT: dict[str, Any] = {
    "summary": "Un service numérique en santé.",
    "description": "Une description.",
    "category": "chronic_disease",
    "audiences": ["patients"],
    "platforms": ["web"],
    "pricing": "free",
    "price_text": "",
    "languages": ["fr"],
    "data_categories": ["measurements", "documents"],
    "hosting_provider": "Hébergeur Santé",
    "hds_certified": True,
    "hds_certificate_ref": "HDS-1",
    "is_medical_device": False,
    "medical_device_class": None,
    "connected_services": [],
    "predicates": ["processes_health_data"],
}


def reload(obj: Any) -> Any:
    """The same row in the current session (objects detach at the end of each request)."""
    from sqlalchemy import inspect

    return db.session.get(type(obj), inspect(obj).identity)


@pytest.fixture
def make_patient(make_user: Any) -> Any:
    def factory(**kwargs: Any) -> Any:
        user = make_user(roles=[Role.PATIENT], **kwargs)
        db.commit()
        return user

    return factory


@pytest.fixture
def seed_catalogue(app: Any, ens_waves: Any, make_user: Any) -> Any:
    """``seed_catalogue(n)`` tops the catalogue up to ``n`` published listings through the
    demo part that ``flask demo seed --apps n`` runs (bulk inserts, search index, version)."""
    make_user(roles=[Role.DECISION_MAKER])
    make_user(roles=[Role.CHAIR])
    db.commit()

    def top_up(apps: int) -> None:
        demo_listings.seed(db.session, SeedOptions(apps=apps, seed=2026))
        # Committed into the test's outer transaction (rolled back at the end), so the
        # rollback that closes each request does not take the listings with it.
        db.commit()

    return top_up
