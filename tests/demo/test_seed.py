"""The demo (``flask demo seed``), seeded once: it reads as real data (cities match postal
codes, verified publishers have their registration extract on file, app names match what the
apps do, not every app is HDS-hosted, every example search of the home page finds an app), it
reaches every dossier state, seeding again adds nothing, and its audit chain holds (and breaks
at an altered row). One seed for all of it: seeding costs seconds."""

from __future__ import annotations

import html
import importlib
import re

from sqlalchemy import func, select, text

from catalogue.apps.models import App
from catalogue.audit.models import AuditEvent
from catalogue.audit.services import verify_chain
from catalogue.commission.models import CommissionSession, InterestDeclaration, Opinion, SessionState
from catalogue.demo.cli import PARTS, SeedOptions
from catalogue.dossiers.models import Dossier, DossierState, Evidence
from catalogue.listings.models import Listing, ListingState
from catalogue.publishers.models import Organisation, OrganisationStatus

# The département of each city the demo uses, as the first two digits of its postal codes.
DEPARTMENTS = {"Paris": "75", "Lyon": "69", "Marseille": "13", "Toulouse": "31", "Nantes": "44",
               "Rennes": "35", "Lille": "59", "Bordeaux": "33", "Strasbourg": "67", "Montpellier": "34",
               "Grenoble": "38", "Dijon": "21", "Brest": "29", "Angers": "49", "Rouen": "76", "Nîmes": "30"}
# What an app named after a condition must talk about.
TOPICS = {"Diabéto": "diabète", "Glycémo": "glycémie", "Asthmé": "asthme", "Rénal": "rénale",
          "Thyro": "thyroïde", "CardioSuivi": ("tension", "cardiaque")}


def _seed(session, apps=12):
    """``flask demo seed --apps 12``: every part, in order, each committed."""
    lines = []
    options = SeedOptions(apps=apps, seed=2026)
    for part in PARTS:
        lines += importlib.import_module(f"catalogue.demo.{part}").seed(session, options)
        session.commit()
    return lines


def _assert_coherent(client, session):
    published = session.scalar(select(Listing.id).where(Listing.state == ListingState.PUBLISHED).limit(1))
    assert published is not None

    organisations = list(session.scalars(select(Organisation)))
    assert len(organisations) >= 4
    for organisation in organisations:
        assert organisation.postal_code[:2] == DEPARTMENTS[organisation.city], organisation.legal_name
    verified = [o.id for o in organisations if o.status == OrganisationStatus.VERIFIED]
    with_extract = set(session.scalars(select(Evidence.organisation_id).where(
        Evidence.kind == "registration_extract")))
    assert verified and set(verified) <= with_extract

    listed = list(session.scalars(select(App).join(Listing, Listing.app_id == App.id)
                                  .where(Listing.state == ListingState.PUBLISHED)))
    hds = [a.hds_certified for a in listed]
    assert any(hds) and not all(hds)
    for app in listed:
        if not app.hds_certified:
            assert "certifié HDS" not in app.description and "processes_health_data" not in app.predicates
    named = 0
    for app in session.scalars(select(App)):
        for stem, topic in TOPICS.items():
            if app.name.startswith(stem):
                named += 1
                assert any(t in app.description for t in ((topic,) if isinstance(topic, str) else topic)), \
                    app.name
    assert named >= 1

    home = client.get("/").text
    hint = html.unescape(re.search(r'id="q-home-hint"[^>]*>([^<]+)<', home).group(1))
    examples = [w.strip() for w in hint.split(":", 1)[1].split(".")[0].split(",")]
    assert "diabète" in examples and len(examples) >= 3
    for example in examples:
        page = client.get("/catalogue", query_string={"q": example}).text
        found = re.search(r"(\d+) applications? pour", page)
        assert found and int(found.group(1)) >= 1, example


def _assert_every_state(session):
    assert set(session.scalars(select(Dossier.state))) == set(DossierState)
    sessions = {s.state for s in session.scalars(select(CommissionSession))}
    assert sessions == {SessionState.CLOSED, SessionState.PLANNED}
    closed = session.scalar(select(CommissionSession).where(CommissionSession.state == SessionState.CLOSED))
    assert "intérêt déclaré lié à l'éditeur" in closed.minutes
    assert {o.value.value for o in session.scalars(select(Opinion))} == {
        "favourable", "favourable_with_reservations", "favourable_with_suspensive_reservations",
        "unfavourable"}
    assert {lst.state.value for lst in session.scalars(select(Listing))} >= {"published", "suspended",
                                                                                "delisted"}
    assert session.scalar(select(func.count()).select_from(InterestDeclaration)) >= 1


def test_demo_is_coherent_complete_idempotent_and_its_audit_chain_holds(client, session):
    _seed(session)
    _assert_coherent(client, session)
    _assert_every_state(session)

    # Seeding again adds nothing.
    organisations = session.scalar(select(func.count()).select_from(Organisation))
    dossiers = session.scalar(select(func.count()).select_from(Dossier))
    lines = _seed(session)
    assert "rien à ajouter" in lines[-2]
    assert any("déjà en place" in line for line in lines)
    assert session.scalar(select(func.count()).select_from(Organisation)) == organisations
    assert session.scalar(select(func.count()).select_from(Dossier)) == dossiers
    assert verify_chain(session) is None

    # An altered row breaks the chain from there on.
    event_id = session.scalar(select(AuditEvent.id).where(AuditEvent.action == "dossier.decide").limit(1))
    session.execute(text("UPDATE audit_events SET payload = :p WHERE id = :i"),
                    {"p": '{"outcome": "referenced"}', "i": event_id})
    session.expire_all()
    broken = verify_chain(session)
    assert broken is not None and broken.event_id == event_id
