"""``flask search reindex``: rebuild the full-text index from the listings."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from catalogue import db
from catalogue.search import services

cli = AppGroup("search", help="Full-text search index.")


@cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index of every published or suspended listing."""
    count = services.reindex(db.session)
    db.commit()
    click.echo(f"{count} fiche(s) indexée(s).")
