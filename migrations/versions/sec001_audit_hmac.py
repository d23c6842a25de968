"""the audit chain is keyed (HMAC-SHA256 with AUDIT_HMAC_KEY): existing events re-chained

Revision ID: sec001
Revises: p002
Create Date: 2026-12-02 09:30:00

No schema change. The events recorded so far were chained with plain SHA-256, which
anyone able to write to the database could recompute after an edit. This revision
first verifies that old chain (and stops, naming the first broken event, if it is
broken: the evidence must be looked at before anything is rewritten), then rewrites
``prev_hash`` and ``hash`` of every event, oldest first, with the keyed hash. Run it
with the application's ``AUDIT_HMAC_KEY`` (``flask db upgrade`` does). The downgrade
does the reverse, after verifying the keyed chain.
"""
import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from alembic import op

# revision identifiers, used by Alembic.
revision = 'sec001'
down_revision = 'p002'
branch_labels = None
depends_on = None

_BATCH = 1000


def _plain(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def _rechain(verify_with, write_with) -> None:
    # The model is used as it stands at this revision (audit_events unchanged by it).
    from catalogue.audit import services as audit
    from catalogue.audit.models import AuditEvent

    session = Session(bind=op.get_bind())
    old_previous = new_previous = audit.GENESIS
    last_id = 0
    while True:
        events = session.scalars(select(AuditEvent).where(AuditEvent.id > last_id)
                                 .order_by(AuditEvent.id).limit(_BATCH)).all()
        if not events:
            break
        for event in events:
            if event.prev_hash != old_previous or verify_with(audit.content_blob(event)) != event.hash:
                raise RuntimeError(f"audit chain broken at event {event.id}: not re-chained; "
                                   "investigate before upgrading")
            old_previous = event.hash
            event.prev_hash = new_previous
            event.hash = write_with(audit.content_blob(event))
            new_previous = event.hash
        last_id = events[-1].id
        session.flush()
        session.expunge_all()
    session.flush()


def upgrade():
    from catalogue.audit import services as audit

    _rechain(_plain, audit.sign)


def downgrade():
    from catalogue.audit import services as audit

    _rechain(audit.sign, _plain)
