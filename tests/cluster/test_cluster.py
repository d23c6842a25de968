"""Two app servers behind one address share everything that matters: sessions, rate
limits, the catalogue's version, evidence, the job queue; one of them dying in the
middle of a write leaves nothing half-written and the other carries on.

Requests alternate between A and B. Run with ``make test-cluster``; the tests run in
this order (the last one kills A).
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

from catalogue.dossiers.samples import sample_pdf
from tests.cluster.conftest import Browser, Cluster

pytestmark = pytest.mark.cluster


def test_a_login_on_a_is_valid_on_b(cluster: Cluster, browser: Browser):
    browser.sign_in(cluster.a, cluster.data["owner"], cluster.data["password"])
    for instance in (cluster.b, cluster.a, cluster.b):
        page = browser.get(instance, "/compte/")
        assert page.status_code == 200 and cluster.data["owner"] in page.text, instance.name


def test_a_logout_on_b_kills_the_session_on_a(cluster: Cluster, browser: Browser):
    browser.sign_in(cluster.a, cluster.data["owner"], cluster.data["password"])
    copy = browser.http.cookies.get("ens_session")
    assert browser.get(cluster.a, "/compte/").status_code == 200
    assert browser.post(cluster.b, "/deconnexion", {}).status_code == 302
    # Every copy of the cookie is dead, on A too.
    replay = Browser(address=browser.address)
    replay.http.cookies.set("ens_session", copy)
    response = replay.get(cluster.a, "/compte/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_the_login_limit_holds_across_both(cluster: Cluster, browser: Browser):
    # 10 failed sign-ins per minute and address, counted in Redis whichever server answers
    # (a new address each time, so that no account's own lock-out interferes).
    for n, instance in enumerate([cluster.a, cluster.b] * 5):
        response = browser.post(instance, "/connexion", {"email": f"nobody{n}-{time.time_ns()}@example.org",
                                                         "password": "wrong password"})
        assert response.status_code == 422, (n, instance.name, response.status_code)
    for instance in (cluster.a, cluster.b):
        response = browser.post(instance, "/connexion", {"email": f"x-{time.time_ns()}@example.org",
                                                         "password": "x"})
        assert response.status_code == 429, instance.name


def test_the_account_lock_out_holds_across_both(cluster: Cluster, browser: Browser):
    email, password = cluster.data["chair"], cluster.data["password"]
    for instance in [cluster.a, cluster.b] * 2:
        assert browser.post(instance, "/connexion", {"email": email, "password": "wrong"}).status_code == 422
    # The fifth failure, wherever it happens, locks the account.
    assert browser.post(cluster.a, "/connexion", {"email": email, "password": "wrong"}).status_code == 429
    # Locked on both, even with the right password (from another address, too).
    for instance in (cluster.b, cluster.a):
        response = Browser().post(instance, "/connexion", {"email": email, "password": password})
        assert response.status_code == 429, instance.name


def test_a_listing_suspended_through_a_disappears_from_b_within_a_second(cluster: Cluster):
    slug, visitor = cluster.data["slug"], Browser()

    def listed_on_b() -> bool:
        response = visitor.get(cluster.b, "/api/v1/apps")
        assert response.status_code == 200
        return slug in {item["slug"] for item in response.json()["items"]}

    assert listed_on_b() and listed_on_b()  # the second answer came from B's cache
    secretariat = Browser()
    secretariat.sign_in(cluster.a, cluster.data["secretariat"], cluster.data["password"],
                        cluster.data["totp_secret"])
    response = secretariat.post(cluster.a, f"/commission/fiches/{cluster.data['listing_id']}/suspendre",
                                {"reason": "Incident de sécurité signalé."}, form_page="/commission/fiches")
    assert response.status_code == 302, response.text[:500]
    suspended_at = time.monotonic()
    while listed_on_b():
        # The version token is read at most once a second per process (and a request's time).
        assert time.monotonic() - suspended_at < 1.5, "B still lists the suspended listing"
        time.sleep(0.05)
    assert cluster.query("SELECT state FROM listings WHERE id = :id",
                         id=cluster.data["listing_id"])[0].state == "suspended"


def test_evidence_uploaded_on_a_downloads_on_b(cluster: Cluster, browser: Browser):
    data, code = sample_pdf("Pièce de la grappe"), cluster.data["code"]
    browser.sign_in(cluster.b, cluster.data["owner"], cluster.data["password"])
    page = f"/editeur/dossiers/{cluster.data['upload_dossier_id']}/auto-evaluation/{cluster.data['category']}"
    response = browser.post(cluster.a, page, {
        f"status-{code}": "compliant", f"justification-{code}": "Voir la pièce jointe.",
        f"kind-{code}": cluster.data["kind"], f"title-{code}": "Pièce de la grappe",
    }, files={f"file-{code}": ("grappe.pdf", data, "application/pdf")})
    assert response.status_code == 302, response.text[:500]
    evidence = cluster.query("SELECT id, storage_key FROM evidence WHERE organisation_id = :org "
                             "ORDER BY id DESC LIMIT 1", org=cluster.data["organisation_id"])[0]
    key = f"evidence-store/{evidence.storage_key}"
    stored = cluster.s3.client().get_object(Bucket=cluster.bucket, Key=key)
    assert stored["Body"].read() == data  # in the shared bucket, not on A's disk
    served = browser.get(cluster.b, f"/pieces/{evidence.id}")
    assert served.status_code == 200 and served.content == data


def test_a_mail_enqueued_by_a_is_sent_by_a_worker_exactly_once(cluster: Cluster, browser: Browser):
    email = f"nouvelle-{time.time_ns()}@example.org"
    phrase = "une longue phrase de passe"
    response = browser.post(cluster.a, "/inscription", {"email": email, "password": phrase,
                                                        "password_confirm": phrase})
    assert response.status_code == 200, response.text[:500]

    def sent() -> list[str]:
        return [m for m in cluster.smtp.messages if email in m]

    deadline = time.monotonic() + 20
    while not sent():
        assert time.monotonic() < deadline, "no worker sent the confirmation e-mail"
        time.sleep(0.1)
    # The clock (a tick job, which retries unsent mail) and a second worker: still one message.
    tick = cluster.queue.enqueue("catalogue.jobs.tasks.tick")
    while tick.get_status(refresh=True) not in ("finished", "failed"):
        assert time.monotonic() < deadline + 20, "no worker ran the tick"
        time.sleep(0.1)
    assert tick.get_status() == "finished", tick.latest_result()
    assert len(sent()) == 1
    row = cluster.query("SELECT id, attempts, sent_at FROM outbox_messages WHERE recipient = :email",
                        email=email)
    assert len(row) == 1 and row[0].attempts == 1 and row[0].sent_at is not None
    done = [cluster.queue.fetch_job(job_id) for job_id in cluster.queue.finished_job_registry.get_job_ids()]
    assert [job.args for job in done if job and job.func_name.endswith("deliver_email")
            and job.args == (row[0].id,)] == [(row[0].id,)]  # sent by a worker, not by A's request


def test_killing_a_mid_submission_leaves_nothing_half_written_and_b_carries_on(cluster: Cluster,
                                                                                browser: Browser):
    dossier_id = cluster.data["dossier_id"]
    browser.sign_in(cluster.a, cluster.data["owner"], cluster.data["password"])
    paused = cluster.a.log.with_name("a.paused")
    outcome: dict[str, object] = {}

    def submit_on_a() -> None:
        try:
            outcome["response"] = browser.post(cluster.a, f"/editeur/dossiers/{dossier_id}/deposer", {},
                                               form_page=f"/editeur/dossiers/{dossier_id}", timeout=60)
        except requests.ConnectionError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=submit_on_a)
    thread.start()
    deadline = time.monotonic() + 30
    while not paused.exists():
        assert time.monotonic() < deadline and thread.is_alive(), outcome
        time.sleep(0.05)
    cluster.a.kill()  # in the middle of the submission's transaction
    thread.join(30)
    assert "error" in outcome and "response" not in outcome

    def snapshot() -> tuple:
        state = cluster.query("SELECT state, reference, submitted_at FROM dossiers WHERE id = :id",
                              id=dossier_id)[0]
        events = cluster.query("SELECT count(*) AS n FROM audit_events WHERE action = 'dossier.submit'")[0].n
        return (*state, events)

    assert snapshot() == ("draft", None, None, 0)
    # B carries on: the same session submits the dossier there.
    response = browser.post(cluster.b, f"/editeur/dossiers/{dossier_id}/deposer", {},
                            form_page=f"/editeur/dossiers/{dossier_id}")
    assert response.status_code == 302 and "/accuse" in response.headers["Location"], response.text[:500]
    state, reference, submitted_at, events = snapshot()
    assert state == "submitted" and reference and submitted_at is not None and events == 1
    assert browser.get(cluster.b, "/api/v1/apps").status_code == 200
