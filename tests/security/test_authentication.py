"""Authentication controls the other suites do not already prove (ASVS V6, V7, V16):
password storage and policy, authentication events and refusals in the logs."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from catalogue import db
from catalogue.accounts import services as accounts
from catalogue.accounts.models import Role, User
from catalogue.audit.models import AuditEvent
from tests.factories import PASSWORD


def test_passwords_are_stored_with_argon2id(make_user):
    user = make_user()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


@pytest.mark.parametrize("password", ["court", "aaaaaaaaaaaaaaaa", "jean.dupont-2026!"])
def test_weak_passwords_are_refused_in_french(password):
    assert accounts.password_problem(password, "jean.dupont@example.org")


def test_long_passphrases_with_any_characters_are_accepted():
    assert accounts.password_problem("le chat dort sur le clavier 🐈 à midi", "x@example.org") is None


@pytest.mark.parametrize("password", ["Password1234", "azertyuiop123", "motdepasse2026"])
def test_common_passwords_are_refused(password):
    assert accounts.password_problem(password, "x@example.org")


def test_authentication_events_are_audited(client, make_user, monkeypatch, app):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    user = make_user(email="audit-login@example.org")
    db.commit()
    client.post("/connexion", data={"email": "audit-login@example.org", "password": "mauvais-mot-de-passe"})
    client.post("/connexion", data={"email": "audit-login@example.org", "password": PASSWORD})
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert "auth.login_failed" in actions and "auth.login" in actions
    failed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.login_failed"))
    # Events outlive accounts: no e-mail address in the payload.
    assert user.email not in str(failed.payload)
    db.session.rollback()


def test_refused_requests_are_logged(client, login, make_user, caplog):
    user = make_user(roles=[Role.PATIENT])
    db.commit()
    login(user)
    with caplog.at_level(logging.INFO, logger="catalogue.request"):
        assert client.get("/admin/").status_code == 403
    lines = [r.getMessage() for r in caplog.records if r.name == "catalogue.request"]
    assert any("status=403" in line and 'path="/admin/"' in line for line in lines)


def test_refusal_log_line_names_the_user(client, login, make_user, caplog):
    user = make_user(roles=[Role.PATIENT])
    db.commit()
    login(user)
    with caplog.at_level(logging.INFO, logger="catalogue.request"):
        client.get("/admin/")
    line = next(r.getMessage() for r in caplog.records if r.name == "catalogue.request")
    assert f"user={user.id}" in line


def test_deactivated_account_loses_its_sessions(client, login, make_user):
    user = make_user()
    db.commit()
    login(user)
    assert client.get("/compte/").status_code == 200
    db.session.get(User, user.id).is_active = False
    db.commit()
    response = client.get("/compte/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
