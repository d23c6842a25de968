"""Schema migrations (Flask-Migrate, i.e. Alembic), loaded only by what migrates.

Alembic weighs 11 MiB and 0.3–0.8 s of import in every process that loads it; a web
worker, a job or a test that does not migrate never needs it (docs/PERFORMANCE.md §0.1).
``flask db …`` is still listed with the application's commands: the group is resolved
on first use (``CommandLine``), and ``upgrade`` migrates from code (tests, tools).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import MetaData

from catalogue import db
from catalogue.core.lazy import lazy_module

if TYPE_CHECKING:
    import flask_migrate
else:
    flask_migrate = lazy_module("flask_migrate")

DIRECTORY = str(Path(__file__).resolve().parent.parent.parent / "migrations")
COMMAND = "db"


class _Metadata:
    """What Flask-Migrate needs of a database object: the metadata."""

    @property
    def metadata(self) -> MetaData:
        return db.Base.metadata


def enable(app: Flask) -> None:
    """Set Flask-Migrate up on ``app`` (once): ``flask db`` and ``flask_migrate``'s
    functions need it."""
    if "migrate" not in app.extensions:
        flask_migrate.Migrate(app, db=_Metadata(), directory=DIRECTORY, command=COMMAND)


def upgrade(revision: str = "heads") -> None:
    """Migrate the current application's database to ``revision`` (all heads by default)."""
    enable(current_app)
    flask_migrate.upgrade(directory=DIRECTORY, revision=revision)


class CommandLine(AppGroup):
    """The application's ``flask`` commands, where ``db`` is Flask-Migrate's group, set
    up the first time a command line asks for it (to run it, or to list the commands)."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self._app = app

    def _migrations(self) -> None:
        if COMMAND not in self.commands:
            enable(self._app)  # adds Flask-Migrate's group to this one

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == COMMAND:
            self._migrations()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), COMMAND})
