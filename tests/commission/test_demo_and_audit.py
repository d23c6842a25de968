"""The commission's demo part: every dossier state, idempotent, audit chain intact
(and broken by an altered row)."""

from __future__ import annotations

import importlib

from sqlalchemy import func, select, text

from catalogue.audit.models import AuditEvent
from catalogue.audit.services import verify_chain
from catalogue.commission.models import CommissionSession, InterestDeclaration, Opinion, SessionState
from catalogue.demo.cli import SeedOptions
from catalogue.dossiers.models import Dossier, DossierState
from catalogue.listings.models import Listing


def _seed(session, parts=("accounts", "frameworks", "publishers", "commission")):
    options = SeedOptions(apps=0, seed=7)
    lines = []
    for part in parts:
        try:
            module = importlib.import_module(f"catalogue.demo.{part}")
        except ModuleNotFoundError:
            continue
        lines += module.seed(session, options)
        session.commit()
    return lines


def test_demo_reaches_every_state_is_idempotent_and_its_audit_chain_holds(session):
    _seed(session)
    states = set(session.scalars(select(Dossier.state)))
    assert states == set(DossierState)
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
    count = session.scalar(select(func.count()).select_from(Dossier))
    lines = _seed(session, ("commission",))
    assert "déjà en place" in lines[0]
    assert session.scalar(select(func.count()).select_from(Dossier)) == count
    assert verify_chain(session) is None

    # An altered row breaks the chain from there on.
    event_id = session.scalar(select(AuditEvent.id).where(AuditEvent.action == "dossier.decide").limit(1))
    session.execute(text("UPDATE audit_events SET payload = :p WHERE id = :i"),
                    {"p": '{"outcome": "referenced"}', "i": event_id})
    session.expire_all()
    broken = verify_chain(session)
    assert broken is not None and broken.event_id == event_id
