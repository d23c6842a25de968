"""``flask jobs``: the worker and the scheduler of the job queue (Redis needed)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from catalogue import db
from catalogue.jobs import tasks
from catalogue.jobs.queue import POLICIES, TICK, get_jobs

cli = AppGroup("jobs", help="Job queue (RQ on REDIS_URL): worker and scheduler.")


def _queue_or_fail():
    jobs = get_jobs()
    if jobs.embedded:
        raise click.ClickException(
            "REDIS_URL is not set: jobs run in the web process after commit, no worker is needed.")
    return jobs


def make_worker(jobs, name: str | None = None):
    """An RQ worker that runs jobs in its own process (no fork: the app and its engine
    stay valid) and gives each job a fresh database session."""
    from rq import SimpleWorker  # RQ is only needed with Redis

    class CatalogueWorker(SimpleWorker):
        def execute_job(self, job, queue):
            try:
                super().execute_job(job, queue)
            finally:
                db.session.remove()

    return CatalogueWorker([jobs.queue], connection=jobs.redis, name=name)


@cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@click.option("--name", default=None, help="Worker name (default: host and pid).")
def worker_command(burst: bool, name: str | None) -> None:
    """Run jobs from the queue; retries come back on schedule (RQ's scheduler is embedded)."""
    jobs = _queue_or_fail()
    make_worker(jobs, name).work(burst=burst, with_scheduler=True)


@cli.command("scheduler")
@click.option("--every", default=60, show_default=True, type=click.IntRange(5, 86_400),
              help="Seconds between two ticks of the clock.")
def scheduler_command(every: int) -> None:
    """Enqueue the clock's tick every ``--every`` seconds (run one scheduler per deployment)."""
    from rq.cron import CronScheduler  # RQ is only needed with Redis

    jobs = _queue_or_fail()
    scheduler = CronScheduler(connection=jobs.redis)
    scheduler.register(tasks.tick, jobs.queue_name, interval=every, job_timeout=POLICIES[TICK].timeout)
    scheduler.start()


@cli.command("enqueue-tick")
def enqueue_tick_command() -> None:
    """Enqueue one tick now (for cron instead of ``flask jobs scheduler``)."""
    _queue_or_fail().enqueue(TICK)
    click.echo("tick enqueued")
