"""Structural inspection of uploaded files by real parsers (``catalogue.dossiers.uploads``).

- PDF: opened with pikepdf (qpdf), which decompresses object streams; every object,
  direct or indirect, is walked and active content is refused: JavaScript (``/JS``,
  ``/JavaScript``, ``/S /JavaScript``), launch actions, embedded files, XFA forms, rich
  media, and ``/OpenAction`` or ``/AA`` triggering any of them.
- JPEG and PNG: walked segment by segment (chunk by chunk) up to their end marker;
  nothing may follow it, so an image cannot carry an archive or a page behind it.
- Any image or PDF that a zip reader also opens is a polyglot and refused.
- DOCX, XLSX, ODT: relationships to outside resources (``TargetMode="External"``,
  such as a remote ``attachedTemplate``, linked images or OLE links; ODF linked images,
  objects and sections) are refused: opening the document would fetch them (tracking,
  NTLM hash leaks, remote template injection). Hyperlinks, followed only on a click,
  are allowed.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from catalogue.core.lazy import lazy_module

if TYPE_CHECKING:
    import pikepdf
else:
    # qpdf's bindings (6 MiB): loaded by the first upload a process inspects, not by
    # every web worker and job.
    pikepdf = lazy_module("pikepdf")

# Keys of a PDF dictionary that carry active content by their mere presence.
_ACTIVE_KEYS = {"/JS", "/JavaScript", "/EmbeddedFiles", "/EmbeddedFile", "/EF", "/XFA", "/RichMedia",
                "/Launch"}
# Action types (``/S``) and object types (``/Type``) that run or carry something.
_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/RichMediaExecute", "/Rendition",
                   "/GoToE"}
_ACTIVE_TYPES = {"/EmbeddedFile", "/RichMedia"}


class Refused(Exception):
    """The file is refused; ``reason`` is one of the keys the upload check words in French."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- PDF -----------------------------------------------------------------------------


def _children(obj: object) -> Iterator[object]:
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        yield from obj.values()
    elif isinstance(obj, pikepdf.Array):
        yield from obj


def _is_active(obj: object) -> bool:
    if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        return False
    keys = set(obj.keys())
    if keys & _ACTIVE_KEYS:
        return True
    kind, action = obj.get("/Type"), obj.get("/S")
    return (isinstance(kind, pikepdf.Name) and str(kind) in _ACTIVE_TYPES) or \
        (isinstance(action, pikepdf.Name) and str(action) in _ACTIVE_ACTIONS)


def check_pdf_structure(data: bytes) -> None:
    """Raise ``Refused("damaged" | "protected" | "active")`` for a PDF to refuse."""
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise Refused("protected") from None
    except (pikepdf.PdfError, ValueError, OSError):
        raise Refused("damaged") from None
    with pdf:
        # Every indirect object (those inside compressed object streams included), then
        # the direct objects nested in each, without following references twice.
        pending: list[object] = [pdf.trailer, *pdf.objects]
        while pending:
            obj = pending.pop()
            if _is_active(obj):
                raise Refused("active")
            for child in _children(obj):
                if isinstance(child, pikepdf.Object) and child.is_indirect:
                    continue  # in pdf.objects already
                pending.append(child)


# --- Images ----------------------------------------------------------------------------


def jpeg_end(data: bytes) -> int:
    """The offset just after the EOI marker of the JPEG stream; ``Refused("damaged")``
    when the segments do not follow one another up to it."""
    size = len(data)
    i = 2  # after SOI
    while i < size:
        if data[i] != 0xFF:
            raise Refused("damaged")
        while i < size and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= size:
            break
        marker = data[i]
        i += 1
        if marker == 0xD9:  # EOI
            return i
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue  # no length
        if i + 2 > size:
            break
        (length,) = struct.unpack(">H", data[i:i + 2])
        if length < 2:
            raise Refused("damaged")
        i += length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            while True:
                i = data.find(b"\xff", i)
                if i < 0 or i + 1 >= size:
                    raise Refused("damaged")
                following = data[i + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    i += 1 if following == 0xFF else 2
                    continue
                break
    raise Refused("damaged")


def png_end(data: bytes) -> int:
    """The offset just after the IEND chunk; ``Refused("damaged")`` on a broken chunk."""
    size = len(data)
    i = 8
    while i + 12 <= size:
        (length,) = struct.unpack(">I", data[i:i + 4])
        kind = data[i + 4:i + 8]
        end = i + 12 + length
        if end > size:
            break
        (crc,) = struct.unpack(">I", data[end - 4:end])
        if zlib.crc32(data[i + 4:end - 4]) != crc:
            raise Refused("damaged")
        if kind == b"IEND":
            return end
        i = end
    raise Refused("damaged")


def check_image_structure(data: bytes, kind: str) -> None:
    """Raise ``Refused("damaged" | "trailing")`` for a JPEG or PNG to refuse.

    A JPEG may be followed by further complete JPEG streams (the secondary images of the
    Multi-Picture Format: phones store HDR gain maps and previews so); each is walked the
    same way, and nothing else may follow the last one.
    """
    end = jpeg_end(data) if kind == "jpeg" else png_end(data)
    while kind == "jpeg" and data.startswith(b"\xff\xd8\xff", end):
        end += jpeg_end(data[end:])
    if data[end:].strip(b"\x00"):
        raise Refused("trailing")


def is_also_a_zip(data: bytes) -> bool:
    """True when a zip reader opens these bytes (an archive inside or after the file)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return bool(archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return False


# --- Office documents -------------------------------------------------------------------

_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>", re.IGNORECASE)
_EXTERNAL_MODE = re.compile(rb"""TargetMode\s*=\s*["']External["']""", re.IGNORECASE)
# A hyperlink is followed only when the reader clicks it: the one external target allowed.
_HYPERLINK_TYPE = re.compile(rb"""Type\s*=\s*["'][^"']*/hyperlink["']""", re.IGNORECASE)


# ODF: links to outside files that are loaded when the document opens (linked images,
# objects, sections, templates).
_ODF_EXTERNAL = re.compile(
    rb"""<(?:draw:image|draw:object|draw:object-ole|text:section-source|style:background-image"""
    rb"""|office:dde-source|table:table-source)\b[^>]*xlink:href\s*=\s*["'](?!\./|#|Pictures/|Object)""",
    re.IGNORECASE,
)


def external_relationship(archive: zipfile.ZipFile) -> str | None:
    """The name of the member declaring a resource outside the document, or None."""
    for info in archive.infolist():
        name = info.filename
        lower = name.lower()
        if lower.endswith(".rels"):
            for tag in _RELATIONSHIP.findall(archive.read(info)):
                if _EXTERNAL_MODE.search(tag) and not _HYPERLINK_TYPE.search(tag):
                    return name
        elif (lower in ("content.xml", "styles.xml") or lower.endswith("/content.xml")) \
                and _ODF_EXTERNAL.search(archive.read(info)):
            return name
    return None
