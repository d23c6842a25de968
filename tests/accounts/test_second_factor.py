"""TOTP: required for commission roles and administrators, enrolment, single use, recovery codes."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from sqlalchemy import func, select

from catalogue.accounts.models import RecoveryCode, Role
from catalogue.audit.models import AuditEvent
from tests.accounts.helpers import fresh, post_form, sign_in, text
from tests.factories import PASSWORD


def _code(secret, at=None):
    return pyotp.TOTP(secret).now() if at is None else pyotp.TOTP(secret).at(at)


def test_commission_role_must_pass_totp_before_any_page(client, account):
    user = account(email="secretariat@example.org", roles=[Role.SECRETARIAT])
    response = sign_in(client, "secretariat@example.org", PASSWORD)
    assert response.status_code == 302
    assert response.location.startswith("/connexion/totp")
    for page in ("/compte/", "/compte/securite", "/admin/"):
        blocked = client.get(page)
        assert blocked.status_code == 302, page
        assert blocked.location.startswith("/connexion/totp"), page
    passed = post_form(client, "/connexion/totp", {"code": _code(user.totp_secret), "next": "/compte/"})
    assert passed.status_code == 302 and passed.location == "/compte/"
    assert client.get("/compte/").status_code == 200
    assert client.get("/admin/").status_code == 403  # second factor passed, but not an admin


def test_admin_needs_totp_for_admin_pages(client, account):
    admin = account(email="admin@example.org", roles=[Role.ADMIN])
    sign_in(client, "admin@example.org", PASSWORD)
    blocked = client.get("/admin/")
    assert blocked.status_code == 302 and "/connexion/totp" in blocked.location
    post_form(client, "/connexion/totp", {"code": _code(admin.totp_secret), "next": "/admin/"})
    assert client.get("/admin/").status_code == 200


def test_totp_code_is_usable_once(app, client, session, account, clock):
    user = account(email="membre@example.org", roles=[Role.MEMBER])
    code = _code(user.totp_secret)
    sign_in(client, "membre@example.org", PASSWORD)
    assert post_form(client, "/connexion/totp", {"code": code}).status_code == 302
    other = app.test_client()
    sign_in(other, "membre@example.org", PASSWORD)
    replay = post_form(other, "/connexion/totp", {"code": code})
    assert replay.status_code == 422
    assert "Code incorrect ou déjà utilisé" in text(replay)
    assert other.get("/compte/").status_code == 302
    clock.shift(timedelta(seconds=30))
    assert post_form(other, "/connexion/totp", {"code": _code(user.totp_secret)}).status_code == 302
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "auth.totp_failed")) == 1


def test_wrong_codes_are_rate_limited(client, account):
    account(email="membre@example.org", roles=[Role.MEMBER])
    sign_in(client, "membre@example.org", PASSWORD)
    for _ in range(5):
        assert post_form(client, "/connexion/totp", {"code": "000000"}).status_code == 422
    limited = post_form(client, "/connexion/totp", {"code": "000000"})
    assert limited.status_code == 429
    assert "Trop de tentatives" in text(limited)


def test_enrolment_shows_a_qr_code_and_ten_recovery_codes_once(client, session, account):
    user = account(email="nouvel-admin@example.org", roles=[Role.ADMIN])
    user.totp_secret = None
    user.totp_enabled_at = None
    session.commit()
    sign_in(client, "nouvel-admin@example.org", PASSWORD)
    page = client.get("/connexion/totp")
    html = text(page)
    assert page.status_code == 200
    assert re.search(r'<img class="totp-qr" src="data:image/svg\+xml;base64,', html)
    assert "<script" not in html
    secret = fresh(user).totp_secret
    assert secret and secret[:4] in html
    wrong = post_form(client, "/connexion/totp", {"code": "123456"})
    assert wrong.status_code == 422
    assert fresh(user).totp_enabled_at is None
    done = post_form(client, "/connexion/totp", {"code": _code(secret), "next": "/admin/"})
    assert done.status_code == 200
    codes = re.findall(r"<code>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})</code>", text(done))
    assert len(codes) == 10
    stored = session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    assert fresh(user).totp_enabled_at is not None
    assert client.get("/admin/").status_code == 200
    # A recovery code replaces the app once.
    client.post("/deconnexion", data={"csrf_token": _csrf(client)})
    sign_in(client, "nouvel-admin@example.org", PASSWORD)
    used = post_form(client, "/connexion/totp", {"code": codes[0].lower(), "next": "/admin/"})
    assert used.status_code == 302 and used.location == "/admin/"
    client.post("/deconnexion", data={"csrf_token": _csrf(client)})
    sign_in(client, "nouvel-admin@example.org", PASSWORD)
    again = post_form(client, "/connexion/totp", {"code": codes[0]})
    assert again.status_code == 422


def test_recovery_codes_can_be_renewed_with_a_fresh_code(client, session, account, clock):
    user = account(email="rapporteur@example.org", roles=[Role.RAPPORTEUR])
    sign_in(client, "rapporteur@example.org", PASSWORD)
    post_form(client, "/connexion/totp", {"code": _code(user.totp_secret)})
    page = client.get("/compte/securite")
    assert "Codes de secours restants\u202f: 0 sur 10." in text(page)
    clock.shift(timedelta(seconds=30))
    renewed = post_form(client, "/compte/securite/codes-de-secours", {"code": _code(user.totp_secret)},
                        form_page="/compte/securite")
    assert renewed.status_code == 200
    assert len(re.findall(r"<code>[A-Z2-9-]{19}</code>", text(renewed))) == 10
    assert session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id)) == 10


def test_patient_never_sees_the_totp_step(client, account):
    account(email="patient@example.org", roles=[Role.PATIENT])
    response = sign_in(client, "patient@example.org", PASSWORD)
    assert response.location == "/travail"  # each role lands on its work
    assert client.get("/connexion/totp").location == "/compte/"


def _csrf(client):
    from tests.accounts.helpers import csrf_token

    return csrf_token(client, "/compte/")
