"""``flask audit verify``, ``flask users create``, the demo accounts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy import text as sql

from catalogue import db
from catalogue.accounts import services as accounts
from catalogue.accounts.models import Role, User
from catalogue.audit import services as audit
from catalogue.audit.models import AuditEvent


def test_audit_verify_passes_on_an_intact_chain(app, session, make_user):
    make_user()
    db.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intègre" in result.output


def test_audit_verify_exits_1_naming_the_first_broken_event(app, session, make_user):
    user = make_user()
    first = audit.record(session, "test.first", actor=user, subject=user, payload={"n": 1})
    audit.record(session, "test.second", actor=user, subject=user, payload={"n": 2})
    db.commit()
    session.execute(sql("UPDATE audit_events SET payload = :p WHERE id = :id"),
                    {"p": '{"n": 99}', "id": first.id})
    db.commit()
    session.expire_all()  # as a fresh process would, read what the database holds
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"n° {first.id} (test.first" in result.output


def test_audit_verify_detects_a_deleted_event(app, session, make_user):
    user = make_user()
    audit.record(session, "test.a", actor=user, subject=user)
    middle = audit.record(session, "test.b", actor=user, subject=user)
    last = audit.record(session, "test.c", actor=user, subject=user)
    db.commit()
    session.execute(sql("DELETE FROM audit_events WHERE id = :id"), {"id": middle.id})
    db.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"n° {last.id}" in result.output


def test_a_batch_of_events_is_chained_in_order(app, session, make_user):
    """``record_many``: one head read for the batch, each event linked to the one before, in
    the order given, after the events already there; the chain verifies."""
    user = make_user()
    before = audit.record(session, "test.before", actor=user, subject=user)
    batch = audit.record_many(session, [audit.Entry("test.batch", user, {"n": n}) for n in range(5)],
                              actor=user)
    db.commit()
    session.expire_all()
    rows = session.scalars(select(AuditEvent).where(AuditEvent.id >= before.id).order_by(AuditEvent.id)).all()
    assert [(e.action, e.payload) for e in rows] == [("test.before", {})] + [("test.batch", {"n": n})
                                                                              for n in range(5)]
    assert [e.prev_hash for e in rows[1:]] == [e.hash for e in rows[:-1]]
    assert [e.id for e in batch] == [e.id for e in rows[1:]]
    assert audit.verify_chain(session) is None


def test_users_create_with_roles(app, session):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "Chef@Example.org", "--role", "admin", "--role", "secretariat",
        "--password", "une phrase de passe solide"])
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.email == "chef@example.org"))
    assert user.role_set == {Role.ADMIN, Role.SECRETARIAT}
    assert user.email_verified_at is not None
    assert "second facteur" in result.output
    assert accounts.authenticate(session, "chef@example.org", "une phrase de passe solide")


def test_users_create_refuses_bad_input(app, session):
    runner = app.test_cli_runner()
    bad_role = runner.invoke(args=["users", "create", "a@example.org", "--role", "roi",
                                   "--password", "une phrase de passe solide"])
    assert bad_role.exit_code == 2
    short = runner.invoke(args=["users", "create", "a@example.org", "--password", "court"])
    assert short.exit_code == 1 and "12 caractères" in short.output
    runner.invoke(args=["users", "create", "a@example.org", "--password", "une phrase solide"])
    twice = runner.invoke(args=["users", "create", "A@example.org", "--password", "une phrase solide"])
    assert twice.exit_code == 1 and "existe déjà" in twice.output


def test_demo_accounts_are_all_there_once(app, session):
    from catalogue.demo import accounts as demo
    from catalogue.demo.cli import SeedOptions

    lines = demo.seed(session, SeedOptions(apps=0, seed=1))
    db.commit()
    again = demo.seed(session, SeedOptions(apps=0, seed=1))
    db.commit()
    emails = [e for e, _, _ in demo.ACCOUNTS]
    assert len(emails) == 15
    assert session.scalar(select(func.count()).select_from(User).where(User.email.in_(emails))) == 15
    admin = session.scalar(select(User).where(User.email == "admin@demo.ens.fr"))
    assert admin.totp_secret and admin.totp_enabled_at
    assert any(admin.totp_secret in line for line in lines)
    assert lines == again  # idempotent: same secrets printed again
    patient = accounts.authenticate(session, "patient@demo.ens.fr", "Demo-ENS-2026!")
    assert patient is not None and patient.role_set == {Role.PATIENT}
    assert session.scalar(select(User).where(User.email == "president@demo.ens.fr")).role_set == {
        Role.CHAIR, Role.MEMBER}
    assert audit.verify_chain(session) is None
    assert session.scalar(select(func.count()).select_from(AuditEvent)) >= 15
