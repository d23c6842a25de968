"""Feedback that reaches the publisher (issue 11, step 4): admissibility notes at their
question and open until answered, resubmission with nothing changed refused naming the
requirement, rapporteurs' comments per requirement once the opinion is issued."""

from __future__ import annotations

from typing import Any

from catalogue import db
from catalogue.commission import services as commission
from catalogue.dossiers import services as dossiers
from catalogue.dossiers.models import AnswerStatus, Dossier, DossierState
from tests.accounts.helpers import csrf_token
from tests.factories_publishers import owner_of

NOTE = "La note de finalité ne décrit pas le public visé."


def test_admissibility_notes_stay_open_until_the_answer_changes(
        client: Any, login: Any, make_submitted_dossier: Any, team: Any) -> None:
    dossier = make_submitted_dossier()
    commission.declare_incomplete(db.session, dossier, actor=team.secretariat, missing_items=[
        {"requirement_code": "ELI-01", "field": "evidence", "message": NOTE}])
    owner, dossier_id = owner_of(db.session, dossier.organisation), dossier.id
    db.commit()
    login(owner)

    question = client.get(f"/editeur/dossiers/{dossier_id}/auto-evaluation/eligibility")
    html = question.get_data(as_text=True)
    assert NOTE in html and "à traiter" in html
    panel = client.get(f"/editeur/dossiers/{dossier_id}/auto-evaluation").get_data(as_text=True)
    assert "ELI-01" in panel and "remarque du secrétariat sans suite" in panel

    page = f"/editeur/dossiers/{dossier_id}"
    refused = client.post(f"{page}/deposer", data={"csrf_token": csrf_token(client, page)})
    assert refused.status_code == 422
    assert "ELI-01" in refused.get_data(as_text=True)
    assert db.session.get(Dossier, dossier_id).state == DossierState.INCOMPLETE

    dossier = db.session.get(Dossier, dossier_id)
    answer = dossiers.save_answer(db.session, dossier, "ELI-01", actor=owner,
                                  status=AnswerStatus.COMPLIANT,
                                  justification="Public visé : patients diabétiques adultes.",
                                  evidence_ids=[e.id for e in _previous_evidence(dossier)])
    assert answer.round == dossier.round + 1
    db.commit()
    done = client.post(f"{page}/deposer", data={"csrf_token": csrf_token(client, page)})
    assert done.status_code == 302
    assert db.session.get(Dossier, dossier_id).state == DossierState.SUBMITTED


def _previous_evidence(dossier: Dossier) -> list[Any]:
    from catalogue.dossiers.queries import current_answers

    return next(a for a in current_answers(db.session, dossier).values()
                if a.requirement.code == "ELI-01").evidence


def test_rapporteurs_comments_reach_the_publisher_once_the_opinion_is_issued(
        client: Any, login: Any, make_submitted_dossier: Any, advance: Any) -> None:
    early = make_submitted_dossier()
    advance(early, "ready_for_commission")
    late = make_submitted_dossier()
    advance(late, "opinion_issued")
    ids = early.id, late.id
    owners = owner_of(db.session, early.organisation), owner_of(db.session, late.organisation)
    db.commit()
    login(owners[0])
    before = client.get(f"/editeur/dossiers/{ids[0]}/auto-evaluation/eligibility")
    assert "Pièces probantes examinées." not in before.get_data(as_text=True)
    login(owners[1])
    after = client.get(f"/editeur/dossiers/{ids[1]}/auto-evaluation/eligibility")
    html = after.get_data(as_text=True)
    assert "Commentaire du rapporteur" in html and "Pièces probantes examinées." in html


def test_the_commission_sees_per_requirement_what_changed_since_the_last_round(
        client: Any, login: Any, make_submitted_dossier: Any, team: Any) -> None:
    from catalogue.dossiers.evidence import add_evidence
    from catalogue.dossiers.samples import sample_pdf

    dossier = make_submitted_dossier()
    commission.declare_incomplete(db.session, dossier, actor=team.secretariat, missing_items=[
        {"requirement_code": "ELI-01", "field": "evidence", "message": NOTE}])
    owner = owner_of(db.session, dossier.organisation)
    old = _previous_evidence(dossier)[0]
    new = add_evidence(db.session, dossier.organisation, actor=owner, app=dossier.app,
                       filename="finalite-v2.pdf", data=sample_pdf("Finalité, version 2"),
                       kind=old.kind, title="Note de finalité v2")
    dossiers.save_answer(db.session, dossier, "ELI-01", actor=owner, status=AnswerStatus.COMPLIANT,
                         justification="ELI-01 : mesure en place pour les patients adultes, voir pièce.",
                         evidence_ids=[new.id])
    dossiers.submit_dossier(db.session, dossier, actor=owner)
    dossier_id, old_name, old_hash, new_hash = dossier.id, old.filename, old.sha256, new.sha256
    db.commit()
    login(team.secretariat)
    html = client.get(f"/commission/dossiers/{dossier_id}").get_data(as_text=True)
    assert "Ce qui a changé depuis le tour précédent" in html
    assert (f"Pièce remplacée\u202f: {old_name} <code>{old_hash[:12]}</code> → finalite-v2.pdf "
            f"<code>{new_hash[:12]}</code>") in html
    assert "<ins>" in html and "patients adultes" in html
