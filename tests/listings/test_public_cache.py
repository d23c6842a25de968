"""The public cache in front of Flask (``catalogue.listings.public_cache``):
it may only ever serve what Flask answered for the current catalogue version."""

from __future__ import annotations

from typing import Any

import pytest

from catalogue import db
from catalogue.listings import cache
from catalogue.listings.public_cache import PublicCache


@pytest.fixture
def cached_client(app: Any, seed_catalogue: Any) -> Any:
    seed_catalogue(3)
    original = app.wsgi_app
    # The version is read through the test's session (its transaction is never committed
    # for other connections); TTL 0 so that a change is seen at the next request.
    app.wsgi_app = PublicCache(app, token_ttl=0,
                               version_reader=lambda: cache.current_version(db.session))
    try:
        yield app.test_client()
    finally:
        app.wsgi_app = original


def _without_request_id(response: Any) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in response.headers.items()
                  if k not in ("X-Request-ID", "Date"))


@pytest.mark.parametrize("path", ["/", "/catalogue?q=donn%C3%A9es", "/api/v1/apps"])
def test_second_anonymous_request_is_served_from_cache_identically(cached_client, count_queries, path):
    first = cached_client.get(path)
    assert first.status_code == 200
    with count_queries() as counter:
        second = cached_client.get(path)
    # Only the version token was read (TTL 0 here; 1 s in production): Flask did nothing.
    assert [q for q in counter.statements if "catalogue_version" not in q] == []
    assert second.data == first.data
    assert _without_request_id(second) == _without_request_id(first)


def test_conditional_request_is_answered_304_from_cache(cached_client, count_queries):
    etag = cached_client.get("/api/v1/apps").headers["ETag"]
    through_flask = cached_client.get("/api/v1/apps", headers={"If-None-Match": etag})
    with count_queries() as counter:
        cached = cached_client.get("/api/v1/apps", headers={"If-None-Match": etag})
    assert through_flask.status_code == cached.status_code == 304
    assert [q for q in counter.statements if "catalogue_version" not in q] == []
    assert cached.headers["ETag"] == etag
    assert cached.headers["Cache-Control"] == "public, max-age=60"


def test_a_catalogue_change_is_never_hidden_by_the_cache(cached_client, seed_catalogue):
    before = cached_client.get("/api/v1/apps")
    assert before.json["total"] == 3
    seed_catalogue(5)  # publishes two more listings and bumps the catalogue version
    after = cached_client.get("/api/v1/apps")
    assert after.json["total"] == 5
    assert after.headers["ETag"] != before.headers["ETag"]
    stale = cached_client.get("/api/v1/apps", headers={"If-None-Match": before.headers["ETag"]})
    assert stale.status_code == 200


def test_requests_with_a_session_cookie_go_to_flask(cached_client, count_queries):
    cached_client.get("/api/v1/apps")
    cached_client.set_cookie("ens_session", "anything")
    with count_queries() as counter:
        response = cached_client.get("/api/v1/apps")
    assert response.status_code == 200
    assert [q for q in counter.statements if "catalogue_version" not in q] != []


def test_the_cache_is_installed_outside_tests_and_can_be_turned_off():
    from config import load_config

    assert load_config({"CATALOGUE_ENV": "development"})["PUBLIC_CACHE"] is True
    assert load_config({"CATALOGUE_ENV": "test"})["PUBLIC_CACHE"] is False
    assert load_config({"CATALOGUE_ENV": "development", "PUBLIC_CACHE": "false"})["PUBLIC_CACHE"] is False
