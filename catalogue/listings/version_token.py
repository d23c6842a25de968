"""Where processes read the catalogue's version token: the database, or Redis shared by all.

The public cache (``public_cache.PublicCache``) keys its answers by this token and
reads it at most once a second. Without Redis each process reads it from the
database. With ``REDIS_URL`` every process reads one shared key instead, which
the commit that bumps the version publishes (``cache.catalogue_changed``): the
database is no longer polled by every process, and all processes switch to the
new version together. The key expires after ``ttl`` seconds and is then read
again from the database, so a publication lost to a Redis outage heals within
a minute (the ``max-age`` public answers already allow).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

_READ = text("SELECT version FROM catalogue_version WHERE id = 1")

# Set the key to the given version unless it already holds a greater one: two commits'
# publications may arrive out of order, the token never goes back.
_PUBLISH_MAX = """
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local wanted = tonumber(ARGV[1])
if wanted > current then
  redis.call('SET', KEYS[1], wanted, 'EX', ARGV[2])
  return wanted
end
return current
"""


class VersionToken(Protocol):
    """The catalogue version as public answers' ETags use it."""

    def read(self) -> int: ...
    def publish(self, version: int) -> None: ...


class DatabaseToken:
    """The version read from ``catalogue_version`` (one process, or no Redis)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def read(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(_READ).scalar() or 0

    def publish(self, version: int) -> None:
        """Nothing to do: the commit itself published it."""


class RedisToken:
    """The version shared through one Redis key per database, the database as fallback."""

    def __init__(self, redis: Any, database: DatabaseToken, database_url: str, ttl: int = 60):
        self.redis = redis
        self.database = database
        self.ttl = ttl
        # One key per database: deployments (and test runs) sharing a Redis never mix.
        self.key = "catalogue-version:" + hashlib.sha256(database_url.encode()).hexdigest()[:16]
        self._publish = redis.register_script(_PUBLISH_MAX)

    def read(self) -> int:
        from redis.exceptions import RedisError  # redis is only imported with REDIS_URL

        try:
            raw = self.redis.get(self.key)
            if raw is not None:
                return int(raw)
            version = self.database.read()
            return int(self._publish(keys=[self.key], args=[version, self.ttl]))
        except RedisError as exc:
            log.warning("catalogue version token: Redis unavailable, read from the database (%s)", exc)
            return self.database.read()

    def publish(self, version: int) -> None:
        self._publish(keys=[self.key], args=[version, self.ttl])


_token: VersionToken | None = None


def configure(token: VersionToken | None) -> None:
    """Set the process-wide token (``create_app``)."""
    global _token
    _token = token


def get_token() -> VersionToken | None:
    """The configured token (None before ``create_app``)."""
    return _token


def publish(version: int) -> None:
    """Tell every process the committed version (after commit; no-op without Redis)."""
    if _token is not None:
        _token.publish(version)


def from_settings(engine: Engine, redis_url: str | None, database_url: str) -> VersionToken:
    """The token for these settings: Redis when configured, else the database."""
    database = DatabaseToken(engine)
    if not redis_url:
        return database
    from redis import Redis

    return RedisToken(Redis.from_url(redis_url, socket_timeout=1), database, database_url)
