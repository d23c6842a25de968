"""The job queue: mail leaves through a worker after commit, exactly once; failures
are retried with back-off and listed to admins; without Redis jobs run in-process."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.clock import now
from catalogue.jobs import queue as jobs_queue
from catalogue.jobs import tasks
from catalogue.notifications import services as notifications
from catalogue.notifications.models import OutboxMessage
from tests.accounts.helpers import post_form, text
from tests.smtp import smtp_server


def _queue_email(session, make_user, email="lea@example.org") -> int:
    user = make_user(email=email)
    row = notifications.send_email(session, "password_changed", user.email, {"user": user})
    return row.id


def test_mail_is_enqueued_after_commit_and_sent_by_the_worker_once(session, make_user, redis_jobs,
                                                                 run_worker):
    with smtp_server() as sink:
        message_id = _queue_email(session, make_user)
        assert redis_jobs.queue.count == 0  # nothing leaves before the commit
        db.commit()
        assert redis_jobs.queue.count == 1 and sink.messages == []  # the request only enqueued
        job = redis_jobs.queue.jobs[0]
        assert job.func_name == jobs_queue.DELIVER_EMAIL and job.args == (message_id,)
        assert job.retries_left == 7  # the outbox's back-off: 8 attempts in all
        run_worker()
        assert len(sink.messages) == 1 and "lea@example.org" in sink.messages[0]
        # The same job again (a retry, a duplicate) and the clock send nothing more.
        redis_jobs.enqueue(jobs_queue.DELIVER_EMAIL, message_id)
        run_worker()
        assert notifications.deliver_pending(db.session) == 0
        assert len(sink.messages) == 1
    row = db.session.get(OutboxMessage, message_id)
    assert row.sent_at is not None and row.attempts == 1


def test_rolled_back_action_enqueues_nothing(session, make_user, redis_jobs):
    with smtp_server():
        _queue_email(session, make_user)
        db.rollback()
        db.commit()
    assert redis_jobs.queue.count == 0


def test_message_being_sent_by_one_worker_is_not_sent_by_another(session, make_user):
    with smtp_server() as sink:
        message_id = _queue_email(session, make_user)
        session.commit()  # no after-commit delivery: as if a worker had not run yet
        claimed = notifications._claim(session, message_id, now())  # worker 1 is sending it
        assert claimed is not None
        assert tasks.deliver_email(message_id) == "skipped"  # worker 2
        assert notifications.deliver_pending(session) == 0  # the clock
        assert sink.messages == []
        with time_machine.travel(now() + notifications.SENDING_LEASE + timedelta(seconds=1), tick=False):
            # Worker 1 died mid-send: once the lease is over the message goes again.
            assert tasks.deliver_email(message_id) == "sent"
        assert len(sink.messages) == 1


def test_refused_mail_job_fails_for_the_queue_to_retry_and_admins_see_it(
        client, session, account, login, make_user, redis_jobs, run_worker):
    with smtp_server(refuse=True) as sink:
        message_id = _queue_email(session, make_user)
        db.commit()
        # One attempt only, for the test: the job fails for good at once.
        redis_jobs.queue.empty()
        redis_jobs.enqueue(jobs_queue.DELIVER_EMAIL, message_id, policy=jobs_queue.Policy(intervals=()))
        run_worker()
        assert sink.messages == []
    row = db.session.get(OutboxMessage, message_id)
    assert row.sent_at is None and row.attempts == 1 and "451" in row.last_error
    failed = redis_jobs.failed()
    assert [(job.name, job.args) for job in failed] == [("deliver_email", (message_id,))]
    assert "DeliveryRefused" in failed[0].error and f"#{message_id}" in failed[0].error

    login(account(roles=[Role.SECRETARIAT]))
    assert client.get("/admin/taches/").status_code == 403
    client.get("/deconnexion")
    login(account(roles=[Role.ADMIN]))
    page = text(client.get("/admin/taches/"))
    assert "deliver_email" in page and "DeliveryRefused" in page
    response = post_form(client, f"/admin/taches/{failed[0].id}/relance", {}, form_page="/admin/taches/")
    assert response.status_code == 302
    assert redis_jobs.failed() == [] and redis_jobs.queue.count == 1
    assert post_form(client, "/admin/taches/inconnue/relance", {},
                     form_page="/admin/taches/").status_code == 404


def test_retry_is_scheduled_with_back_off(session, make_user, redis_jobs, run_worker):
    with smtp_server(refuse=True):
        message_id = _queue_email(session, make_user)
        db.commit()
        run_worker()
    # Not failed for good: scheduled again, after the outbox's first delay.
    assert redis_jobs.failed() == []
    scheduled = redis_jobs.queue.scheduled_job_registry
    assert scheduled.count == 1
    when = scheduled.get_scheduled_time(scheduled.get_job_ids()[0])
    assert timedelta(minutes=4) < when - now() <= timedelta(minutes=5, seconds=5)
    assert db.session.get(OutboxMessage, message_id).attempts == 1


def test_tick_runs_as_a_job(redis_jobs, run_worker):
    redis_jobs.enqueue(jobs_queue.TICK)
    run_worker()
    assert redis_jobs.failed() == []
    assert redis_jobs.queue.finished_job_registry.count == 1


def test_without_redis_jobs_run_in_process_after_commit(session, make_user):
    assert jobs_queue.get_jobs().embedded
    with smtp_server() as sink:
        message_id = _queue_email(session, make_user)
        assert sink.messages == []
        db.commit()
        assert len(sink.messages) == 1
    assert db.session.scalar(select(OutboxMessage.sent_at).where(OutboxMessage.id == message_id))


def test_admin_page_without_redis_says_jobs_run_in_process(client, account, login):
    login(account(roles=[Role.ADMIN]))
    page = text(client.get("/admin/taches/"))
    assert "REDIS_URL" in page and "Aucune tâche en échec" not in page


def test_admin_page_says_when_redis_does_not_answer(client, account, login):
    previous = jobs_queue.get_jobs()
    jobs_queue.configure(jobs_queue.Jobs("redis://127.0.0.1:9/0"))  # discard port: refused
    try:
        login(account(roles=[Role.ADMIN]))
        response = client.get("/admin/taches/")
    finally:
        jobs_queue.configure(previous)
    assert response.status_code == 200 and "ne répond pas" in text(response)
