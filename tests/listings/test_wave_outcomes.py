"""At a wave's compliance deadline, the clock moves each listing without a compliance
decision to the state the wave's file prescribes (``on_compliance_deadline``), through the
listing lifecycle's own transition, with the reason public (issue 11, step 3)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from catalogue import db
from catalogue.audit.models import AuditEvent
from catalogue.frameworks.lifecycle import bring_into_force
from catalogue.frameworks.services import import_framework
from catalogue.frameworks.vocabulary import COMPLIANCE_OUTCOMES
from catalogue.listings.lifecycle import LISTING_LIFECYCLE, NONCOMPLIANT_TRANSITIONS
from catalogue.listings.models import Listing, ListingState
from catalogue.schedule import tick
from tests.factories_publishers import owner_of
from tests.frameworks.test_tracks import wave
from tests.waves import WAVE_2026, WAVE_2027

EXPECTED = {
    "suspended": ("suspended", "Application suspendue", "suspend_noncompliant"),
    "delisted": ("delisted", "Application déréférencée", "delist_noncompliant"),
}


def _waves(outcome: str | None) -> None:
    import_framework(db.session, WAVE_2026)
    extra = {} if outcome is None else {"on_compliance_deadline": outcome}
    import_framework(db.session, wave(WAVE_2027, **extra))
    bring_into_force(db.session, date(2026, 6, 1))
    db.commit()


def test_every_outcome_has_a_transition_of_the_listing_lifecycle() -> None:
    assert set(NONCOMPLIANT_TRANSITIONS) == set(COMPLIANCE_OUTCOMES)
    for state, name in NONCOMPLIANT_TRANSITIONS.items():
        assert LISTING_LIFECYCLE.transition(name).target == state


@pytest.mark.parametrize("outcome", [None, "suspended", "delisted"])
def test_the_deadline_moves_listings_where_the_wave_says(
        client: Any, login: Any, make_listing: Any, outcome: str | None) -> None:
    _waves(outcome)
    state, heading, transition = EXPECTED[outcome or "suspended"]
    listing = make_listing()
    listing_id, slug = listing.id, listing.app.slug
    assert listing.framework.label == "ENS 2026.1"
    gap_page_text = ("l'application sera déréférencée" if state == "delisted"
                     else "la fiche sera suspendue")
    owner = owner_of(db.session, listing.app.organisation)
    app_id = listing.app_id
    db.commit()
    login(owner)
    page = client.get(f"/editeur/applications/{app_id}").get_data(as_text=True)
    assert gap_page_text in page

    assert tick(db.session, date(2027, 12, 31)).noncompliant == 0
    assert tick(db.session, date(2028, 1, 1)).noncompliant == 1
    assert tick(db.session, date(2028, 1, 2)).noncompliant == 0
    db.commit()
    listing = db.session.get(Listing, listing_id)
    assert listing.state == ListingState(state)
    assert "Mise en conformité avec la vague ENS 2027.1" in listing.state_reason
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.subject_type == "Listing",
                                                       AuditEvent.subject_id == str(listing_id))
                              .order_by(AuditEvent.id.desc()).limit(1))
    assert audit.action == f"listing.{transition}"

    with client.session_transaction() as browser_session:
        browser_session.clear()
    public = client.get(f"/catalogue/{slug}")
    assert public.status_code == 200
    text = public.get_data(as_text=True)
    assert heading in text and "Mise en conformité avec la vague ENS 2027.1" in text
    assert "Connecter à mon espace santé" not in text
    api = client.get(f"/api/v1/apps/{slug}").get_json()
    assert api["referencing"]["status"] == state
