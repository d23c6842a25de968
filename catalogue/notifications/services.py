"""Notifications: in-app messages and e-mails rendered from ``templates/emails/<message>/``.

Both are rows written in the caller's transaction; e-mails are handed to the
mail server only after commit (a ``deliver_email`` job enqueued after commit:
an RQ worker with Redis, the same process without), so a rolled back action
never sends anything. A message is claimed before it leaves, so two workers
never send it twice. Unsent e-mails are retried by the job queue and by
``flask workflows tick``.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from catalogue import db
from catalogue.clock import now
from catalogue.core import formatting
from catalogue.jobs import queue as jobs
from catalogue.notifications.models import Notification, OutboxMessage

log = logging.getLogger(__name__)

EMAILS_DIR = Path(__file__).resolve().parents[2] / "templates" / "emails"
MAX_ATTEMPTS = 8
# While a message is being handed over, nobody else may claim it (a worker that dies
# mid-send leaves it to be retried once this lease is over).
SENDING_LEASE = timedelta(minutes=10)
# A queued retry may fire a little before the outbox's own back-off is over.
RETRY_GRACE = timedelta(seconds=60)


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(EMAILS_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class Mailer:
    """Settings of delivery; ``url`` None means the outbox table is the delivery."""

    def __init__(self, url: str | None, sender: str, base_url: str):
        self.url = url
        self.sender = sender
        self.base_url = base_url.rstrip("/")

    def send(self, message: OutboxMessage) -> None:
        """Hand one message to the SMTP server; raises on refusal."""
        assert self.url
        parts = urlparse(self.url)
        email = EmailMessage()
        name, address = parseaddr(self.sender)
        email["From"] = formataddr((name, address))
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email.set_content(message.text_body)
        if message.html_body:
            email.add_alternative(message.html_body, subtype="html")
        smtp_cls = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
        with smtp_cls(parts.hostname or "localhost", parts.port or 25, timeout=10) as smtp:
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(email)


_mailer: Mailer = Mailer(None, "Catalogue ENS <ne-pas-repondre@catalogue-ens.fr>", "")


def configure(mailer: Mailer) -> None:
    """Set how e-mails leave (called by ``create_app``)."""
    global _mailer
    _mailer = mailer


def render(message: str, locale: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Render (subject, text, html) of a message folder in the given locale (fallback fr)."""
    env = _env()
    context = {"base_url": _mailer.base_url, **formatting.email_helpers(locale), **context}

    def pick(stem: str, ext: str) -> str | None:
        # The extension stays last so that autoescaping follows it (.html escaped).
        for loc in (locale, "fr"):
            if (EMAILS_DIR / message / f"{stem}.{loc}.{ext}").exists():
                return f"{message}/{stem}.{loc}.{ext}"
        return None

    subject_tpl = pick("subject", "txt")
    text_tpl = pick("body", "txt")
    if subject_tpl is None or text_tpl is None:
        raise LookupError(f"e-mail message {message!r} has no subject or text body")
    # A subject is one header line: a line break in a name it quotes would make the
    # e-mail package refuse the whole message.
    subject = " ".join(env.get_template(subject_tpl).render(context).split())
    text_body = env.get_template(text_tpl).render(context)
    html_tpl = pick("body", "html")
    html_body = env.get_template(html_tpl).render(context) if html_tpl else ""
    return subject, text_body, html_body


def send_email(
    session: Session, message: str, recipient: str, context: dict[str, Any], locale: str = "fr"
) -> OutboxMessage:
    """Queue one e-mail in the outbox; it leaves after commit."""
    subject, text_body, html_body = render(message, locale, context)
    row = OutboxMessage(
        message=message, recipient=recipient, subject=subject,
        text_body=text_body, html_body=html_body,
    )
    session.add(row)
    session.flush()
    if _mailer.url:
        jobs.enqueue_after_commit(session, jobs.DELIVER_EMAIL, row.id)
    return row


def notify(
    session: Session,
    users: Iterable[Any],
    message: str,
    context: dict[str, Any],
    *,
    link: str = "",
    email: bool = True,
) -> list[Notification]:
    """Notify each user in the app and, unless ``email`` is False, by e-mail.

    The in-app title is the e-mail subject, rendered in the user's locale.
    """
    created = []
    for user in {u.id: u for u in users if u is not None and u.erased_at is None}.values():
        locale = user.locale or "fr"
        subject, text_body, _ = render(message, locale, {**context, "user": user})
        note = Notification(user_id=user.id, message=message, title=subject, body=text_body,
                            link=link)
        session.add(note)
        created.append(note)
        if email:
            send_email(session, message, user.email, {**context, "user": user}, locale)
    session.flush()
    return created


def _claim(session: Session, message_id: int, due_by: Any) -> OutboxMessage | None:
    """Take one unsent message due by ``due_by`` for sending, committed, or None when
    it was sent, is being sent elsewhere, gave up or is not due."""
    current = now()
    claimed = db.changed_rows(session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
               OutboxMessage.attempts < MAX_ATTEMPTS,
               or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= due_by))
        .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=current + SENDING_LEASE)
        .execution_options(synchronize_session=False)
    ))
    session.commit()
    if not claimed:
        return None
    return session.get(OutboxMessage, message_id, populate_existing=True)


def _hand_over(session: Session, row: OutboxMessage) -> bool:
    """Send a claimed message and record the outcome (committed); False when refused."""
    current = now()
    try:
        _mailer.send(row)
    except Exception as exc:  # noqa: BLE001 - any failure (SMTP, a header the e-mail
        # package refuses…) is recorded on the message and retried, never lost silently
        row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        row.next_attempt_at = current + timedelta(minutes=5 * 2 ** (row.attempts - 1))
        log.warning("mail to outbox #%s refused: %s", row.id, row.last_error)
        session.commit()
        return False
    row.sent_at = current
    row.last_error = None
    session.commit()
    return True


def deliver_one(session: Session, message_id: int) -> str:
    """Send one message if it is still to send: "sent", "refused" or "skipped"
    (already sent, being sent by another worker, not due, or no mail server)."""
    if not _mailer.url:
        return "skipped"
    row = _claim(session, message_id, now() + RETRY_GRACE)
    if row is None:
        return "skipped"
    return "sent" if _hand_over(session, row) else "refused"


def deliver_pending(session: Session, ids: list[int] | None = None, limit: int = 200) -> int:
    """Send unsent e-mails due now (all, or the given ids); returns how many left.

    Each message is claimed and committed on its own, so one refusal does not hold
    the others and a message another worker is sending is left to it; a refused
    message is retried with a growing delay, up to ``MAX_ATTEMPTS``.
    """
    if not _mailer.url:
        return 0
    current = now()
    query = select(OutboxMessage.id).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS,
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= current),
    )
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    due = session.scalars(query.order_by(OutboxMessage.id).limit(limit)).all()
    sent = 0
    for message_id in due:
        row = _claim(session, message_id, current)
        if row is not None and _hand_over(session, row):
            sent += 1
    return sent


def unread_count(session: Session, user_id: int) -> int:
    """Number of unread in-app notifications of a user (header badge)."""
    from sqlalchemy import func

    return session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ) or 0
