"""Listing services and the listing lifecycle: publication from a dossier, renewal,
suspension, reinstatement, delisting, expiry, consents, cache and reports."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.apps.models import Pricing
from catalogue.audit.models import AuditEvent
from catalogue.consents import services as consents
from catalogue.consents.models import ConsentEventKind, ConsentState
from catalogue.errors import ValidationFailed
from catalogue.listings import cache
from catalogue.listings import services as listings
from catalogue.listings.lifecycle import LISTING_LIFECYCLE, expire_due
from catalogue.listings.models import (
    ListingEventKind,
    ListingFacet,
    ListingState,
    ReportStatus,
)
from catalogue.listings.queries import reports_of
from catalogue.listings.services import paris_date
from catalogue.notifications.models import Notification
from workflows.engine import TransitionRefused, available


@pytest.fixture
def purged(app: Any) -> Any:
    calls: list[list[str]] = []
    cache.set_purger(calls.append)
    yield calls
    cache.set_purger(None)


def test_signing_the_agreement_publishes_the_listing(session: Any, make_listing: Any,
                                                    purged: list[list[str]]) -> None:
    before = cache.current_version(session)
    listing = make_listing(name="Glycémo Suivi", platforms=["ios", "web"],
                           connected_services=["mes_dmp", "mssante"])
    assert listing.state == ListingState.PUBLISHED
    from catalogue.commission.models import Decision

    decision = session.scalar(select(Decision).where(Decision.dossier_id == listing.dossier_id))
    assert listing.valid_until == paris_date(decision.decided_at) + timedelta(days=1095)
    assert listing.opinion == "favourable"
    assert listing.framework.version == "2026.1"
    assert [e.kind for e in listing.events] == [ListingEventKind.PUBLISHED]
    facets = set(session.execute(select(ListingFacet.facet, ListingFacet.value)
                                 .where(ListingFacet.listing_id == listing.id)).all())
    assert {("platform", "ios"), ("platform", "web"), ("service", "mes_dmp"),
            ("service", "mssante"), ("category", "chronic_disease"), ("pricing", "free"),
            ("medical_device", "false")} <= facets
    assert cache.current_version(session) > before
    assert listing.sort_key == "glycemo suivi"
    assert any(f"/catalogue/{listing.app.slug}" in paths for paths in purged)  # purged at commit
    actions = session.scalars(select(AuditEvent.action)
                              .where(AuditEvent.subject_type == "Listing")).all()
    assert "listing.published" in actions


def test_purge_waits_for_the_commit_and_is_dropped_on_rollback(
        session: Any, bulk_listings: Any, make_user: Any, purged: list[list[str]]) -> None:
    (listing,) = bulk_listings([{"name": "Appli Purge"}])
    purged.clear()
    secretariat = make_user(roles=[Role.SECRETARIAT])
    db.commit()
    before = cache.current_version(session)
    listings.suspend_listing(session, listing, actor=secretariat, reason="Incident.")
    assert cache.current_version(session) == before + 1
    assert purged == []
    db.rollback()
    db.commit()
    assert purged == []  # the rolled-back change purges nothing
    listing = session.get(type(listing), listing.id)
    listings.suspend_listing(session, listing, actor=session.get(type(secretariat), secretariat.id),
                             reason="Incident.")
    db.commit()
    assert len(purged) == 1 and f"/api/v1/apps/{listing.app.slug}" in purged[0]


def _roles(make_user: Any) -> dict[str, Any]:
    return {"secretariat": make_user(roles=[Role.SECRETARIAT]),
            "decider": make_user(roles=[Role.DECISION_MAKER]),
            "member": make_user(roles=[Role.MEMBER])}


def test_lifecycle_table_roles_and_reasons(session: Any, bulk_listings: Any, make_user: Any) -> None:
    (listing,) = bulk_listings([{"name": "Appli Cycle"}])
    people = _roles(make_user)
    assert {a.transition.name for a in available(session, LISTING_LIFECYCLE, listing,
                                                  people["secretariat"])} == {"suspend"}
    assert available(session, LISTING_LIFECYCLE, listing, people["member"]) == []
    with pytest.raises(TransitionRefused, match="motif"):
        listings.suspend_listing(session, listing, actor=people["secretariat"], reason="  ")
    with pytest.raises(TransitionRefused, match="rôle"):
        listings.suspend_listing(session, listing, actor=people["member"], reason="Faille.")
    with pytest.raises(TransitionRefused, match="état"):
        listings.delist_listing(session, listing, actor=people["decider"], reason="Direct.")
    listings.suspend_listing(session, listing, actor=people["secretariat"], reason="Faille.")
    with pytest.raises(TransitionRefused, match="rôle"):
        listings.delist_listing(session, listing, actor=people["secretariat"], reason="Non.")
    listings.reinstate_listing(session, listing, actor=people["decider"])
    assert listing.state == ListingState.PUBLISHED
    listings.suspend_listing(session, listing, actor=people["decider"], reason="Rechute.")
    listings.delist_listing(session, listing, actor=people["decider"], reason="Définitif.")
    assert listing.state == ListingState.DELISTED
    assert available(session, LISTING_LIFECYCLE, listing, people["decider"]) == []
    kinds = [e.kind for e in sorted(listing.events, key=lambda e: e.id)]
    assert kinds == [ListingEventKind.PUBLISHED, ListingEventKind.SUSPENDED,
                     ListingEventKind.REINSTATED, ListingEventKind.SUSPENDED,
                     ListingEventKind.DELISTED]
    assert listing.state_reason == "Définitif."


def test_suspension_suspends_consents_and_tells_patients(session: Any, bulk_listings: Any,
                                                         make_user: Any, make_patient: Any) -> None:
    (listing,) = bulk_listings([{"name": "Appli Partagée"}])
    patient = make_patient()
    consent = consents.grant_consent(session, listing, ["measurements"], actor=patient)
    people = _roles(make_user)
    listings.suspend_listing(session, listing, actor=people["secretariat"], reason="Incident.")
    assert consent.state == ConsentState.SUSPENDED
    notes = session.scalars(select(Notification).where(Notification.user_id == patient.id)).all()
    assert [n.message for n in notes] == ["consent_suspended"]
    assert "Appli Partagée" in notes[0].title
    listings.reinstate_listing(session, listing, actor=people["secretariat"])
    assert consent.state == ConsentState.ACTIVE
    history = [e.kind for e in consents.history_of(session, patient)]
    assert history == [ConsentEventKind.RESUMED, ConsentEventKind.SUSPENDED, ConsentEventKind.GRANTED]
    listings.suspend_listing(session, listing, actor=people["secretariat"], reason="Encore.")
    listings.delist_listing(session, listing, actor=people["decider"], reason="Fin.")
    assert consent.state == ConsentState.SUSPENDED


def test_expire_due_is_idempotent_and_only_past_validity(session: Any, bulk_listings: Any,
                                                         make_patient: Any) -> None:
    old, fresh = bulk_listings([{"name": "Ancienne", "decided_on": date(2026, 1, 5)},
                                {"name": "Récente", "decided_on": date(2026, 6, 1)}])
    patient = make_patient()
    consent = consents.grant_consent(session, old, ["documents"], actor=patient)
    day = old.valid_until + timedelta(days=1)
    assert fresh.valid_until >= day
    assert expire_due(session, old.valid_until) == 0
    assert expire_due(session, day) == 1
    assert expire_due(session, day) == 0
    assert old.state == ListingState.EXPIRED and fresh.state == ListingState.PUBLISHED
    assert consent.state == ConsentState.SUSPENDED
    assert old.events[-1].kind == ListingEventKind.EXPIRED


def test_renewal_extends_validity(session: Any, make_listing: Any, make_dossier: Any,
                                  advance: Any, clock: Any) -> None:
    from catalogue.dossiers import services as dossiers
    from catalogue.dossiers.models import DossierKind
    from tests.factories_publishers import fill_answers, owner_of

    listing = make_listing()
    first_valid = listing.valid_until
    clock.shift(timedelta(days=950))  # the renewal window opens six months before the end
    owner = owner_of(session, listing.app.organisation)
    renewal = make_dossier(listing.app, kind=DossierKind.RENEWAL, actor=owner)
    fill_answers(session, renewal, owner)
    dossiers.submit_dossier(session, renewal, actor=owner)
    advance(renewal, "agreement_pending")
    dossiers.sign_agreement(session, renewal, actor=owner)
    assert listing.valid_until > first_valid
    assert listing.dossier_id == renewal.id
    assert [e.kind for e in sorted(listing.events, key=lambda e: e.id)][-1] == ListingEventKind.RENEWED


def test_update_presentation_resyncs_facets_and_search(session: Any, bulk_listings: Any,
                                                       make_user: Any) -> None:
    from catalogue.listings.queries import CatalogueQuery, search_catalogue

    (listing,) = bulk_listings([{"name": "Ancien Nom"}])
    listing.app.name = "Nouveau Vocable"
    listing.app.pricing = Pricing.PAID
    listing.app.platforms = ["android"]  # an assessed fact: the decided one stays
    listings.update_presentation(session, listing.app, actor=make_user())
    result = search_catalogue(session, CatalogueQuery(q="vocable"))
    assert [i.id for i in result.items] == [listing.id]
    assert result.facets["pricing"] == {"paid": 1}
    assert result.facets["platform"] == {"web": 1}
    assert listing.sort_key == "nouveau vocable"


def test_reports_are_created_triaged_and_validated(session: Any, bulk_listings: Any,
                                                   make_patient: Any, make_user: Any) -> None:
    (listing,) = bulk_listings([{"name": "Appli Signalée"}])
    reporter = make_patient()
    secretariat = make_user(roles=[Role.SECRETARIAT])
    with pytest.raises(ValidationFailed) as exc:
        listings.create_report(session, listing, actor=reporter, kind="nope", text="court")
    assert set(exc.value.errors) == {"kind", "text"}
    report = listings.create_report(session, listing, actor=reporter, kind="security",
                                    text="Les données transitent en clair sur le réseau.")
    notes = session.scalars(select(Notification.message).where(
        Notification.user_id == secretariat.id)).all()
    assert notes == ["report_created"]
    with pytest.raises(ValidationFailed):
        listings.triage_report(session, report, actor=secretariat, status="resolved", note="")
    listings.triage_report(session, report, actor=secretariat, status="resolved",
                           note="L'éditeur a corrigé la faille.")
    assert report.status == ReportStatus.RESOLVED
    assert [r.id for r in reports_of(session, reporter)] == [report.id]
    from catalogue.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        listings.triage_report(session, report, actor=reporter, status="dismissed", note="x")


def test_an_expired_listing_comes_back_only_through_republish_by_a_new_referencing(
        session: Any, make_listing: Any, make_submitted_dossier: Any, advance: Any,
        make_user: Any) -> None:
    from catalogue.dossiers import services as dossiers
    from tests.factories_publishers import owner_of

    listing = make_listing()
    expire_due(session, listing.valid_until + timedelta(days=1))
    assert listing.state == ListingState.EXPIRED
    # No person may republish, and the system only with a new referencing.
    assert available(session, LISTING_LIFECYCLE, listing,
                     make_user(roles=[Role.SECRETARIAT, Role.DECISION_MAKER])) == []
    with pytest.raises(TransitionRefused, match="nouveau référencement"):
        from workflows.engine import fire

        fire(session, LISTING_LIFECYCLE, listing, "republish", None, dossier=listing.dossier)
    again = make_submitted_dossier(listing.app)
    advance(again, "agreement_pending")
    dossiers.sign_agreement(session, again, actor=owner_of(session, listing.app.organisation))
    assert listing.state == ListingState.PUBLISHED and listing.dossier_id == again.id
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "listing.republish"))
    kinds = [e.kind for e in sorted(listing.events, key=lambda e: e.id)]
    assert kinds[-2:] == [ListingEventKind.EXPIRED, ListingEventKind.PUBLISHED]
