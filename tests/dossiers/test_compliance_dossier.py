"""Opening a compliance dossier (issue 11, step 3): the gap shows from a newer wave's
publication; the dossier, frozen to the wave in force, opens once that wave is in force,
carrying the answers over. Before, and when there is no newer wave, the refusal says why
and from when, in French."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from catalogue import db
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers.models import Dossier, DossierKind
from catalogue.frameworks.lifecycle import bring_into_force
from tests.accounts.helpers import csrf_token
from tests.factories_publishers import owner_of


def _try_open(client: Any, app_id: int) -> str:
    page = f"/editeur/applications/{app_id}"
    answer = client.post(f"{page}/dossiers", data={"kind": "renewal",
                                                    "csrf_token": csrf_token(client, page)})
    assert answer.status_code == 302
    return client.get(answer.headers["Location"]).get_data(as_text=True)


def _listed(login: Any, make_listing: Any) -> int:
    listing = make_listing()
    owner = owner_of(db.session, listing.app.organisation)
    app_id = listing.app_id
    db.commit()
    login(owner)
    return app_id


def test_without_a_newer_wave_no_compliance_dossier_opens(
        client: Any, login: Any, make_listing: Any) -> None:
    app_id = _listed(login, make_listing)
    page = _try_open(client, app_id)
    assert "Aucune nouvelle vague du référentiel n&#39;est en vigueur" in page
    assert "le renouvellement s&#39;ouvre six mois avant l&#39;échéance" in page
    assert db.session.scalar(select(Dossier.id).where(Dossier.app_id == app_id,
                                                      Dossier.kind == DossierKind.RENEWAL)) is None


def test_a_published_wave_shows_the_gap_and_its_dossier_opens_when_in_force(
        client: Any, login: Any, ens_waves: Any, make_listing: Any) -> None:
    app_id = _listed(login, make_listing)
    shown = client.get(f"/editeur/applications/{app_id}").get_data(as_text=True)
    assert "Mise en conformité avec la vague ENS 2027.1" in shown
    # Published, not in force: no button, and a forged request is refused, naming the date.
    assert 'name="kind" value="renewal"' not in shown
    page = _try_open(client, app_id)
    assert "La vague ENS 2027.1 du référentiel n&#39;entre en vigueur que le 01/01/2027" in page
    assert db.session.scalar(select(Dossier.id).where(Dossier.app_id == app_id,
                                                      Dossier.kind == DossierKind.RENEWAL)) is None

    bring_into_force(db.session, date(2027, 1, 1))
    db.commit()
    shown = client.get(f"/editeur/applications/{app_id}").get_data(as_text=True)
    assert "Ouvrir un dossier de mise en conformité" in shown
    _try_open(client, app_id)
    dossier = db.session.scalar(select(Dossier).where(Dossier.app_id == app_id,
                                                      Dossier.kind == DossierKind.RENEWAL))
    assert dossier is not None and dossier.framework.label == "ENS 2027.1"
    carried = dossier_queries.current_answers(db.session, dossier)
    changes = dossier_queries.requirement_changes(db.session, dossier)
    applicable = {r.code for r in dossier_queries.applicable_requirements(db.session, dossier)}
    # What did not change is answered already; only the new requirements wait for an answer.
    answered = {a.requirement.code for a in carried.values()}
    assert answered and answered <= applicable
    assert applicable - answered <= {code for code, change in changes.items() if change == "new"}
