"""HTML and script typed by users come out escaped (or sanitised) wherever they are shown;
open-data CSV cells cannot start a spreadsheet formula (ASVS V1 encoding, V5 output)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.notifications.models import OutboxMessage

SCRIPT = "<script>alert('xss')</script>"
IMG = '<img src=x onerror="alert(1)">'


def assert_inert(body: str, where: str) -> None:
    assert SCRIPT not in body, where
    assert "<img src=x" not in body.lower(), where


def retitle(listing, **fields) -> str:
    """Change the listed app's texts the way its publisher does (a presentational change)."""
    from catalogue.apps import services as apps
    from tests.factories_publishers import owner_of

    app_row = listing.app
    apps.update_app_profile(db.session, app_row, actor=owner_of(db.session, app_row.organisation), **fields)
    slug = app_row.slug
    db.commit()
    return slug


@pytest.fixture
def hostile_listing(make_listing):
    # Set after publication: the factory's sample PDFs carry the name, and the upload check
    # rightly refuses a PDF containing a script.
    return retitle(make_listing(), name=f"Appli {SCRIPT}", summary=f"Résumé {IMG} fin.",
                   description=f"## Titre\n\n{SCRIPT}\n\n[lien](javascript:alert(1)) {IMG}")


def test_app_texts_are_escaped_on_every_public_page(client, hostile_listing):
    slug = hostile_listing
    # HTML and XML answers (JSON carries the text as data: next test).
    for path in ("/", "/catalogue", "/catalogue?q=Appli", f"/catalogue/{slug}", "/catalogue/feed.atom"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_inert(response.get_data(as_text=True), path)
    page = client.get(f"/catalogue/{slug}").get_data(as_text=True)
    assert "&lt;script&gt;" in page  # shown as text, not dropped silently from the name
    assert 'href="javascript:' not in page


def test_json_answers_carry_text_as_data(client, hostile_listing):
    """JSON is not HTML: the text is kept as typed, served as application/json with nosniff."""
    response = client.get(f"/api/v1/apps/{hostile_listing}")
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert SCRIPT in response.json["name"]


def test_feed_is_well_formed_xml_with_the_text_escaped(client, hostile_listing):
    from xml.etree import ElementTree

    body = client.get("/catalogue/feed.atom").get_data(as_text=True)
    root = ElementTree.fromstring(body)  # would fail on raw markup
    titles = [e.text or "" for e in root.iter("{http://www.w3.org/2005/Atom}title")]
    assert any(SCRIPT in t for t in titles)


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_open_data_csv_cells_cannot_start_a_formula(client, make_listing, prefix):
    retitle(make_listing(), name=f"{prefix}HYPERLINK(\"http://evil.example/\",\"Cliquez\")",
            summary=f"{prefix}cmd|' /C calc'!A0 résumé assez long pour être accepté.")
    body = client.get("/opendata/catalogue.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    dangerous = [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")
                 or (c[:1] == "-" and not c[1:2].isdigit())]
    assert not dangerous, dangerous
    assert any("HYPERLINK" in c for c in cells)  # the text is kept, neutralised


def test_report_text_is_escaped_for_the_secretariat_and_in_e_mails(
        app, client, login, make_listing, make_patient, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    slug = make_listing().app.slug
    secretariat = make_user(roles=[Role.SECRETARIAT])
    patient = make_patient()
    db.commit()
    login(patient)
    text = f"Le bouton {SCRIPT} ne répond plus {IMG}."
    response = client.post(f"/catalogue/{slug}/signaler", data={"kind": "content", "text": text})
    assert response.status_code in (302, 303)
    assert_inert(client.get("/compte/signalements").get_data(as_text=True), "patient's reports")
    login(secretariat)
    page = client.get("/commission/signalements").get_data(as_text=True)
    assert_inert(page, "secretariat's reports")
    for message in db.session.scalars(select(OutboxMessage)):
        assert_inert(message.html_body, f"e-mail {message.message}")
    db.session.rollback()


def test_justification_and_interest_texts_are_escaped_in_the_commission(
        app, client, login, review_dossier, team, advance):
    from catalogue.commission import services as commission

    dossier = review_dossier()
    advance(dossier, "under_evaluation")
    commission.request_information(db.session, dossier, actor=team.rapporteurs[0],
                                   questions=f"Précisez {SCRIPT} et {IMG}")
    dossier_id = dossier.id
    db.commit()
    login(team.secretariat)
    for path in (f"/commission/dossiers/{dossier_id}", "/commission/dossiers", "/commission/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_inert(response.get_data(as_text=True), path)
