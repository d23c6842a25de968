"""Regression tests of the external probe (issue 12): each test replays the probe's
requests through HTTP and checks that the hole stays closed. F1 (assessed profile
changed after submission) is fixed and tested with the issue "The decision governs
what is published"; its regression test joins this file when that lands."""

from __future__ import annotations

import csv
import html
import io
import json
import logging
import re
from urllib.parse import unquote

import pytest
from sqlalchemy import select
from werkzeug.test import Client

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.audit.models import AuditEvent
from catalogue.listings.public_cache import PublicCache

EVIL = "http://evil.example"


# --- F2: Host header poisoning -----------------------------------------------------------


def _all_text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/api/v1/apps/{slug}", "/api/v1/apps", "/catalogue/feed.atom",
                                  "/opendata/catalogue.json", "/opendata/catalogue.csv"])
def test_f2_another_host_is_refused_and_never_written_into_answers(app, client, make_listing,
                                                                   monkeypatch, path):
    monkeypatch.setitem(app.config, "BASE_URL", "https://catalogue.example")
    url = path.format(slug=make_listing().app.slug)
    for _ in range(3):
        assert client.get(url, base_url=EVIL).status_code == 400
    normal = client.get(url)
    assert normal.status_code == 200
    body = _all_text(normal)
    assert "evil.example" not in body
    assert "https://catalogue.example/" in body


def test_f2_the_public_cache_cannot_be_poisoned(app, make_listing, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://catalogue.example")
    slug = make_listing().app.slug
    cached = Client(PublicCache(app, version_reader=lambda: 12))
    for _ in range(3):
        poisoned = cached.get(f"/api/v1/apps/{slug}", base_url=EVIL)
        assert poisoned.status_code == 400
        poisoned = cached.get(f"/api/v1/apps/{slug}", headers={"Host": "evil.example"})
        assert poisoned.status_code == 400
    first = cached.get(f"/api/v1/apps/{slug}")
    again = cached.get(f"/api/v1/apps/{slug}")  # served by the cache this time
    for answer in (first, again):
        assert answer.status_code == 200
        document = json.loads(answer.get_data(as_text=True))
        assert document["url"].startswith("https://catalogue.example/catalogue/"), document["url"]


# --- F3: open redirect after sign-in -------------------------------------------------------

HOSTILE_NEXT = ["/%09/evil.example/", "/%0a/evil.example/", "/%0d%0a/evil.example/", "/%5Cevil.example/",
                "/\\/evil.example/", "//evil.example/", "/%20/evil.example/", "https://evil.example/",
                "/%E2%80%8B/evil.example/", "/%7F/evil.example/"]


def _off_site(location: str | None) -> bool:
    from urllib.parse import urljoin, urlsplit

    if location is None:
        return False
    cleaned = "".join(ch for ch in location if ch not in "\t\r\n").replace("\\", "/")
    return urlsplit(urljoin("http://localhost/connexion", cleaned)).netloc not in ("localhost", "")


@pytest.mark.parametrize("hostile", HOSTILE_NEXT)
def test_f3_sign_in_never_redirects_off_site(client, make_user, hostile):
    from tests.accounts.helpers import post_form
    from tests.factories import PASSWORD

    user = make_user()
    db.commit()
    page = client.get(f"/connexion?next={hostile}")
    assert re.search(r'name="next"[^>]*value=""', page.get_data(as_text=True))
    answer = post_form(client, "/connexion", {"email": user.email, "password": PASSWORD,
                                              "next": hostile.replace("%09", "\t")},
                       form_page=f"/connexion?next={hostile}")
    assert answer.status_code == 302
    assert not _off_site(answer.location), answer.location
    # Signed in, a plain GET of the link redirects at once: still on site.
    again = client.get(f"/connexion?next={hostile}")
    assert again.status_code == 302
    assert not _off_site(again.location), again.location
    assert again.location == "/compte/"


@pytest.mark.parametrize("hostile", HOSTILE_NEXT)
def test_f3_second_factor_never_redirects_off_site(client, make_user, login, hostile):
    member = make_user(roles=[Role.MEMBER])
    db.commit()
    login(member, second_factor=True)
    answer = client.get(f"/connexion/totp?next={hostile}")
    assert answer.status_code == 302
    assert not _off_site(answer.location), answer.location


def test_f3_local_targets_are_still_followed(client, make_user, login):
    user = make_user()
    db.commit()
    login(user)
    assert client.get("/connexion?next=/compte/securite").location == "/compte/securite"
    assert client.get("/connexion?next=/catalogue%3Fq%3Dsucre").location.startswith("/catalogue")


# --- F4: lock-out bypass by another spelling of the address · F9: attempts while locked ----


def _audit_actions(action: str) -> list[AuditEvent]:
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
    db.session.rollback()
    return events


@pytest.mark.parametrize("spelling", ["pt1@ｅｘｅｍｐｌｅ.fr", "PT1@EXEMPLE.FR", " pt1@Exemple.fr "])
def test_f4_another_spelling_of_a_locked_address_stays_locked(client, make_user, spelling):
    from tests.accounts.helpers import sign_in
    from tests.factories import PASSWORD

    make_user(email="pt1@exemple.fr")
    db.commit()
    for _ in range(5):
        sign_in(client, "pt1@exemple.fr", "mauvais mot de passe")
    refused = sign_in(client, spelling, PASSWORD)
    assert refused.status_code == 429
    with client.session_transaction() as sess:
        assert "_user_id" not in sess


def test_f4_failures_under_other_spellings_count_for_the_same_account(client, make_user):
    from tests.accounts.helpers import sign_in
    from tests.factories import PASSWORD

    make_user(email="pt1@exemple.fr")
    db.commit()
    for spelling in ("pt1@ｅｘｅｍｐｌｅ.fr", "PT1@exemple.fr", "pt1@EXEMPLE.fr", "pt1@ｅｘｅｍｐｌｅ.FR",
                     "Pt1@exemple.fr"):
        sign_in(client, spelling, "mauvais mot de passe")
    assert sign_in(client, "pt1@exemple.fr", PASSWORD).status_code == 429


def test_f9_sign_in_attempts_during_lock_out_are_audited(client, make_user):
    from tests.accounts.helpers import sign_in
    from tests.factories import PASSWORD

    user = make_user(email="pt2@exemple.fr")
    db.commit()
    for _ in range(5):
        sign_in(client, "pt2@exemple.fr", "mauvais mot de passe")
    assert not _audit_actions("auth.login_while_locked")
    sign_in(client, "pt2@exemple.fr", PASSWORD)
    sign_in(client, "pt2@ｅｘｅｍｐｌｅ.fr", "autre essai")
    events = _audit_actions("auth.login_while_locked")
    assert len(events) == 2
    assert {e.subject_id for e in events} == {str(user.id)}
    assert all("exemple" not in json.dumps(e.payload) for e in events)  # no address in the trail


# --- F10: CR/LF in the request path cannot forge log lines ----------------------------------


@pytest.mark.parametrize("path", ["/x%0d%0a2026-01-01 INFO request_id=forged user=1 method=GET",
                                  "/x%0aforged%22 status=200", "/api/v1/apps/x%0d%0aforged"])
def test_f10_cr_lf_in_the_path_cannot_forge_a_log_line(client, caplog, path):
    with caplog.at_level(logging.INFO, logger="catalogue.request"):
        client.get(path)
    lines = [r.getMessage() for r in caplog.records if r.name == "catalogue.request"]
    assert lines
    for line in lines:
        assert "\r" not in line and "\n" not in line, line
        # One well-formed record: the path is a JSON string holding the CR/LF, escaped.
        match = re.fullmatch(r'request_id=[0-9a-f]{32} user=- method=GET path=(".*") status=404 '
                             r"duration_ms=[0-9.]+", line)
        assert match, line
        assert json.loads(match.group(1)) == unquote(path)


# --- F11: formulas after a separator inside a CSV cell ------------------------------------

DANGER = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", " ="])
def test_f11_csv_cells_cannot_start_a_formula_after_a_separator(client, make_listing, prefix):
    from tests.security.test_injection import retitle

    payload = f'{prefix}HYPERLINK("http://evil.example/","Cliquez")'
    retitle(make_listing(), name=f"Appli;{payload}",
            summary=f"Résumé assez long pour être accepté,{prefix}cmd|' /C calc'!A0;{prefix}1")
    body = client.get("/opendata/catalogue.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(body)))
    # Every cell is quoted, so a reader never mistakes text for a number or a formula.
    first_line = body.split("\r\n", 1)[0]
    assert first_line == ",".join(f'"{column}"' for column in rows[0])
    cells = [cell for row in rows[1:] for cell in row]
    assert any("HYPERLINK" in cell for cell in cells)  # the text is kept, neutralised
    for cell in cells:
        for segment in re.split(r"[;,\t\r\n]", cell):
            assert segment.lstrip(" ")[:1] not in DANGER[:4], (cell, segment)
    # Read the way a French spreadsheet does (``;`` as separator): no field starts a formula.
    for row in csv.reader(io.StringIO(body), delimiter=";"):
        for field in row:
            assert field.strip(' "')[:1] not in ("=", "+", "@"), field


# --- F13: the language links stay on this site --------------------------------------------


@pytest.mark.parametrize("path", ["/%5Cevil.example/x", "/%5C%5Cevil.example/",
                                  "/%2F/evil.example/", "/catalogue/%5Cevil.example"])
def test_f13_language_links_never_leave_the_site(client, path):
    page = client.get(path).get_data(as_text=True)
    links = re.findall(r'class="lang-link[^"]*" href="([^"]*)"', page)
    assert len(links) == 2
    for href in links:
        href = html.unescape(href)
        assert href.startswith("/") and not href.startswith("//"), href
        assert "\\" not in href, href


def test_f13_language_links_keep_the_page_and_its_query(client):
    page = client.get("/catalogue?q=diab%C3%A8te").get_data(as_text=True)
    assert 'href="/catalogue?q=diab%C3%A8te&amp;lang=en"' in page
