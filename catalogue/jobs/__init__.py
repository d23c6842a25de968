"""Background jobs: an RQ queue on Redis, or in-process after commit without Redis.

``queue.enqueue_after_commit`` is the one entry point for services: the job
leaves once the transaction that asked for it commits (never for a rolled back
action). With ``REDIS_URL`` set it goes to the RQ queue, where ``flask jobs
worker`` runs it, retried with back-off; failed jobs are listed to admins at
``/admin/taches``. Without Redis it runs in the same process right after the
commit, as ``make run`` always did. Jobs are idempotent: running one twice
changes nothing the second time (``tasks``).
"""
