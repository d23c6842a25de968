"""Security headers, cookies, caching of public and authenticated answers, debug off,
no stack trace on errors (ASVS V3, V13, V14 / V16 in 5.0)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from catalogue import db
from catalogue.app import create_app

PUBLIC_PAGES = ("/", "/catalogue", "/referentiels", "/statistiques", "/api/v1/apps",
                "/api/v1/categories", "/api/v1/frameworks", "/api/v1/openapi.json",
                "/opendata/catalogue.csv", "/opendata/catalogue.json", "/catalogue/feed.atom")


@pytest.fixture
def keep_globals(app):
    """``create_app`` sets process-wide services (storage, mailer, password hasher, the
    session's engine): put the test application's back after building another one."""
    from catalogue.accounts import passwords
    from catalogue.audit import services as audit
    from catalogue.notifications import services as notifications
    from catalogue.storage import services as storage

    saved = (storage._storage, notifications._mailer, passwords._hasher, audit._key)
    yield
    audit._key = saved[3]
    storage.configure(saved[0])
    notifications.configure(saved[1])
    passwords._hasher = saved[2]
    db.configure_engine(app.extensions["engine"])


@pytest.fixture
def production_app(database_url, tmp_path, keep_globals):
    """The application as configured in production (against the migrated test database)."""
    return create_app({"CATALOGUE_ENV": "production", "SECRET_KEY": "s" * 48,
                       "AUDIT_HMAC_KEY": "a" * 48, "DATABASE_URL": database_url, "STORAGE_URL": f"file://{tmp_path}",
                       "MAIL_URL": None, "TESTING": False, "BASE_URL": "https://localhost"})


def test_strict_csp_and_companion_headers_on_every_kind_of_answer(client):
    for path in ("/", "/connexion", "/nulle-part", "/api/v1/apps", "/api/v1/nulle-part"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
        assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
        assert directives["base-uri"] == "'self'" and directives["form-action"] == "'self'"
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_templates_have_no_inline_script_or_style():
    """The CSP forbids them; a template with one would break silently in the browser."""
    offenders = []
    for template in (Path(__file__).resolve().parents[2] / "templates").rglob("*.html"):
        if "emails" in template.parts:
            continue  # e-mail bodies are not served under the CSP
        source = template.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source) or re.search(r"\sstyle=", source) \
                or re.search(r"\son[a-z]+=", source):
            offenders.append(str(template))
    assert not offenders


def test_production_sets_hsts_and_secure_cookies(production_app):
    assert production_app.config["SESSION_COOKIE_SECURE"] is True
    assert production_app.config["REMEMBER_COOKIE_SECURE"] is True
    assert production_app.debug is False and production_app.testing is False
    client = production_app.test_client()
    response = client.get("/connexion", base_url="https://localhost")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=63072000")
    cookie = response.headers["Set-Cookie"]  # the session holds the CSRF token of the form
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "samesite=lax"} <= flags, cookie


def test_production_refuses_to_start_without_a_secret_key(database_url, keep_globals):
    from config import ConfigError

    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"CATALOGUE_ENV": "production", "DATABASE_URL": database_url})
    # Nor without the audit chain's key, which must not be in the database nor change with SECRET_KEY.
    with pytest.raises(ConfigError, match="AUDIT_HMAC_KEY"):
        create_app({"CATALOGUE_ENV": "production", "SECRET_KEY": "s" * 48,
                    "DATABASE_URL": database_url})


def test_development_cookies_are_httponly_and_lax(app, client):
    response = client.get("/connexion")
    cookie = response.headers["Set-Cookie"]
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=lax"} <= flags
    assert "HSTS" in app.config and app.config["HSTS"] is False  # plain HTTP in tests only


def test_public_answers_are_cacheable_and_cookie_free(client, make_listing):
    slug = make_listing().app.slug
    for path in (*PUBLIC_PAGES, f"/catalogue/{slug}", f"/api/v1/apps/{slug}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
        assert "no-store" not in response.headers.get("Cache-Control", ""), path
    api = client.get("/api/v1/apps")
    assert api.headers["Cache-Control"] == "public, max-age=60" and api.headers["ETag"]
    again = client.get("/api/v1/apps", headers={"If-None-Match": api.headers["ETag"]})
    assert again.status_code == 304


def test_authenticated_answers_are_never_stored(client, login, make_user, make_listing):
    """Even a public page is ``no-store`` once signed in (it shows the user's name)."""
    slug = make_listing().app.slug
    user = make_user()
    db.commit()
    login(user)
    for path in ("/", "/catalogue", f"/catalogue/{slug}", "/compte/", "/api/v1/apps"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path
        assert "Cookie" in response.headers.get("Vary", ""), path


def test_static_files_are_fingerprinted_and_kept_whoever_asks(client, login, make_user):
    """Pages link their style sheets by fingerprint: that URL is kept a year, signed in or
    not (the files are public), so pages do not fetch them again; an unversioned or stale
    URL is revalidated, never stored as a signed-in answer; a path out of the folder is 404."""
    user = make_user()
    db.commit()
    login(user)
    html = client.get("/compte/").get_data(as_text=True)
    sheets = re.findall(r'href="(/static/[^"?]+)\?v=([0-9a-f]{12})"', html)
    assert any(path.endswith("bootstrap.min.css") for path, _version in sheets), html[:500]
    root = Path(__file__).resolve().parents[2] / "catalogue"
    for path, version in sheets:
        assert version == hashlib.sha256((root / path.lstrip("/")).read_bytes()).hexdigest()[:12]
        with client.get(f"{path}?v={version}") as kept:
            assert kept.status_code == 200
            assert kept.headers["Cache-Control"] == "public, max-age=31536000, immutable", path
        for stale in (path, f"{path}?v=000000000000"):
            with client.get(stale) as answer:
                assert answer.headers["Cache-Control"] == "no-cache", stale
    assert client.get("/static/..%2Fapp.py?v=1").status_code == 404
    assert client.get("/static/css/absent.css?v=1").headers["Cache-Control"] == "no-cache"


def test_debug_is_off_and_errors_show_no_stack_trace(app, client, monkeypatch):
    assert app.debug is False
    assert app.config["PROPAGATE_EXCEPTIONS"] in (None, False) or app.testing

    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internal detail /srv/catalogue/db.py line 42")

    monkeypatch.setitem(app.view_functions, "core.legal", explode)
    monkeypatch.setattr(app, "testing", False)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/mentions-legales")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Une erreur inattendue est survenue" in body and 'lang="fr"' in body
    assert "Traceback" not in body and "secret internal detail" not in body
    assert "RuntimeError" not in body
    assert response.headers["Content-Security-Policy"]

    monkeypatch.setitem(app.view_functions, "api.list_categories", explode)
    api = client.get("/api/v1/categories")
    assert api.status_code == 500 and api.mimetype == "application/problem+json"
    assert "secret internal detail" not in api.get_data(as_text=True)


def test_werkzeug_debugger_cannot_be_enabled_by_environment(monkeypatch, database_url, tmp_path,
                                                            keep_globals):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    application = create_app({"CATALOGUE_ENV": "production", "SECRET_KEY": "s" * 48,
                              "AUDIT_HMAC_KEY": "a" * 48, "DATABASE_URL": database_url, "STORAGE_URL": f"file://{tmp_path}"})
    assert application.debug is False
