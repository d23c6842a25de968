"""Open data exports (CSV, JSON, Atom) built once per catalogue version, then streamed.

The first reader of a catalogue version writes the export to a temporary file, row by
row (the row-building code stays in ``catalogue.listings.views``), and stores it under
a key naming the version and what else the bytes depend on (base URL, language);
every later request of that version, in any process, streams the stored object
(``sendfile`` for files on disk) with ``ETag`` and ``Last-Modified``. A file lock
makes the workers of one machine build it once; two machines may both build it, and
the storage's atomic writes make that harmless. No worker ever holds a whole
export in memory.

A transaction that changed the catalogue itself (``catalogue.search.changes``) gets
its export built for it alone, never stored: its data is not committed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from flask import Response, request
from sqlalchemy.orm import Session

from catalogue.api.caching import conditional
from catalogue.listings import cache
from catalogue.search import changes
from catalogue.storage.services import StorageError, get_storage

# Older versions of an export removed when a newer one is stored.
KEEP_BEHIND = 20
CHUNK = 64 * 1024
_namespace = "exports"

Writer = Callable[[IO[bytes]], None]


def reset(namespace: str) -> None:
    """Store exports under another prefix (tests, whose rolled-back data reuses versions)."""
    global _namespace
    _namespace = namespace


def key_for(kind: str, version: int, variant: str) -> str:
    """The storage key of one export of one version (``variant``: what else it depends on)."""
    digest = hashlib.sha256(variant.encode()).hexdigest()[:16]
    return f"{_namespace}/catalogue-{kind}-{digest}-v{version}"


@contextmanager
def _lock(key: str) -> Iterator[None]:
    path = Path(tempfile.gettempdir()) / ("catalogue-" + hashlib.sha256(key.encode()).hexdigest()[:24]
                                          + ".lock")
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build_file(write: Writer) -> Path:
    with tempfile.NamedTemporaryFile("wb", prefix="catalogue-export-", delete=False) as handle:
        try:
            write(handle)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
    return Path(handle.name)


def ensure(session: Session, kind: str, variant: str, write: Writer, version: int) -> str:
    """Store the export of ``version`` unless someone already has; its storage key."""
    key = key_for(kind, version, variant)
    storage = get_storage()
    if storage.exists(key):
        return key
    with _lock(key):
        if not storage.exists(key):
            path = _build_file(write)
            try:
                storage.put_file(key, path)
            finally:
                path.unlink(missing_ok=True)
            for old in range(max(0, version - KEEP_BEHIND), version):
                # An old file left behind costs disk, not correctness.
                with contextlib.suppress(StorageError):
                    storage.delete(key_for(kind, old, variant))
    return key


def _lazy(open_handle: Callable[[], IO[bytes]]) -> Iterator[bytes]:
    with open_handle() as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _streamed(open_handle: Callable[[], IO[bytes]], size: int, mimetype: str,
              disposition: str | None, last_modified: datetime) -> Response:
    """The answer, streamed: the server's ``sendfile`` when it offers one (gunicorn),
    else chunks read from a handle opened only once the body is read."""
    wrapper = request.environ.get("wsgi.file_wrapper")
    body: Any = wrapper(open_handle(), CHUNK) if wrapper else _lazy(open_handle)
    response = Response(body, mimetype=mimetype, direct_passthrough=True)
    response.content_length = size
    if disposition:
        response.headers["Content-Disposition"] = disposition
    response.last_modified = last_modified
    return response


def serve(session: Session, kind: str, variant: str, write: Writer, *, mimetype: str,
          disposition: str | None = None) -> Response:
    """Answer a request for an export: 304, or the stored file of the current version."""
    version, changed_at = cache.version_key(session)
    changed_at = (changed_at or datetime(2026, 1, 1, tzinfo=UTC)).replace(microsecond=0)

    def build() -> Response:
        if changes.changed(session):
            path = _build_file(write)
            handle = path.open("rb")
            size = path.stat().st_size
            path.unlink()  # the open handle keeps the data until the answer is sent
            return _streamed(lambda: handle, size, mimetype, disposition, changed_at)
        key = ensure(session, kind, variant, write, version)
        storage = get_storage()
        return _streamed(lambda: storage.open(key), storage.size(key), mimetype, disposition,
                         changed_at)

    # If-Modified-Since of this version or later (and no If-None-Match, which wins):
    # nothing to send (RFC 9110 §13.1.3). ``conditional`` puts ETag and caching
    # headers on 200s only, hence an empty 200 turned into the 304.
    not_modified = bool(request.if_modified_since and not request.if_none_match
                        and changed_at <= request.if_modified_since)
    response = conditional(version, (lambda: Response(status=200)) if not_modified else build)
    if not_modified and response.status_code == 200:
        response.status_code = 304
    response.last_modified = changed_at
    return response
