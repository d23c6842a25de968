"""The publisher's dossier page as a step tracker (issue 13, item 4)."""

from __future__ import annotations

from catalogue import db
from tests.factories_publishers import owner_of


def _page(client, login, session, dossier, lang="fr"):
    owner = owner_of(session, dossier.organisation)
    dossier_id = dossier.id
    db.commit()
    login(owner)
    return client.get(f"/editeur/dossiers/{dossier_id}?lang={lang}").text


def test_submitted_dossier_says_who_acts_next_in_a_whole_sentence(client, login, session, review_dossier):
    page = _page(client, login, session, review_dossier())
    assert 'aria-current="step"' in page and "Dépôt et recevabilité" in page
    assert "Au secrétariat\u202f: il vérifie que le dossier est complet" in page
    assert "Le délai d'instruction démarre quand le secrétariat déclare le dossier recevable." in page
    assert "Le dossier est " not in page and "Personne :" not in page
    assert "<details" in page and "Retirer le dossier" in page  # withdrawal folded away


def test_review_clock_is_a_progress_bar(client, login, session, review_dossier, advance):
    page = _page(client, login, session, advance(review_dossier(), "under_evaluation"))
    assert "<progress" in page and "sur 60 jours, échéance le" in page


def test_agreement_step_leads_to_the_agreement_with_its_duration_in_years(client, login, session,
                                                                          review_dossier, advance):
    page = _page(client, login, session, advance(review_dossier(), "agreement_pending"))
    assert 'href="#convention-section">Lire et accepter la convention' in page
    assert "3 ans" in page and "1095" not in page


def test_tracker_in_english(client, login, session, review_dossier):
    page = _page(client, login, session, review_dossier(), lang="en")
    assert "Submission and admissibility" in page
    assert "For the secretariat: it checks that the dossier is complete" in page
