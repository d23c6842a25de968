"""Hypothesis on every public form and query parameter: whatever is typed, never a 500
(and never a stack trace). Bounded by the profile in tests/security/conftest.py."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogue import db
from tests.security.conftest import bounded

# Text as people (and tools) type it: accents, control characters, RTL marks, NUL, very long.
TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    st.sampled_from(["", " ", "\x00", "\u202e", "' OR 1=1 --", "<script>", "%00", "../../etc/passwd",
                     "a" * 5000, "é" * 400, "{{7*7}}", "${jndi:ldap://x}", "\r\nSet-Cookie: x=y"]),
)
VALUES = st.lists(TEXT, max_size=3)


def no_server_error(response) -> None:
    assert response.status_code < 500, response.status_code
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.fixture
def open_forms(app, monkeypatch):
    # Random input should reach the form's own validation, not stop at the CSRF check;
    # rate limits stay on (a 429 is a fine answer).
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@bounded(30)
@given(email=TEXT, password=TEXT, confirm=TEXT, name=TEXT, extra=st.dictionaries(TEXT, TEXT, max_size=2))
def test_sign_up(client, open_forms, email, password, confirm, name, extra):
    no_server_error(client.post("/inscription", data={**extra, "email": email, "password": password,
                                                      "password_confirm": confirm, "display_name": name}))


@bounded(30)
@given(email=TEXT, password=TEXT, next_=TEXT)
def test_login(client, open_forms, email, password, next_):
    response = client.post(f"/connexion?next={next_[:100]}", data={"email": email, "password": password,
                                                                   "next": next_})
    no_server_error(response)
    location = response.headers.get("Location", "")
    assert not location.startswith(("http://", "https://", "//")) or "localhost" in location


@bounded(20)
@given(email=TEXT)
def test_forgot_password(client, open_forms, email):
    no_server_error(client.post("/mot-de-passe-oublie", data={"email": email}))


@bounded(20)
@given(token=TEXT.filter(lambda t: "/" not in t and "\x00" not in t and t.strip()), password=TEXT)
def test_reset_password_and_tokens(client, open_forms, token, password):
    from urllib.parse import quote

    no_server_error(client.post(f"/mot-de-passe/nouveau/{quote(token)}",
                                data={"password": password, "password_confirm": password}))
    no_server_error(client.get(f"/compte/verification/{quote(token)}"))
    no_server_error(client.get(f"/editeur/invitation/{quote(token)}"))


FACETS = ("category", "audience", "platform", "pricing", "medical_device", "service", "status",
          "sort", "page", "per_page", "q", "lang")


@bounded(40)
@given(params=st.dictionaries(st.sampled_from(FACETS), VALUES, max_size=5))
def test_catalogue_search_and_facets(client, params):
    no_server_error(client.get("/catalogue", query_string=params))
    no_server_error(client.get("/api/v1/apps", query_string=params))


@bounded(30)
@given(profil=VALUES, filtre=TEXT, de=TEXT, a=TEXT)
def test_frameworks_filter_and_compare(client, ens_waves, profil, filtre, de, a):
    no_server_error(client.get("/referentiels", query_string={"profil": profil, "filtre": filtre}))
    no_server_error(client.get("/referentiels/ENS/2026.1", query_string={"profil": profil}))
    no_server_error(client.get("/referentiels/ENS/comparer", query_string={"de": de, "a": a}))


@bounded(30)
@given(code=TEXT.filter(lambda t: "/" not in t and "\x00" not in t and t.strip()),
       version=TEXT.filter(lambda t: "/" not in t and "\x00" not in t and t.strip()))
def test_framework_and_app_paths(client, code, version):
    from urllib.parse import quote

    no_server_error(client.get(f"/api/v1/frameworks/{quote(code)}/{quote(version)}"))
    no_server_error(client.get(f"/api/v1/apps/{quote(code)}"))
    no_server_error(client.get(f"/catalogue/{quote(code)}"))


@pytest.fixture
def reporter(app, client, login, make_listing, make_patient, open_forms):
    slug = make_listing().app.slug
    login(make_patient())
    db.commit()
    return slug


@bounded(25)
@given(kind=TEXT, text=TEXT)
def test_report_form(client, reporter, kind, text):
    no_server_error(client.post(f"/catalogue/{reporter}/signaler", data={"kind": kind, "text": text}))
