"""Publisher pages over HTTP: self-assessment, uploads, submission, receipt, downloads, access."""

from __future__ import annotations

import io

from sqlalchemy import select

from catalogue import db
from catalogue.accounts.models import User
from catalogue.dossiers import evidence as evidence_files
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers.models import Answer, Dossier, DossierState, Evidence
from catalogue.dossiers.samples import sample_pdf
from tests.accounts.helpers import csrf_token
from tests.factories_publishers import fill_answers, owner_of


def _ready(session, make_dossier, login, client):
    dossier = make_dossier()
    owner = owner_of(session, dossier.organisation)
    db.commit()
    login(owner)
    return dossier, owner


def test_category_page_saves_answers_with_a_new_upload(client, login, session, make_dossier, clock):
    dossier, _owner = _ready(session, make_dossier, login, client)
    url = f"/editeur/dossiers/{dossier.id}/auto-evaluation/eligibility"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ELI-01" in html and "Pièces attendues" in html
    token = csrf_token(client, url)
    data = {"csrf_token": token, "status-ELI-01": "compliant",
            "justification-ELI-01": "Note de présentation jointe.",
            "kind-ELI-01": "purpose_statement", "title-ELI-01": "Note de finalité",
            "file-ELI-01": (io.BytesIO(sample_pdf("Finalité")), "note finalité.pdf")}
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    answer = session.scalar(select(Answer).where(Answer.dossier_id == dossier.id))
    assert answer.status.value == "compliant" and [e.title for e in answer.evidence] == ["Note de finalité"]
    assert answer.evidence[0].filename == "note finalité.pdf"


def test_a_disguised_file_is_refused_next_to_its_requirement_and_nothing_is_saved(
        client, login, session, make_dossier, clock):
    dossier, _owner = _ready(session, make_dossier, login, client)
    url = f"/editeur/dossiers/{dossier.id}/auto-evaluation/eligibility"
    data = {"csrf_token": csrf_token(client, url), "status-ELI-01": "compliant",
            "status-ELI-02": "compliant", "kind-ELI-01": "purpose_statement",
            "file-ELI-01": (io.BytesIO(b"<html><script>alert(1)</script></html>"), "note.pdf")}
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "ne peut pas être accepté" in html and 'href="#file-ELI-01"' in html
    assert session.scalar(select(Answer.id).where(Answer.dossier_id == dossier.id)) is None
    assert session.scalar(select(Evidence.id).where(Evidence.app_id == dossier.app_id)) is None


def test_submission_lists_problems_then_gives_a_printable_receipt(
        client, login, session, make_organisation, make_app_profile, make_dossier, make_user, clock):
    from catalogue.accounts.models import Role
    from catalogue.publishers import services as publishers

    organisation = make_organisation(verified=False)
    dossier = make_dossier(make_app_profile(organisation))
    owner = owner_of(session, organisation)
    dossier_id, owner_id = dossier.id, owner.id
    db.commit()
    login(owner)
    overview = f"/editeur/dossiers/{dossier_id}/auto-evaluation"
    response = client.post(f"/editeur/dossiers/{dossier_id}/deposer",
                           data={"csrf_token": csrf_token(client, overview)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "n'a pas été déposé" in html and "ELI-01" in html and "vérifiée par le secrétariat" in html
    # The request ended its session: reload what the test goes on with.
    dossier = session.get(Dossier, dossier_id)
    owner = session.get(User, owner_id)
    organisation = dossier.organisation
    fill_answers(session, dossier, owner)
    evidence_files.add_evidence(session, organisation, actor=owner, filename="kbis.pdf",
                          data=sample_pdf("Kbis"), kind="registration_extract", title="Kbis")
    publishers.verify_organisation(session, organisation, actor=make_user(roles=[Role.SECRETARIAT]))
    db.commit()
    response = client.post(f"/editeur/dossiers/{dossier_id}/deposer",
                           data={"csrf_token": csrf_token(client, overview)})
    assert response.status_code == 302
    assert response.location.endswith(f"/editeur/dossiers/{dossier_id}/accuse")
    receipt = client.get(response.location).get_data(as_text=True)
    dossier = session.get(Dossier, dossier_id)
    assert dossier.state == DossierState.SUBMITTED
    assert dossier.reference in receipt and "ENS 2026.1" in receipt
    count = len(dossier_queries.applicable_requirements(session, dossier))
    assert f"<dd class=\"col-sm-8\">{count}</dd>" in receipt
    answers = dossier_queries.current_answers(session, dossier)
    for evidence in {e for a in answers.values() for e in a.evidence}:
        assert evidence.sha256 in receipt
    again = client.post(f"/editeur/dossiers/{dossier_id}/deposer",
                        data={"csrf_token": csrf_token(client, overview)})
    assert again.status_code == 409 and "déjà été déposé" in again.get_data(as_text=True)


def test_download_headers_and_strangers_get_404(client, login, session, make_submitted_dossier, make_user,
                                                clock):
    dossier = make_submitted_dossier()
    owner = owner_of(session, dossier.organisation)
    evidence = next(iter(dossier_queries.current_answers(session, dossier).values())).evidence[0]
    stranger = make_user()
    db.commit()
    login(owner)
    response = client.get(f"/pieces/{evidence.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
    login(stranger)
    for url in (f"/pieces/{evidence.id}", f"/editeur/dossiers/{dossier.id}",
                f"/editeur/dossiers/{dossier.id}/accuse", f"/editeur/applications/{dossier.app_id}",
                f"/editeur/organisations/{dossier.organisation_id}",
                f"/editeur/dossiers/{dossier.id}/auto-evaluation/eligibility"):
        assert client.get(url).status_code == 404, url


def test_follow_up_page_shows_state_next_actor_and_withdrawal(client, login, session, make_submitted_dossier,
                                                              clock):
    dossier = make_submitted_dossier()
    owner = owner_of(session, dossier.organisation)
    dossier_id = dossier.id
    db.commit()
    login(owner)
    url = f"/editeur/dossiers/{dossier_id}"
    html = client.get(url).get_data(as_text=True)
    assert "Au secrétariat\u202f: il vérifie que le dossier est complet" in html and "Dossier déposé" in html
    response = client.post(f"{url}/retrait", data={"csrf_token": csrf_token(client, url), "reason": ""})
    assert response.status_code == 302
    assert "Indiquez le motif du retrait." in client.get(url).get_data(as_text=True)
    client.post(f"{url}/retrait",
                data={"csrf_token": csrf_token(client, url), "reason": "Refonte du produit."})
    dossier = session.get(Dossier, dossier_id)
    assert dossier.state == DossierState.WITHDRAWN


def test_every_refused_answer_of_a_category_is_listed_with_what_was_typed(
        client, login, session, make_dossier, clock):
    dossier, _owner = _ready(session, make_dossier, login, client)
    requirements = [r for r in dossier_queries.applicable_requirements(session, dossier)
                    if r.category == "eligibility"]
    strict = next(r.code for r in requirements if not r.allow_not_applicable)
    other, third = [r.code for r in requirements if r.code != strict][:2]
    url = f"/editeur/dossiers/{dossier.id}/auto-evaluation/eligibility"
    data = {"csrf_token": csrf_token(client, url), f"status-{strict}": "not_applicable",
            f"status-{other}": "compliant", f"evidence-{other}": ["abc"],
            f"valid_until-{other}": "2026-13-45", f"kind-{other}": "purpose_statement",
            f"file-{other}": (io.BytesIO(sample_pdf("Note")), "note.pdf"),
            f"status-{third}": "compliant", f"justification-{third}": "x" * 10_001}
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'href="#status-{strict}"' in html and "ne peut pas être déclarée non applicable" in html
    assert f'href="#valid_until-{other}"' in html and "Date invalide" in html
    assert f'href="#justification-{third}"' in html and "Texte trop long" in html
    assert f'id="status-{other}-compliant" value="compliant" checked' in html
    assert session.scalar(select(Answer.id).where(Answer.dossier_id == dossier.id)) is None
    assert session.scalar(select(Evidence.id).where(Evidence.app_id == dossier.app_id)) is None
