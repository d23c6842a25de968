"""Publisher sign-up and organisation pages over HTTP."""

from __future__ import annotations

import re

from sqlalchemy import select

from catalogue import db
from catalogue.notifications.models import OutboxMessage
from catalogue.publishers import queries as publisher_queries
from catalogue.publishers.models import MemberRole, Membership, Organisation, OrganisationStatus
from tests.accounts.helpers import csrf_token, link_token, outbox, sign_in
from tests.factories_publishers import owner_of

SIGNUP = {"display_name": "Jeanne Martin", "email": "jeanne@sante-plus.fr",
          "password": "Une phrase de passe solide", "password_confirm": "Une phrase de passe solide",
          "legal_name": "Santé Plus SAS", "siren": "732 829 320", "siret": "", "address": "1 rue A",
          "postal_code": "75001", "city": "Paris", "legal_representative": "Jeanne Martin, présidente",
          "contact_email": "", "contact_phone": ""}


def test_signup_with_a_wrong_siren_says_so_next_to_the_field(client):
    data = {**SIGNUP, "siren": "732829321", "csrf_token": csrf_token(client, "/inscription/editeur")}
    response = client.post("/inscription/editeur", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "clé de contrôle" in html and 'id="siren-error"' in html and 'aria-invalid="true"' in html
    assert 'value="Santé Plus SAS"' in html


def test_signup_creates_the_account_and_the_organisation_usable_once_confirmed(client, session):
    data = {**SIGNUP, "csrf_token": csrf_token(client, "/inscription/editeur")}
    response = client.post("/inscription/editeur", data=data)
    assert response.status_code == 200
    assert "Vérifiez votre messagerie" in response.get_data(as_text=True)
    with client.session_transaction() as sess:
        assert "_user_id" not in sess  # not signed in before the address is confirmed
    organisation = session.scalar(select(Organisation).where(Organisation.siren == "732829320"))
    assert organisation.status == OrganisationStatus.PENDING
    [mail] = outbox("verify_email", "jeanne@sante-plus.fr")
    assert client.get("/compte/verification/" + link_token(mail, "/compte/verification/")
                      ).status_code == 302
    signed_in = sign_in(client, "jeanne@sante-plus.fr", SIGNUP["password"])
    assert signed_in.status_code == 302
    page = client.get(f"/editeur/organisations/{organisation.id}").get_data(as_text=True)
    assert "Santé Plus SAS" in page and "en attente de vérification" in page


def test_owner_invites_and_the_invitee_joins_with_a_new_account(client, login, session, make_organisation,
                                                                app):
    organisation = make_organisation()
    owner = owner_of(session, organisation)
    db.commit()
    login(owner)
    page = f"/editeur/organisations/{organisation.id}"
    response = client.post(f"{page}/invitations", data={"csrf_token": csrf_token(client, page),
                                                        "email": "paul@exemple.fr", "role": "editor"})
    assert response.status_code == 302
    mail = session.scalar(select(OutboxMessage).where(OutboxMessage.message == "invitation"))
    path = re.search(r"(/editeur/invitation/\S+)", mail.text_body).group(1)
    client.post("/deconnexion", data={"csrf_token": csrf_token(client, page)})
    other = app.test_client()
    form = other.get(path)
    assert form.status_code == 200 and "paul@exemple.fr" in form.get_data(as_text=True)
    response = other.post(path, data={"csrf_token": csrf_token(other, path), "display_name": "Paul",
                                      "password": "Encore une phrase solide"})
    assert response.status_code == 302
    from catalogue.accounts.services import find_user

    paul = find_user(session, "paul@exemple.fr")
    assert publisher_queries.member_role(session, organisation.id, paul.id) == MemberRole.EDITOR
    assert other.get(path).status_code == 400


def test_members_page_refuses_removing_the_last_owner(client, login, session, make_organisation):
    organisation = make_organisation()
    owner = owner_of(session, organisation)
    db.commit()
    login(owner)
    page = f"/editeur/organisations/{organisation.id}"
    membership = organisation.memberships[0]
    client.post(f"{page}/membres/{membership.id}/retirer", data={"csrf_token": csrf_token(client, page)})
    assert "au moins un propriétaire" in client.get(page).get_data(as_text=True)
    assert publisher_queries.member_role(session, organisation.id, owner.id) == MemberRole.OWNER


def test_owner_edits_details_but_an_editor_cannot(client, login, session, make_organisation, make_user):
    organisation = make_organisation()
    owner = owner_of(session, organisation)
    editor = make_user()
    session.add(Membership(organisation_id=organisation.id, user_id=editor.id, role=MemberRole.EDITOR))
    organisation_id = organisation.id
    db.commit()
    login(owner)
    url = f"/editeur/organisations/{organisation_id}/modifier"
    form = {"csrf_token": csrf_token(client, url), "legal_name": "Santé Plus SAS", "siret": "",
            "address": "2 rue B", "postal_code": "7500", "city": "Paris",
            "legal_representative": "Jeanne Martin", "contact_email": "", "contact_phone": ""}
    response = client.post(url, data=form)
    assert response.status_code == 422 and "5 chiffres" in response.get_data(as_text=True)
    response = client.post(url, data={**form, "postal_code": "75002"})
    assert response.status_code == 302
    assert session.get(Organisation, organisation_id).postal_code == "75002"
    login(editor)
    response = client.post(url, data={**form, "csrf_token": csrf_token(client, url), "city": "Lyon"})
    assert response.status_code == 422 and "propriétaire" in response.get_data(as_text=True)
    assert session.get(Organisation, organisation_id).city == "Paris"
