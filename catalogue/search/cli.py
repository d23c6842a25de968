"""``flask search reindex``: rebuild the full-text index from the listings."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from catalogue import db
from catalogue.listings import cache
from catalogue.search import services

cli = AppGroup("search", help="Full-text search index.")


@cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index of every published or suspended listing."""
    count = services.reindex(db.session)
    # A new catalogue version: every process drops the text matches it cached from the
    # old index (catalogue.search.index), and public answers get new ETags.
    cache.catalogue_changed(db.session)
    db.commit()
    click.echo(f"{count} fiche(s) indexée(s).")
