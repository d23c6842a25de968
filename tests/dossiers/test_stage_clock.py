"""The clock everywhere (issue 11, step 7): the publisher's dossier page shows the stage, the
next actor and the relevant date at every stage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from catalogue import db
from catalogue.dossiers.models import Dossier
from catalogue.listings.services import paris_date
from tests.factories_publishers import owner_of


def _page(client: Any, dossier_id: int) -> str:
    return client.get(f"/editeur/dossiers/{dossier_id}").get_data(as_text=True)


def test_the_publisher_sees_stage_next_actor_and_date_at_every_stage(
        client: Any, login: Any, make_submitted_dossier: Any, advance: Any) -> None:
    from flask_babel import format_date

    def shown(day: Any) -> str:
        return format_date(day, "long")

    dossier = make_submitted_dossier()
    owner, dossier_id = owner_of(db.session, dossier.organisation), dossier.id
    admissibility = paris_date(dossier.submitted_at) + timedelta(days=15)
    db.commit()
    login(owner)
    html = _page(client, dossier_id)
    assert "Recevabilité attendue au plus tard le" in html and shown(admissibility) in html
    assert "Au secrétariat\u202f: il vérifie que le dossier est complet (recevabilité)." in html

    advance(db.session.get(Dossier, dossier_id), "scheduled")
    db.commit()
    html = _page(client, dossier_id)
    assert "Examen par la commission" in html and "Séance de la commission le" in html



def test_review_decision_and_agreement_dates(client: Any, login: Any, make_submitted_dossier: Any,
                                            advance: Any) -> None:
    expected = {"under_evaluation": "Instruction à terminer au plus tard le",
                "opinion_issued": "Décision attendue au plus tard le",
                "agreement_pending": "Convention à signer au plus tard le"}
    ids = {}
    for state in expected:
        dossier = make_submitted_dossier()
        advance(dossier, state)
        ids[state] = (dossier.id, owner_of(db.session, dossier.organisation))
    db.commit()
    for state, label in expected.items():
        dossier_id, owner = ids[state]
        login(owner)
        assert label in _page(client, dossier_id), state
