"""Full-text search of the catalogue: one interface, two engines (DESIGN §7 "Search").

- SQLite: an FTS5 virtual table ``search_fts(name, body)`` whose rowid is the
  listing id, tokenizer ``unicode61 remove_diacritics 2``; the text is stemmed in
  Python before it is stored (``catalogue.search.text``).
- PostgreSQL: a table ``search_fts(listing_id, document tsvector)`` with a GIN
  index; ``document`` is built by the database with the ``ens_french``
  configuration (``unaccent`` then the French Snowball stemmer).

Both are created by migration ``l001``; Alembic ignores tables named ``search_fts*``.
The index is written in the caller's transaction (listing services call
``index_listing``), so a search never sees a listing that was rolled back.
Queries are parsed once in Python for both engines, so the same query selects the
same listings on either; ranking is BM25 on SQLite, ``ts_rank`` on PostgreSQL,
name matches weighing more than the rest on both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Float, Integer, Subquery, bindparam, select, text
from sqlalchemy.orm import Session, selectinload

from catalogue.apps.models import App
from catalogue.listings.labels import label
from catalogue.listings.models import Listing
from catalogue.search import changes, synonyms
from catalogue.search.text import SearchQuery, index_text, parse_query

__all__ = [
    "Document",
    "SearchQuery",
    "document_for",
    "index_documents",
    "index_listing",
    "matches",
    "parse_query",
    "reindex",
    "remove_listing",
    "remove_listings",
]

# Listing states that can be searched (the API's ``status`` filter chooses among them).
SEARCHABLE_STATES = ("published", "suspended")


@dataclass(frozen=True)
class Document:
    """What the index holds for one listing: its name and everything else searchable."""

    listing_id: int
    name: str
    body: str


def _dialect(session: Session) -> str:
    # A plain read's bind: asking without a statement would end a replica read (db.RoutingSession).
    return session.get_bind(clause=select(1)).dialect.name


def document_for(listing: object) -> Document:
    """The searchable text of a listing: name; summary, description, publisher, category."""
    app = listing.app  # type: ignore[attr-defined]
    body = " ".join(
        part
        for part in (
            app.summary,
            app.description,
            app.organisation.legal_name if app.organisation else "",
            label("category", app.category),
        )
        if part
    )
    return Document(listing.id, app.name, body)  # type: ignore[attr-defined]


def index_documents(session: Session, documents: Iterable[Document]) -> int:
    """Insert or replace the index entries of these documents (bulk, one statement)."""
    docs = list(documents)
    if not docs:
        return 0
    changes.mark_changed(session)
    ids = [d.listing_id for d in docs]
    remove_listings(session, ids)
    if _dialect(session) == "postgresql":
        session.execute(
            text(
                "INSERT INTO search_fts (listing_id, document) VALUES (:id, "
                "setweight(to_tsvector('ens_french', :name), 'A') || "
                "setweight(to_tsvector('ens_french', :body), 'B'))"
            ),
            [{"id": d.listing_id, "name": d.name, "body": d.body} for d in docs],
        )
    else:
        session.execute(
            text("INSERT INTO search_fts (rowid, name, body) VALUES (:id, :name, :body)"),
            [{"id": d.listing_id, "name": index_text(d.name), "body": index_text(d.body)}
             for d in docs],
        )
    return len(docs)


def remove_listings(session: Session, listing_ids: Iterable[int]) -> None:
    """Drop the index entries of these listings."""
    ids = list(listing_ids)
    if not ids:
        return
    changes.mark_changed(session)
    column = "listing_id" if _dialect(session) == "postgresql" else "rowid"
    session.execute(
        text(f"DELETE FROM search_fts WHERE {column} IN :ids").bindparams(  # noqa: S608 - fixed name
            bindparam("ids", expanding=True)
        ),
        {"ids": ids},
    )


def remove_listing(session: Session, listing_id: int) -> None:
    """Drop one listing from the index (delisted, expired)."""
    remove_listings(session, [listing_id])


def index_listing(session: Session, listing: object) -> None:
    """Bring one listing's index entry in line with its state and text."""
    state = getattr(listing.state, "value", listing.state)  # type: ignore[attr-defined]
    if state in SEARCHABLE_STATES:
        index_documents(session, [document_for(listing)])
    else:
        remove_listing(session, listing.id)  # type: ignore[attr-defined]


def reindex(session: Session, *, batch: int = 1000) -> int:
    """Rebuild the whole index from the listings (``flask search reindex``)."""
    session.execute(text("DELETE FROM search_fts"))
    changes.mark_changed(session)
    total = 0
    last_id = 0
    while True:
        listings = session.scalars(
            select(Listing)
            .where(Listing.state.in_(SEARCHABLE_STATES), Listing.id > last_id)
            .options(selectinload(Listing.app).selectinload(App.organisation))
            .order_by(Listing.id)
            .limit(batch)
        ).all()
        if not listings:
            break
        total += index_documents(session, [document_for(listing) for listing in listings])
        last_id = listings[-1].id
    return total


def matches(session: Session, query: SearchQuery) -> Subquery:
    """A subquery ``(listing_id, score)`` of the listings matching ``query``.

    ``score`` is higher for better matches on both engines. ``query`` must not be
    empty: without terms there is nothing to rank.
    """
    if not query:
        raise ValueError("empty search query")
    expanded = synonyms.expand(query)  # the health thesaurus, the same for both engines
    if _dialect(session) == "postgresql":
        stmt = text(
            "SELECT listing_id, ts_rank('{0.1, 0.2, 0.4, 1.0}', document, "
            "to_tsquery('simple', :tsq)) AS score "
            "FROM search_fts WHERE document @@ to_tsquery('simple', :tsq)"
        ).bindparams(tsq=expanded.tsquery())
    else:
        # bm25() is lower for better matches; the name column weighs ten times the body.
        stmt = text(
            "SELECT rowid AS listing_id, -bm25(search_fts, 10.0, 1.0) AS score "
            "FROM search_fts WHERE search_fts MATCH :expr"
        ).bindparams(expr=expanded.fts5())
    return stmt.columns(listing_id=Integer, score=Float).subquery("search_hits")

