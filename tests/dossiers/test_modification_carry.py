"""Requirements that a proposed profile makes applicable start from what the organisation
already said (an earlier dossier of the app) or holds (its evidence library): only what is
truly new needs writing (issue 11, step 2)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from catalogue import db
from catalogue.audit.models import AuditEvent
from catalogue.dossiers import evidence as evidence_files
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers import services as dossiers
from catalogue.dossiers.models import AnswerStatus, Dossier, DossierKind, DossierState
from catalogue.dossiers.modification import save_proposed_profile
from catalogue.dossiers.samples import sample_pdf
from tests.accounts.helpers import csrf_token
from tests.dossiers.test_modification import NEW_FACTS
from tests.factories_publishers import owner_of

WITH_AI = ["processes_health_data", "uses_ai"]


def test_added_requirements_take_earlier_answers_then_library_files(
        client: Any, login: Any, make_listing: Any) -> None:
    listing = make_listing()
    app = listing.app
    owner = owner_of(db.session, app.organisation)
    # An earlier modification proposed AI, answered IA-01, then was withdrawn.
    first = dossiers.open_dossier(db.session, app, actor=owner, kind=DossierKind.MODIFICATION)
    save_proposed_profile(db.session, first, actor=owner, version=first.profile_version,
                          predicates=WITH_AI)
    factsheet = evidence_files.add_evidence(
        db.session, app.organisation, actor=owner, app=app, filename="fiche-ia.pdf",
        data=sample_pdf("Fiche IA", [app.name]), kind="ai_factsheet", title="Fiche IA")
    dossiers.save_answer(db.session, first, "IA-01", actor=owner, status="compliant",
                         justification="Modèle décrit dans la fiche IA, version 3.",
                         evidence_ids=[factsheet.id])
    dossiers.withdraw_dossier(db.session, first, actor=owner, reason="Reporté.")
    first_id, factsheet_id = first.id, factsheet.id
    app_id = app.id
    db.commit()

    login(owner)
    page = f"/editeur/applications/{app_id}"
    client.post(f"{page}/dossiers", data={"kind": "modification", "csrf_token": csrf_token(client, page)})
    dossier = db.session.scalar(select(Dossier).where(
        Dossier.app_id == app_id, Dossier.kind == DossierKind.MODIFICATION,
        Dossier.state == DossierState.DRAFT))
    dossier_id = dossier.id
    url = f"/editeur/dossiers/{dossier_id}/profil-propose"
    saved = client.post(url, data={**NEW_FACTS, "version": "1", "csrf_token": csrf_token(client, url)})
    assert saved.status_code == 302

    dossier = db.session.get(Dossier, dossier_id)
    answers = {a.requirement.code: a for a in dossier_queries.current_answers(db.session, dossier).values()}
    # IA-01: the earlier answer, word for word, with its evidence.
    assert answers["IA-01"].status == AnswerStatus.COMPLIANT
    assert answers["IA-01"].justification == "Modèle décrit dans la fiche IA, version 3."
    assert [e.id for e in answers["IA-01"].evidence] == [factsheet_id]
    # IA-02, never answered: the library's fact sheet is attached, the status is left to give.
    assert answers["IA-02"].status is None and factsheet_id in {e.id for e in answers["IA-02"].evidence}
    category = client.get(f"/editeur/dossiers/{dossier_id}/auto-evaluation/ai").get_data(as_text=True)
    assert "Modèle décrit dans la fiche IA, version 3." in category
    dossier = db.session.get(Dossier, dossier_id)
    problems = " ".join(p.message for p in dossier_queries.completeness(db.session, dossier).problems)
    assert "IA-02" in problems and "IA-01" not in problems
    proposed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "dossier.profile_proposed",
                                                          AuditEvent.subject_id == str(dossier_id)))
    assert proposed.payload["answers_carried"]["IA-01"] == first_id
    assert proposed.payload["answers_carried"]["IA-02"] == "library"
