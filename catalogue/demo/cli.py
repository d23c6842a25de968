"""``flask demo seed``: a realistic demo, built through the services.

Each domain contributes a part (``catalogue/demo/<part>.py`` exposing
``seed(session, options) -> list[str]`` that returns lines to print); parts run
in order, each idempotent, in one transaction.
"""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass, field

import click
from flask import current_app
from flask.cli import AppGroup

from catalogue import db

cli = AppGroup("demo", help="Demo data.")

PARTS = ("accounts", "frameworks", "publishers", "commission", "listings", "oauth")
DEMO_PASSWORD = "Demo-ENS-2026!"  # noqa: S105 - the published demo password (README)


@dataclass
class SeedOptions:
    apps: int
    seed: int
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)


@cli.command("seed")
@click.option("--apps", default=40, show_default=True, type=click.IntRange(0, 200_000),
              help="Published listings to create.")
@click.option("--seed", "seed_", default=2026, show_default=True, type=int,
              help="Random seed, for repeatable data.")
def seed_command(apps: int, seed_: int) -> None:
    """Create the demo accounts, frameworks, publishers, dossiers and listings."""
    if current_app.config["CATALOGUE_ENV"] == "production":
        raise click.ClickException("demo seed refuses to run in production.")
    options = SeedOptions(apps=apps, seed=seed_)
    lines: list[str] = []
    for part in PARTS:
        try:
            module = importlib.import_module(f"catalogue.demo.{part}")
        except ModuleNotFoundError as exc:
            if exc.name != f"catalogue.demo.{part}":
                raise
            continue
        lines.extend(module.seed(db.session, options))
        db.commit()
    for line in lines:
        click.echo(line)
