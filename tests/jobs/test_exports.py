"""Export rebuilds as jobs: on Redis, the commit that moves the catalogue version enqueues
one ``build_exports``; the worker stores every export of that version, which readers then
stream without building. Without Redis nothing is enqueued: the first reader builds."""

from __future__ import annotations

import uuid
from typing import Any

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.jobs import queue as jobs_queue
from catalogue.jobs import tasks
from catalogue.listings import cache, exports
from catalogue.listings import services as listings
from catalogue.storage.services import get_storage
from tests.factories_listings import reload


def _keys(app: Any, version: int) -> dict[str, str]:
    """The storage keys of every export of ``version``, as readers name them."""
    base = app.config["BASE_URL"].rstrip("/")
    return {"/opendata/catalogue.csv": exports.key_for("csv", version, base),
            "/opendata/catalogue.json": exports.key_for("json", version, base),
            "/catalogue/feed.atom": exports.key_for("atom", version, f"{base}|fr"),
            "/catalogue/feed.atom?lang=en": exports.key_for("atom", version, f"{base}|en")}


def _stored(key: str) -> bytes:
    with get_storage().open(key) as handle:
        return handle.read()


def _no_build(*_args: Any) -> Any:
    raise AssertionError("a reader started a build: the export should have been stored")


def test_catalogue_change_enqueues_one_build_job_after_commit(app, session, bulk_listings, make_user,
                                                              redis_jobs):
    first, second = bulk_listings([{"name": "Glycémie Facile"}, {"name": "Sérénité"}])
    redis_jobs.queue.empty()
    secretariat = make_user(roles=[Role.SECRETARIAT])
    # Two changes in one transaction: one job, for the version the commit leaves.
    listings.suspend_listing(session, reload(first), actor=secretariat, reason="Faille de sécurité.")
    listings.suspend_listing(session, reload(second), actor=secretariat, reason="Faille de sécurité.")
    version = cache.current_version(session)
    assert redis_jobs.queue.count == 0  # nothing leaves before the commit
    db.commit()
    assert [(job.func_name, job.args) for job in redis_jobs.queue.jobs] == [
        (jobs_queue.BUILD_EXPORTS, (version,))]
    assert redis_jobs.queue.jobs[0].retries_left == 3  # the queue's policy: 60 s, 5 min, 15 min
    assert not any(get_storage().exists(key) for key in _keys(app, version).values())  # only enqueued


def test_rolled_back_change_enqueues_nothing(session, bulk_listings, make_user, redis_jobs):
    (listing,) = bulk_listings([{"name": "Sérénité"}])
    redis_jobs.queue.empty()
    listings.suspend_listing(session, reload(listing), actor=make_user(roles=[Role.SECRETARIAT]),
                             reason="Faille de sécurité.")
    db.rollback()
    db.commit()
    assert redis_jobs.queue.count == 0


def test_worker_stores_every_export_and_readers_stream_them(app, client, session, bulk_listings,
                                                            redis_jobs, run_worker, monkeypatch):
    bulk_listings([{"name": "Glycémie Facile"}, {"name": "Sérénité"}])
    version = cache.current_version(session)
    keys = _keys(app, version)
    assert redis_jobs.queue.count == 1
    run_worker()
    assert redis_jobs.failed() == []
    finished = redis_jobs.queue.finished_job_registry
    result = redis_jobs.queue.fetch_job(finished.get_job_ids()[0]).return_value()
    assert result == f"version {version}: 4 built, 0 already stored"
    assert all(get_storage().exists(key) for key in keys.values())
    assert "Glycémie Facile".encode() in _stored(keys["/opendata/catalogue.csv"])
    assert "Glycémie Facile".encode() in _stored(keys["/opendata/catalogue.json"])
    assert _stored(keys["/catalogue/feed.atom"]) != _stored(keys["/catalogue/feed.atom?lang=en"])

    monkeypatch.setattr(exports, "_start_build", _no_build)
    monkeypatch.setattr(exports, "_build_file", _no_build)
    for path, key in keys.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.data == _stored(key), path
    # Run again (a retry, a duplicate): what is stored stays as it is.
    assert tasks.build_exports(version) == f"version {version}: 0 built, 4 already stored"


def test_job_stores_what_a_reader_would_have_built(app, client, session, bulk_listings,
                                                   redis_jobs, run_worker):
    bulk_listings([{"name": "Écoute Bébé", "summary": "Grossesse sereine."}, {"name": "Sérénité"}])
    version = cache.current_version(session)
    run_worker()
    by_job = {path: _stored(key) for path, key in _keys(app, version).items()}
    exports.reset(f"exports-{uuid.uuid4().hex[:12]}")  # nothing stored there: readers build
    assert not any(get_storage().exists(key) for key in _keys(app, version).values())
    assert {path: client.get(path).data for path in by_job} == by_job


def test_job_for_an_older_version_does_nothing(app, session, bulk_listings, make_user, redis_jobs):
    (listing,) = bulk_listings([{"name": "Sérénité"}])
    older = cache.current_version(session)
    listings.suspend_listing(session, reload(listing), actor=make_user(roles=[Role.SECRETARIAT]),
                             reason="Faille de sécurité.")
    db.commit()
    assert tasks.build_exports(older) == f"version {older}: superseded (0 built, 0 already stored)"
    assert not any(get_storage().exists(key) for key in _keys(app, older).values())
    assert not any(get_storage().exists(key)
                   for key in _keys(app, cache.current_version(session)).values())


def test_without_redis_nothing_is_enqueued_and_the_first_reader_builds(app, client, session,
                                                                     bulk_listings):
    assert jobs_queue.get_jobs().embedded
    bulk_listings([{"name": "Glycémie Facile"}, {"name": "Sérénité"}])
    keys = _keys(app, cache.current_version(session))
    assert not any(get_storage().exists(key) for key in keys.values())  # not built after commit
    for path, key in keys.items():
        response = client.get(path)
        assert response.status_code == 200 and response.data == _stored(key), path
