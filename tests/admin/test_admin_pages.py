"""Administration: access, users and roles, outbox, audit trail."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy import text as sql

from catalogue import db
from catalogue.accounts import services as accounts_services
from catalogue.accounts.models import RecoveryCode, Role
from catalogue.audit import services as audit
from catalogue.audit.models import AuditEvent
from catalogue.notifications import services as notifications
from tests.accounts.helpers import fresh, post_form, text


def _events(session, action):
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_admin_pages_need_the_admin_role(client, account, login):
    assert client.get("/admin/").location.startswith("/connexion")
    login(account(roles=[Role.SECRETARIAT]))
    for page in ("/admin/", "/admin/utilisateurs", "/admin/courriels", "/admin/audit"):
        assert client.get(page).status_code == 403, page


def test_admin_without_second_factor_is_sent_to_totp(client, account, login):
    login(account(roles=[Role.ADMIN]), second_factor=False)
    response = client.get("/admin/utilisateurs")
    assert response.status_code == 302 and response.location.startswith("/connexion/totp")


def test_search_users_by_address_and_role(client, account, login, count_queries):
    admin = account(roles=[Role.ADMIN], email="root@example.org")
    account(email="alice.martin@example.org", roles=[Role.PATIENT])
    account(email="bob@example.org", roles=[Role.RAPPORTEUR])
    for n in range(5):
        account(email=f"patient{n}@example.org", roles=[Role.PATIENT])
    login(admin)
    page = text(client.get("/admin/utilisateurs?q=ALICE"))
    assert "alice.martin@example.org" in page and "bob@example.org" not in page
    page = text(client.get("/admin/utilisateurs?role=rapporteur"))
    assert "bob@example.org" in page and "alice.martin@example.org" not in page
    with count_queries() as counter:
        assert client.get("/admin/utilisateurs").status_code == 200
    assert counter.count <= 8  # no query per row (roles come with the users)
    assert client.get("/admin/utilisateurs?role=pirate&page=abc").status_code == 200


def test_grant_and_revoke_roles_are_audited(client, session, account, login):
    admin = account(roles=[Role.ADMIN])
    user = account(email="futur@example.org")
    login(admin)
    response = post_form(client, f"/admin/utilisateurs/{user.id}/roles", {"role": "rapporteur"},
                         form_page=f"/admin/utilisateurs/{user.id}")
    assert response.status_code == 302
    assert fresh(user).role_set == {Role.RAPPORTEUR}
    [granted] = _events(session, "user.role_granted")
    assert granted.actor_id == admin.id and granted.payload == {"role": "rapporteur"}
    post_form(client, f"/admin/utilisateurs/{user.id}/roles/rapporteur/retrait", {},
              form_page=f"/admin/utilisateurs/{user.id}")
    assert fresh(user).role_set == frozenset()
    assert len(_events(session, "user.role_revoked")) == 1
    bad = post_form(client, f"/admin/utilisateurs/{user.id}/roles", {"role": "empereur"},
                    form_page=f"/admin/utilisateurs/{user.id}")
    assert bad.status_code == 422
    assert client.post(f"/admin/utilisateurs/{user.id}/roles/empereur/retrait").status_code in (400, 404)
    assert client.get("/admin/utilisateurs/999999").status_code == 404


def test_user_page_is_conforming_html_with_several_forms(client, session, account, login):
    """What the Nu HTML checker flagged on this page: each form's CSRF token repeated
    id="csrf_token", a required select opened on a real choice, microseconds in datetime."""
    admin = account(roles=[Role.ADMIN])
    user = account(email="futur@example.org", roles=[Role.RAPPORTEUR])
    login(admin)
    post_form(client, f"/admin/utilisateurs/{user.id}/roles", {"role": "membre"},
              form_page=f"/admin/utilisateurs/{user.id}")
    page = text(client.get(f"/admin/utilisateurs/{user.id}"))
    assert page.count('name="csrf_token"') > 1 and 'id="csrf_token"' not in page
    role_select = re.search(r'<select[^>]*name="role"[^>]*>', page).group(0)
    assert 'aria-required="true"' in role_select and " required" not in role_select
    stamps = re.findall(r'<time datetime="([^"]+)"', page)
    assert stamps and all(re.fullmatch(r"\d{4}-\d\d-\d\d(T\d\d:\d\d[+-]\d\d:\d\d)?", s) for s in stamps)


def test_last_admin_keeps_the_role(client, session, account, login):
    admin = account(roles=[Role.ADMIN])
    login(admin)
    response = post_form(client, f"/admin/utilisateurs/{admin.id}/roles/admin/retrait", {},
                         form_page=f"/admin/utilisateurs/{admin.id}")
    assert response.status_code == 302
    assert Role.ADMIN in fresh(admin).role_set
    page = text(client.get(response.location))
    assert "dernier administrateur" in page


def test_reset_second_factor(client, session, account, login):
    admin = account(roles=[Role.ADMIN])
    member = account(roles=[Role.MEMBER])
    session.add(RecoveryCode(user_id=member.id, code_hash="x"))
    session.commit()
    login(admin)
    post_form(client, f"/admin/utilisateurs/{member.id}/second-facteur", {},
              form_page=f"/admin/utilisateurs/{member.id}")
    member = fresh(member)
    assert member.totp_secret is None and member.totp_enabled_at is None
    assert session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == member.id)).all() == []
    assert len(_events(session, "auth.totp_reset")) == 1


def test_outbox_lists_emails(client, session, account, login):
    admin = account(roles=[Role.ADMIN])
    user = account(email="destinataire@example.org")
    row = notifications.send_email(session, "password_changed", user.email, {"user": user})
    db.commit()
    login(admin)
    page = text(client.get("/admin/courriels"))
    assert "destinataire@example.org" in page and "Votre mot de passe a été changé" in page
    detail = text(client.get(f"/admin/courriels/{row.id}"))
    assert "mot-de-passe-oublie" in detail
    assert client.get("/admin/courriels/999999").status_code == 404


def test_audit_page_verifies_the_chain(client, session, account, login):
    admin = account(roles=[Role.ADMIN])
    login(admin)
    page = post_form(client, "/admin/audit", {}, form_page="/admin/audit")
    assert page.status_code == 200 and "Chaîne intègre" in text(page)
    victim = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id).limit(1))
    session.execute(sql("UPDATE audit_events SET action = 'forged' WHERE id = :id"), {"id": victim})
    session.commit()
    broken = post_form(client, "/admin/audit", {}, form_page="/admin/audit")
    assert f"Chaîne rompue à l'événement n° {victim}" in text(broken)
    filtered = text(client.get("/admin/audit?action=auth."))
    assert "user.created" not in filtered


def test_audit_and_users_pages_paginate(client, session, account, login):
    admin = account(roles=[Role.ADMIN])
    for n in range(60):
        audit.record(session, "test.filler", actor=admin, subject=admin, payload={"n": n})
    for n in range(26):
        account(email=f"page{n}@example.org")
    db.commit()
    login(admin)
    first = text(client.get("/admin/audit?action=test."))
    assert "Page 1 sur 2" in first and 'href="/admin/audit?action=test.&amp;page=2"' in first
    second = text(client.get("/admin/audit?action=test.&page=2"))
    assert "Page 2 sur 2" in second and "Précédente" in second
    users = text(client.get("/admin/utilisateurs"))
    assert "Page 1 sur 2" in users
    assert client.get("/admin/audit?page=999").status_code == 200


def test_sent_emails_hide_their_single_use_links(client, session, account, login):
    from catalogue.clock import now
    from catalogue.notifications.models import OutboxMessage

    admin = account(roles=[Role.ADMIN])
    user = account(email="lien@example.org")
    login(admin)
    accounts_services.request_password_reset(session, user.email)
    db.commit()
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.message == "password_reset"))
    row_id, token = row.id, row.text_body.split("/mot-de-passe/nouveau/")[1].split()[0]
    assert token in text(client.get(f"/admin/courriels/{row_id}"))  # outbox mode: the delivery
    fresh(row).sent_at = now()
    session.commit()
    shown = text(client.get(f"/admin/courriels/{row_id}"))
    assert token not in shown and "lien personnel masqué" in shown
