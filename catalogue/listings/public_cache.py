"""Anonymous catalogue answers served from a per-process cache in front of Flask.

The profiles (docs/PERFORMANCE.md) show that a public page costs 2 to 15 ms of
CPU per request, and that even a 304 costs 1.8 ms, when a bare Flask answer
costs about 0.5 ms under the same gunicorn: the framework's per-request work
(request context, Flask-Login, Flask-Limiter, Babel, the logging and security
hooks, the session's rollback) and the rendering dwarf the data access. Public
answers depend only on (catalogue version, path, query string, locale), which
is exactly what their ETag hashes (``catalogue.api.caching.etag_for``). So a
WSGI middleware can:

- read the catalogue version at most once per ``token_ttl`` second per process;
- for an anonymous GET of a catalogue path, compute the ETag as Flask would;
- answer ``If-None-Match`` with the 304 Flask gave for that ETag, or serve the
  200 bytes Flask gave for that ETag, without entering Flask;
- otherwise call Flask and keep its answer when it carries that very ETag
  (a version that moved meanwhile gives another ETag: nothing stale is kept).

Publishing, suspending or delisting bumps the version (``cache.catalogue_changed``);
every process sees the new version within ``token_ttl``, a second, well inside
the ``max-age=60`` the answers already allow any cache. Requests carrying the
session or remember cookie (possibly signed in), other methods and other paths
go to Flask untouched.

Enabled by the ``PUBLIC_CACHE`` setting (on by default outside tests); measured
in docs/PERFORMANCE.md.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import text

from catalogue.api.caching import make_etag
from catalogue.public_urls import host_is_trusted

log = logging.getLogger("catalogue.request")

# Paths whose answers are built under ``conditional(cache.current_version(...))``.
CATALOGUE_PATHS = re.compile(
    r"^/(?:|catalogue|catalogue/feed\.atom|catalogue/[a-z0-9-]+|api/v1/apps|api/v1/apps/[^/]+"
    r"|api/v1/categories|opendata/catalogue\.(?:csv|json))$"
)
_NOT_CACHED_HEADERS = {"x-request-id", "set-cookie", "date", "server", "content-length"}


class PublicCache:
    """WSGI middleware: version-keyed answers of anonymous catalogue requests."""

    def __init__(self, flask_app: Any, *, token_ttl: float = 1.0, max_bytes: int = 32 * 2**20,
                 version_reader: Callable[[], int] | None = None):
        self.flask_app = flask_app
        self.version_reader = version_reader or self._read_version
        self.wsgi = flask_app.wsgi_app
        self.engine = flask_app.extensions["engine"]
        self.cookie_names = (flask_app.config["SESSION_COOKIE_NAME"],
                             flask_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
        self.trusted_hosts = flask_app.config.get("TRUSTED_HOSTS")
        self.token_ttl = token_ttl
        self.max_bytes = max_bytes
        self._token: tuple[float, int] = (-1e9, 0)
        self._entries: OrderedDict[tuple[str, int], tuple[str, list[tuple[str, str]], bytes]] = \
            OrderedDict()
        self._bytes = 0

    # --- the version token, read at most once per token_ttl ---------------------------
    def token(self) -> int:
        read_at, value = self._token
        now = time.monotonic()
        if now - read_at < self.token_ttl:
            return value
        value = self.version_reader()
        self._token = (now, value)
        return value

    def _read_version(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT version FROM catalogue_version WHERE id = 1")).scalar() or 0

    # --- a bounded LRU of answers ---------------------------------------------------
    def _get(self, key: tuple[str, int]) -> tuple[str, list[tuple[str, str]], bytes] | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def _put(self, key: tuple[str, int], entry: tuple[str, list[tuple[str, str]], bytes]) -> None:
        size = len(entry[2]) + 200
        if size > self.max_bytes // 4:
            return
        if key in self._entries:
            return
        self._entries[key] = entry
        self._bytes += size
        while self._bytes > self.max_bytes and self._entries:
            _, old = self._entries.popitem(last=False)
            self._bytes -= len(old[2]) + 200

    # --- WSGI -----------------------------------------------------------------------
    def _cacheable(self, environ: dict[str, Any]) -> bool:
        if environ.get("REQUEST_METHOD") != "GET":
            return False
        if not CATALOGUE_PATHS.match(environ.get("PATH_INFO", "")):
            return False
        # Another Host goes to Flask, which answers 400; the answers kept here never depend
        # on the Host anyway (absolute URLs come from BASE_URL).
        if not host_is_trusted(environ, self.trusted_hosts):
            return False
        cookies = environ.get("HTTP_COOKIE", "")
        if any(name in cookies for name in self.cookie_names):
            return False
        # ?lang= writes the choice into the session: Flask must answer (and set the cookie).
        return "lang" not in parse_qs(environ.get("QUERY_STRING", ""))

    def etag(self, environ: dict[str, Any], token: int) -> str:
        """The ETag Flask gives an anonymous request without ``lang`` (French)."""
        return make_etag(token, environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), "fr")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not self._cacheable(environ):
            return self.wsgi(environ, start_response)
        started = time.perf_counter()
        etag = self.etag(environ, self.token())
        inm = environ.get("HTTP_IF_NONE_MATCH", "")
        conditional = bool(inm) and etag.strip('"') in inm
        key = (etag, 304 if conditional else 200)
        entry = self._get(key)
        if entry is None:
            return self._through_flask(environ, start_response, key)
        status, headers, body = entry
        request_id = uuid.uuid4().hex
        start_response(status, [*headers, ("X-Request-ID", request_id),
                                ("Content-Length", str(len(body)))])
        log.info("request_id=%s method=GET path=%s status=%s duration_ms=%.1f cache=hit", request_id,
                 json.dumps(environ.get("PATH_INFO", "")), status[:3], (time.perf_counter() - started) * 1000)
        return [body]

    def _through_flask(self, environ: dict[str, Any], start_response: Callable[..., Any],
                       key: tuple[str, int]) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        chunks = self.wsgi(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status = captured.get("status", "")
        headers = captured.get("headers", [])
        etag = next((v for k, v in headers if k.lower() == "etag"), None)
        if status[:3] == str(key[1]) and etag == key[0] and \
                not any(k.lower() == "set-cookie" for k, _ in headers):
            self._put(key, (status, [(k, v) for k, v in headers
                                     if k.lower() not in _NOT_CACHED_HEADERS], body))
        return [body]
