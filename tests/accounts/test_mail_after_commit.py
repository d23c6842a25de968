"""E-mails leave only after commit: checked against a real SMTP conversation."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from catalogue import db
from catalogue.notifications import services as notifications
from tests.accounts.helpers import post_form
from tests.smtp import SMTPSink, smtp_server


@pytest.fixture
def smtp_sink(app) -> Iterator[SMTPSink]:
    with smtp_server() as sink:
        yield sink


def test_sink_is_a_real_smtp_server(smtp_sink):
    with socket.create_connection(smtp_sink.server_address, timeout=2) as conn:
        assert conn.recv(100).startswith(b"220")


def test_email_leaves_after_commit_only(smtp_sink, session, make_user):
    user = make_user(email="lea@example.org")
    notifications.send_email(session, "password_changed", user.email, {"user": user})
    assert smtp_sink.messages == []  # queued, not sent, while the transaction is open
    db.commit()
    assert len(smtp_sink.messages) == 1
    assert "lea@example.org" in smtp_sink.messages[0]


def test_email_is_not_sent_when_the_transaction_rolls_back(smtp_sink, session, make_user):
    user = make_user(email="lea@example.org")
    notifications.send_email(session, "password_changed", user.email, {"user": user})
    db.rollback()
    db.commit()  # a later commit does not resurrect the discarded e-mail
    assert smtp_sink.messages == []


def test_failed_request_sends_nothing(smtp_sink, client):
    # Password mismatch: the form fails, nothing is written, nothing is sent.
    post_form(client, "/inscription", {"email": "x@example.org", "password": "une longue phrase",
                                       "password_confirm": "une autre phrase"})
    assert smtp_sink.messages == []
    ok = post_form(client, "/inscription", {"email": "x@example.org", "password": "une longue phrase",
                                            "password_confirm": "une longue phrase"})
    assert ok.status_code == 200
    assert len(smtp_sink.messages) == 1 and "Confirmez votre adresse" in smtp_sink.messages[0]
