"""Faults: a database error in the middle of a request, a storage that fails, a mail
server that refuses. Nothing half-written, no orphan file, the user told in French, the
mail retried later. (The server killed during a submission: test_killed_submission.py.)"""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event, func, select

from catalogue import db
from catalogue.audit import services as audit
from catalogue.audit.models import AuditEvent
from catalogue.clock import now
from catalogue.dossiers.samples import sample_pdf
from catalogue.listings.models import Report
from catalogue.notifications import services as notifications
from catalogue.notifications.models import OutboxMessage
from catalogue.storage import services as storage
from catalogue.storage.services import StorageError
from tests.security.helpers import evidence_count, prepare_upload, stored_files
from tests.smtp import smtp_server


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def audit_count() -> int:
    count = db.session.scalar(select(func.count(AuditEvent.id)))
    db.session.rollback()
    return count


def test_database_error_mid_request_gives_a_french_500_and_writes_nothing(
        app, client, login, make_dossier, no_csrf, monkeypatch):
    """The evidence file is stored and its row flushed, then the audit INSERT fails: the
    answer is the French error page, no row survives and the stored file is removed."""
    monkeypatch.setattr(app, "testing", False)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    upload = prepare_upload(make_dossier, login, client)
    rows, files, events = evidence_count(upload.organisation_id), stored_files(), audit_count()
    engine = app.extensions["engine"]

    def fail_on_audit(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS"):
            raise RuntimeError("injected: the database went away")

    event.listen(engine, "before_cursor_execute", fail_on_audit)
    try:
        response = upload.post("audit.pdf", sample_pdf("Audit"))
    finally:
        event.remove(engine, "before_cursor_execute", fail_on_audit)
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Une erreur inattendue est survenue" in body and "injected" not in body
    assert evidence_count(upload.organisation_id) == rows
    assert audit_count() == events
    assert stored_files() == files, "the stored file of the rolled back upload is an orphan"
    assert audit.verify_chain(db.session) is None


class FailingStorage:
    """A storage whose writes fail (disk full, object store down)."""

    def __init__(self, inner):
        self.inner = inner

    def put(self, key, data):
        raise StorageError("injected: no space left on device")

    def get(self, key):
        return self.inner.get(key)

    def delete(self, key):
        return self.inner.delete(key)

    def exists(self, key):
        return self.inner.exists(key)

    @property
    def root(self):
        return self.inner.root


def test_storage_failure_while_saving_evidence_tells_the_user_and_keeps_nothing(
        app, client, login, make_dossier, no_csrf):
    upload = prepare_upload(make_dossier, login, client)
    rows, files, events = evidence_count(upload.organisation_id), stored_files(), audit_count()
    original = storage.get_storage()
    storage.configure(FailingStorage(original))
    try:
        response = upload.post("audit.pdf", sample_pdf("Audit"))
        page = client.get(response.headers["Location"]) if response.status_code in (302, 303) else response
    finally:
        storage.configure(original)
    body = html.unescape(page.get_data(as_text=True))
    assert response.status_code in (302, 303, 422, 503)
    assert "n'a pas pu être enregistré" in body
    assert evidence_count(upload.organisation_id) == rows
    assert stored_files() == files
    assert audit_count() == events


def test_failing_read_of_a_stored_file_is_a_french_message_not_a_500(
        app, client, login, make_dossier, no_csrf):
    upload = prepare_upload(make_dossier, login, client)
    assert upload.post("audit.pdf", sample_pdf("Audit")).status_code in (302, 303)
    from catalogue.dossiers.models import Evidence

    evidence_id = db.session.scalar(select(Evidence.id).where(
        Evidence.organisation_id == upload.organisation_id).order_by(Evidence.id.desc()))
    db.session.rollback()
    original = storage.get_storage()

    class Unreadable(FailingStorage):
        def get(self, key):
            raise StorageError("injected: object store unreachable")

    storage.configure(Unreadable(original))
    try:
        response = client.get(f"/pieces/{evidence_id}")
    finally:
        storage.configure(original)
    assert response.status_code in (500, 503) or response.status_code >= 400
    assert "momentanément indisponible" in html.unescape(response.get_data(as_text=True))


@pytest.fixture
def refusing_smtp(app):
    with smtp_server(refuse=True) as server:
        yield server


def test_refusing_mail_server_the_action_commits_and_the_mail_is_retried(
        app, client, login, make_listing, make_patient, make_user, refusing_smtp, no_csrf):
    from catalogue.accounts.models import Role

    slug = make_listing().app.slug
    make_user(roles=[Role.SECRETARIAT])
    patient = make_patient()
    login(patient)
    before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
    db.session.rollback()
    response = client.post(f"/catalogue/{slug}/signaler",
                           data={"kind": "security", "text": "Les données s'affichent sans connexion."})
    assert response.status_code in (302, 303)
    # The action committed although the mail server refused.
    assert db.session.scalar(select(func.count(Report.id))) == 1
    queued = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > before)).all()
    assert queued, "the secretariat is told by e-mail"
    for message in queued:
        assert message.sent_at is None and message.attempts == 1
        assert "451" in message.last_error
        assert message.next_attempt_at > now()
    ids = [m.id for m in queued]
    db.session.rollback()
    # Not before its time: the back-off is respected.
    refusing_smtp.refuse = False
    assert notifications.deliver_pending(db.session, ids) == 0
    assert refusing_smtp.messages == []
    with time_machine.travel(now() + timedelta(minutes=6), tick=False):
        assert notifications.deliver_pending(db.session, ids) == len(ids)
    assert len(refusing_smtp.messages) == len(ids)
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))).all()
    assert all(m.sent_at is not None and m.attempts == 2 and m.last_error is None for m in rows)
