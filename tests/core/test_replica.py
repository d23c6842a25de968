"""``DATABASE_REPLICA_URL``: anonymous catalogue reads go to the replica, everything else
and anything just written to the primary.

No streaming replication here: the "replica" is a different database (on the same
PostgreSQL server, or another SQLite file) holding a marker the primary lacks, which
proves where each request read. The primary holds two published listings (in the
test's transaction); the replica holds none, and its catalogue version is 777.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from catalogue import db, replica
from catalogue.api.caching import make_etag
from catalogue.core import migrations
from catalogue.listings.models import CatalogueVersion
from tests.conftest import _create_postgres_database, _drop_postgres_database, is_postgres

MARKER = 777


@pytest.fixture(scope="module")
def replica_engine(app, database_url, tmp_path_factory) -> Iterator[Any]:
    if is_postgres(app):
        url, name = _create_postgres_database(database_url)
    else:
        url, name = f"sqlite:///{tmp_path_factory.mktemp('replica') / 'replica.sqlite'}", None
    engine = db.make_engine(url)
    previous_bind = app.config.get("DB_BIND")
    app.config["DB_BIND"] = engine
    try:
        with app.app_context():
            migrations.upgrade()
    finally:
        app.config["DB_BIND"] = previous_bind
    with engine.begin() as conn:
        conn.execute(update(CatalogueVersion).values(version=MARKER))
    yield engine
    engine.dispose()
    if name:
        _drop_postgres_database(database_url, name)


@pytest.fixture
def with_replica(app, replica_engine, seed_catalogue) -> Iterator[None]:
    seed_catalogue(2)
    replica.install(app, replica_engine)
    try:
        yield
    finally:
        replica.install(app, None)


def _from_replica(response: Any, path: str) -> bool:
    return response.headers.get("ETag") == make_etag(MARKER, path, "", "fr")


@pytest.mark.parametrize("path", ["/api/v1/apps", "/catalogue", "/", "/opendata/catalogue.json",
                                  "/catalogue/feed.atom"])
def test_anonymous_catalogue_reads_go_to_the_replica(client, with_replica, path):
    response = client.get(path)
    assert response.status_code == 200
    assert _from_replica(response, path)


def test_replica_content_is_what_anonymous_visitors_get(client, with_replica):
    assert client.get("/api/v1/apps").json["total"] == 0  # the replica has no listing yet


def test_without_replica_the_same_request_reads_the_primary(client, seed_catalogue):
    seed_catalogue(2)
    response = client.get("/api/v1/apps")
    assert response.json["total"] == 2 and not _from_replica(response, "/api/v1/apps")


def test_a_visitor_with_a_session_reads_the_primary(client, with_replica, login, make_user):
    # Whoever carries a session may just have written something: primary.
    client.set_cookie("ens_session", "anything")
    assert client.get("/api/v1/apps").json["total"] == 2
    client.delete_cookie("ens_session")
    login(make_user())
    assert client.get("/api/v1/apps").json["total"] == 2


def test_a_write_sends_the_rest_of_the_session_to_the_primary(app, replica_engine, session, make_user):
    session.info["replica"] = replica_engine
    assert session.scalar(select(CatalogueVersion.version)) == MARKER
    make_user()  # a flush: the primary from now on, reads included
    assert session.scalar(select(CatalogueVersion.version)) != MARKER
    assert "replica" not in session.info


def test_locking_reads_go_to_the_primary(replica_engine, session, seed_catalogue):
    seed_catalogue(1)
    session.info["replica"] = replica_engine
    locked = session.scalar(select(CatalogueVersion.version).with_for_update())
    assert locked != MARKER
