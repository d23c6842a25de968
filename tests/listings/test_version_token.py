"""The catalogue version token shared through Redis: every process's public cache
switches to a new version as soon as the change commits, without polling the database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from catalogue import db
from catalogue.listings import cache, version_token
from catalogue.listings.public_cache import PublicCache
from tests.redis_server import redis_or_skip


@pytest.fixture
def shared_token(app: Any) -> Iterator[version_token.RedisToken]:
    redis = redis_or_skip()
    # A database URL of its own: a key no other test run shares.
    token = version_token.RedisToken(redis, version_token.DatabaseToken(app.extensions["engine"]),
                                     f"test://{uuid.uuid4().hex}")
    previous = version_token.get_token()
    version_token.configure(token)
    try:
        yield token
    finally:
        version_token.configure(previous)
        redis.delete(token.key)
        redis.close()


def test_token_never_goes_back_and_expires(shared_token):
    shared_token.publish(7)
    shared_token.publish(5)  # a late publication of an older commit
    assert shared_token.read() == 7
    assert 0 < shared_token.redis.ttl(shared_token.key) <= 60


def test_missing_key_is_read_from_the_database(shared_token, engine):
    committed = version_token.DatabaseToken(engine).read()
    assert shared_token.read() == committed
    assert int(shared_token.redis.get(shared_token.key)) == committed


def test_commit_publishes_the_new_version_rollback_does_not(shared_token, seed_catalogue, session):
    seed_catalogue(2)
    committed = cache.current_version(session)
    assert shared_token.read() == committed
    cache.catalogue_changed(session)
    db.rollback()
    assert shared_token.read() == committed


def test_two_processes_switch_to_a_new_version_together(app, shared_token, seed_catalogue,
                                                       count_queries):
    seed_catalogue(2)
    first, second = (PublicCache(app, token_ttl=0, version_reader=shared_token.read) for _ in range(2))
    processes = []
    for middleware in (first, second):
        app.wsgi_app = middleware
        processes.append(app.test_client())
    original = first.wsgi
    try:
        assert [p.get("/api/v1/apps").json["total"] for p in processes] == [2, 2]
        with count_queries() as counter:
            assert processes[1].get("/api/v1/apps").json["total"] == 2
        assert counter.statements == []  # token from Redis, answer from the cache
        seed_catalogue(4)  # committed: the version is published
        assert [p.get("/api/v1/apps").json["total"] for p in processes] == [4, 4]
    finally:
        app.wsgi_app = original
