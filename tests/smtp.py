"""A real SMTP server on loopback for the tests: records messages, refuses on demand."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from catalogue.notifications import services as notifications


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib; answers 451 to MAIL while ``server.refuse`` is set."""

    def handle(self) -> None:
        self.wfile.write(b"220 sink ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line.strip().split(b" ")[0].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == b"MAIL" and self.server.refuse:
                self.wfile.write(b"451 4.3.0 mailbox temporarily unavailable\r\n")
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


class SMTPSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, refuse: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.refuse = refuse
        self.messages: list[str] = []


@contextmanager
def smtp_server(refuse: bool = False) -> Iterator[SMTPSink]:
    """Run a sink and point the application's mailer at it for the duration."""
    sink = SMTPSink(refuse)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    previous = notifications._mailer
    notifications.configure(notifications.Mailer(
        f"smtp://127.0.0.1:{sink.server_address[1]}", "Catalogue ENS <n@ex.org>", "http://127.0.0.1:5000"))
    try:
        yield sink
    finally:
        notifications.configure(previous)
        sink.shutdown()
        sink.server_close()
