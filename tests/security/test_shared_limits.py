"""Lock-outs and second-factor attempt counters hold across workers (issue 12, "Also").

Two gunicorn processes (one worker each, so that which one answers is known) serve the
same database and share the Redis of ``REDIS_URL``; requests alternate between them, as
a load balancer would spread them. Without a shared store each process would count
alone and let through twice the attempts. Needs the Redis at 127.0.0.1:6379 (skipped
otherwise), like the rate limits it shares them with.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.processes import ROOT, free_port, wait_until_serving

REDIS = ("127.0.0.1", 6379)
PASSWORD = "Une phrase de passe solide"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_reachable(), reason="needs Redis at 127.0.0.1:6379")


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("workers")
    env = {k: v for k, v in os.environ.items()
           if k not in ("TEST_DATABASE_URL", "DATABASE_URL", "STORAGE_URL", "MAIL_URL")}
    env.update(CATALOGUE_ENV="development", DATABASE_URL=f"sqlite:///{folder / 'shared.sqlite'}",
               STORAGE_URL=f"file://{folder / 'storage'}", SECRET_KEY="workers-" + uuid.uuid4().hex,
               REDIS_URL=f"redis://{REDIS[0]}:{REDIS[1]}/0", FLASK_APP="wsgi.py",
               PUBLIC_CACHE="false",
               # Its own keys: a Redis that outlives runs (a CI machine's) still holds the
               # per-address sign-in counts of earlier runs from the same 127.0.0.1.
               REDIS_NAMESPACE="workers-" + uuid.uuid4().hex)
    flask = [sys.executable, "-m", "flask"]
    log = folder / "workers.log"
    with log.open("a") as out:
        subprocess.run([*flask, "db", "upgrade", "heads"], cwd=ROOT, env=env, stdout=out,
                       stderr=subprocess.STDOUT, check=True, timeout=300)
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    processes, urls = [], []
    out = log.open("a")
    try:
        for _ in range(2):
            port = free_port()
            processes.append(subprocess.Popen(
                [gunicorn, "--workers", "1", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes, strict=True):
            wait_until_serving(url + "/healthz", process, log)
        yield {"urls": urls, "env": env, "flask": flask}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)  # reaped, or its Popen warns when collected
        out.close()


def _create_account(workers: dict[str, Any], *roles: str) -> str:
    email = f"w-{uuid.uuid4().hex[:10]}@exemple.fr"
    args = [*workers["flask"], "users", "create", email, "--password", PASSWORD]
    for role in roles:
        args += ["--role", role]
    subprocess.run(args, cwd=ROOT, env=workers["env"], check=True, capture_output=True, timeout=120)
    return email


def _post(browser: requests.Session, base: str, path: str, data: dict[str, str]) -> requests.Response:
    page = browser.get(base + path, timeout=10)
    token = _TOKEN.search(page.text)
    assert token, page.text[:500]
    return browser.post(base + path, data={"csrf_token": token.group(1), **data},
                        allow_redirects=False, timeout=10)


def test_lock_out_holds_across_two_workers(two_workers):
    first, second = two_workers["urls"]
    email = _create_account(two_workers)
    browser = requests.Session()
    statuses = [_post(browser, (first, second)[n % 2], "/connexion",
                      {"email": email, "password": "mauvais mot de passe"}).status_code
                for n in range(5)]
    assert statuses == [422, 422, 422, 422, 429]  # the fifth failure, on the first worker, locks
    # Locked on both workers, the right password included.
    for base in (first, second):
        answer = _post(browser, base, "/connexion", {"email": email, "password": PASSWORD})
        assert answer.status_code == 429, base


def test_second_factor_attempts_are_counted_across_two_workers(two_workers):
    first, second = two_workers["urls"]
    email = _create_account(two_workers, "admin")
    browser = requests.Session()
    signed_in = _post(browser, first, "/connexion", {"email": email, "password": PASSWORD})
    assert signed_in.status_code == 302 and "/connexion/totp" in signed_in.headers["Location"]
    statuses = [_post(browser, (first, second)[n % 2], "/connexion/totp", {"code": "000000"}).status_code
                for n in range(6)]
    # Five wrong codes per minute per account (TOTP_LIMIT), counted once for both workers.
    assert statuses[:5] == [422] * 5, statuses
    assert statuses[5] == 429, statuses
