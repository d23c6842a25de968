"""The catalogue's search and facet index: built once per catalogue version, not per request.

Every listing the public may see (published or suspended) gets a *position*: its rank
in the name order (``sort_key, id``) as the database sorts it. For each state and each
(facet, value) the index holds the set of positions as a compressed bitmap
(pyroaring; why not tantivy: docs/PERFORMANCE.md §8). A request then costs:

- the full-text match: the existing matcher (FTS5 on SQLite, ``tsvector`` on
  PostgreSQL, ``catalogue.search.services.matches``) gives ``(listing_id, score)``,
  turned into a bitmap once per (catalogue version, parsed query) and kept in a
  small LRU;
- a filter: an intersection of bitmaps (a union within a facet);
- a facet count: the cardinality of an intersection;
- a page: a slice of a precomputed order — positions are the name order already;
  a second numbering holds the ``-referenced_at`` order; relevance sorts the
  matches once per query by (score, name).

The index is rebuilt when ``catalogue_version`` (with its ``changed_at``) moves. A
session whose transaction changed the catalogue (``mark_changed``, called by
``catalogue_changed`` and the search index writers) must see its own uncommitted
changes and must not publish them to other requests: it gets a private index,
dropped at the end of each (sub)transaction (``catalogue.search.changes``).

``CatalogueSearch`` is the one interface behind ``catalogue.listings.queries``:
``BitmapSearch`` is the default; a larger deployment can put OpenSearch or Typesense
behind the same two methods (docs/PERFORMANCE.md §9).
"""

from __future__ import annotations

import heapq
import threading
from array import array
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pyroaring import BitMap, FrozenBitMap
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from catalogue.listings import cache
from catalogue.listings.models import CatalogueVersion, Listing, ListingState
from catalogue.search import changes
from catalogue.search import services as matcher
from catalogue.search.text import SearchQuery

INDEXED_STATES = (ListingState.PUBLISHED.value, ListingState.SUSPENDED.value)
_MISSING = 0xFFFFFFFF
# Text matches kept per index (each holds at most one id per listing).
MATCH_CACHE_ENTRIES = 512
MATCH_CACHE_IDS = 4_000_000
# Below this many results, a relevance page is sorted; above, the precomputed
# relevance order is walked until the page is full.
RELEVANCE_SORT_LIMIT = 4096
# The newest published listings kept in order (the home page shows six).
NEWEST = 24


@dataclass(frozen=True)
class SearchRequest:
    """What the catalogue asks of a search backend (already validated)."""

    query: SearchQuery
    filters: dict[str, list[str]]
    status: str
    sort: str  # "relevance" (only with terms), "name" or "-referenced_at"
    offset: int
    limit: int
    with_facets: bool = True


@dataclass(frozen=True)
class SearchHits:
    """One page of listing ids, in order, the total and the disjunctive facet counts."""

    ids: list[int]
    total: int
    facets: dict[str, dict[str, int]]


class CatalogueSearch(Protocol):
    """The search interface of the catalogue (what OpenSearch or Typesense would implement)."""

    def search(self, session: Session, request: SearchRequest) -> SearchHits | None:
        """The page for ``request``, or ``None`` when this backend cannot answer it."""

    def value_counts(self, session: Session, facet: str, status: str) -> dict[str, int]:
        """Listings in ``status`` per value of ``facet`` (values with none left out)."""

    def newest(self, session: Session, limit: int) -> list[int] | None:
        """Ids of the ``limit`` most recently published listings, or ``None``."""


# --- The index of one catalogue version ----------------------------------------------


@dataclass
class _Space:
    """One numbering of the listings: position → listing id, and the bitmaps in it."""

    ids: array
    states: dict[str, FrozenBitMap]
    facets: dict[str, dict[str, FrozenBitMap]]

    def filtered(self, status: str, text: FrozenBitMap | None,
                 chosen: dict[str, BitMap], skip: str | None = None) -> BitMap:
        result = BitMap(self.states.get(status, ()))
        if text is not None:
            result &= text
        for facet, bitmap in chosen.items():
            if facet != skip:
                result &= bitmap
        return result

    def chosen(self, filters: dict[str, list[str]]) -> dict[str, BitMap]:
        """The union of the chosen values' bitmaps, per filtered facet."""
        empty = FrozenBitMap()
        table = self.facets
        return {facet: BitMap.union(BitMap(), *(table.get(facet, {}).get(v, empty) for v in values))
                for facet, values in filters.items() if values}


@dataclass
class _Match:
    """The listings a parsed query matches, in name positions, with their scores."""

    positions: FrozenBitMap
    scores: array  # aligned with ``positions`` in ascending order
    relevance: array | None = None  # positions by (score desc, name)
    referenced: FrozenBitMap | None = None  # the same set in -referenced_at positions


@dataclass
class CatalogueIndex:
    """Bitmaps and orders of one catalogue version."""

    key: tuple[Any, ...]
    by_name: _Space
    by_referenced: _Space
    name_of_id: array  # listing id → name position
    referenced_of_name: array  # name position → -referenced_at position
    newest: list[int]  # ids of the newest published listings, newest first
    _matches: OrderedDict[tuple[Any, ...], _Match] = field(default_factory=OrderedDict)
    _match_ids: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- text ----------------------------------------------------------------------

    def match(self, session: Session, query: SearchQuery) -> _Match:
        """The query's matches (from the text matcher once per version and query)."""
        key = (query.terms, query.prefix_last, query.prefix_word)
        with self._lock:
            found = self._matches.get(key)
            if found is not None:
                self._matches.move_to_end(key)
                return found
        hits = matcher.matches(session, query)
        by_position: dict[int, float] = {}
        name_of_id = self.name_of_id
        for listing_id, score in session.execute(select(hits.c.listing_id, hits.c.score)):
            if listing_id < len(name_of_id) and name_of_id[listing_id] != _MISSING:
                by_position[name_of_id[listing_id]] = float(score or 0.0)
        positions = FrozenBitMap(by_position)
        found = _Match(positions, array("d", (by_position[p] for p in positions)))
        with self._lock:
            self._matches[key] = found
            self._match_ids += len(positions)
            while self._matches and (len(self._matches) > MATCH_CACHE_ENTRIES
                                     or self._match_ids > MATCH_CACHE_IDS):
                _old_key, old = self._matches.popitem(last=False)
                self._match_ids -= len(old.positions)
        return found

    def _relevance_order(self, found: _Match) -> array:
        if found.relevance is None:
            ordered = sorted(zip(found.positions, found.scores, strict=True),
                             key=lambda pair: (-pair[1], pair[0]))
            found.relevance = array("I", (position for position, _score in ordered))
        return found.relevance

    def _referenced_positions(self, found: _Match) -> FrozenBitMap:
        if found.referenced is None:
            referenced_of_name = self.referenced_of_name
            found.referenced = FrozenBitMap(referenced_of_name[p] for p in found.positions)
        return found.referenced

    # -- requests ------------------------------------------------------------------

    def search(self, session: Session, request: SearchRequest) -> SearchHits:
        """Total, page and facet counts of a request, from the bitmaps."""
        found = self.match(session, request.query) if request.query else None
        space = self.by_name
        chosen = space.chosen(request.filters)
        text = found.positions if found is not None else None
        results = space.filtered(request.status, text, chosen)
        facets = self._facet_counts(request, results, text, chosen) if request.with_facets else {}
        start, stop = request.offset, request.offset + request.limit
        if start >= len(results):
            positions: Iterable[int] = ()
            ids_of = space.ids
        elif request.sort == "relevance" and found is not None:
            positions = self._relevance_page(found, results, start, stop)
            ids_of = space.ids
        elif request.sort == "-referenced_at":
            other = self.by_referenced
            referenced_text = self._referenced_positions(found) if found is not None else None
            positions = other.filtered(request.status, referenced_text,
                                       other.chosen(request.filters))[start:stop]
            ids_of = other.ids
        else:
            positions = results[start:stop]
            ids_of = space.ids
        return SearchHits([ids_of[p] for p in positions], len(results), facets)

    def _relevance_page(self, found: _Match, results: BitMap, start: int, stop: int) -> list[int]:
        if len(results) <= RELEVANCE_SORT_LIMIT:
            ranks = found.positions.rank
            scores = found.scores
            best = heapq.nsmallest(stop, results, key=lambda p: (-scores[ranks(p) - 1], p))
            return best[start:]
        page: list[int] = []
        seen = 0
        for position in self._relevance_order(found):
            if position in results:
                if seen >= start:
                    page.append(position)
                    if len(page) == stop - start:
                        break
                seen += 1
        return page

    def _facet_counts(self, request: SearchRequest, results: BitMap,
                      text: FrozenBitMap | None, chosen: dict[str, BitMap]
                      ) -> dict[str, dict[str, int]]:
        """Disjunctive counts: each facet with every filter applied but its own."""
        space = self.by_name
        counts: dict[str, dict[str, int]] = {}
        for facet, values in space.facets.items():
            scope = (space.filtered(request.status, text, chosen, skip=facet)
                     if facet in chosen else results)
            pairs = [(value, scope.intersection_cardinality(bitmap))
                     for value, bitmap in values.items()]
            counts[facet] = dict(sorted(((v, n) for v, n in pairs if n), key=lambda r: (-r[1], r[0])))
        return counts

    def value_counts(self, facet: str, status: str) -> dict[str, int]:
        space = self.by_name
        state = space.states.get(status, FrozenBitMap())
        pairs = ((value, state.intersection_cardinality(bitmap))
                 for value, bitmap in space.facets.get(facet, {}).items())
        return {value: n for value, n in pairs if n}


_VISIBLE = "state IN ('published', 'suspended')"  # INDEXED_STATES, written out for raw SQL
_NAME_ORDER = "ORDER BY sort_key, id"
_REFERENCED_ORDER = "ORDER BY decided_at DESC, sort_key, id"
# Each (facet, value) with the positions of its listings in both numberings, aggregated by
# the database: one row per value instead of one per (listing, value).
_FACET_POSITIONS = f"""
WITH visible AS (
  SELECT id, row_number() OVER ({_NAME_ORDER}) - 1 AS name_pos,
         row_number() OVER ({_REFERENCED_ORDER}) - 1 AS referenced_pos
  FROM listings WHERE {_VISIBLE})
SELECT f.facet, f.value, {{agg_name}}, {{agg_referenced}}
FROM listing_facets f JOIN visible v ON v.id = f.listing_id
WHERE f.facet IN :facets
GROUP BY f.facet, f.value
"""  # noqa: S608 - built from this module's constants only


def _aggregate(dialect: str, column: str) -> str:
    if dialect == "postgresql":
        return f"string_agg(v.{column}::text, ',')"
    return f"group_concat(v.{column})"


def build(session: Session, facets: Iterable[str], key: tuple[Any, ...] | None = None
          ) -> CatalogueIndex:
    """Read the catalogue (4 queries, after the version's) and build its bitmaps.

    The version ``key`` is read first: the data read next is at least that new, so an
    index is never labelled newer than its content. Orders come from the database
    (its collation decides, as it does for the SQL path). Plain SQL through the Core
    connection: ORM row processing would cost more than the whole rest of the build.
    """
    assert INDEXED_STATES == ("published", "suspended")  # _VISIBLE spells them out
    key = key if key is not None else cache.version_key(session)
    # The connection a plain read uses: the replica's, for an anonymous catalogue request.
    connection = session.connection(bind_arguments={"clause": select(Listing.id)})
    dialect = connection.dialect.name
    name_ids = array("I")
    state_lists: dict[str, list[int]] = {s: [] for s in INDEXED_STATES}
    for listing_id, state in connection.execute(text(
            f"SELECT id, state FROM listings WHERE {_VISIBLE} {_NAME_ORDER}")):  # noqa: S608
        state_lists[state].append(len(name_ids))
        name_ids.append(listing_id)
    name_of_id = array("I", [_MISSING]) * ((max(name_ids) + 1) if name_ids else 1)
    for position, listing_id in enumerate(name_ids):
        name_of_id[listing_id] = position
    referenced_ids = array("I", connection.execute(text(
        f"SELECT id FROM listings WHERE {_VISIBLE} {_REFERENCED_ORDER}")).scalars())  # noqa: S608
    referenced_of_name = array("I", [0]) * len(name_ids)
    for position, listing_id in enumerate(referenced_ids):
        referenced_of_name[name_of_id[listing_id]] = position
    newest = list(session.scalars(
        select(Listing.id).where(Listing.state == ListingState.PUBLISHED)
        .order_by(Listing.published_at.desc(), Listing.id.desc()).limit(NEWEST)))
    wanted = tuple(facets)
    by_name: dict[str, dict[str, FrozenBitMap]] = {facet: {} for facet in wanted}
    by_referenced: dict[str, dict[str, FrozenBitMap]] = {facet: {} for facet in wanted}
    facet_sql = _FACET_POSITIONS.format(agg_name=_aggregate(dialect, "name_pos"),
                                        agg_referenced=_aggregate(dialect, "referenced_pos"))
    rows = connection.execute(text(facet_sql).bindparams(bindparam("facets", expanding=True)),
                              {"facets": list(wanted)})
    for facet, value, name_positions, referenced_positions in rows:
        by_name[facet][value] = _frozen(map(int, name_positions.split(",")))
        by_referenced[facet][value] = _frozen(map(int, referenced_positions.split(",")))
    return CatalogueIndex(
        key,
        _Space(name_ids, {s: _frozen(lst) for s, lst in state_lists.items()}, by_name),
        _Space(referenced_ids, {s: _frozen(referenced_of_name[p] for p in lst)
                                for s, lst in state_lists.items()}, by_referenced),
        name_of_id, referenced_of_name, newest,
    )


def _frozen(positions: Iterable[int]) -> FrozenBitMap:
    bitmap = BitMap(positions)
    bitmap.run_optimize()
    return FrozenBitMap(bitmap)


# --- Which index a session reads --------------------------------------------------------

_shared: dict[str, CatalogueIndex] = {}
_build_lock = threading.Lock()
# A plain read, built once: what ``current`` asks the session to route.
_PLAIN_READ = select(CatalogueVersion.version)


def reset() -> None:
    """Forget every shared index (tests, whose rolled-back data reuses version numbers)."""
    with _build_lock:
        _shared.clear()


def current(session: Session, facets: Iterable[str]) -> CatalogueIndex:
    """The index of the catalogue as this session sees it."""
    if changes.changed(session):
        private = changes.private_index(session)
        if private is None:
            private = build(session, facets)
            changes.keep_private_index(session, private)
        return private
    # Asked for a plain read, so that a request reading the replica keeps reading it, and
    # the replica's catalogue gets its own index.
    bind = session.get_bind(clause=_PLAIN_READ)
    where = bind.engine.url.render_as_string(hide_password=True)
    key = cache.version_key(session)
    found = _shared.get(where)
    if found is not None and found.key == key:
        return found
    with _build_lock:
        found = _shared.get(where)
        if found is None or found.key != key:
            found = _shared[where] = build(session, facets, key)
    return found


class BitmapSearch:
    """The default backend: the in-process bitmap index above."""

    def __init__(self, facets: Iterable[str]) -> None:
        self.facets = tuple(facets)

    def search(self, session: Session, request: SearchRequest) -> SearchHits | None:
        if request.status not in INDEXED_STATES:
            return None
        return current(session, self.facets).search(session, request)

    def value_counts(self, session: Session, facet: str, status: str) -> dict[str, int]:
        return current(session, self.facets).value_counts(facet, status)

    def newest(self, session: Session, limit: int) -> list[int] | None:
        if limit > NEWEST:
            return None
        return current(session, self.facets).newest[:limit]
