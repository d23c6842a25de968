"""Waves enforced (issue 11, step 3): each listing under an older wave shows its gap once a
newer wave is published; at the compliance deadline the clock suspends listings without a
compliance decision, with the reason public, and patients are told."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from catalogue import db
from catalogue.consents import services as consents
from catalogue.consents.models import Consent, ConsentState
from catalogue.listings.models import Listing, ListingState
from catalogue.listings.waves import listings_at_risk, wave_gap
from catalogue.notifications.models import Notification
from catalogue.schedule import tick
from tests.factories_publishers import owner_of


def test_the_gap_shows_to_the_publisher_and_the_commission_then_tick_suspends(
        client: Any, login: Any, ens_waves: Any, make_listing: Any, make_patient: Any,
        team: Any) -> None:
    listing = make_listing(predicates=["processes_health_data", "uses_ai"])
    patient = make_patient()
    consents.grant_consent(db.session, listing, ["measurements"], actor=patient)
    owner, patient_id = owner_of(db.session, listing.app.organisation), patient.id
    db.commit()
    gap = wave_gap(db.session, listing)
    assert gap is not None and gap.framework.label == "ENS 2027.1"
    assert gap.deadline == date(2027, 12, 31) and gap.items
    assert {i.change for i in gap.items} <= {"added", "mandatory", "reworded"}
    assert listing.id in {row.id for row in listings_at_risk(db.session)}
    slug, app_id, listing_id = listing.app.slug, listing.app_id, listing.id
    first = gap.items[0]

    db.commit()  # the login's request context ends the session: nothing pending
    login(owner)
    page = client.get(f"/editeur/applications/{app_id}").get_data(as_text=True)
    assert "Mise en conformité avec la vague ENS 2027.1" in page and "31 décembre 2027" in page
    assert first.requirement.code in page
    # Not yet in force: the compliance dossier opens with the wave.
    assert "entrée en vigueur de la vague, le 1er janvier 2027" in page

    login(team.secretariat)
    staff = client.get("/commission/fiches").get_data(as_text=True)
    assert f"Vague ENS 2027.1 avant le 31 décembre 2027\u202f: {len(gap.items)} exigence(s)" in staff
    home = client.get("/commission/").get_data(as_text=True)
    assert "Fiches à mettre en conformité avec la nouvelle vague\u202f: " in home

    # The day before the deadline nothing happens; the day after, the listing is suspended.
    assert tick(db.session, date(2027, 12, 31)).noncompliant == 0
    result = tick(db.session, date(2028, 1, 1))
    assert result.noncompliant == 1 and tick(db.session, date(2028, 1, 2)).noncompliant == 0
    db.commit()
    listing = db.session.get(Listing, listing_id)
    assert listing.state == ListingState.SUSPENDED
    assert "vague ENS 2027.1" in listing.state_reason
    public = client.get(f"/catalogue/{slug}").get_data(as_text=True)
    assert "Application suspendue" in public and "Mise en conformité avec la vague ENS 2027.1" in public
    api = client.get(f"/api/v1/apps/{slug}?").get_json()
    assert api["referencing"]["status"] == "suspended" and "2027.1" in api["referencing"]["status_reason"]
    consent = db.session.scalar(select(Consent).where(Consent.patient_id == patient_id))
    assert consent.state == ConsentState.SUSPENDED
    assert db.session.scalar(select(Notification.id).where(Notification.user_id == patient_id,
                                                           Notification.message == "consent_suspended"))
