"""``flask audit verify``: walk the hash chain of the audit trail (and compare it with a
checkpoint kept elsewhere); ``flask audit checkpoint``: export a signed checkpoint."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from catalogue import db
from catalogue.audit import services as audit
from catalogue.audit.models import AuditEvent

cli = AppGroup("audit", help="Piste d'audit.")


@cli.command("verify")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="Point de contrôle (flask audit checkpoint) gardé hors de la base.")
def verify_command(checkpoint_file: Path | None) -> None:
    """Exit 0 when the chain is intact (and still holds the checkpoint's events), 1 otherwise."""
    count = db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    broken = audit.verify_chain(db.session)
    if broken is None and checkpoint_file is not None:
        try:
            statement = json.loads(checkpoint_file.read_text(encoding="utf-8"))
            problem = audit.verify_checkpoint(db.session, statement)
        except (ValueError, KeyError, TypeError):
            problem = "le fichier n'est pas un point de contrôle lisible"
        if problem:
            click.echo(f"Chaîne d'audit non conforme au point de contrôle : {problem}.", err=True)
            sys.exit(1)
        click.echo(f"Point de contrôle du {statement['created_at']} retrouvé : "
                   f"{statement['count']} événement(s), dernier n° {statement['last_id']}.")
    if broken is None:
        click.echo(f"Chaîne d'audit intègre : {count} événement(s) vérifié(s).")
        return
    event = db.session.get(AuditEvent, broken.event_id)
    detail = f" ({event.action}, {event.occurred_at.isoformat(timespec='seconds')})" if event else ""
    click.echo(f"Chaîne d'audit rompue à l'événement n° {broken.event_id}{detail} : {broken.reason}.",
               err=True)
    sys.exit(1)


@cli.command("checkpoint")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Fichier où écrire le point de contrôle (sinon la sortie standard).")
def checkpoint_command(output: Path | None) -> None:
    """Export a signed checkpoint of the chain's head (count, last id and hash, time), to be
    kept outside the database; run it periodically (cron) and after each audit."""
    statement = json.dumps(audit.checkpoint(db.session), indent=2, sort_keys=True)
    if output is None:
        click.echo(statement)
    else:
        output.write_text(statement + "\n", encoding="utf-8")
        click.echo(f"Point de contrôle écrit dans {output}.", err=True)
