"""A new publisher, in a real browser: sign-up → registration extract → (secretariat verifies)
→ app profile → dossier → self-assessment with uploads → submission → receipt. Every page
visited is checked with axe-core at 1280 and 390 px."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from catalogue.dossiers.samples import sample_pdf

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]

# Runs in the live server's environment (its database and storage), through the services.
_SERVER_SIDE = """
import sys
from sqlalchemy import select
from catalogue import db
from catalogue.app import create_app
from catalogue.accounts.models import Role, User, UserRole
from catalogue.publishers import services as publishers
from catalogue.publishers.models import Organisation
from catalogue.dossiers import evidence as evidence_files
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers import services as dossiers
from catalogue.dossiers.models import Dossier
from catalogue.dossiers.samples import sample_pdf

app = create_app()
with app.app_context():
    session = db.session
    action, siren = sys.argv[1], sys.argv[2]
    organisation = session.scalar(select(Organisation).where(Organisation.siren == siren))
    if action == "verify":
        secretariat = session.scalar(select(User).join(UserRole, UserRole.user_id == User.id)
                                     .where(UserRole.role == Role.SECRETARIAT).limit(1))
        publishers.verify_organisation(session, organisation, actor=secretariat)
    else:  # answer every requirement outside the eligibility category, as the publisher would
        owner = session.scalar(select(User).where(User.email == sys.argv[3]))
        dossier = session.scalar(select(Dossier).where(Dossier.organisation_id == organisation.id))
        library, answers = {}, []
        for requirement in dossier_queries.applicable_requirements(session, dossier):
            if requirement.category == "eligibility":
                continue
            ids = []
            for kind in requirement.evidence or []:
                if kind not in library:
                    library[kind] = evidence_files.add_evidence(
                        session, organisation, actor=owner, app=dossier.app, filename=kind + ".pdf",
                        data=sample_pdf(kind), kind=kind, title=kind).id
                ids.append(library[kind])
            answers.append(dossiers.AnswerInput(requirement.code, "compliant", "Mesure en place.", ids))
        dossiers.save_answers(session, dossier, answers, actor=owner)
    db.commit()
"""


def _server_side(live_server, *args: str) -> None:
    result = subprocess.run([sys.executable, "-c", _SERVER_SIDE, *args], cwd=ROOT, env=live_server["env"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _siren() -> str:
    from catalogue.publishers.identifiers import luhn_valid

    body = f"{uuid.uuid4().int % 10**8:08d}"
    return next(body + str(k) for k in range(10) if luhn_valid(body + str(k)))


def test_new_publisher_files_a_dossier_with_uploads_and_gets_a_receipt(
        page, live_url, live_server, assert_accessible, tmp_path, mail_link_for, sign_in):
    email = f"editrice-{uuid.uuid4().hex[:8]}@exemple.fr"
    siren = _siren()
    pdf = tmp_path / "piece.pdf"

    # Sign-up, with a wrong SIREN first: the message sits next to the field.
    page.goto(live_url + "/inscription/editeur")
    assert_accessible(page)
    page.get_by_label("Vos nom et prénom").fill("Inès Martin")
    page.get_by_label("Votre adresse e-mail professionnelle").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill("Une phrase de passe solide")
    page.get_by_label("Confirmez le mot de passe").fill("Une phrase de passe solide")
    page.get_by_label("Raison sociale").fill("Soins Connectés SAS")
    page.get_by_label("SIREN", exact=True).fill(siren[:-1] + str((int(siren[-1]) + 1) % 10))
    page.get_by_label("Représentant légal").fill("Inès Martin, présidente")
    page.get_by_role("button", name="Créer le compte et l'organisation").click()
    expect(page.locator("#siren-error")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("SIREN", exact=True).fill(siren)
    page.get_by_label("Mot de passe", exact=True).fill("Une phrase de passe solide")
    page.get_by_label("Confirmez le mot de passe").fill("Une phrase de passe solide")
    page.get_by_role("button", name="Créer le compte et l'organisation").click()
    # The account opens once its address is confirmed by the link sent by e-mail.
    expect(page.get_by_role("heading", name="Vérifiez votre messagerie")).to_be_visible()
    page.goto(mail_link_for(email, "/compte/verification/"))
    sign_in(page, email, "Une phrase de passe solide")
    page.goto(live_url + "/editeur/")
    expect(page.get_by_role("heading", name="Soins Connectés SAS")).to_be_visible()
    expect(page.get_by_text("en attente de vérification").first).to_be_visible()
    assert_accessible(page)

    # Registration extract, then the secretariat verifies the organisation.
    pdf.write_bytes(sample_pdf("Extrait Kbis", [siren]))
    page.get_by_label("Extrait d'immatriculation (Kbis) de moins de trois mois").set_input_files(str(pdf))
    page.get_by_role("button", name="Déposer l'extrait").click()
    expect(page.get_by_text("Extrait d'immatriculation déposé. Le secrétariat")).to_be_visible()
    _server_side(live_server, "verify", siren)
    page.reload()
    expect(page.get_by_text("vérifiée", exact=True).first).to_be_visible()

    # The app profile (orientation questionnaire).
    page.get_by_role("link", name="Décrire une application").click()
    assert_accessible(page)
    page.get_by_label("Nom de l'application").fill("Respire Mieux")
    page.get_by_label("Résumé").fill("Exercices de respiration guidés pour les personnes asthmatiques.")
    page.get_by_label("Catégorie").select_option("chronic_disease")
    page.get_by_label("Personnes atteintes de maladie chronique").check()
    page.locator("input[name=platforms][value=web]").check()
    page.get_by_role("button", name="Enregistrer le profil").click()
    expect(page.get_by_role("heading", name="Respire Mieux")).to_be_visible()
    assert_accessible(page)

    # The dossier and the eligibility category, answered with uploads.
    page.get_by_role("button", name="Ouvrir un dossier de référencement").click()
    expect(page.get_by_role("heading", name="Auto-évaluation — Respire Mieux")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Éligibilité").first.click()
    assert_accessible(page)
    sections = page.locator("section.requirement")
    for index in range(sections.count()):
        section = sections.nth(index)
        code = section.get_attribute("id").removeprefix("req-")
        section.get_by_label("Conforme", exact=True).check()
        section.get_by_label("Justification").fill(f"{code} : pièce jointe.")
        section.get_by_text("Déposer une nouvelle pièce").click()
        piece = tmp_path / f"{code}.pdf"
        piece.write_bytes(sample_pdf(f"Pièce {code}", [email]))
        section.get_by_label("Fichier").set_input_files(str(piece))
        section.get_by_label("Titre de la pièce").fill(f"Pièce {code}")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_text("Réponses enregistrées.")).to_be_visible()
    assert_accessible(page)

    # The other categories are answered the same way (through the services, to keep the test short).
    _server_side(live_server, "answer", siren, email)
    page.get_by_role("link", name="Vue d'ensemble et éléments manquants").click()
    completeness = page.locator("#completude").locator("..").inner_text()
    assert "Toutes les exigences applicables sont renseignées." in completeness, completeness
    page.get_by_role("button", name="Déposer le dossier").click()

    # The receipt: reference, framework, applicable requirements, each evidence with its SHA-256.
    heading = re.compile(r"Accusé de réception du dossier ENS-\d{4}-\d{5}")
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    receipt = page.locator("main").inner_text()
    assert "ENS 2026.1" in receipt
    assert re.search(r"\b[0-9a-f]{64}\b", receipt)
    assert "Pièce ELI-01" in receipt
    assert_accessible(page)
    page.get_by_role("link", name="Suivre le dossier").click()
    # A click returns once the navigation commits, before the new page is parsed: wait on
    # what the page shows (``is_visible`` would read it at once and fail on a slow machine).
    expect(page.get_by_text(
        "Au secrétariat : il vérifie que le dossier est complet (recevabilité).")).to_be_visible()
    assert_accessible(page)
