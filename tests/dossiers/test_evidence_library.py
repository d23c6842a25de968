"""An organisation-wide evidence library (issue 11, step 5): the same file serves every app
of the organisation, and the same file may be filed under several kinds."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from catalogue import db
from catalogue.audit.models import AuditEvent
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers.evidence import Upload, add_evidence_files
from catalogue.dossiers.models import Answer, Dossier, Evidence
from catalogue.dossiers.samples import sample_pdf
from catalogue.errors import ValidationFailed
from catalogue.storage.services import get_storage
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


def test_files_uploaded_together_are_stored_all_or_none(make_dossier: Any) -> None:
    """``add_evidence_files``: a refused file refuses the batch before anything is stored; an
    accepted batch gives one row per upload, the same content twice being one file filed
    under both kinds, each new file audited once."""
    dossier = make_dossier()
    owner = owner_of(db.session, dossier.organisation)
    other = sample_pdf("Politique de sécurité", ["Version 2"])
    storage_before = _stored_keys()
    library_before = db.session.scalar(select(func.count()).select_from(Evidence))

    def add(uploads: list[Upload]) -> list[Evidence]:
        return add_evidence_files(db.session, dossier.organisation, actor=owner, app=dossier.app,
                                  uploads=uploads)

    with pytest.raises(ValidationFailed) as refused:
        add([Upload("finalite.pdf", PDF, "purpose_statement", "Finalité"),
             Upload("faux.pdf", b"%PDF-1.4 not really", "security_policy", "Sécurité")])
    assert "file" in (refused.value.errors or {}) or refused.value.message
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == library_before
    assert _stored_keys() == storage_before

    rows = add([Upload("finalite.pdf", PDF, "purpose_statement", "  Note   de finalité "),
                Upload("securite.pdf", other, "security_policy", "Sécurité"),
                Upload("charte.pdf", PDF, "signed_charter", "Charte")])
    assert rows[0] is rows[2] and rows[0] is not rows[1]
    assert rows[0].title == "Note de finalité"
    assert rows[0].kinds == ["purpose_statement", "signed_charter"]
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == library_before + 2
    uploaded = db.session.scalars(select(AuditEvent.subject_id).order_by(AuditEvent.id)
                                  .where(AuditEvent.action == "evidence.uploaded")).all()
    assert uploaded[-2:] == [str(rows[0].id), str(rows[1].id)] and len(uploaded) == library_before + 2
    assert all(get_storage().exists(row.storage_key) for row in rows)


def _stored_keys() -> set[str]:
    root = Path(get_storage().root)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}
