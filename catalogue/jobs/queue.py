"""Where jobs go: the RQ queue when Redis is configured, else the current process.

A job is named by the dotted path of a function of ``catalogue.jobs.tasks`` and
takes plain arguments (ids), so that RQ stores it without pickling objects and
a worker reloads whatever it needs from the database.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from catalogue import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    """How a job is retried: the delays, in seconds, before each new attempt."""

    intervals: Sequence[int]
    timeout: int = 300

    def retry(self) -> Any:
        from rq import Retry  # only with Redis: the embedded mode needs no RQ

        return Retry(max=len(self.intervals), interval=list(self.intervals)) if self.intervals else None


@dataclass(frozen=True)
class FailedJob:
    """A job that exhausted its attempts, as the admin page shows it."""

    id: str
    name: str
    args: tuple[Any, ...]
    failed_at: datetime | None
    error: str


class Jobs:
    """The configured queue (``redis`` None: run in-process after commit)."""

    def __init__(self, redis_url: str | None = None, queue_name: str = "catalogue"):
        self.queue_name = queue_name
        self.redis: Any = None
        self.queue: Any = None
        if redis_url:
            from redis import Redis
            from rq import Queue

            self.redis = Redis.from_url(redis_url)
            self.queue = Queue(queue_name, connection=self.redis)

    @property
    def embedded(self) -> bool:
        return self.queue is None

    def enqueue(self, name: str, *args: Any, policy: Policy | None = None) -> None:
        """Hand a job over now: to RQ, or run it here (a failure is logged, not raised)."""
        policy = policy or POLICIES.get(name, DEFAULT_POLICY)
        if self.queue is not None:
            self.queue.enqueue(name, *args, retry=policy.retry(), job_timeout=policy.timeout,
                               failure_ttl=30 * 86_400, description=f"{name.rsplit('.', 1)[-1]}{args}")
            return
        try:
            resolve(name)(*args)
        except Exception as exc:  # noqa: BLE001 - in-process, a job failure must not fail the request
            log.warning("job %s%s failed in-process (retried by the clock): %s", name, args, exc)

    def failed(self, limit: int = 200) -> list[FailedJob]:
        """Failed jobs with their last error, newest first (empty without Redis)."""
        if self.queue is None:
            return []
        from rq.job import Job

        registry = self.queue.failed_job_registry
        ids = registry.get_job_ids(0, limit - 1, desc=True)
        jobs = []
        for job in Job.fetch_many(ids, connection=self.redis):
            if job is None:
                continue
            result = job.latest_result()
            error = (result.exc_string if result is not None else "") or ""
            error = error.strip()
            jobs.append(FailedJob(job.id, job.func_name.rsplit(".", 1)[-1], tuple(job.args),
                                  job.ended_at, error.splitlines()[-1] if error else ""))
        return jobs

    def requeue(self, job_id: str) -> bool:
        """Put a failed job back on the queue; False when it is not (or no longer) failed."""
        if self.queue is None or job_id not in self.queue.failed_job_registry:
            return False
        self.queue.failed_job_registry.requeue(job_id)
        return True


def resolve(name: str) -> Any:
    """The function a job name designates (only ``catalogue.jobs.tasks`` functions)."""
    module, _, attr = name.rpartition(".")
    if module != "catalogue.jobs.tasks":
        raise ValueError(f"unknown job {name!r}")
    return getattr(importlib.import_module(module), attr)


# Mail follows the outbox's own back-off (5 min doubling, MAX_ATTEMPTS in all).
DELIVER_EMAIL = "catalogue.jobs.tasks.deliver_email"
TICK = "catalogue.jobs.tasks.tick"
BUILD_EXPORTS = "catalogue.jobs.tasks.build_exports"
DEFAULT_POLICY = Policy(intervals=(60, 300, 900))
POLICIES: dict[str, Policy] = {
    DELIVER_EMAIL: Policy(intervals=tuple(300 * 2**n for n in range(7)), timeout=60),
    TICK: Policy(intervals=(60,), timeout=600),
    # A whole-catalogue CSV may take minutes; meanwhile readers build it themselves.
    BUILD_EXPORTS: Policy(intervals=(60, 300, 900), timeout=1800),
}

_jobs = Jobs()


def configure(jobs: Jobs) -> None:
    """Set the process-wide queue (``create_app``)."""
    global _jobs
    _jobs = jobs


def get_jobs() -> Jobs:
    """The configured queue."""
    return _jobs


def enqueue_after_commit(session: Any, name: str, *args: Any, once: bool = False,
                         redis_only: bool = False) -> None:
    """Enqueue (or run in-process) the job once the session's transaction commits.

    ``once``: asked again in the same transaction, one job leaves, with the last
    arguments. ``redis_only``: onto the RQ queue only; without Redis nothing runs (the
    work has another way there, such as exports built by their first reader).
    """

    def hand_over() -> None:
        if not (redis_only and _jobs.embedded):
            _jobs.enqueue(name, *args)

    db.after_commit(session, hand_over, key=("job", name) if once else None)
