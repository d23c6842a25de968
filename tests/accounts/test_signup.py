"""Patient sign-up and e-mail verification links."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from catalogue.accounts.models import Role, User
from catalogue.audit.models import AuditEvent
from tests.accounts.helpers import fresh, link_token, outbox, post_form, text
from tests.factories import PASSWORD

GOOD = {"email": "Camille.Durand@Example.org", "password": "une longue phrase secrète",
        "password_confirm": "une longue phrase secrète", "display_name": "Camille"}


def test_signup_creates_unverified_patient_and_sends_verification(client, session):
    response = post_form(client, "/inscription", GOOD)
    assert response.status_code == 200
    assert "Vérifiez votre messagerie" in text(response)
    user = session.scalar(select(User).where(User.email == "camille.durand@example.org"))
    assert user is not None and user.role_set == {Role.PATIENT}
    assert user.email_verified_at is None
    assert user.password_hash.startswith("$argon2id$")
    [mail] = outbox("verify_email", "camille.durand@example.org")
    assert "/compte/verification/" in mail.text_body


def test_signup_with_taken_address_reveals_nothing_and_warns_the_owner(client, session, account):
    owner = account(email="deja@example.org")
    response = post_form(client, "/inscription", {**GOOD, "email": "DEJA@example.org"})
    assert response.status_code == 200
    assert "Vérifiez votre messagerie" in text(response)
    assert session.scalar(select(func.count()).select_from(User).where(
        User.email == "deja@example.org")) == 1
    assert [m.recipient for m in outbox("account_exists")] == [owner.email]
    assert outbox("verify_email") == []


def test_signup_errors_are_next_to_fields_and_keep_input(client, session):
    response = post_form(client, "/inscription", {**GOOD, "password_confirm": "autre chose encore"})
    assert response.status_code == 422
    page = text(response)
    assert "Les deux mots de passe ne sont pas identiques." in page
    assert 'id="password_confirm-error"' in page and 'aria-describedby="password_confirm-error"' in page
    assert 'value="Camille.Durand@Example.org"' in page
    short = post_form(client, "/inscription", {**GOOD, "password": "court", "password_confirm": "court"})
    assert short.status_code == 422
    assert "au moins 12 caractères" in text(short)
    bad_email = post_form(client, "/inscription", {**GOOD, "email": "pas-une-adresse"})
    assert bad_email.status_code == 422 and "Adresse e-mail invalide." in text(bad_email)
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_signup_without_csrf_token_is_refused(client, session):
    response = client.post("/inscription", data=GOOD)
    assert response.status_code == 400
    assert "Le formulaire a expiré ou n&#39;est pas authentique" in text(response)
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_verification_link_works_once(client, session):
    post_form(client, "/inscription", GOOD)
    token = link_token(outbox("verify_email")[0], "/compte/verification/")
    response = client.get(f"/compte/verification/{token}")
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "camille.durand@example.org"))
    assert user.email_verified_at is not None
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "user.email_verified"))
    again = client.get(f"/compte/verification/{token}")
    assert again.status_code == 400
    assert "déjà été utilisé" in text(again)


def test_verification_link_expires_and_rejects_tampering(client, session, clock):
    post_form(client, "/inscription", GOOD)
    token = link_token(outbox("verify_email")[0], "/compte/verification/")
    tampered = client.get(f"/compte/verification/{token[:-2]}xx")
    assert tampered.status_code == 400 and "n'est pas valide" in text(tampered)
    clock.shift(timedelta(days=2, minutes=1))
    expired = client.get(f"/compte/verification/{token}")
    assert expired.status_code == 400 and "a expiré" in text(expired)


def test_reset_token_is_not_a_verification_token(client, session, account):
    user = account(email="sel@example.org")
    user.email_verified_at = None
    session.commit()
    post_form(client, "/mot-de-passe-oublie", {"email": "sel@example.org"})
    token = link_token(outbox("password_reset")[0], "/mot-de-passe/nouveau/")
    response = client.get(f"/compte/verification/{token}")
    assert response.status_code == 400
    assert fresh(user).email_verified_at is None


def test_signed_in_user_can_ask_for_a_new_verification_link(client, session, account, login):
    user = account(email="renvoi@example.org", password=PASSWORD)
    user.email_verified_at = None
    session.commit()
    login(user)
    # Until it is confirmed, the confirmation page is the only page of the account.
    response = post_form(client, "/compte/verification", {}, form_page="/compte/confirmation")
    assert response.status_code == 302 and response.location == "/compte/confirmation"
    assert len(outbox("verify_email", "renvoi@example.org")) == 1
