from catalogue import db
from catalogue.audit import services as audit


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_security_headers_on_every_page(client):
    response = client.get("/accessibilite")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_unknown_page_is_french_404_in_layout(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_unknown_api_path_is_problem_json(client):
    response = client.get("/api/v1/nulle-part")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404


def test_audit_chain_detects_altered_row(session, make_user):
    user = make_user()
    audit.record(session, "test.one", actor=user, subject=user, payload={"a": 1})
    event = audit.record(session, "test.two", actor=user, subject=user, payload={"b": 2})
    assert audit.verify_chain(session) is None
    event.payload = {"b": 3}
    session.flush()
    broken = audit.verify_chain(session)
    assert broken is not None and broken.event_id == event.id
    db.rollback()


def test_language_links_keep_the_current_query(client):
    page = client.get("/referentiels?x=1&lang=fr").get_data(as_text=True)
    assert 'href="/referentiels?x=1&amp;lang=en"' in page
