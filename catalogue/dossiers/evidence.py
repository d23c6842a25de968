"""The organisation's evidence library: checked uploads stored once by SHA-256, and
downloads for those entitled (DESIGN §7 "Evidence")."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalogue.accounts.models import User
from catalogue.apps.models import App
from catalogue.audit import services as audit
from catalogue.clock import now, today
from catalogue.dossiers.models import (
    Dossier,
    Evidence,
)
from catalogue.dossiers.permissions import can_download_evidence
from catalogue.dossiers.uploads import CheckedFile, check_upload
from catalogue.errors import DomainError, NotFound, ValidationFailed
from catalogue.frameworks.vocabulary import EVIDENCE_KINDS
from catalogue.publishers.models import Organisation
from catalogue.publishers.permissions import require_member
from catalogue.storage.services import StorageError, get_storage, new_key

log = logging.getLogger(__name__)


DEFAULT_UPLOAD_MAX_MB = 20


_PENDING_KEYS = "dossiers_pending_storage_keys"


@event.listens_for(Session, "after_commit")
def _forget_pending_keys(db_session: Session) -> None:  # pragma: no cover - hook
    db_session.info.pop(_PENDING_KEYS, None)


@event.listens_for(Session, "after_soft_rollback")
def _delete_pending_keys(db_session: Session, previous_transaction: Any) -> None:
    # A rolled back transaction leaves no evidence row: it must not leave its file either.
    if previous_transaction.parent is not None:
        return
    for key in db_session.info.pop(_PENDING_KEYS, []):
        try:
            get_storage().delete(key)
        except (StorageError, RuntimeError):  # pragma: no cover - best effort
            log.warning("could not delete orphan evidence file %s", key)


@dataclass(frozen=True)
class Upload:
    """A file offered to the library: its bytes and how it is filed."""

    filename: str
    data: bytes
    kind: str
    title: str
    valid_until: date | None = None


def add_evidence(
    session: Session, organisation: Organisation, *, actor: User, app: App | None = None,
    filename: str, data: bytes, kind: str, title: str, valid_until: date | None = None,
    max_bytes: int | None = None,
) -> Evidence:
    """Check and store an evidence file in the organisation's library.

    The same content (SHA-256) is stored once per organisation: uploading it again
    returns the existing row. A storage failure leaves no row; a rolled back
    transaction leaves no file.
    """
    upload = Upload(filename, data, kind, title, valid_until)
    return add_evidence_files(session, organisation, actor=actor, app=app, uploads=[upload],
                              max_bytes=max_bytes)[0]


def add_evidence_files(
    session: Session, organisation: Organisation, *, actor: User, app: App | None = None,
    uploads: Sequence[Upload], max_bytes: int | None = None,
) -> list[Evidence]:
    """Check and store several evidence files at once, all or none: the first refused file
    raises ``ValidationFailed`` before anything is stored. One row per upload, in order, as
    ``add_evidence`` gives it (a content already in the library, or twice in ``uploads``,
    is the same row, filed under each kind)."""
    require_member(session, organisation, actor)
    if app is not None and app.organisation_id != organisation.id:
        raise NotFound("Application introuvable.")
    limit = max_bytes or DEFAULT_UPLOAD_MAX_MB * 1024 * 1024
    checked = [_check(upload, limit) for upload in uploads]
    digests = {digest for _upload, _file, digest in checked}
    library = {e.sha256: e for e in session.scalars(
        select(Evidence).where(Evidence.organisation_id == organisation.id, Evidence.sha256.in_(digests)))}
    new: dict[str, Evidence] = {}
    try:
        for upload, file, digest in checked:
            if digest in library or digest in new:
                continue
            key = new_key("evidence")
            get_storage().put(key, upload.data)
            new[digest] = Evidence(
                organisation_id=organisation.id, app_id=app.id if app else None, kind=upload.kind,
                title=upload.title, filename=file.filename, content_type=file.content_type,
                size=len(upload.data), sha256=digest, storage_key=key, valid_until=upload.valid_until,
                uploaded_by_id=actor.id, uploaded_at=now())
        with session.begin_nested():
            session.add_all(new.values())
            session.flush()
    except StorageError:
        _delete_files(new.values())
        log.exception("evidence storage failed")
        raise DomainError(
            "Le fichier n'a pas pu être enregistré. Réessayez dans quelques instants.",
            errors={"file": "Le fichier n'a pas pu être enregistré."},
        ) from None
    except IntegrityError:
        _delete_files(new.values())
        if len(uploads) == 1:
            # The same file was stored concurrently: use that one.
            upload, _file, digest = checked[0]
            existing = session.scalar(select(Evidence).where(
                Evidence.organisation_id == organisation.id, Evidence.sha256 == digest))
            if existing is None:
                raise
            return [_file_under(session, existing, upload.kind, actor)]
        return [row for upload in uploads
                for row in add_evidence_files(session, organisation, actor=actor, app=app,
                                              uploads=[upload], max_bytes=max_bytes)]
    session.info.setdefault(_PENDING_KEYS, []).extend(e.storage_key for e in new.values())
    audit.record_many(session, [
        audit.Entry("evidence.uploaded", evidence, {
            "organisation_id": organisation.id, "app_id": evidence.app_id, "kind": evidence.kind,
            "sha256": evidence.sha256, "size": evidence.size})
        for evidence in new.values()], actor=actor)
    rows = []
    for upload, _file, digest in checked:
        evidence = new.get(digest)
        if evidence is None or evidence.kind != upload.kind:
            evidence = _file_under(session, library.get(digest) or new[digest], upload.kind, actor)
        rows.append(evidence)
    return rows


def _check(upload: Upload, limit: int) -> tuple[Upload, CheckedFile, str]:
    """The upload with its title tidied, its content checked (``ValidationFailed`` naming the
    field), and its SHA-256."""
    errors: dict[str, str] = {}
    if upload.kind not in EVIDENCE_KINDS:
        errors["kind"] = "Choisissez le type de pièce."
    title = " ".join((upload.title or "").split())
    if not title:
        errors["title"] = "Donnez un titre à la pièce."
    elif len(title) > 200:
        errors["title"] = "Le titre ne doit pas dépasser 200 caractères."
    if upload.valid_until is not None and upload.valid_until < today():
        errors["valid_until"] = "La date de validité est déjà passée."
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors=errors)
    file = check_upload(upload.filename, upload.data, max_bytes=limit)
    return replace(upload, title=title), file, hashlib.sha256(upload.data).hexdigest()


def _delete_files(rows: Iterable[Evidence]) -> None:
    """Best effort: the files stored for rows that will not be written."""
    for evidence in rows:
        try:
            get_storage().delete(evidence.storage_key)
        except (StorageError, RuntimeError):  # pragma: no cover - best effort
            log.warning("could not delete orphan evidence file %s", evidence.storage_key)


def _file_under(session: Session, evidence: Evidence, kind: str, actor: User) -> Evidence:
    """The same content uploaded again: filed under ``kind`` too if it is a new one."""
    if kind not in evidence.kinds:
        evidence.extra_kinds = [*(evidence.extra_kinds or []), kind]
        session.flush()
        audit.record(session, "evidence.kind_added", actor=actor, subject=evidence,
                     payload={"kind": kind, "kinds": evidence.kinds})
    return evidence


def evidence_by_id(session: Session, dossier: Dossier, evidence_ids: Iterable[int]) -> dict[int, Evidence]:
    """The evidence among ``evidence_ids`` that the dossier may cite, by id: the library is
    organisation-wide (a file uploaded for one app serves every app of the organisation);
    ids it may not cite are left out."""
    ids = sorted({int(i) for i in evidence_ids})
    if not ids:
        return {}
    return {e.id: e for e in session.scalars(
        select(Evidence).where(Evidence.id.in_(ids),
                               Evidence.organisation_id == dossier.organisation_id)
    )}


def evidence_rows(session: Session, dossier: Dossier, evidence_ids: Iterable[int]) -> list[Evidence]:
    """The organisation's files with these ids; ``ValidationFailed`` if one is not."""
    ids = {int(i) for i in evidence_ids}
    rows = evidence_by_id(session, dossier, ids)
    if len(rows) != len(ids):
        raise ValidationFailed("Pièce introuvable dans la bibliothèque de l'application.",
                               errors={"evidence": "Pièce introuvable."})
    return list(rows.values())


def evidence_for_download(session: Session, evidence_id: int, user: User) -> Evidence:
    """The evidence if the user may download it (members, assigned rapporteurs, the
    secretariat, the chair); NotFound for anyone else. Each download is audited."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or user is None or not can_download_evidence(session, evidence, user):
        raise NotFound("Pièce introuvable.")
    audit.record(session, "evidence.downloaded", actor=user, subject=evidence,
                 payload={"organisation_id": evidence.organisation_id, "sha256": evidence.sha256})
    return evidence


def evidence_content(evidence: Evidence) -> bytes:
    """The stored bytes of an evidence file (DomainError when storage fails)."""
    try:
        return get_storage().get(evidence.storage_key)
    except StorageError:
        log.exception("evidence read failed")
        raise DomainError("La pièce est momentanément indisponible.") from None
