"""Alembic environment: the application's engine and the metadata of every model."""

from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

import catalogue.models  # noqa: F401 - every mapper, so the metadata is complete
from catalogue.db import Base

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_metadata = Base.metadata

# Tables that live outside the ORM metadata (full-text index structures managed by
# catalogue.search) are neither created nor dropped by autogenerate.
EXTERNAL_TABLE_PREFIXES = ("search_fts",)


def include_name(name: str | None, type_: str, _parent_names: dict) -> bool:
    return not (type_ == "table" and name and name.startswith(EXTERNAL_TABLE_PREFIXES))


def _engine():
    return current_app.extensions["engine"]


def run_migrations_offline() -> None:
    context.configure(
        url=str(_engine().url), target_metadata=target_metadata, literal_binds=True,
        include_name=include_name, render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def process_revision_directives(context_, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    connectable = current_app.config.get("DB_BIND") or _engine()
    with connectable.connect() if hasattr(connectable, "connect") and not hasattr(
        connectable, "in_transaction"
    ) else _nullcontext(connectable) as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            process_revision_directives=process_revision_directives,
            include_name=include_name,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


class _nullcontext:
    def __init__(self, value):
        self.value = value

    def __enter__(self):
        return self.value

    def __exit__(self, *exc):
        return False


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
