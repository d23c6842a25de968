"""The cluster: two gunicorn instances (A and B) sharing one fresh PostgreSQL database,
one Redis, one S3 server (moto's, on 127.0.0.1) and one SMTP sink, with two RQ workers.

Real processes, started once for the module (``make test-cluster``; skipped unless
``-m cluster`` is asked for). Each browser comes from an address of its own
(``X-Forwarded-For`` through ``PROXY_HOPS=1``, as behind the load balancer) so that
rate limits from other runs never interfere.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import pytest
import requests
from redis import Redis
from rq import Queue
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.processes import free_port
from tests.redis_server import REDIS_TEST_URL, redis_or_skip
from tests.s3 import S3Server, s3_server
from tests.smtp import SMTPSink

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/catalogue_test"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Instance:
    """One app server: gunicorn, one worker process with threads."""

    name: str
    port: int
    log: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL gunicorn and its worker at once, as a machine dying would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


@dataclass
class Browser:
    """A visitor's HTTP client; its cookies go to both instances (same host), like
    behind a load balancer."""

    address: str = field(default_factory=lambda: "10.{}.{}.{}".format(*random.sample(range(1, 255), 3)))
    http: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.http.headers["X-Forwarded-For"] = self.address

    def get(self, instance: Instance, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(instance.url + path, allow_redirects=False, timeout=30, **kwargs)

    def post(self, instance: Instance, path: str, data: dict[str, Any], *, form_page: str | None = None,
             **kwargs: Any) -> requests.Response:
        """POST like a browser: the CSRF token comes from the page showing the form, on that instance."""
        page = self.get(instance, form_page or path)
        match = _TOKEN.search(page.text)
        assert match, f"no CSRF token on {instance.name} {form_page or path} ({page.status_code})"
        return self.http.post(instance.url + path, data={"csrf_token": match.group(1), **data},
                              allow_redirects=False, timeout=kwargs.pop("timeout", 30), **kwargs)

    def sign_in(self, instance: Instance, email: str, password: str, totp_secret: str | None = None) -> None:
        response = self.post(instance, "/connexion", {"email": email, "password": password})
        assert response.status_code == 302, response.text[:500]
        if totp_secret:
            response = self.post(instance, "/connexion/totp", {"code": pyotp.TOTP(totp_secret).now()})
            assert response.status_code == 302, response.text[:500]


@dataclass
class Cluster:
    a: Instance
    b: Instance
    data: dict[str, Any]
    database: Engine
    s3: S3Server
    bucket: str
    smtp: SMTPSink
    queue: Queue
    env: dict[str, str]

    def query(self, sql: str, **params: Any) -> list[Any]:
        with self.database.connect() as conn:
            return list(conn.execute(text(sql), params))


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as handle:  # the child keeps its own descriptor
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _wait_ready(instance: Instance, deadline: float) -> None:
    while time.monotonic() < deadline:
        assert instance.process.poll() is None, f"{instance.name} died:\n{instance.log.read_text()[-3000:]}"
        try:
            if requests.get(instance.url + "/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still loading
            pass
        time.sleep(0.2)
    raise AssertionError(f"{instance.name} not ready:\n{instance.log.read_text()[-3000:]}")


def _delete_queue(redis: Redis, queue: Queue) -> None:
    """Forget the queue, its jobs and registries (its name is unique to this run)."""
    queue.delete(delete_jobs=True)
    for key in list(redis.scan_iter(match=f"rq:*{queue.name}*")):
        redis.delete(key)
    for job_key in [k for k in redis.scan_iter(match="rq:job:*")
                    if redis.hget(k, "origin") == queue.name.encode()]:
        redis.delete(job_key, job_key.replace(b"rq:job:", b"rq:results:"))


@pytest.fixture(scope="module")
def cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if "cluster" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("starts real processes: run with `make test-cluster` (-m cluster)")
    redis = redis_or_skip()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log
    logs = tmp_path_factory.mktemp("cluster")
    tag = uuid.uuid4().hex[:10]
    base_url = os.environ.get("TEST_DATABASE_URL", "")
    base_url = base_url if base_url.startswith("postgresql") else DEFAULT_DATABASE
    database_url, database_name = _create_postgres_database(base_url)
    processes: list[subprocess.Popen] = []
    sink = SMTPSink()
    import threading

    threading.Thread(target=sink.serve_forever, daemon=True).start()
    try:
        with s3_server() as s3:
            bucket = f"cluster-{tag}"
            s3.create_bucket(bucket)
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "FLASK_"))},
                **s3.env(),
                "PYTHONPATH": str(ROOT), "FLASK_APP": "wsgi.py",
                "CATALOGUE_ENV": "development", "SECRET_KEY": secrets.token_urlsafe(32),
                "DATABASE_URL": database_url, "REDIS_URL": REDIS_TEST_URL,
                "JOBS_QUEUE": f"cluster-{tag}", "REDIS_NAMESPACE": f"cluster-{tag}", "STORAGE_URL": f"s3://{bucket}/evidence-store",
                "MAIL_URL": f"smtp://127.0.0.1:{sink.server_address[1]}",
                "BASE_URL": "http://127.0.0.1:8000", "PROXY_HOPS": "1", "LOG_LEVEL": "WARNING",
                "CLUSTER_TAG": tag,
            }
            prepared = subprocess.run([sys.executable, "-m", "tests.cluster.prepare"], cwd=ROOT, env=env,
                                      capture_output=True, text=True, timeout=300)
            assert prepared.returncode == 0, prepared.stderr[-3000:]
            data = json.loads(prepared.stdout.strip().splitlines()[-1])

            a = Instance("A", free_port(), logs / "a.log")
            b = Instance("B", free_port(), logs / "b.log")
            for instance in (a, b):
                instance_env = {**env}
                if instance is a:
                    # A stops in the middle of a submission for the test that kills it.
                    instance_env.update(CLUSTER_PAUSE_ON="dossier.submit",
                                        CLUSTER_PAUSE_FILE=str(logs / "a.paused"))
                instance.process = _start(
                    [str(BIN / "gunicorn"), "--workers", "1", "--threads", "4", "--graceful-timeout", "2",
                     "--bind", f"127.0.0.1:{instance.port}", "tests.cluster.paused_wsgi:app"],
                    instance_env, instance.log)
                processes.append(instance.process)
            for n in range(2):
                processes.append(_start([str(BIN / "flask"), "jobs", "worker", "--name", f"w{n}-{tag}"],
                                        env, logs / f"worker{n}.log"))
            deadline = time.monotonic() + 60
            _wait_ready(a, deadline)
            _wait_ready(b, deadline)
            engine = create_engine(database_url)
            queue = Queue(env["JOBS_QUEUE"], connection=Redis.from_url(REDIS_TEST_URL))
            try:
                yield Cluster(a, b, data, engine, s3, bucket, sink, queue, env)
            finally:
                engine.dispose()
                for process in processes:
                    if process.poll() is None:
                        os.killpg(process.pid, signal.SIGTERM)
                for process in processes:
                    try:
                        process.wait(10)
                    except subprocess.TimeoutExpired:
                        os.killpg(process.pid, signal.SIGKILL)
                _delete_queue(redis, queue)
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        sink.shutdown()
        sink.server_close()
        _drop_postgres_database(base_url, database_name)
        redis.close()


@pytest.fixture
def browser() -> Browser:
    return Browser()
