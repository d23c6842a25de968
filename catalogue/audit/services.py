"""The audit trail: record events in the caller's transaction, verify the chain.

Each event's ``hash`` is the HMAC-SHA256 of its content and of the previous event's
hash, keyed with ``AUDIT_HMAC_KEY`` (a secret that is not in the database), so
altering, inserting or deleting a row breaks the chain from there on, and someone
who can write to the database cannot recompute a valid chain after an edit.
Deleting the newest events leaves a valid chain: ``checkpoint`` signs the head
(count, last id and hash, time) so that a copy kept elsewhere detects it
(``flask audit checkpoint``, ``flask audit verify --checkpoint FILE``).
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from catalogue.audit.models import AuditEvent
from catalogue.clock import now

GENESIS = "0" * 64
# Set by the web layer for the duration of a request; services never read the request.
client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)

CHECKPOINT_SCHEME = "catalogue-ens-audit-checkpoint/1"

_key: bytes | None = None


def configure(key: str) -> None:
    """Set the chain's HMAC key (``AUDIT_HMAC_KEY``; called by ``create_app``)."""
    global _key
    _key = key.encode()


def _chain_key() -> bytes:
    if _key is None:
        raise RuntimeError("the audit chain key is not configured (create_app sets it)")
    return _key


def sign(blob: bytes) -> str:
    """HMAC-SHA256 of ``blob`` with the chain key, hex."""
    return hmac.new(_chain_key(), blob, hashlib.sha256).hexdigest()


# Any 64-bit number, the same in every process: serialises appends to the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 0x454E5341554449  # "ENSAUDI"


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_canonical(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def compute_hash(event: AuditEvent) -> str:
    """The hash an event must carry given its content and ``prev_hash`` (keyed)."""
    return sign(content_blob(event))


def content_blob(event: AuditEvent) -> bytes:
    """The canonical bytes an event's hash covers (content and ``prev_hash``)."""
    content = {
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "ip": event.ip,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "payload": _canonical(event.payload or {}),
        "prev_hash": event.prev_hash,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _subject_ref(subject: Any) -> tuple[str, str | None]:
    if isinstance(subject, tuple):
        kind, ident = subject
        return kind, None if ident is None else str(ident)
    return type(subject).__name__, None if subject.id is None else str(subject.id)


@dataclass(frozen=True)
class Entry:
    """One event of a ``record_many`` batch: what was done to which subject."""

    action: str
    subject: Any
    payload: dict[str, Any] | None = None


# The chain's head; built once, as it is read before every append.
_HEAD = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)


def record(
    session: Session,
    action: str,
    *,
    actor: Any | None,
    subject: Any,
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to the chain, in the caller's transaction.

    ``subject`` is a model instance (flushed) or a ``(type, id)`` pair; ``actor``
    a user or None for the system. The payload holds before/after values and
    must not carry personal data beyond ids (events outlive account erasure).
    """
    return record_many(session, [Entry(action, subject, payload)], actor=actor)[0]


def record_many(session: Session, entries: Sequence[Entry], *, actor: Any | None) -> list[AuditEvent]:
    """Append several events by one actor to the chain, in order, in the caller's
    transaction: one read of the chain's head and one flush for the whole batch (a
    publisher's files uploaded together, say). Each event is as ``record`` writes it."""
    if not entries:
        return []
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    if any(not isinstance(e.subject, tuple) and getattr(e.subject, "id", None) is None for e in entries):
        session.flush()
    previous = session.scalar(_HEAD) or GENESIS
    occurred_at, ip, actor_id = now(), client_ip.get(), getattr(actor, "id", None)
    events = []
    for entry in entries:
        subject_type, subject_id = _subject_ref(entry.subject)
        event = AuditEvent(occurred_at=occurred_at, actor_id=actor_id, ip=ip, action=entry.action,
                           subject_type=subject_type, subject_id=subject_id,
                           payload=_canonical(entry.payload or {}), prev_hash=previous)
        event.hash = previous = compute_hash(event)
        events.append(event)
    # Inserted in this order (the ORM keeps it, ids included): the chain runs by id.
    session.add_all(events)
    session.flush()
    return events


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def verify_chain(session: Session, batch: int = 2000) -> ChainBreak | None:
    """Walk the whole chain; return the first broken event, or None when intact."""
    previous = GENESIS
    for event in _iter_events(session, batch):
        if event.prev_hash != previous:
            return ChainBreak(event.id, "prev_hash does not match the previous event")
        if compute_hash(event) != event.hash:
            return ChainBreak(event.id, "content does not match its hash")
        previous = event.hash
    return None


def checkpoint(session: Session) -> dict[str, Any]:
    """A signed statement of the chain's head: keep it outside the database (another
    system, write-once storage); ``verify_checkpoint`` later proves the chain still
    holds at least these events, unchanged."""
    count = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    body = {
        "scheme": CHECKPOINT_SCHEME,
        "count": count,
        "last_id": last.id if last else 0,
        "last_hash": last.hash if last else GENESIS,
        "created_at": now().isoformat(timespec="seconds"),
    }
    return {**body, "signature": sign(_checkpoint_blob(body))}


def _checkpoint_blob(body: dict[str, Any]) -> bytes:
    fields = {k: body.get(k) for k in ("scheme", "count", "last_id", "last_hash", "created_at")}
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def verify_checkpoint(session: Session, statement: dict[str, Any]) -> str | None:
    """Why the chain no longer matches a checkpoint (French), or None when it does.

    Checks the checkpoint's own signature, then that the event it names is still there
    with the same hash and the same number of events up to it: a truncated chain, or
    one recomputed after an edit, does not pass.
    """
    if statement.get("scheme") != CHECKPOINT_SCHEME or not hmac.compare_digest(
            str(statement.get("signature", "")), sign(_checkpoint_blob(statement))):
        return "le point de contrôle n'est pas signé par la clé de cette piste d'audit"
    last_id, count = int(statement["last_id"]), int(statement["count"])
    if last_id == 0:
        return None
    head = session.get(AuditEvent, last_id)
    if head is None:
        return f"l'événement n° {last_id} du point de contrôle a disparu (piste tronquée)"
    if not hmac.compare_digest(head.hash, str(statement["last_hash"])):
        return f"l'événement n° {last_id} n'a plus l'empreinte du point de contrôle (chaîne recalculée)"
    held = session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.id <= last_id)) or 0
    if held != count:
        return (f"{count} événement(s) au point de contrôle, {held} aujourd'hui jusqu'au "
                f"n° {last_id} (événements supprimés)")
    return None


def _iter_events(session: Session, batch: int) -> Iterator[AuditEvent]:
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def events_for(session: Session, subject_type: str, subject_id: Any) -> list[AuditEvent]:
    """The events about one subject, oldest first (timelines)."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id))
            .order_by(AuditEvent.id)
        )
    )


def record_transition(session: Session, action: str, actor: Any | None, subject: Any,
                      payload: dict[str, Any]) -> AuditEvent:
    """The workflow engine's recorder: one audit event per fired transition."""
    return record(session, action, actor=actor, subject=subject, payload=payload)
