"""The local Redis the tests use (REDIS_TEST_URL, default 127.0.0.1:6379/0; CI starts one).

Tests that need it skip when it is unreachable, and use keys of their own."""

from __future__ import annotations

import os

import pytest
from redis import Redis
from redis.exceptions import RedisError

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")


def redis_or_skip() -> Redis:
    """A client of the test Redis, or skip the test."""
    client = Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except RedisError:
        pytest.skip(f"no Redis at {REDIS_TEST_URL} (CI starts one)")
    return client
