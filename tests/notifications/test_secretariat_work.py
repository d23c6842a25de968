"""The secretariat is told of new work: a dossier submitted, an organisation awaiting
verification; in its notifications (in-app, with a link) and by e-mail."""

from __future__ import annotations

from typing import Any

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.dossiers.models import Dossier
from tests.accounts.helpers import csrf_token, outbox
from tests.factories_publishers import fill_answers, owner_of
from tests.publishers.test_views import SIGNUP


def test_a_submitted_dossier_shows_in_the_secretariats_notifications(
        app: Any, client: Any, login: Any, session: Any, make_dossier: Any, make_user: Any,
        clock: Any) -> None:
    secretariat = make_user(roles=[Role.SECRETARIAT], display_name="Sam Secrétariat")
    member = make_user(roles=[Role.MEMBER])
    dossier = make_dossier()
    owner = owner_of(session, dossier.organisation)
    fill_answers(session, dossier, owner)
    dossier_id, secretariat_email = dossier.id, secretariat.email
    app_name = dossier.app.name
    db.commit()
    for user in (owner, secretariat, member):  # loaded now: each sign-in ends a session
        assert user.get_id() and user.needs_second_factor in (True, False)
    # Each reader on its own client.
    as_secretariat = login(secretariat, on=app.test_client())
    as_member = login(member, on=app.test_client())
    login(owner)
    overview = f"/editeur/dossiers/{dossier_id}/auto-evaluation"
    response = client.post(f"/editeur/dossiers/{dossier_id}/deposer",
                           data={"csrf_token": csrf_token(client, overview)})
    assert response.status_code == 302
    reference = db.session.get(Dossier, dossier_id).reference

    html = as_secretariat.get("/compte/notifications").get_data(as_text=True)
    assert f"Nouveau dossier déposé : {reference} ({app_name})" in html
    assert f'href="/commission/dossiers/{dossier_id}"' in html
    [mail] = outbox("secretariat_dossier_submitted", secretariat_email)
    assert reference in mail.subject
    # Only the secretariat: a member of the commission is not told.
    assert reference not in as_member.get("/compte/notifications").get_data(as_text=True)


def test_a_new_organisation_shows_in_the_secretariats_notifications(
        client: Any, login: Any, make_user: Any) -> None:
    secretariat = make_user(roles=[Role.SECRETARIAT])
    secretariat.locale = "en"
    email = secretariat.email
    db.commit()
    data = {**SIGNUP, "csrf_token": csrf_token(client, "/inscription/editeur")}
    assert client.post("/inscription/editeur", data=data).status_code == 200
    login(secretariat)
    html = client.get("/compte/notifications").get_data(as_text=True)
    # In the secretariat member's language, with a link to the verification page.
    assert "Organisation to verify: Santé Plus SAS" in html
    assert 'href="/commission/organisations"' in html
    [mail] = outbox("secretariat_organisation_pending", email)
    assert mail.subject == "Organisation to verify: Santé Plus SAS"
