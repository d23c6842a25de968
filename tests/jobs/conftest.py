"""Fixtures of the job queue tests: a real Redis (``tests.redis_server``) and a queue
of this test's own, deleted afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from catalogue.jobs import queue as jobs_queue
from catalogue.jobs.cli import make_worker
from tests.accounts.conftest import account
from tests.redis_server import REDIS_TEST_URL, redis_or_skip

__all__ = ["account"]

@pytest.fixture
def redis_jobs(app) -> Iterator[jobs_queue.Jobs]:
    """The application's jobs go to an RQ queue on Redis for the test."""
    redis_or_skip().close()
    jobs = jobs_queue.Jobs(REDIS_TEST_URL, f"test-{uuid.uuid4().hex[:12]}")
    previous = jobs_queue.get_jobs()
    jobs_queue.configure(jobs)
    try:
        yield jobs
    finally:
        jobs_queue.configure(previous)
        registries = (jobs.queue.failed_job_registry, jobs.queue.finished_job_registry,
                      jobs.queue.scheduled_job_registry, jobs.queue.started_job_registry)
        for registry in registries:
            for job_id in registry.get_job_ids():
                jobs.redis.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")
            jobs.redis.delete(registry.key)
        jobs.queue.delete(delete_jobs=True)
        jobs.redis.close()


@pytest.fixture
def run_worker(redis_jobs):
    """Run the queued jobs now, as ``flask jobs worker --burst`` would."""

    def run() -> None:
        make_worker(redis_jobs).work(burst=True, logging_level="WARNING")

    return run
