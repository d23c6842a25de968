"""Read models of the administration pages and the audit check an administrator runs (the other
actions are the domains' services)."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from catalogue.accounts.models import User
from catalogue.audit import services as audit
from catalogue.audit.models import AuditEvent
from catalogue.core.pagination import Page
from catalogue.notifications.models import OutboxMessage


def outbox_page(session: Session, *, page: int = 1, per_page: int = 50, pending_only: bool = False) -> Page:
    """E-mails of the outbox, newest first."""
    conditions = [OutboxMessage.sent_at.is_(None)] if pending_only else []
    total = session.scalar(select(func.count()).select_from(OutboxMessage).where(*conditions)) or 0
    page = max(1, page)
    rows = session.scalars(
        select(OutboxMessage).where(*conditions).order_by(OutboxMessage.id.desc())
        .offset((page - 1) * per_page).limit(per_page)).all()
    return Page(rows, total, page, per_page)


def audit_page(session: Session, *, action: str = "", subject: tuple[str, str] | None = None,
               page: int = 1, per_page: int = 50) -> Page:
    """Audit events (with their actor's address) newest first, in one query."""
    actor = aliased(User)
    conditions: list[ColumnElement[bool]] = []
    if action:
        escaped = action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(AuditEvent.action.like(escaped + "%", escape="\\"))
    if subject is not None:
        conditions += [AuditEvent.subject_type == subject[0], AuditEvent.subject_id == subject[1]]
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) or 0
    page = max(1, page)
    rows = session.execute(
        select(AuditEvent, actor.email).outerjoin(actor, actor.id == AuditEvent.actor_id)
        .where(*conditions).order_by(AuditEvent.id.desc())
        .offset((page - 1) * per_page).limit(per_page)).all()
    return Page(rows, total, page, per_page)


def dashboard_counts(session: Session) -> dict[str, int]:
    return {
        "users": session.scalar(select(func.count()).select_from(User)) or 0,
        "outbox_pending": session.scalar(select(func.count()).select_from(OutboxMessage)
                                         .where(OutboxMessage.sent_at.is_(None))) or 0,
        "audit_events": session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
    }


# Signed links (itsdangerous: payload.timestamp.signature) in e-mail bodies.
_SIGNED_TOKEN = re.compile(r"[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{16,}")


def redacted_body(message: OutboxMessage) -> str:
    """The text of an e-mail as administrators may read it.

    Once delivered by SMTP, its single-use links (verification, password reset) belong to
    the recipient alone and are masked. Without a mail server the outbox *is* the delivery
    (development, demo), so the links stay readable there.
    """
    if message.sent_at is None:
        return message.text_body
    return _SIGNED_TOKEN.sub("[lien personnel masqué]", message.text_body)


def verify_audit_chain(session: Session, *, actor: User) -> audit.ChainBreak | None:
    """Walk the audit chain for an administrator and record that it was checked, with the result."""
    broken = audit.verify_chain(session)
    audit.record(session, "audit.verified", actor=actor, subject=("AuditChain", None),
                 payload={"ok": broken is None, "broken_event_id": broken.event_id if broken else None})
    return broken
