"""Forgotten password: signed, expiring, single-use links that end every session."""

from __future__ import annotations

from datetime import timedelta

from tests.accounts.helpers import fresh, link_token, outbox, post_form, sign_in, text
from tests.factories import PASSWORD

NEW = "une nouvelle phrase de passe"


def test_reset_answer_is_the_same_for_unknown_addresses(client, account):
    account(email="lea@example.org")
    known = post_form(client, "/mot-de-passe-oublie", {"email": "lea@example.org"})
    unknown = post_form(client, "/mot-de-passe-oublie", {"email": "personne@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert "Si un compte existe avec cette adresse" in text(known)
    assert "Si un compte existe avec cette adresse" in text(unknown)
    assert [m.recipient for m in outbox("password_reset")] == ["lea@example.org"]


def test_reset_link_sets_the_password_once_and_ends_sessions(app, client, account):
    user = account(email="lea@example.org")
    elsewhere = app.test_client()
    sign_in(elsewhere, "lea@example.org", PASSWORD)
    post_form(client, "/mot-de-passe-oublie", {"email": "lea@example.org"})
    token = link_token(outbox("password_reset")[0], "/mot-de-passe/nouveau/")
    url = f"/mot-de-passe/nouveau/{token}"
    mismatch = post_form(client, url, {"password": NEW, "password_confirm": "autre"})
    assert mismatch.status_code == 422
    done = post_form(client, url, {"password": NEW, "password_confirm": NEW})
    assert done.status_code == 302 and done.location == "/connexion"
    assert elsewhere.get("/compte/").status_code == 302
    used = client.get(url)
    assert used.status_code == 400 and "déjà été utilisé" in text(used)
    assert sign_in(client, "lea@example.org", PASSWORD).status_code == 422
    assert sign_in(client, "lea@example.org", NEW).status_code == 302
    assert fresh(user).email_verified_at is not None


def test_reset_link_expires_after_an_hour(client, account, clock):
    account(email="lea@example.org")
    post_form(client, "/mot-de-passe-oublie", {"email": "lea@example.org"})
    token = link_token(outbox("password_reset")[0], "/mot-de-passe/nouveau/")
    clock.shift(timedelta(minutes=61))
    expired = client.get(f"/mot-de-passe/nouveau/{token}")
    assert expired.status_code == 400 and "a expiré" in text(expired)


def test_reset_requests_are_rate_limited(client):
    for n in range(5):
        assert post_form(client, "/mot-de-passe-oublie", {"email": f"x{n}@example.org"}).status_code == 200
    limited = post_form(client, "/mot-de-passe-oublie", {"email": "x@example.org"})
    assert limited.status_code == 429


def test_signup_is_rate_limited(client):
    for n in range(5):
        response = post_form(client, "/inscription", {
            "email": f"p{n}@example.org", "password": "une longue phrase secrète",
            "password_confirm": "une longue phrase secrète"})
        assert response.status_code == 200
    limited = post_form(client, "/inscription", {
        "email": "p9@example.org", "password": "une longue phrase secrète",
        "password_confirm": "une longue phrase secrète"})
    assert limited.status_code == 429
    assert "Trop de tentatives" in text(limited)
