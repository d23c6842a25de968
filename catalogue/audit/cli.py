"""``flask audit verify``: walk the hash chain of the audit trail."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from catalogue import db
from catalogue.audit import services as audit
from catalogue.audit.models import AuditEvent

cli = AppGroup("audit", help="Piste d'audit.")


@cli.command("verify")
def verify_command() -> None:
    """Exit 0 when the chain is intact, 1 naming the first broken event otherwise."""
    count = db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    broken = audit.verify_chain(db.session)
    if broken is None:
        click.echo(f"Chaîne d'audit intègre : {count} événement(s) vérifié(s).")
        return
    event = db.session.get(AuditEvent, broken.event_id)
    detail = f" ({event.action}, {event.occurred_at.isoformat(timespec='seconds')})" if event else ""
    click.echo(f"Chaîne d'audit rompue à l'événement n° {broken.event_id}{detail} : {broken.reason}.",
               err=True)
    sys.exit(1)
