"""Which transactions changed the catalogue (read by ``catalogue.search.index``).

A session whose transaction changed the public catalogue must read its own
uncommitted changes and must not share an index built from them with other
requests: ``catalogue_changed`` and the search index writers call
``mark_changed``; the mark lasts until the session's outermost transaction ends,
and any index built privately in between is dropped at the end of every
(sub)transaction, since a savepoint rolled back changes what it shows.

Kept apart from the index so that writers can import it without the models.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

CHANGED = "catalogue_index_changed"
PRIVATE = "catalogue_index_private"
# The catalogue version read in this transaction (``catalogue.listings.cache.version_key``).
VERSION_READ = "catalogue_version_read"


def mark_changed(session: Session) -> None:
    """This session's transaction changed the catalogue: read a private index until it ends."""
    session.info[CHANGED] = True
    session.info.pop(PRIVATE, None)
    session.info.pop(VERSION_READ, None)


def changed(session: Session) -> bool:
    """Whether this session's current transaction changed the catalogue."""
    return bool(session.info.get(CHANGED))


def private_index(session: Session) -> Any:
    """The index built for this session's own changes, if any."""
    return session.info.get(PRIVATE)


def keep_private_index(session: Session, index: Any) -> None:
    session.info[PRIVATE] = index


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    session.info.pop(PRIVATE, None)
    session.info.pop(VERSION_READ, None)
    if transaction.parent is None:
        session.info.pop(CHANGED, None)
