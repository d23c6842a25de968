"""Issue #16 in Chromium: a patient connects the demo app through OAuth (consent screen,
two categories), the app reads, the patient revokes, the app's next call gets 401; a
commission member signs in through an OpenID provider, then passes our TOTP."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import oidc_provider_mock
import pytest
import requests
from werkzeug.serving import make_server

from tests.browser.conftest import DEMO_PASSWORD, ROOT
from tests.processes import free_port, wait_until_serving

sys.path.insert(0, str(ROOT / "demo"))
import connect_demo

pytestmark = pytest.mark.browser

PATIENT = "patient@demo.ens.fr"
MEMBER = "membre2@demo.ens.fr"


def _demo_app_name(live_db: Path) -> str:
    with sqlite3.connect(f"file:{live_db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT apps.name FROM oauth_clients JOIN apps ON apps.id = "
                            "oauth_clients.app_id WHERE client_id = 'ens-demo-client'").fetchone()[0]


def test_patient_connects_the_demo_app_then_revokes(browser: Any, live_url: str, live_db: Path,
                                                    assert_accessible: Any) -> None:
    app_name = _demo_app_name(live_db)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    try:
        def consent_in_browser(url: str) -> None:
            page.goto(url)  # not signed in yet: the sign-in page first, then back here
            page.get_by_label("Adresse e-mail").fill(PATIENT)
            page.get_by_label("Mot de passe", exact=True).fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Se connecter").last.click()
            page.wait_for_url("**/oauth/authorize?**")
            assert app_name in page.locator("h1").inner_text()
            assert_accessible(page)
            page.get_by_label("Mesures de santé").check()
            page.get_by_label("Documents de santé").check()
            page.get_by_role("button", name="Autoriser", exact=True).click()
            page.wait_for_url(connect_demo.REDIRECT_URI + "?**")

        session = connect_demo.connect(
            live_url, scope="patient/measurements.read patient/documents.read",
            open_url=consent_in_browser)
        assert set(session.token["scope"].split()) == {"patient/measurements.read",
                                                       "patient/documents.read"}
        first = connect_demo.read(session, live_url, "measurements")
        assert first.status_code == 200 and first.json()["items"]

        page.goto(live_url + "/compte/connexions")
        assert_accessible(page)
        # Revoking asks for confirmation first.
        card = page.locator("article", has_text=app_name)
        card.locator("summary", has_text="Révoquer").click()
        card.get_by_role("button", name="Confirmer la révocation").click()
        page.wait_for_load_state()
        assert connect_demo.read(session, live_url, "measurements").status_code == 401
    finally:
        context.close()


@pytest.fixture(scope="module")
def oidc_provider() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, oidc_provider_mock.app(require_nonce=True), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def psc_server(live_server: dict[str, Any], oidc_provider: str) -> Iterator[str]:
    """A second server on the live database, with Pro Santé Connect configured."""
    port = free_port()
    env = {**live_server["env"], "BASE_URL": f"http://127.0.0.1:{port}",
           "OIDC_PSC_ISSUER": oidc_provider, "OIDC_PSC_CLIENT_ID": "catalogue-ens",
           "OIDC_PSC_CLIENT_SECRET": "secret", "OIDC_PSC_SCOPE": "openid email profile",
           "AUTHLIB_INSECURE_TRANSPORT": "1"}
    log = live_server["log"]
    out = log.open("a")
    command = [sys.executable, "-m", "flask", "run", "--host", "127.0.0.1", "--port", str(port),
               "--with-threads"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url + "/healthz", process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        out.close()


def test_member_signs_in_with_pro_sante_connect_then_our_totp(
        page: Any, psc_server: str, oidc_provider: str, totp_code_for: Any,
        assert_accessible: Any) -> None:
    answer = requests.put(f"{oidc_provider}/users/psc-membre2", timeout=10,
                          json={"email": MEMBER, "email_verified": True})
    assert answer.status_code == 204
    page.goto(psc_server + "/connexion")
    assert_accessible(page)
    page.get_by_role("link", name="Pro Santé Connect").click()
    page.get_by_placeholder("sub").fill("psc-membre2")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url("**/connexion/totp**")
    if page.locator("img.totp-qr").count() > 0:
        pytest.fail("the demo member should already have enrolled TOTP")
    page.locator("input[name=code]").fill(totp_code_for(MEMBER))
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    assert "/connexion" not in page.url
    assert page.get_by_role("button", name="Se déconnecter").count() > 0 or "/compte" in page.url
