"""Shared helpers of the security suite: a publisher ready to upload, storage inspection."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from catalogue import db
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers.models import Evidence
from catalogue.storage.services import get_storage


@dataclass
class Upload:
    """A draft dossier, its owner signed in on ``client`` and a requirement that takes evidence."""

    client: Any
    dossier_id: int
    organisation_id: int
    category: str
    code: str
    kind: str

    @property
    def url(self) -> str:
        return f"/editeur/dossiers/{self.dossier_id}/auto-evaluation/{self.category}"

    def post(self, filename: str, data: bytes, **extra: str) -> Any:
        form = {f"status-{self.code}": "compliant",
                f"justification-{self.code}": "Voir la pièce jointe.",
                f"kind-{self.code}": self.kind, f"title-{self.code}": "Pièce",
                f"file-{self.code}": (io.BytesIO(data), filename), **extra}
        return self.client.post(self.url, data=form, content_type="multipart/form-data")


def prepare_upload(make_dossier: Any, login: Any, client: Any) -> Upload:
    from tests.factories_publishers import owner_of

    dossier = make_dossier()
    owner = owner_of(db.session, dossier.organisation)
    requirement = next(r for r in dossier_queries.applicable_requirements(db.session, dossier) if r.evidence)
    upload = Upload(client=client, dossier_id=dossier.id, organisation_id=dossier.organisation_id,
                    category=requirement.category, code=requirement.code, kind=requirement.evidence[0])
    db.commit()
    login(owner)
    return upload


def evidence_count(organisation_id: int) -> int:
    count = db.session.scalar(select(func.count(Evidence.id))
                              .where(Evidence.organisation_id == organisation_id))
    db.session.rollback()
    return count


def stored_files() -> set[str]:
    """Every file under the storage root (temporary files included)."""
    root = Path(get_storage().root)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def office(kind: str, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal DOCX/XLSX/ODT archive with ``extra`` members."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if kind == "odt":
            archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
            archive.writestr("content.xml", "<office:document-content/>")
        else:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<doc/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()
