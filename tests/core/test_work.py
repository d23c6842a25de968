"""Each role lands on its own work after sign-in; counts open the filtered lists (issue 13)."""

from __future__ import annotations

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.commission import services as commission
from tests.accounts.helpers import sign_in
from tests.factories import PASSWORD


def test_sign_in_lands_on_the_work_page_and_totp_keeps_it(client, make_user, session):
    make_user(email="patiente@example.org", roles=[Role.PATIENT])
    secretary = make_user(email="secretariat@example.org", roles=[Role.SECRETARIAT])
    admin = make_user(email="admin@example.org", roles=[Role.ADMIN])
    session.commit()
    response = sign_in(client, "patiente@example.org", PASSWORD)
    assert response.headers["Location"] == "/travail"
    assert "Mes applications connectées" in client.get("/travail").text
    other = client.application.test_client()
    response = sign_in(other, secretary.email, PASSWORD)
    assert response.headers["Location"].endswith("/connexion/totp?next=/travail")
    third = client.application.test_client()
    assert sign_in(third, admin.email, PASSWORD).headers["Location"].endswith("next=/admin/")


def test_second_factor_redirect_has_no_dangling_question_mark(client, make_user, session):
    make_user(email="secretariat@example.org", roles=[Role.SECRETARIAT])
    session.commit()
    sign_in(client, "secretariat@example.org", PASSWORD)
    response = client.get("/commission/")
    assert response.headers["Location"].endswith("next=/commission/")


def test_secretariat_counts_link_to_the_filtered_queue(client, login, team, review_dossier, advance):
    waiting = review_dossier(name="Sans Rapporteur")
    assigned = review_dossier(name="Avec Rapporteur")
    commission.assign_rapporteurs(db.session, assigned, [r.id for r in team.rapporteurs[:2]],
                                  actor=team.secretariat, override_reason="Compétences.")
    waiting_name, assigned_name = waiting.app.name, assigned.app.name
    db.commit()
    login(team.secretariat)
    page = client.get("/travail").text
    link = 'href="/commission/dossiers?etat=submitted&amp;sans_rapporteur=1"'
    assert link in page
    count = page.split(link)[1].split("</span>")[0]
    assert count.strip().endswith(">1")
    queue = client.get("/commission/dossiers?etat=submitted&sans_rapporteur=1").text
    assert waiting_name in queue and assigned_name not in queue
    full = client.get("/commission/dossiers?etat=submitted").text
    assert "Rapporteur 1" in full  # the rapporteurs column


def test_rapporteur_sees_reports_due_with_days_left(client, login, team, review_dossier, advance):
    dossier = advance(review_dossier(), "under_evaluation")
    reference, dossier_id = dossier.reference, dossier.id
    db.commit()
    login(team.rapporteurs[0])
    page = client.get("/travail").text
    assert "Mes rapports" in page and reference in page
    assert "jours" in page and f"/commission/dossiers/{dossier_id}/rapport" in page


def test_decision_maker_sees_decisions_with_the_opinion(client, login, team, review_dossier, advance):
    dossier = advance(review_dossier(), "opinion_issued")
    reference, dossier_id = dossier.reference, dossier.id
    db.commit()
    login(team.decision_maker)
    page = client.get("/travail?lang=en").text
    assert "Decisions to make" in page and "Décisions à prendre" not in page
    assert reference in page and "badge-favourable" in page
    assert f"/commission/dossiers/{dossier_id}/decision" in page


def test_member_sees_the_next_session_with_proposed_opinions(client, login, team, review_dossier, advance):
    reference = advance(review_dossier(), "scheduled").reference
    db.commit()
    login(team.members[0])
    page = client.get("/travail").text
    assert "Prochaine séance" in page and reference in page
    assert "Rapporteur 1, Rapporteur 2" in page and "badge-favourable" in page


def test_queue_sorts_by_a_column_both_ways(client, login, team, review_dossier):
    review_dossier(name="Zèbre")
    review_dossier(name="Abeille")
    db.commit()
    login(team.secretariat)
    ascending = client.get("/commission/dossiers?tri=application").text
    assert ascending.index("Abeille") < ascending.index("Zèbre")
    assert 'aria-sort="ascending"' in ascending
    descending = client.get("/commission/dossiers?tri=-application").text
    assert descending.index("Zèbre") < descending.index("Abeille")


def test_publisher_sees_each_dossier_with_its_next_step(client, login, review_dossier, session):
    from tests.factories_publishers import owner_of

    dossier = review_dossier()
    owner = owner_of(session, dossier.organisation)
    legal_name = dossier.organisation.legal_name
    db.commit()
    login(owner)
    page = client.get("/travail").text
    assert legal_name in page
    assert "Au secrétariat\u202f: il vérifie que le dossier est complet" in page
