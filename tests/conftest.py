"""Test infrastructure (CONVENTIONS "Tests").

- The schema comes from the migrations, run once per test session (never create_all).
- Each test runs inside a transaction rolled back at the end (savepoint pattern):
  services and views may commit, nothing survives the test.
- SQLite by default; ``TEST_DATABASE_URL=postgresql+psycopg://…`` runs the same
  suite on PostgreSQL, in a fresh database created for the session and dropped after.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from xdist.scheduler import LoadScopeScheduling

from catalogue import db
from catalogue.accounts.models import Role, User
from catalogue.app import activate, create_app
from catalogue.core import migrations
from catalogue.extensions import limiter
from catalogue.listings import exports
from catalogue.search import index as search_index
from config import SETTINGS
from tests.seeded_demo import seeded_demo as build_seeded_demo

# The suite is hermetic: a deployed machine's environment (SECRET_KEY, DATABASE_URL,
# CATALOGUE_ENV, REDIS_URL…) must not leak into the settings the tests build. Tests that
# want a setting pass it to create_app; TEST_DATABASE_URL is the suite's own variable.
for _setting in SETTINGS:
    os.environ.pop(_setting.env, None)

# Each domain keeps its factories in tests/factories_<domain>.py (fixtures).
pytest_plugins = ["tests.factories"] + [
    f"tests.{path.stem}" for path in sorted(Path(__file__).parent.glob("factories_*.py"))
]


def _create_postgres_database(url: str) -> tuple[str, str]:
    """A fresh database named after the given one, unique to this test process."""
    parsed = make_url(url)
    name = f"{parsed.database or 'catalogue_test'}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_database(url: str, name: str) -> None:
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# How `make test` spreads the suite over workers (pytest-xdist, `--dist loadscope`, whose units
# this module names): every module is one unit, so module fixtures are built once, except the
# browser modules, which run in two chains on two workers only: each browser worker starts a
# Chromium, a live server and a Nu checker, and the chains are long, so they go first while the
# other workers take the rest. The chains are balanced by their measured lengths.
# (Not `--dist loadgroup` with markers: pytest 9.2 keeps a node's id where pytest-xdist 3.8
# no longer writes the group, so every test became its own unit.)
BROWSER_CHAINS = {
    "test_commission_journey.py": "a", "test_frameworks_pages.py": "a", "test_decision_governs.py": "a",
    "test_connect_journeys.py": "a",
    "test_work_pages.py": "b", "test_publisher_journey.py": "b", "test_accounts_journey.py": "b",
    "test_patient_journey.py": "b",
}


class SuiteScheduling(LoadScopeScheduling):
    """pytest-xdist's scope scheduling with the suite's units (see BROWSER_CHAINS)."""

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        if path.startswith("tests/browser/"):
            return f"browser-{BROWSER_CHAINS.get(path.rsplit('/', 1)[-1], 'a')}"
        return path


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling | None:
    """Our units whenever the run asks for scopes (the Makefile does)."""
    if config.getvalue("dist") == "loadscope":
        return SuiteScheduling(config, log)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The browser chains first: they are the longest units."""
    items.sort(key=lambda item: not item.get_closest_marker("browser"))


@pytest.fixture(scope="session")
def seeded_demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's seeded demo (tests/seeded_demo.py), built once whatever the number of xdist
    workers: their base folders share a parent."""
    base = tmp_path_factory.getbasetemp()
    return build_seeded_demo(base.parent if hasattr(request.config, "workerinput") else base)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured and configured.startswith("postgresql"):
        url, name = _create_postgres_database(configured)
        yield url
        _drop_postgres_database(configured, name)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    storage_dir = tmp_path_factory.mktemp("storage")
    application = create_app(
        {
            "CATALOGUE_ENV": "test",
            "TESTING": True,
            "DATABASE_URL": database_url,
            "STORAGE_URL": f"file://{storage_dir}",
            "MAIL_URL": None,
            "SERVER_NAME": "localhost",
            "PREFERRED_URL_SCHEME": "http",
        }
    )
    with application.app_context():
        migrations.upgrade()
    yield application
    db.session.remove()
    application.extensions["engine"].dispose()


@pytest.fixture
def engine(app: Flask) -> Any:
    return app.extensions["engine"]


@pytest.fixture(autouse=True)
def _transaction(request: pytest.FixtureRequest) -> Iterator[None]:
    """Bind the session to a connection whose outer transaction is rolled back."""
    if "app" not in request.fixturenames:
        yield
        return
    application: Flask = request.getfixturevalue("app")
    # A test may have built another application (production settings, a second worker):
    # each test starts with the suite's settings, storage and mailer.
    activate(application)
    if request.node.get_closest_marker("committing"):
        yield
        return
    connection = application.extensions["engine"].connect()
    outer = connection.begin()
    db.session.remove()
    db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
    limiter.reset()
    # Rolled-back tests reuse catalogue version numbers: forget the indexes built on them.
    exports.reset(f"exports-{uuid.uuid4().hex[:12]}")  # first: it waits for builds still running
    search_index.reset()
    ctx = application.app_context()
    ctx.push()
    try:
        yield
    finally:
        ctx.pop()
        db.session.remove()
        outer.rollback()
        connection.close()
        db.session.configure(bind=application.extensions["engine"],
                             join_transaction_mode="conditional_savepoint")


@pytest.fixture
def session(app: Flask) -> Any:
    """The scoped session, bound to the test's transaction."""
    return db.session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login(client: FlaskClient) -> Any:
    """Sign a user in on the test client without going through the login form
    (that form has its own tests). ``second_factor`` marks the TOTP step as passed."""

    def do_login(user: User, *, second_factor: bool = True, on: FlaskClient | None = None) -> FlaskClient:
        target = on or client
        with target.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
            sess["mfa"] = bool(second_factor and user.needs_second_factor)
        return target

    return do_login


@pytest.fixture
def clock() -> Iterator[Any]:
    """Freeze time: ``clock.move_to(datetime)`` / ``clock.shift(timedelta)``."""
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=__import__("datetime").UTC),
                             tick=False) as traveller:
        yield traveller


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(engine: Any) -> Any:
    """``with count_queries() as counter: …`` then ``counter.count``."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting


@contextmanager
def committed_data(app: Flask) -> Iterator[list[str]]:
    """For tests that commit for real (races, two connections): inside an app context,
    yields the names of the tables that are empty now, and empties them again afterwards
    so that nothing the test committed survives it."""
    from catalogue.db import Base

    engine = app.extensions["engine"]
    with engine.connect() as conn:
        empty_before = [t.name for t in Base.metadata.sorted_tables
                        if conn.execute(text(f'SELECT NOT EXISTS (SELECT 1 FROM "{t.name}")')).scalar()]
    ctx = app.app_context()
    ctx.push()
    try:
        yield empty_before
    finally:
        db.session.remove()
        ctx.pop()
        with engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                if table.name in empty_before:
                    conn.execute(table.delete())


def is_postgres(app: Flask) -> bool:
    return app.extensions["engine"].dialect.name == "postgresql"


__all__ = ["Role", "is_postgres"]
