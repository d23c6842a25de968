"""An organisation-wide evidence library (issue 11, step 5): the same file serves every app
of the organisation, and the same file may be filed under several kinds."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from sqlalchemy import select

from catalogue import db
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers.models import Answer, Dossier, Evidence
from catalogue.dossiers.samples import sample_pdf
from tests.accounts.helpers import csrf_token
from tests.factories_publishers import owner_of

PDF = sample_pdf("Note de finalité du service", ["Organisation commune aux deux applications"])


def _post(client: Any, dossier_id: int, code: str, kind: str, **extra: Any) -> Any:
    page = f"/editeur/dossiers/{dossier_id}/auto-evaluation/eligibility"
    return client.post(page, data={
        "csrf_token": csrf_token(client, page), f"status-{code}": "compliant",
        f"justification-{code}": "Voir la pièce jointe.", f"kind-{code}": kind,
        f"title-{code}": "Note de finalité", f"file-{code}": (io.BytesIO(PDF), "finalite.pdf"),
        **extra}, content_type="multipart/form-data")


def test_the_same_file_serves_two_apps_and_several_kinds(
        client: Any, login: Any, make_organisation: Any, make_app_profile: Any,
        make_dossier: Any) -> None:
    organisation = make_organisation()
    first = make_dossier(make_app_profile(organisation=organisation))
    second = make_dossier(make_app_profile(organisation=organisation))
    owner = owner_of(db.session, organisation)
    ids = first.id, second.id
    db.commit()
    login(owner)

    assert _post(client, ids[0], "ELI-01", "purpose_statement").status_code == 302
    # The second app of the organisation uploads the same PDF: no "ELI-01 : Pièce introuvable".
    answer = _post(client, ids[1], "ELI-01", "purpose_statement")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    digest = hashlib.sha256(PDF).hexdigest()
    stored = db.session.scalars(select(Evidence).where(Evidence.organisation_id == organisation.id,
                                                       Evidence.sha256 == digest)).all()
    assert len(stored) == 1
    saved = db.session.scalar(select(Answer).where(Answer.dossier_id == ids[1]))
    assert [e.id for e in saved.evidence] == [stored[0].id]
    evidence_id = stored[0].id
    # Picked from the library by the other app too.
    page = client.get(f"/editeur/dossiers/{ids[1]}/auto-evaluation/eligibility").get_data(as_text=True)
    assert "Note de finalité" in page

    # The same file under another kind: filed under both, never reported missing.
    response = _post(client, ids[1], "ELI-03", "signed_charter")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Evidence, evidence_id).kinds == ["purpose_statement", "signed_charter"]
    problems = dossier_queries.submission_problems(db.session, db.session.get(Dossier, ids[1]))
    assert not [p for p in problems if "ELI-03" in p.message and "pièce manquante" in p.message]


def test_an_expiring_certificate_warns_on_the_app_page(client: Any, login: Any,
                                                       make_app_profile: Any) -> None:
    from datetime import timedelta

    from catalogue.clock import today
    from catalogue.dossiers.evidence import add_evidence

    app = make_app_profile()
    owner = owner_of(db.session, app.organisation)
    add_evidence(db.session, app.organisation, actor=owner, app=app, filename="hds.pdf",
                 data=sample_pdf("Certificat HDS"), kind="hds_certificate", title="Certificat HDS",
                 valid_until=today() + timedelta(days=20))
    app_id = app.id
    db.commit()
    login(owner)
    page = client.get(f"/editeur/applications/{app_id}").get_data(as_text=True)
    assert "Certificat HDS" in page and "expire bientôt" in page
