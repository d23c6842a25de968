"""The demo seeded once per test run: a migrated SQLite file with ``flask demo seed --apps 12``
and its storage folder, which the browser tests' live servers and the benchmark's end-to-end
test copy instead of migrating and seeding again (about ten seconds of CPU each time).

Built by the first process of the run that asks (under a file lock, so xdist workers share it);
its audit chain is keyed with the ``audit.key`` beside it, which every copy must be served with.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

from catalogue.core.locks import file_lock
from tests.processes import run_logged

DEMO_APPS = 12
# What a server of the copy must not inherit from the caller's environment.
FOREIGN_SETTINGS = ("TEST_DATABASE_URL", "REDIS_URL", "MAIL_URL", "DATABASE_URL", "STORAGE_URL")


def demo_env(folder: Path, template: Path) -> dict[str, str]:
    """The settings of an application on the copy of ``template`` in ``folder``."""
    env = {key: value for key, value in os.environ.items() if key not in FOREIGN_SETTINGS}
    env.update(
        CATALOGUE_ENV="development",
        DATABASE_URL=f"sqlite:///{folder / 'live.sqlite'}",
        STORAGE_URL=f"file://{folder / 'storage'}",
        SECRET_KEY="seeded-demo-" + os.urandom(8).hex(),
        AUDIT_HMAC_KEY=(template / "audit.key").read_text(),
        PYTHONUNBUFFERED="1",
    )
    return env


def seeded_demo(root: Path) -> Path:
    """The run's seeded demo folder in ``root`` (``live.sqlite``, ``storage/``, ``audit.key``),
    built by the first caller."""
    template = root / "seeded-demo"
    with file_lock(root / "seeded-demo.lock"):
        if not (template / "ready").exists():
            template.mkdir(exist_ok=True)
            (template / "audit.key").write_text(os.urandom(32).hex())
            env = demo_env(template, template)
            log = template / "seed.log"
            flask = [sys.executable, "-m", "flask"]
            run_logged([*flask, "db", "upgrade", "heads"], env, log)
            run_logged([*flask, "demo", "seed", "--apps", str(DEMO_APPS)], env, log)
            # Everything into the main file, so that a plain file copy is complete.
            with closing(sqlite3.connect(template / "live.sqlite")) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            (template / "ready").touch()
    return template
