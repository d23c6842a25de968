"""The jobs themselves: plain functions of ids, idempotent, run by a worker or in-process.

Each reads what it needs through ``db.session`` and commits its own work. Run
twice, a job changes nothing the second time: an e-mail is claimed before it
leaves and marked sent after, the clock only acts on what is due, an export
already stored is not built again.
"""

from __future__ import annotations

from flask import current_app

from catalogue import db
from catalogue.clock import today
from catalogue.listings import exports
from catalogue.notifications import services as notifications
from catalogue.schedule import tick as run_tick


class DeliveryRefused(RuntimeError):
    """The mail server refused the message; raising lets the queue retry it later."""


def deliver_email(message_id: int) -> str:
    """Send one outbox e-mail unless it was sent (or is being sent) already."""
    outcome = notifications.deliver_one(db.session, message_id)
    if outcome == "refused":
        raise DeliveryRefused(f"outbox #{message_id}: the mail server refused it (retried later)")
    return outcome


def tick() -> str:
    """The clock's work (``flask workflows tick``): lapse, expire, bring into force, remind."""
    try:
        result = run_tick(db.session, today())
        db.commit()
    except Exception:
        db.rollback()
        raise
    return result.summary()


def build_exports(version: int) -> str:
    """Store the open data exports of catalogue ``version`` (CSV, JSON, the Atom feed in
    each language) unless stored already, or nothing once a newer version is current."""
    return exports.build_all(current_app, version).summary()
