"""Account home, language, notifications and the header badge."""

from __future__ import annotations

from sqlalchemy import select

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.notifications.models import Notification
from tests.accounts.helpers import fresh, post_form, text


def _notify(user, title, link=""):
    note = Notification(user_id=user.id, message="test", title=title, body="Corps", link=link)
    db.session.add(note)
    db.session.commit()
    return note


def test_account_home_links_to_every_account_page(client, account, login):
    user = account(email="lea@example.org", roles=[Role.PATIENT])
    login(user)
    page = text(client.get("/compte/"))
    for href in ("/compte/securite", "/compte/notifications", "/compte/connexions", "/compte/export",
                 "/compte/suppression"):
        assert f'href="{href}"' in page
    assert "lea@example.org" in page


def test_notifications_list_badge_and_mark_read(client, session, account, login):
    user = account(email="lea@example.org")
    other = account(email="autre@example.org")
    first = _notify(user, "Votre dossier a été reçu", "/editeur/")
    second = _notify(user, "Nouvelle demande", "https://evil.example/")
    theirs = _notify(other, "Pas pour vous")
    login(user)
    home = text(client.get("/compte/"))
    assert '2<span class="visually-hidden"> notifications non lues</span>' in home
    listing = text(client.get("/compte/notifications"))
    assert "Votre dossier a été reçu" in listing and "Pas pour vous" not in listing
    assert 'href="/editeur/"' in listing and "evil.example" not in listing
    post_form(client, f"/compte/notifications/{first.id}/lue", {}, form_page="/compte/notifications")
    assert fresh(first).read_at is not None and fresh(second).read_at is None
    # Someone else's notification is not touched.
    post_form(client, f"/compte/notifications/{theirs.id}/lue", {}, form_page="/compte/notifications")
    assert fresh(theirs).read_at is None
    post_form(client, "/compte/notifications/tout-lu", {}, form_page="/compte/notifications")
    assert fresh(second).read_at is not None
    assert "notifications non lues" not in text(client.get("/compte/"))
    unread = session.scalars(select(Notification.id).where(Notification.read_at.is_(None))).all()
    assert unread == [theirs.id]


def test_language_switch_by_query_and_by_account_setting(client, account, login):
    assert "Se connecter" in text(client.get("/connexion"))
    english = text(client.get("/connexion?lang=en"))
    assert '<html lang="en">' in english and "Sign in" in english
    assert "Forgotten password?" in english
    assert "Sign in" in text(client.get("/inscription"))  # the choice sticks for the visit
    user = account(email="lea@example.org")
    login(user)
    client.get("/connexion?lang=fr")
    response = post_form(client, "/compte/langue", {"locale": "en"}, form_page="/compte/")
    assert response.status_code == 302
    assert fresh(user).locale == "en"
    assert "My account" in text(client.get("/compte/"))


def test_english_error_page(client):
    response = client.get("/nulle-part?lang=en")
    assert response.status_code == 404
    assert "Page not found" in text(response)


def test_bad_locale_is_refused(client, account, login):
    user = account(email="lea@example.org")
    login(user)
    post_form(client, "/compte/langue", {"locale": "de"}, form_page="/compte/")
    assert fresh(user).locale == "fr"


def test_language_chosen_during_the_visit_sticks_for_a_signed_in_user(client, account, login):
    user = account(email="lea@example.org")
    login(user)
    assert "Mon compte" in text(client.get("/compte/"))
    client.get("/compte/?lang=en")
    assert "My account" in text(client.get("/compte/securite"))
