"""The demo app of ``demo/connect_demo.py`` (Authlib's own OAuth client) against a live
server: consent, token, a read, revocation, then 401."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select

from catalogue import db
from catalogue.consents.models import Consent
from catalogue.oauth.models import OAuthClient
from tests.factories import PASSWORD
from tests.processes import free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "demo"))
import connect_demo

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _csrf(browser: requests.Session, url: str) -> str:
    return _CSRF.search(browser.get(url, timeout=10).text).group(1)


def test_demo_app_reads_then_loses_access_after_revocation(
        live_url: str, oauth_app: Any, make_patient: Any) -> None:
    target = oauth_app()
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    row = db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == target.client_id))
    row.redirect_uris = [redirect_uri]
    patient = make_patient()
    email = patient.email
    db.commit()

    browser = requests.Session()  # the patient's browser
    signed_in = browser.post(f"{live_url}/connexion", timeout=10, data={
        "csrf_token": _csrf(browser, f"{live_url}/connexion"), "email": email,
        "password": PASSWORD})
    assert signed_in.ok

    def consent_screen(url: str) -> None:
        answer = browser.post(url, allow_redirects=False, timeout=10, data={
            "csrf_token": _csrf(browser, url), "grant": "1",
            "categories": ["measurements"]})
        assert answer.status_code == 302
        browser.get(answer.headers["Location"], timeout=10)  # back to the app

    session = connect_demo.connect(live_url, scope="patient/measurements.read",
                                   open_url=consent_screen, client_id=target.client_id,
                                   client_secret=target.secret, redirect_uri=redirect_uri)
    first = connect_demo.read(session, live_url, "measurements")
    assert first.status_code == 200 and first.json()["items"]

    consent = db.session.scalar(select(Consent))
    revoke_url = f"{live_url}/compte/connexions/{consent.id}/revoquer"
    browser.post(revoke_url, timeout=10,
                 data={"csrf_token": _csrf(browser, f"{live_url}/compte/connexions")})
    after = connect_demo.read(session, live_url, "measurements")
    assert after.status_code == 401
