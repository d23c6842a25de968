"""Checks of uploaded evidence files, by content, never by name or declared type.

Allow-list: PDF, PNG, JPEG, ODT, DOCX, XLSX. Office files are zip archives: their
members are listed and checked (expected parts, no encryption, no path
traversal, no zip bomb) without extracting anything. Any file whose first bytes
look like markup or script is refused, so a polyglot cannot be served as a page.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from catalogue.dossiers.inspect import (
    Refused,
    check_image_structure,
    check_pdf_structure,
    external_relationship,
    is_also_a_zip,
)
from catalogue.errors import ValidationFailed

# Zip bomb limits for office documents.
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 2000

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "odt": "application/vnd.oasis.opendocument.text",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg", "odt": ".odt", "docx": ".docx",
              "xlsx": ".xlsx"}

# Markup or script at the start of a file (after whitespace/BOM): the signature of a polyglot
# meant to be sniffed as HTML, or a script merely renamed.
_MARKUP_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<(?:!doctype|html|head|body|script|svg|\?xml|iframe|object|embed|a\s)"
    rb"|#!|function\b|var\s|let\s|const\s|import\s|<%)",
    re.IGNORECASE,
)
_HTML_ANYWHERE = re.compile(rb"<\s*(?:script|html|iframe|svg|body)[\s>/]", re.IGNORECASE)
_PDF_ACTIVE = re.compile(
    rb"/(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA|OpenAction\s*<<[^>]*/S\s*/JavaScript)\b"
)
_PDF_HEX_NAME = re.compile(rb"/[A-Za-z]*#[0-9A-Fa-f]{2}")


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed the checks: its detected kind, content type and a safe name."""

    kind: str
    content_type: str
    filename: str


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={"file": message})


def safe_filename(filename: str, kind: str) -> str:
    """A display name safe to store and to put in a header.

    Drops any path, control and format characters (bidi overrides such as U+202E that
    make ``exe.pdf`` read as ``fdp.exe``), normalises Unicode, and forces the extension
    of the detected type.
    """
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(
        c for c in name
        if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
    )
    name = re.sub(r"[\"<>:|?*;]", "_", name)
    name = " ".join(name.split()).strip(". ")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(". ")[:150] or "piece"
    return stem + EXTENSIONS[kind]


def _check_markup(data: bytes) -> None:
    head = data[:1024]
    if _MARKUP_START.match(head):
        raise _refuse("Ce fichier contient du code (HTML ou script) et ne peut pas être accepté.")


def _check_pdf(data: bytes) -> None:
    if not data.startswith(b"%PDF-"):
        raise _refuse("Ce fichier n'est pas un PDF valide.")
    # Nothing may follow the end marker: a trailing archive or page makes a polyglot.
    if not data.rstrip(b"\r\n\t \x00").endswith(b"%%EOF"):
        raise _refuse("Ce PDF est incomplet, endommagé ou suivi d'un autre contenu (marqueur de fin absent).")
    if _PDF_ACTIVE.search(data) or _PDF_HEX_NAME.search(data):
        raise _refuse(_ACTIVE_PDF)
    if _HTML_ANYWHERE.search(data):
        raise _refuse("Ce PDF contient du code HTML ou script et ne peut pas être accepté.")
    # The regular expressions above see only uncompressed bytes: a real parser reads the
    # compressed object streams too.
    try:
        check_pdf_structure(data)
    except Refused as exc:
        raise _refuse(_PDF_REFUSALS[exc.reason]) from None
    if is_also_a_zip(data):
        raise _refuse(_POLYGLOT)


_ACTIVE_PDF = (
    "Ce PDF contient du contenu actif (JavaScript, lancement d'application ou fichier "
    "joint) : enregistrez-le à nouveau en PDF simple, par exemple en l'imprimant en PDF."
)
_PDF_REFUSALS = {
    "active": _ACTIVE_PDF,
    "damaged": "Ce PDF est endommagé et ne peut pas être lu.",
    "protected": "Ce PDF est protégé par un mot de passe : déposez une version non protégée.",
}
_POLYGLOT = "Ce fichier contient aussi une archive ou un autre fichier et ne peut pas être accepté."


def _check_image_structure(data: bytes, kind: str) -> None:
    try:
        check_image_structure(data, kind)
    except Refused as exc:
        if exc.reason == "trailing":
            raise _refuse(_POLYGLOT) from None
        raise _refuse("Cette image est endommagée et ne peut pas être lue.") from None
    if is_also_a_zip(data):
        raise _refuse(_POLYGLOT)


def _check_png(data: bytes) -> None:
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or b"IEND" not in data[-16:]:
        raise _refuse("Cette image PNG n'est pas valide.")
    if _HTML_ANYWHERE.search(data):
        raise _refuse("Cette image contient du code HTML ou script et ne peut pas être acceptée.")
    _check_image_structure(data, "png")


def _check_jpeg(data: bytes) -> None:
    if not data.startswith(b"\xff\xd8\xff") or not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise _refuse("Cette image JPEG n'est pas valide.")
    if _HTML_ANYWHERE.search(data):
        raise _refuse("Cette image contient du code HTML ou script et ne peut pas être acceptée.")
    _check_image_structure(data, "jpeg")


def _zip_member_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    path = PurePosixPath(name)
    if name.startswith(("/", "\\")) or "\\" in name or ".." in path.parts or ":" in name:
        return "Ce document contient un chemin de fichier interdit."
    if info.flag_bits & 0x1:
        return "Ce document est chiffré ou protégé par mot de passe : déposez une version non protégée."
    return None


def _check_office(data: bytes) -> str:
    """The kind (odt, docx, xlsx) of a zip-based office document, or a refusal."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _refuse("Ce document bureautique est endommagé ou n'est pas une archive valide.") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise _refuse("Ce document contient trop de fichiers internes.")
        total = 0
        for info in infos:
            problem = _zip_member_problem(info)
            if problem:
                raise _refuse(problem)
            total += info.file_size
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO \
                    and info.file_size > 1024 * 1024:
                raise _refuse("Ce document est anormalement compressé (archive piégée) et a été refusé.")
        if total > MAX_UNCOMPRESSED:
            raise _refuse("Ce document est trop volumineux une fois décompressé.")
        names = {info.filename for info in infos}
        kind = None
        if "mimetype" in names:
            mimetype = archive.read("mimetype")[:100].strip()
            if mimetype == b"application/vnd.oasis.opendocument.text" and "content.xml" in names:
                kind = "odt"
        elif "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                kind = "docx"
            elif "xl/workbook.xml" in names:
                kind = "xlsx"
        if kind is None:
            raise _refuse(
                "Ce document bureautique n'est pas d'un type accepté (ODT, DOCX ou XLSX)."
            )
        if any(n.lower().endswith((".bin", ".exe", ".js", ".vbs", ".html", ".htm")) or "vbaProject" in n
               for n in names):
            raise _refuse("Ce document contient des macros ou du code : déposez une version sans macros.")
        if external_relationship(archive) is not None:
            raise _refuse("Ce document fait appel à des ressources extérieures (modèle, image ou objet "
                          "liés à une adresse web) : enregistrez-le sans ces liens, par exemple en "
                          "l'exportant en PDF.")
    return kind


def check_upload(filename: str, data: bytes, *, max_bytes: int) -> CheckedFile:
    """Check an uploaded file; raise ValidationFailed (field ``file``) with a French message.

    The type comes from the content; the name only provides a display name.
    """
    if not data:
        raise _refuse("Le fichier est vide.")
    if len(data) > max_bytes:
        raise _refuse(f"Le fichier dépasse la taille maximale de {max_bytes // (1024 * 1024)} Mo.")
    _check_markup(data)
    if data.startswith(b"%PDF-"):
        kind = "pdf"
        _check_pdf(data)
    elif data.startswith(b"\x89PNG"):
        kind = "png"
        _check_png(data)
    elif data.startswith(b"\xff\xd8\xff"):
        kind = "jpeg"
        _check_jpeg(data)
    elif data.startswith(b"PK\x03\x04"):
        kind = _check_office(data)
    else:
        raise _refuse(
            "Type de fichier non accepté. Formats acceptés : PDF, PNG, JPEG, ODT, DOCX, XLSX."
        )
    return CheckedFile(kind=kind, content_type=CONTENT_TYPES[kind],
                       filename=safe_filename(filename, kind))
