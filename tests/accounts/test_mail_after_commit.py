"""E-mails leave only after commit: checked against a real SMTP conversation."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from catalogue import db
from catalogue.notifications import services as notifications
from tests.accounts.helpers import post_form


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: records each message's data."""

    def handle(self) -> None:
        self.wfile.write(b"220 sink ESMTP\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.strip().split(b" ")[0].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk)
                self.server.messages.append(b"".join(data).decode("utf-8", "replace"))
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


class _Sink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.messages: list[str] = []


@pytest.fixture
def smtp_sink(app) -> Iterator[_Sink]:
    sink = _Sink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    port = sink.server_address[1]
    previous = notifications._mailer
    notifications.configure(notifications.Mailer(f"smtp://127.0.0.1:{port}", "Catalogue ENS <n@ex.org>",
                                                 "http://127.0.0.1:5000"))
    try:
        yield sink
    finally:
        notifications.configure(previous)
        sink.shutdown()
        sink.server_close()


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
