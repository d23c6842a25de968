"""Open data exports (CSV, JSON, Atom) built once per catalogue version, then streamed.

The first reader of a catalogue version starts writing the export, in a thread, to a
temporary file, row by row (the row-building code stays in ``catalogue.listings.views``),
waits for it at most ``WAIT_SECONDS`` (meanwhile later readers get the previous version,
marked ``no-cache``, or a 503 with ``Retry-After`` when there is none), and stores it under
a key naming the version and what else the bytes depend on (base URL, language);
every later request of that version, in any process, streams the stored object
(``sendfile`` for files on disk) with ``ETag`` and ``Last-Modified``. A file lock
makes the workers of one machine build it once; two machines may both build it, and
the storage's atomic writes make that harmless. No worker ever holds a whole
export in memory.

A transaction that changed the catalogue itself (``catalogue.search.changes``) gets
its export built for it alone, never stored: its data is not committed.

With the job queue on Redis, the commit that moves the catalogue version also
enqueues ``build_exports`` (``cache.catalogue_changed``): a worker stores every
export of the new version before readers ask (``build_all``). It asks the export
views themselves, as a reader in each language would, with an order in the WSGI
environ that makes ``serve`` store the export (``ensure``) instead of answering:
same writers, same keys, same bytes. Readers who come first build it as above.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from flask import Flask, Response, current_app, request
from sqlalchemy.orm import Session

from catalogue import db
from catalogue.api.caching import conditional, etag_for
from catalogue.core.locks import file_lock
from catalogue.listings import cache
from catalogue.search import changes
from catalogue.storage.services import StorageError, get_storage
from catalogue.web import problem

# Older versions of an export removed when a newer one is stored.
KEEP_BEHIND = 20
CHUNK = 64 * 1024
# How long a reader waits for a build before it gets the previous version (or a 503).
WAIT_SECONDS = 10.0
RETRY_AFTER = 30
_namespace = "exports"
_threads: dict[str, threading.Thread] = {}
_threads_lock = threading.Lock()
log = logging.getLogger(__name__)

Writer = Callable[[IO[bytes]], None]


def reset(namespace: str) -> None:
    """Store exports under another prefix (tests, whose rolled-back data reuses versions),
    once the builds still running have finished: a build left over from one test must not
    write what it read into the next one's caches."""
    global _namespace
    with _threads_lock:
        running = list(_threads.values())
        _threads.clear()
    for thread in running:
        thread.join(timeout=30)
    _namespace = namespace


def key_for(kind: str, version: int, variant: str) -> str:
    """The storage key of one export of one version (``variant``: what else it depends on)."""
    digest = hashlib.sha256(variant.encode()).hexdigest()[:16]
    return f"{_namespace}/catalogue-{kind}-{digest}-v{version}"


def _lock(key: str) -> AbstractContextManager[None]:
    return file_lock(Path(tempfile.gettempdir())
                     / ("catalogue-" + hashlib.sha256(key.encode()).hexdigest()[:24] + ".lock"))


def _build_file(write: Writer) -> Path:
    with tempfile.NamedTemporaryFile("wb", prefix="catalogue-export-", delete=False) as handle:
        try:
            write(handle)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
    return Path(handle.name)


def ensure(kind: str, variant: str, write: Writer, version: int) -> str:
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


def _build_in_background(app: Flask, kind: str, variant: str, write: Writer, version: int
                         ) -> None:
    try:
        with app.app_context():
            ensure(kind, variant, write, version)
    except Exception:  # logged; the next reader starts another build
        log.exception("export %s of version %s failed", kind, version)
    finally:
        db.session.remove()  # the thread's own session (``write`` reads through db.session)


def _start_build(kind: str, variant: str, write: Writer, version: int) -> threading.Thread:
    """The build of this export and version, started in a thread unless one runs already."""
    key = key_for(kind, version, variant)
    with _threads_lock:
        thread = _threads.get(key)
        if thread is None or not thread.is_alive():
            thread = threading.Thread(target=_build_in_background, name=f"export-{kind}",
                                      args=(current_app._get_current_object(), kind, variant,
                                            write, version), daemon=True)
            _threads[key] = thread
            thread.start()
    return thread


class _NotReady(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__("export not ready")
        self.response = response


def _previous_or_unavailable(kind: str, variant: str, version: int, mimetype: str,
                             disposition: str | None) -> Response:
    """While a version's export is being built: the newest older one, marked as such, or 503."""
    storage = get_storage()
    for older in range(version - 1, max(0, version - KEEP_BEHIND) - 1, -1):
        key = key_for(kind, older, variant)
        if storage.exists(key):
            response = _streamed(lambda found=key: storage.open(found), storage.size(key),
                                 mimetype, disposition, None)
            # Its own version's ETag, and no reuse without asking again: the new one comes.
            response.headers["ETag"] = etag_for(older)
            response.headers["Cache-Control"] = "no-cache"
            return response
    response = problem(503, "Export en préparation",
                       "Le fichier de cette version du catalogue est en cours de préparation ; "
                       "réessayez dans quelques secondes.")
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def _lazy(open_handle: Callable[[], IO[bytes]]) -> Iterator[bytes]:
    with open_handle() as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _streamed(open_handle: Callable[[], IO[bytes]], size: int, mimetype: str,
              disposition: str | None, last_modified: datetime | None) -> Response:
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
          disposition: str | None = None, in_request: bool = False) -> Response:
    """Answer a request for an export: 304, or the stored file of the current version.

    ``in_request``: build it in the request (small exports whose ``write`` needs the
    request, such as a template in the reader's language), not in a thread.
    """
    version, changed_at = cache.version_key(session)
    order = request.environ.get(_ORDER)
    if isinstance(order, BuildOrder):
        order.store(kind, variant, write, version)
        return Response(status=204)
    changed_at = (changed_at or datetime(2026, 1, 1, tzinfo=UTC)).replace(microsecond=0)

    def build() -> Response:
        if changes.changed(session):
            path = _build_file(write)
            handle = path.open("rb")
            size = path.stat().st_size
            path.unlink()  # the open handle keeps the data until the answer is sent
            return _streamed(lambda: handle, size, mimetype, disposition, changed_at)
        storage = get_storage()
        key = key_for(kind, version, variant)
        if in_request:
            ensure(kind, variant, write, version)
        elif not storage.exists(key):
            # Built off the request (a 100,000-app CSV takes longer than a worker may
            # answer); small catalogues are ready within the wait.
            _start_build(kind, variant, write, version).join(WAIT_SECONDS)
            if not storage.exists(key):
                raise _NotReady(_previous_or_unavailable(kind, variant, version, mimetype,
                                                         disposition))
        return _streamed(lambda: storage.open(key), storage.size(key), mimetype, disposition,
                         changed_at)

    # If-Modified-Since of this version or later (and no If-None-Match, which wins):
    # nothing to send (RFC 9110 §13.1.3). ``conditional`` puts ETag and caching
    # headers on 200s only, hence an empty 200 turned into the 304.
    not_modified = bool(request.if_modified_since and not request.if_none_match
                        and changed_at <= request.if_modified_since)
    try:
        response = conditional(version, (lambda: Response(status=200)) if not_modified else build)
    except _NotReady as not_ready:
        return not_ready.response
    if not_modified and response.status_code == 200:
        response.status_code = 304
    response.last_modified = changed_at
    return response


# --- Built ahead by a job (``catalogue.jobs.tasks.build_exports``) -------------------

# Every export of a version is what these paths answer in each language a reader may
# choose (``extensions.select_locale``); the variant names what the bytes depend on,
# so an export that does not depend on the language is stored once.
EXPORT_PATHS = ("/opendata/catalogue.csv", "/opendata/catalogue.json", "/catalogue/feed.atom")
LANGUAGES = ("fr", "en")
# The WSGI environ key of the order: no client can set it (headers become ``HTTP_*``).
_ORDER = "catalogue.export_order"


@dataclass
class BuildOrder:
    """What ``build_all`` asks of ``serve``: store this version's export, answer nothing."""

    version: int
    built: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)  # stored already (by a reader, a retry)
    stale: bool = False  # the catalogue moved on meanwhile: that version's job builds

    def store(self, kind: str, variant: str, write: Writer, version: int) -> None:
        if version != self.version:
            self.stale = True
            return
        key = key_for(kind, version, variant)
        if key in self.built or key in self.found:
            return
        if get_storage().exists(key):
            self.found.append(key)
        else:
            self.built.append(ensure(kind, variant, write, version))

    def summary(self) -> str:
        done = f"{len(self.built)} built, {len(self.found)} already stored"
        return f"version {self.version}: " + (f"superseded ({done})" if self.stale else done)


def build_all(app: Flask, version: int) -> BuildOrder:
    """Store every export of catalogue ``version`` unless stored already; nothing when the
    catalogue has moved past it (the newer version's own job builds that one)."""
    order = BuildOrder(version)
    if cache.current_version(db.session) != version:
        order.stale = True
        return order
    for path in EXPORT_PATHS:
        for lang in LANGUAGES:
            # A context of its own per request: the locale and the user are cached on ``g``.
            with app.app_context(), app.test_request_context(
                    path, base_url=app.config["BASE_URL"], query_string={"lang": lang},
                    environ_base={_ORDER: order}):
                app.dispatch_request()
            if order.stale:
                return order
    return order
