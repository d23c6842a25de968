"""The clock's steps, in order, and the tick that runs them (``flask workflows tick``).

Unsent e-mails are retried after the tick's transaction commits.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from catalogue import db
from catalogue.commission.reminders import send_reminders
from catalogue.dossiers.lifecycle import lapse_overdue
from catalogue.frameworks.lifecycle import bring_into_force
from catalogue.listings.lifecycle import expire_due
from catalogue.listings.waves import enforce_compliance_deadlines
from catalogue.notifications import services as notifications
from workflows import clock
from workflows.clock import TickResult

STEPS = (
    clock.Step("lapsed", "caducs", lapse_overdue),
    clock.Step("expired", "fiches expirées", expire_due),
    clock.Step("in_force", "référentiels en vigueur", bring_into_force),
    clock.Step("noncompliant", "fiches suspendues faute de mise en conformité",
               enforce_compliance_deadlines),
    clock.Step("reminders", "rappels", send_reminders),
)


def tick(session: Session, today: date) -> TickResult:
    """Run every time-driven step due on ``today``; idempotent. Flushes, never commits:
    the caller commits, after which unsent e-mails are retried."""
    result = clock.tick(session, today, STEPS)
    db.after_commit(session, lambda: notifications.deliver_pending(session))
    return result
