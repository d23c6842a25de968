"""Evidence upload checks: type by content, office archives inspected, polyglots refused."""

import io
import zipfile

import pytest

from catalogue.dossiers.samples import sample_pdf, sample_png
from catalogue.dossiers.uploads import check_upload, safe_filename
from catalogue.errors import ValidationFailed

LIMIT = 20 * 1024 * 1024


def office(kind: str, extra: dict[str, bytes] | None = None, *, compress: bool = True) -> bytes:
    out = io.BytesIO()
    mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(out, "w", mode) as archive:
        if kind == "odt":
            archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
            archive.writestr("content.xml", "<office:document-content/>")
        else:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<doc/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def refused(filename: str, data: bytes, fragment: str = "") -> str:
    with pytest.raises(ValidationFailed) as caught:
        check_upload(filename, data, max_bytes=LIMIT)
    assert "file" in caught.value.errors
    assert fragment in caught.value.errors["file"]
    return caught.value.errors["file"]


@pytest.mark.parametrize(("kind", "data", "content_type"), [
    ("pdf", sample_pdf("Politique"), "application/pdf"),
    ("png", sample_png("Écran"), "image/png"),
    ("docx", office("docx"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xlsx", office("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("odt", office("odt"), "application/vnd.oasis.opendocument.text"),
])
def test_allowed_types_are_detected_from_content(kind, data, content_type):
    checked = check_upload("piece.bin", data, max_bytes=LIMIT)
    assert checked.kind == kind
    assert checked.content_type == content_type
    assert checked.filename.startswith("piece")


def test_jpeg_is_accepted():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 20, 30)).save(out, format="JPEG")
    assert check_upload("photo.jpeg", out.getvalue(), max_bytes=LIMIT).kind == "jpeg"


def test_a_script_renamed_pdf_is_refused():
    refused("rapport.pdf", b"<script>alert(1)</script>", "code")
    refused("rapport.pdf", b"#!/bin/sh\nrm -rf /\n", "code")
    refused("rapport.pdf", b"MZ\x90\x00 not a pdf", "non accepté")


def test_pdf_polyglots_and_active_content_are_refused():
    pdf = sample_pdf("Audit")
    refused("a.pdf", pdf + b"<html><body><script>alert(1)</script></body></html>", "fin")
    script = b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
    refused("a.pdf", pdf.replace(b"/Type /Catalog", script), "contenu actif")
    refused("a.pdf", pdf.replace(b"/Type /Catalog", b"/Type /Catalog /AA << /O << /S /Launch >> >>"), "actif")
    refused("a.pdf", pdf.replace(b"/Type /Catalog", b"/Type /Catalog /J#61vaScript 1"), "actif")
    refused("a.pdf", pdf[:-20], "fin")
    refused("a.pdf", b"%PDF-1.4\n<script>x</script>\n%%EOF", "HTML")


def test_image_with_embedded_html_is_refused():
    refused("a.png", sample_png("x")[:-12] + b"<script>alert(1)</script>" + sample_png("x")[-12:], "")


def test_office_traps_are_refused():
    refused("bomb.docx", office("docx", {"word/media/big.bin": b"\0" * (110 * 1024 * 1024)}))
    refused("bomb.docx", office("docx", {"word/fill.xml": b"A" * (5 * 1024 * 1024)}), "compressé")
    refused("trav.docx", office("docx", {"../../etc/passwd": b"x"}), "chemin")
    refused("macro.docx", office("docx", {"word/vbaProject.bin": b"x"}), "macros")
    refused("archive.zip", office("docx").replace(b"word/document.xml", b"word/documenx.xml"), "type accepté")
    many = {f"word/p{i}.xml": b"x" for i in range(2100)}
    refused("many.docx", office("docx", many), "trop de fichiers")


def test_encrypted_members_are_refused():
    data = bytearray(office("docx"))
    # Set the "encrypted" flag bit in every local and central header.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (index := data.find(signature, start)) != -1:
            data[index + offset] |= 0x01
            start = index + 4
    refused("secret.docx", bytes(data), "chiffré")


def test_size_limit_and_empty_file():
    with pytest.raises(ValidationFailed, match="taille maximale"):
        check_upload("big.pdf", sample_pdf("x") + b" " * 10, max_bytes=100)
    refused("empty.pdf", b"", "vide")


@pytest.mark.parametrize(("name", "kind", "expected"), [
    ("../../etc/passwd", "pdf", "passwd.pdf"),
    ("C:\\Users\\x\\rapport final.pdf", "pdf", "rapport final.pdf"),
    ("facture\u202egpj.exe", "pdf", "facturegpj.pdf"),
    ("a\x00b\x1f.docx", "docx", "ab.docx"),
    ("   ", "png", "piece.png"),
    ("scan.exe", "png", "scan.png"),
    ("e\u0301te\u0301.pdf", "pdf", "\u00e9t\u00e9.pdf"),
])
def test_filenames_are_made_safe(name, kind, expected):
    assert safe_filename(name, kind) == expected
