"""Database plumbing shared by every domain: declarative base, types, session.

Plain SQLAlchemy 2, without Flask, so that services and ``workflows/`` run the
same from a request, the CLI, a job or a test.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import JSON, DateTime, Enum, MetaData, create_engine, event
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every engine (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum], length: int = 40) -> Enum:
    """Store an enum by its value (not its name), as a checked VARCHAR on every engine."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        name=enum_cls.__name__.lower(),
    )


class Base(DeclarativeBase):
    """Declarative base of every model; deterministic constraint names for Alembic."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class RoutingSession(OrmSession):
    """A session that may send plain reads to a read replica (``catalogue.replica``).

    Only when ``info["replica"]`` holds an engine, and only for SELECTs without a
    lock: a flush, any other statement and everything after it in the session go
    to the primary, so what a request wrote is what it reads.
    """

    def get_bind(self, mapper: Any = None, clause: Any = None, **kw: Any) -> Any:
        replica = self.info.get("replica")
        if replica is not None:
            if (not self._flushing and getattr(clause, "is_select", False)
                    and getattr(clause, "_for_update_arg", None) is None):
                return replica
            self.info.pop("replica")  # written (or locked) once: the primary from now on
        return super().get_bind(mapper, clause=clause, **kw)


# One scoped session for the process; bound to an engine by ``configure_engine``.
session = scoped_session(sessionmaker(class_=RoutingSession, expire_on_commit=False))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, open transactions, so SAVEPOINTs behave
    # (pysqlite's own transaction handling breaks them).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the per-dialect settings the application relies on."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 5})
    else:
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    return engine


def configure_engine(engine: Engine | Any) -> None:
    """Bind the process-wide session to an engine (or a connection, in tests)."""
    session.remove()
    session.configure(bind=engine)



# --- After-commit work -------------------------------------------------------
# E-mails, cache purges and jobs must leave only once the data they speak of is
# committed. Services register callbacks; ``commit`` runs them after the commit.
_AFTER_COMMIT = "after_commit_callbacks"


class _Keyed:
    """An after-commit callback registered under a key: one per key and transaction."""

    def __init__(self, key: Any, callback: Any):
        self.key = key
        self.callback = callback

    def __call__(self) -> None:
        self.callback()


def after_commit(db_session: Any, callback: Any, key: Any = None) -> None:
    """Run ``callback()`` once the current transaction of ``db_session`` commits.

    ``key``: registered again under the same key in the transaction, the callback
    runs once, the last one given (a job for the catalogue's final version).
    """
    callbacks = db_session.info.setdefault(_AFTER_COMMIT, [])
    if key is None:
        callbacks.append(callback)
        return
    for position, existing in enumerate(callbacks):
        if isinstance(existing, _Keyed) and existing.key == key:
            callbacks[position] = _Keyed(key, callback)
            return
    callbacks.append(_Keyed(key, callback))


@event.listens_for(OrmSession, "after_soft_rollback")
def _drop_after_commit(db_session: Any, _previous: Any) -> None:  # pragma: no cover - hook
    db_session.info.pop(_AFTER_COMMIT, None)


def commit(db_session: Any = None) -> None:
    """Commit, then run the callbacks registered for this transaction.

    A failing callback is logged and does not undo the commit: whatever it
    carried (an e-mail) stays in the outbox and is retried later.
    """
    import logging

    db_session = db_session or session
    db_session.commit()
    callbacks = db_session.info.pop(_AFTER_COMMIT, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:  # never undo a commit for a side effect (logged below)
            logging.getLogger(__name__).exception("after-commit callback failed")


def rollback(db_session: Any = None) -> None:
    """Roll back and forget the callbacks of the transaction."""
    db_session = db_session or session
    db_session.info.pop(_AFTER_COMMIT, None)
    db_session.rollback()


def changed_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (its result is a cursor result)."""
    return int(cast("CursorResult[Any]", result).rowcount or 0)
