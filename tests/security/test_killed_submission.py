"""A server killed (SIGKILL) in the middle of a submission leaves the dossier either
submitted (state, reference, receipt, audit event) or not at all, never half.

Runs in subprocesses against a database file of its own: one process prepares a complete
draft, another submits it and is killed at a chosen point (a hook that announces itself,
then sleeps): while the submission is being written (before the commit), and just after
the commit.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PREPARE = textwrap.dedent("""
    from catalogue import db
    from catalogue.app import create_app
    from catalogue.core import migrations
    from catalogue.accounts import services as accounts
    from catalogue.accounts.models import Role
    from catalogue.apps import services as apps
    from catalogue.dossiers import evidence as evidence_files
    from catalogue.dossiers import services as dossiers
    from catalogue.dossiers.samples import sample_pdf
    from catalogue.publishers import services as publishers
    from tests.factories_publishers import (DEFAULT_PROFILE, ensure_framework_in_force, fill_answers,
                                            valid_siren)

    app = create_app(CONFIG)
    with app.app_context():
        migrations.upgrade()
        s = db.session
        owner = accounts.create_user(s, "owner@example.org", "Correct-Horse-42!", verified=True)
        secretariat = accounts.create_user(s, "sec@example.org", "Correct-Horse-42!",
                                           roles=[Role.SECRETARIAT], verified=True)
        org = publishers.register_publisher(s, user=owner, legal_name="Éditeur Tué SAS",
                                            siren=valid_siren(52_000_001), city="Paris", postal_code="75001")
        evidence_files.add_evidence(s, org, actor=owner, filename="kbis.pdf", data=sample_pdf("Kbis"),
                              kind="registration_extract", title="Kbis")
        publishers.verify_organisation(s, org, actor=secretariat)
        ensure_framework_in_force(s)
        app_row = apps.create_app_profile(s, org, actor=owner, **{**DEFAULT_PROFILE, "name": "Appli Tuée"})
        dossier = dossiers.open_dossier(s, app_row, actor=owner)
        fill_answers(s, dossier, owner)
        db.commit()
        print(dossier.id, owner.id, flush=True)
""")

SUBMIT = textwrap.dedent("""
    import sys, time
    from catalogue import db
    from catalogue.app import create_app
    from catalogue.accounts.models import User
    from catalogue.audit import services as audit
    from catalogue.dossiers import services as dossiers
    from catalogue.dossiers.models import Dossier

    POINT = sys.argv[1]
    app = create_app(CONFIG)
    record = audit.record

    def hooked(session, action, *args, **kwargs):
        event = record(session, action, *args, **kwargs)
        if action == "dossier.submit" and POINT == "before_commit":
            session.flush()
            print("HOOK", flush=True)
            time.sleep(120)
        return event

    audit.record = hooked
    with app.app_context():
        s = db.session
        dossier = s.get(Dossier, DOSSIER_ID)
        dossiers.submit_dossier(s, dossier, actor=s.get(User, OWNER_ID))
        if POINT == "after_commit":
            db.after_commit(s, lambda: (print("HOOK", flush=True), time.sleep(120)))
        db.commit()
        print("DONE", flush=True)
""")


def run_script(source: str, config: dict, *args: str, **names: int) -> subprocess.Popen:
    header = f"CONFIG = {config!r}\n" + "".join(f"{k} = {v!r}\n" for k, v in names.items())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", header + source, *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def snapshot(path: Path, dossier_id: int) -> tuple:
    with sqlite3.connect(path) as conn:
        state, reference, submitted_at = conn.execute(
            "SELECT state, reference, submitted_at FROM dossiers WHERE id = ?", (dossier_id,)).fetchone()
        events = conn.execute(
            "SELECT count(*) FROM audit_events WHERE action = 'dossier.submit'").fetchone()[0]
        counter = conn.execute("SELECT coalesce(max(last_number), 0) FROM reference_counters").fetchone()[0]
    return state, reference, submitted_at, events, counter


def _config(folder: Path) -> dict:
    return {"CATALOGUE_ENV": "test", "DATABASE_URL": f"sqlite:///{folder / 'killed.sqlite'}",
            "STORAGE_URL": f"file://{folder / 'storage'}", "MAIL_URL": None}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    """A database with a complete draft, prepared once; each test works on its own copy."""
    folder = tmp_path_factory.mktemp("killed")
    prepare = run_script(PREPARE, _config(folder))
    out, err = prepare.communicate(timeout=300)
    assert prepare.returncode == 0, err[-3000:]
    dossier_id, owner_id = (int(x) for x in out.split()[-2:])
    return folder, dossier_id, owner_id


@pytest.mark.parametrize("point", ["before_commit", "after_commit"])
def test_submission_killed_mid_way_is_all_or_nothing(tmp_path, prepared, point):
    prepared_folder, dossier_id, owner_id = prepared
    shutil.copytree(prepared_folder, tmp_path, dirs_exist_ok=True)
    database = tmp_path / "killed.sqlite"
    config = _config(tmp_path)
    assert snapshot(database, dossier_id)[:2] == ("draft", None)

    submit = run_script(SUBMIT, config, point, DOSSIER_ID=dossier_id, OWNER_ID=owner_id)
    try:
        line = submit.stdout.readline()
        died = submit.stderr.read()[-3000:] if submit.poll() is not None else ""
        assert line.strip() == "HOOK", (line, died)
        submit.send_signal(signal.SIGKILL)
        submit.wait(30)
    finally:
        if submit.poll() is None:
            submit.kill()
        submit.stdout.close()
        submit.stderr.close()
    assert submit.returncode == -signal.SIGKILL

    state, reference, submitted_at, events, counter = snapshot(database, dossier_id)
    if point == "before_commit":
        assert (state, reference, submitted_at, events, counter) == ("draft", None, None, 0, 0)
    else:
        assert state == "submitted" and reference and submitted_at is not None
        assert events == 1 and counter == 1
