"""The commission pages over HTTP: access, refusals with their reason, the flows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.clock import now, today
from catalogue.commission import queries as commission_queries
from catalogue.commission import services as commission
from catalogue.commission import sessions as commission_sessions
from catalogue.commission.models import AgendaItem, Assignment, Opinion
from catalogue.core import formatting
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers.models import DossierState
from tests.factories_commission import open_with_attendance

S = DossierState


@pytest.fixture(autouse=True)
def _no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


class CommittingClient(FlaskClient):
    """Commits the test's work before each request: a request ends with a rollback and
    closes the scoped session, which would otherwise drop what the test just built."""

    def open(self, *args, **kwargs):
        db.session.commit()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    return CommittingClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def login(login):
    def do(user, **kwargs):
        db.session.commit()
        return login(user, **kwargs)

    return do


def fresh(obj):
    """The row as the database has it now (requests close the session the test used)."""
    return db.session.get(type(obj), obj.id)


def test_commission_pages_need_the_second_factor_and_a_commission_role(client, login, team, make_user):
    assert client.get("/commission/").status_code == 302
    login(team.secretariat, second_factor=False)
    response = client.get("/commission/")
    assert response.status_code == 302 and "/connexion/totp" in response.headers["Location"]
    login(make_user(roles=[Role.PATIENT]))
    assert client.get("/commission/").status_code == 403


@pytest.mark.parametrize("path", ["/commission/", "/commission/dossiers", "/commission/seances",
                                  "/commission/interets", "/commission/organisations",
                                  "/commission/fiches", "/commission/signalements"])
def test_secretariat_pages_render(client, login, team, review_dossier, advance, path):
    advance(review_dossier(), "under_evaluation")
    login(team.secretariat)
    response = client.get(path)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Cache-Control"] == "no-store"


def test_queue_filters_and_puts_overdue_first(client, login, team, review_dossier, advance, clock):
    late = advance(review_dossier(name="Tardive"), "under_evaluation")
    clock.shift(timedelta(days=70))
    fresh = advance(review_dossier(name="Récente"), "under_evaluation")
    submitted = review_dossier(name="Déposée")
    login(team.secretariat)
    page = client.get("/commission/dossiers").text
    assert page.index(late.reference) < page.index(fresh.reference)
    assert "en retard" in page
    page = client.get("/commission/dossiers?etat=submitted").text
    assert submitted.reference in page and late.reference not in page
    page = client.get("/commission/dossiers?retard=1").text
    assert late.reference in page and fresh.reference not in page
    page = client.get("/commission/dossiers", query_string={"q": "récente"}).text
    assert fresh.reference in page and late.reference not in page


def test_queue_shows_open_dossiers_by_default(client, login, team, review_dossier, advance):
    refused = advance(review_dossier(), "refused", outcome="refused")
    waiting = review_dossier()
    login(team.secretariat)
    page = client.get("/commission/dossiers").text
    assert waiting.reference in page and refused.reference not in page
    assert refused.reference in client.get("/commission/dossiers?etat=refused").text


def test_accept_without_rapporteurs_shows_the_reason(client, login, team, review_dossier):
    dossier = review_dossier()
    login(team.secretariat)
    page = client.get(f"/commission/dossiers/{dossier.id}").text
    assert "Deux rapporteurs distincts doivent être désignés" in page
    response = client.post(f"/commission/dossiers/{dossier.id}/recevable", follow_redirects=True)
    assert response.status_code == 200
    assert "Deux rapporteurs distincts" in response.text
    assert fresh(dossier).state == S.SUBMITTED


def test_admissibility_through_the_pages(client, login, team, review_dossier, session):
    dossier = review_dossier()
    login(team.secretariat)
    page = client.get(f"/commission/dossiers/{dossier.id}/rapporteurs")
    assert "proposé" in page.text
    proposed = [u.id for u in commission.propose_rapporteurs(session, dossier)]
    response = client.post(f"/commission/dossiers/{dossier.id}/rapporteurs",
                           data={"rapporteur_ids": [str(i) for i in proposed]})
    assert response.status_code == 302
    response = client.post(f"/commission/dossiers/{dossier.id}/recevable")
    assert response.status_code == 302
    assert fresh(dossier).state == S.UNDER_EVALUATION


def test_override_without_reason_is_refused_next_to_the_field(client, login, team, review_dossier, session):
    dossier = review_dossier()
    proposed = {u.id for u in commission.propose_rapporteurs(session, dossier)}
    other = next(r.id for r in team.rapporteurs if r.id not in proposed)
    login(team.secretariat)
    response = client.post(f"/commission/dossiers/{dossier.id}/rapporteurs",
                           data={"rapporteur_ids": [str(other), str(next(iter(proposed)))]})
    assert response.status_code == 422
    assert 'id="override_reason-error"' in response.text and "indiquez pourquoi" in response.text


def test_declare_incomplete_field_by_field(client, login, team, review_dossier, session):
    dossier = review_dossier()
    code = dossier_queries.applicable_requirements(session, dossier)[0].code
    login(team.secretariat)
    response = client.post(f"/commission/dossiers/{dossier.id}/incomplet", data={})
    assert response.status_code == 422 and "élément manquant" in response.text
    response = client.post(f"/commission/dossiers/{dossier.id}/incomplet",
                           data={f"missing-{code}": "Pièce illisible."})
    assert response.status_code == 302 and fresh(dossier).state == S.INCOMPLETE


def test_rapporteur_sees_only_assigned_dossiers(client, login, team, review_dossier, advance):
    dossier = advance(review_dossier(), "under_evaluation")
    login(team.rapporteurs[2])
    assert client.get(f"/commission/dossiers/{dossier.id}").status_code == 404
    assert client.get(f"/commission/dossiers/{dossier.id}/rapport").status_code == 404
    login(team.rapporteurs[0])
    assert client.get(f"/commission/dossiers/{dossier.id}").status_code == 200


def test_conflicted_member_never_sees_the_dossier(client, login, team, review_dossier, advance, session):
    dossier = advance(review_dossier(), "scheduled")
    member = team.members[0]
    login(member)
    assert client.get(f"/commission/dossiers/{dossier.id}").status_code == 200
    commission.declare_interest(session, actor=member, organisation_id=dossier.organisation_id,
                                nature="Associé", started_on=today())
    assert client.get(f"/commission/dossiers/{dossier.id}").status_code == 404
    login(team.secretariat)
    assert "Associé" in client.get("/commission/interets").text


def test_report_form_files_a_report(client, login, team, review_dossier, advance, session):
    dossier = advance(review_dossier(), "under_evaluation")
    requirements = dossier_queries.applicable_requirements(session, dossier)
    login(team.rapporteurs[0])
    data = {f"verdict-{r.id}": "compliant" for r in requirements}
    data["action"] = "file"
    response = client.post(f"/commission/dossiers/{dossier.id}/rapport", data=data)
    assert response.status_code == 422 and "Proposez un avis" in response.text
    data["proposed_opinion"] = "favourable"
    data[f"verdict-{requirements[0].id}"] = "reservation"
    response = client.post(f"/commission/dossiers/{dossier.id}/rapport", data=data)
    assert response.status_code == 422 and f'id="public-{requirements[0].id}-error"' in response.text
    data[f"public-{requirements[0].id}"] = "Préciser la durée de conservation."
    assert client.post(f"/commission/dossiers/{dossier.id}/rapport", data=data).status_code == 302
    assert commission.current_report(session, fresh(dossier), fresh(team.rapporteurs[0])).filed_at is not None


def test_session_flow_over_http(client, login, team, review_dossier, advance, session):
    dossier = advance(review_dossier(), "ready_for_commission")
    login(team.secretariat)
    response = client.post("/commission/seances/nouvelle", data={
        "title": "Séance de mars", "scheduled_at": (now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "location": "Salle 2", f"position-{dossier.id}": "1"})
    assert response.status_code == 302, response.text
    item = session.scalar(select(AgendaItem).where(AgendaItem.dossier_id == dossier.id))
    sid = item.session_id
    login(team.chair)
    client.post(f"/commission/seances/{sid}/ouvrir")
    client.post(f"/commission/seances/{sid}/presences",
                data={"present": [str(u.id) for u in team.voters[:3]]})
    # An absent member's vote is refused with the reason.
    login(team.members[3])
    response = client.post(f"/commission/seances/{sid}/points/{item.id}/vote", data={"choice": "favourable"},
                           follow_redirects=True)
    assert "Seuls les membres enregistrés comme présents" in response.text
    for voter in team.voters[:2]:
        login(voter)
        assert client.post(f"/commission/seances/{sid}/points/{item.id}/vote",
                           data={"choice": "favourable"}).status_code == 302
    login(team.members[0])
    response = client.post(f"/commission/seances/{sid}/points/{item.id}/vote",
                           data={"choice": "unfavourable"}, follow_redirects=True)
    assert "déjà voté" in response.text
    login(team.chair)
    page = client.get(f"/commission/seances/{sid}").text
    assert "Avis résultant du vote\u202f: Favorable" in page
    client.post(f"/commission/seances/{sid}/points/{item.id}/avis", data={"reservations": ""})
    assert fresh(dossier).state == S.OPINION_ISSUED
    client.post(f"/commission/seances/{sid}/clore")
    minutes = client.get(f"/commission/seances/{sid}/proces-verbal")
    assert minutes.status_code == 200 and "Avis de la commission" in minutes.text
    download = client.get(f"/commission/seances/{sid}/proces-verbal.md")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "Membre 4 : absent" in download.text


def test_decision_refusal_is_explained_and_referencing_works(client, login, team, review_dossier, advance):
    dossier = advance(review_dossier(), "opinion_issued")
    login(team.decision_maker)
    response = client.post(f"/commission/dossiers/{dossier.id}/decision",
                           data={"outcome": "refused", "motivation": "Non."})
    assert response.status_code == 422 and "exigence par exigence" in response.text
    response = client.post(f"/commission/dossiers/{dossier.id}/decision",
                           data={"outcome": "referenced", "motivation": "Avis favorable unanime."})
    assert response.status_code == 302 and fresh(dossier).state == S.AGREEMENT_PENDING


def test_opinion_without_quorum_is_refused_on_the_page(client, login, team, review_dossier, advance, session):
    dossier = advance(review_dossier(), "scheduled")
    item = session.scalar(select(AgendaItem).where(AgendaItem.dossier_id == dossier.id))
    open_with_attendance(item.session, team, present=[team.chair])
    commission_sessions.cast_vote(session, item, actor=team.chair, choice="favourable")
    login(team.chair)
    response = client.post(f"/commission/seances/{item.session_id}/points/{item.id}/avis",
                           data={}, follow_redirects=True)
    assert "Quorum non atteint" in response.text
    assert session.scalar(select(Opinion).where(Opinion.dossier_id == dossier.id)) is None


def test_dashboard_lists_a_rapporteurs_assignments(client, login, team, review_dossier, advance, session):
    dossier = advance(review_dossier(), "under_evaluation")
    assert session.scalar(select(Assignment).where(Assignment.dossier_id == dossier.id)) is not None
    login(team.rapporteurs[0])
    page = client.get("/commission/").text
    assert dossier.reference in page and formatting.day(dossier.review_due_on, locale="fr") in page


def test_queue_page_has_no_n_plus_one(client, login, team, review_dossier, advance, count_queries):
    for _ in range(3):
        advance(review_dossier(), "under_evaluation")
    login(team.secretariat)
    with count_queries() as few:
        client.get("/commission/dossiers")
    for _ in range(4):
        advance(review_dossier(), "under_evaluation")
    with count_queries() as more:
        client.get("/commission/dossiers")
    assert more.count == few.count


def test_listing_suspension_reinstatement_and_delisting_pages(client, login, team, review_dossier,
                                                               advance, session):
    from catalogue.dossiers import services as dossiers
    from catalogue.listings.models import Listing

    dossier = advance(review_dossier(), "agreement_pending")
    dossiers.sign_agreement(session, dossier, actor=commission_queries.publisher_members(session, dossier)[0])
    listing = session.scalar(select(Listing).where(Listing.app_id == dossier.app_id))
    login(team.secretariat)
    assert dossier.app.name in client.get("/commission/fiches").text
    response = client.post(f"/commission/fiches/{listing.id}/suspendre", data={"reason": ""},
                           follow_redirects=True)
    assert fresh(listing).state.value == "published" and "alert-danger" in response.text
    client.post(f"/commission/fiches/{listing.id}/suspendre", data={"reason": "Faille de sécurité."})
    assert fresh(listing).state.value == "suspended"
    # Only the decision maker delists.
    client.post(f"/commission/fiches/{listing.id}/dereferencer", data={"reason": "Manquement grave."})
    assert fresh(listing).state.value == "suspended"
    login(team.decision_maker)
    client.post(f"/commission/fiches/{listing.id}/dereferencer", data={"reason": "Manquement grave."})
    assert fresh(listing).state.value == "delisted"


def test_organisation_verification_page(client, login, team, make_user, session):
    from catalogue.publishers import services as publishers
    from tests.factories_commission import luhn_siren

    owner = make_user()
    organisation = publishers.register_publisher(session, user=owner, legal_name="Nouvel Éditeur SAS",
                                                 siren=luhn_siren(55_123_456))
    login(team.secretariat)
    assert "Nouvel Éditeur SAS" in client.get("/commission/organisations").text
    response = client.post(f"/commission/organisations/{organisation.id}/verification",
                           data={"decision": "approve"}, follow_redirects=True)
    assert "Kbis" in response.text
    client.post(f"/commission/organisations/{organisation.id}/verification",
                data={"decision": "reject", "reason": "SIREN radié."})
    assert fresh(organisation).status.value == "rejected"


def test_conflicted_secretary_does_not_see_the_publishers_dossiers_in_the_queue(
        client, login, team, review_dossier, make_user, session):
    dossier = review_dossier()
    other = make_user(roles=[Role.SECRETARIAT])
    commission.declare_interest(session, actor=other, organisation_id=dossier.organisation_id,
                                nature="Frère du dirigeant", started_on=today())
    login(other)
    assert dossier.reference not in client.get("/commission/dossiers").text
    assert client.get(f"/commission/dossiers/{dossier.id}").status_code == 404
    login(team.secretariat)
    assert dossier.reference in client.get("/commission/dossiers").text
