"""The report and decision forms for 60–80 requirements (issue 13, item 3)."""

from __future__ import annotations

from sqlalchemy import select

from catalogue import db
from catalogue.audit.models import AuditEvent
from catalogue.commission import services as commission
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers.models import Dossier
from tests.accounts.helpers import post_form


def _setup(review_dossier, advance, session):
    dossier = advance(review_dossier(), "under_evaluation")
    progress = dossier_queries.progress(session, dossier, dossier_queries.current_answers(session, dossier))
    ids = {"dossier": dossier.id, "categories": [(p.code, [r.id for r in p.requirements],
                                                 [r.code for r in p.requirements]) for p in progress]}
    db.commit()
    return ids


def test_report_shows_one_category_with_counts_and_the_publishers_evidence(client, login, team,
                                                                          review_dossier, advance, session):
    ids = _setup(review_dossier, advance, session)
    (_first, first_ids, _codes), (second, second_ids, _c2) = ids["categories"][:2]
    login(team.rapporteurs[0])
    page = client.get(f"/commission/dossiers/{ids['dossier']}/rapport").text
    assert f'name="verdict-{first_ids[0]}"' in page and f'name="verdict-{second_ids[0]}"' not in page
    assert f"?categorie={second}" in page and "categorie=conclusion" in page
    assert f"0/{len(first_ids)}" in page
    assert "Réponse de l'éditeur" in page and 'class="sticky-save-bar"' in page
    assert "Marquer le reste de la catégorie conforme" in page


def test_saving_a_category_keeps_the_others_and_leads_to_the_next(client, login, team,
                                                                 review_dossier, advance, session):
    ids = _setup(review_dossier, advance, session)
    (first, first_ids, _c), (second, second_ids, _c2) = ids["categories"][:2]
    rapporteur = team.rapporteurs[0]
    login(rapporteur)
    url = f"/commission/dossiers/{ids['dossier']}/rapport"
    page = client.get(f"{url}?categorie=conclusion").text
    assert 'name="proposed_opinion"' in page and 'name="verdict-' not in page
    post_form(client, url, form_page=url, data={"categorie": "conclusion", "proposed_opinion": "favourable",
                                                "summary": "Solide.", "action": "save"})
    data = {"categorie": first, "action": "save-next", "proposed_opinion": "favourable", "summary": "Solide."}
    data |= {f"verdict-{rid}": "compliant" for rid in first_ids}
    response = post_form(client, url, form_page=url, data=data)
    assert response.status_code == 302, response.text[response.text.find("<main"):][:2500]
    assert response.headers["Location"].endswith(f"?categorie={second}")
    data = {"categorie": second, "action": "save", f"verdict-{second_ids[0]}": "compliant",
            "proposed_opinion": "favourable", "summary": "Solide."}
    response = post_form(client, url, form_page=url, data=data)
    assert response.headers["Location"].endswith(f"?categorie={second}")
    dossier = db.session.get(Dossier, ids["dossier"])
    report = commission.current_report(db.session, dossier, rapporteur)
    verdicts = {a.requirement_id: a.verdict.value for a in report.assessments if a.verdict}
    assert all(verdicts.get(rid) == "compliant" for rid in first_ids)  # kept when the second was saved
    assert verdicts.get(second_ids[0]) == "compliant"
    assert report.proposed_opinion.value == "favourable" and report.summary == "Solide."


def test_marking_the_rest_of_a_category_compliant_is_recorded_as_such(client, login, team,
                                                                     review_dossier, advance, session):
    ids = _setup(review_dossier, advance, session)
    category, req_ids, codes = next(c for c in ids["categories"] if len(c[1]) >= 2)
    rapporteur = team.rapporteurs[0]
    login(rapporteur)
    url = f"/commission/dossiers/{ids['dossier']}/rapport"
    response = post_form(client, url, form_page=url, data={
        "categorie": category, "action": "compliant-rest", f"verdict-{req_ids[0]}": "reservation",
        f"public-{req_ids[0]}": "Préciser la durée de conservation."})
    assert response.status_code == 302
    dossier = db.session.get(Dossier, ids["dossier"])
    report = commission.current_report(db.session, dossier, rapporteur)
    verdicts = {a.requirement_id: a.verdict.value for a in report.assessments if a.verdict}
    assert verdicts[req_ids[0]] == "reservation"
    assert all(verdicts[rid] == "compliant" for rid in req_ids[1:])
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "commission.report_saved")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.payload["marked_compliant"] == codes[1:]
    login(team.secretariat)
    history = client.get(f"/commission/dossiers/{ids['dossier']}").text
    assert "marquées conformes en bloc\u202f: " + ", ".join(codes[1:4]) in history


def test_decision_form_puts_motives_first_and_disables_a_refused_outcome(client, login, team,
                                                                        review_dossier, advance, session):
    dossier = advance(review_dossier(), "opinion_issued",
                      votes=["favourable_with_suspensive_reservations"] * 4, reservations="Chiffrer.")
    dossier_id = dossier.id
    db.commit()
    login(team.decision_maker)
    page = client.get(f"/commission/dossiers/{dossier_id}/decision").text
    assert 'id="outcome-referenced" disabled' in page
    assert "réserves suspensives n&#39;ont pas été levées" in page
    assert "exigence à motiver" in page or "exigences à motiver" in page
    assert "<details" in page
