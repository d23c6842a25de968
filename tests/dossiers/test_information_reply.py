"""The reply to an information request offers the library by requirement, the questioned
requirements first (issue 13, item 4)."""

from __future__ import annotations

import re

from markupsafe import escape
from sqlalchemy import select

from catalogue import db
from catalogue.commission import services as commission
from catalogue.dossiers import evidence as evidence_files
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers.information import cited_codes
from catalogue.dossiers.models import InformationRequest
from catalogue.dossiers.samples import sample_pdf
from catalogue.frameworks.vocabulary import EVIDENCE_KINDS, evidence_label
from tests.accounts.helpers import csrf_token
from tests.factories_publishers import owner_of


def _questioned_dossier(session, team, review_dossier, advance):
    """A dossier whose request cites two requirements (one in lower case), late in the
    framework, and a library file that no requirement expects."""
    dossier = advance(review_dossier(), "under_evaluation")
    requirements = dossier_queries.applicable_requirements(session, dossier)
    with_files = [r for r in requirements if r.evidence]
    first, second = with_files[-1], with_files[-3]
    commission.request_information(
        session, dossier, actor=team.rapporteurs[0],
        questions=f"Précisez l'hébergement des sauvegardes ({first.code}) et joignez le plan "
                  f"prévu par l'exigence {second.code.lower()}.")
    expected = {k for r in requirements for k in r.evidence or []}
    stray_kind = next(k for k in EVIDENCE_KINDS if k not in expected)
    owner = owner_of(session, dossier.organisation)
    stray = evidence_files.add_evidence(session, dossier.organisation, actor=owner, filename="note.pdf",
                                        data=sample_pdf("Note libre"), kind=stray_kind,
                                        title="Note libre sur les sauvegardes")
    return dossier, owner, requirements, (second, first), stray


def test_reply_offers_the_questioned_requirements_first_and_folds_the_rest(
        client, login, session, team, review_dossier, advance):
    dossier, owner, requirements, questioned, stray = _questioned_dossier(session, team, review_dossier,
                                                                         advance)
    dossier_id = dossier.id
    db.commit()
    login(owner)
    page = client.get(f"/editeur/dossiers/{dossier_id}").text
    form = page[page.index('class="reply-evidence'):page.index("Envoyer la réponse")]
    legends = re.findall(
        r'<legend class="fs-6[^"]*"><span class="req-code">([^<]+)</span> — ([^<]+)</legend>', form)
    codes = [code for code, _title in legends]
    # Questioned first, in framework order, open (outside any <details>); then the others.
    assert codes[:2] == [r.code for r in questioned]
    assert legends[0][1] == questioned[0].title
    folded = form[form.index("<details"):]
    assert 'id="reply-' + questioned[0].code not in folded
    assert set(codes[2:]) <= {r.code for r in requirements} - {r.code for r in questioned}
    assert len(codes) > 10 and codes[2:] == [r.code for r in requirements if r.code in codes[2:]]
    # Each folded category is a <details> named by its title; the stray file comes last.
    assert "<summary>Hébergement" in folded and "<summary>Sécurité" in folded
    assert folded.rindex("Note libre sur les sauvegardes") > folded.index("Autres pièces de la bibliothèque")
    assert form.count(f'value="{stray.id}"') == 1
    # Each file says what it is (its kind's label) and whether the answer already has it.
    assert f"({escape(evidence_label(stray.kind))})" in form and "déjà jointe à votre réponse" in form


def test_reply_in_english_shows_the_english_titles(client, login, session, team, review_dossier, advance):
    dossier, owner, _requirements, questioned, _stray = _questioned_dossier(session, team, review_dossier,
                                                                           advance)
    dossier_id = dossier.id
    db.commit()
    login(owner)
    page = client.get(f"/editeur/dossiers/{dossier_id}?lang=en").text
    assert f'<span class="req-code">{questioned[0].code}</span> — {questioned[0].title_en}</legend>' in page
    assert "Other files in the library" in page


def test_a_file_ticked_under_two_requirements_is_sent_once(client, login, session, team, review_dossier,
                                                           advance):
    dossier, owner, _requirements, _questioned, stray = _questioned_dossier(session, team, review_dossier,
                                                                           advance)
    dossier_id = dossier.id
    db.commit()
    login(owner)
    url = f"/editeur/dossiers/{dossier_id}"
    response = client.post(f"{url}/complements", data={
        "csrf_token": csrf_token(client, url), "answer": "Sauvegardes chez un hébergeur HDS.",
        "evidence": [str(stray.id), str(stray.id)]})
    assert response.status_code == 302
    request = session.scalar(select(InformationRequest).where(InformationRequest.dossier_id == dossier_id))
    assert request.answered_at is not None and request.answer_evidence_ids == [stray.id]


def test_cited_codes_are_whole_codes_in_any_case():
    cited = cited_codes("Voir sec-01 et HEB-02.", ["SEC-01", "SEC-010", "HEB-02", "HEB-0"])
    assert cited == {"SEC-01", "HEB-02"}
    assert cited_codes("Aucune exigence citée.", ["SEC-01"]) == set()
