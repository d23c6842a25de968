"""Reading the catalogue: search, filters, facet counts, sorting and pagination.

One function serves the ``/catalogue`` page, the API and the exports, so they
can never disagree. Filters are OR within a facet and AND across facets; facet
counts are *disjunctive* (each facet counted with the other facets' filters
applied, not its own), so a reader sees what choosing another value would give.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from catalogue.accounts.models import User
from catalogue.apps.models import App, Pricing
from catalogue.commission.models import Agreement
from catalogue.dossiers.models import Dossier
from catalogue.listings.labels import FACETS
from catalogue.listings.models import Listing, ListingEvent, ListingFacet, ListingState, Report
from catalogue.listings.models import ListingEventKind as K
from catalogue.listings.profile import DecidedProfile
from catalogue.publishers.models import Organisation
from catalogue.search import services as search
from catalogue.search.index import BitmapSearch, CatalogueSearch, SearchRequest
from catalogue.search.text import parse_query

SORTS = ("relevance", "name", "-referenced_at")
PUBLIC_STATES = (ListingState.PUBLISHED.value, ListingState.SUSPENDED.value)
# A delisted app's page stays at its URL with its public history (DESIGN §4 "Listing").
PAGE_STATES = (*PUBLIC_STATES, ListingState.DELISTED.value)
MAX_PER_PAGE = 100

# The search backend behind every catalogue read (the page, the API, the home page's
# counts): the in-process bitmap index by default; see ``set_backend``.
_backend: CatalogueSearch = BitmapSearch(FACETS)


def set_backend(backend: CatalogueSearch | None) -> None:
    """Put another search backend (OpenSearch, Typesense…) behind the catalogue.

    ``None`` restores the bitmap index. A backend answers ``None`` for what it cannot
    serve; the catalogue then asks the database directly (``_search_sql``).
    """
    global _backend
    _backend = backend or BitmapSearch(FACETS)


@dataclass
class CatalogueQuery:
    """What a reader asked for (already validated by the page or the API)."""

    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    status: str = ListingState.PUBLISHED.value
    sort: str | None = None
    page: int = 1
    per_page: int = 20

    @property
    def effective_sort(self) -> str:
        """``relevance`` when there are search terms, else ``name`` (DESIGN §6)."""
        if self.sort and not (self.sort == "relevance" and not parse_query(self.q)):
            return self.sort
        return "relevance" if parse_query(self.q) else "name"


@dataclass(frozen=True, slots=True)
class CardPublisher:
    legal_name: str


@dataclass(frozen=True, slots=True)
class CardApp:
    id: int
    slug: str
    name: str
    summary: str
    category: str
    pricing: Pricing
    logo_key: str | None
    organisation: CardPublisher


@dataclass(frozen=True, slots=True)
class ListingCard:
    """What a listing card, an item of the API's list and the home page show of a listing,
    shaped like ``Listing`` (``card.app.organisation.legal_name``, ``card.profile``) but read
    from the dozen columns they use: hydrating the ORM objects (listing, app, publisher,
    framework and dossier, with their JSON columns) was a quarter of a search's CPU."""

    id: int
    state: ListingState
    published_at: datetime
    decided_at: datetime
    valid_until: date
    app: CardApp
    profile: DecidedProfile


_LISTINGS, _APPS = Listing.__table__, App.__table__
_ORGANISATIONS, _DOSSIERS = Organisation.__table__, Dossier.__table__
# Built once; on the tables' columns, so that no ORM entity is involved.
_CARDS = select(
    _LISTINGS.c.id, _LISTINGS.c.state, _LISTINGS.c.published_at, _LISTINGS.c.decided_at,
    _LISTINGS.c.valid_until, _APPS.c.id, _APPS.c.slug, _APPS.c.name, _APPS.c.summary,
    _APPS.c.category, _APPS.c.pricing, _APPS.c.logo_key, _ORGANISATIONS.c.legal_name,
    _DOSSIERS.c.profile_snapshot,
).select_from(
    _LISTINGS.join(_APPS, _APPS.c.id == _LISTINGS.c.app_id)
    .join(_ORGANISATIONS, _ORGANISATIONS.c.id == _APPS.c.organisation_id)
    .join(_DOSSIERS, _DOSSIERS.c.id == _LISTINGS.c.dossier_id)
).where(_LISTINGS.c.id.in_(bindparam("ids", expanding=True)))


@dataclass
class CatalogueResult:
    items: Sequence[Listing | ListingCard]
    total: int
    facets: dict[str, dict[str, int]]
    page: int
    per_page: int
    sort: str

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_page(self) -> int | None:
        """The previous page; past the end, the last page that has results."""
        if self.page <= 1:
            return None
        return min(self.page - 1, self.pages)


def _filtered_ids(session: Session, query: CatalogueQuery, *, skip_facet: str | None = None
                  ) -> Select:
    """``SELECT listings.id`` of every listing matching the query (minus one facet)."""
    stmt = select(Listing.id).where(Listing.state == query.status)
    parsed = parse_query(query.q)
    if parsed:
        hits = search.matches(session, parsed)
        stmt = stmt.where(Listing.id.in_(select(hits.c.listing_id)))
    for facet, values in query.filters.items():
        if facet == skip_facet or not values:
            continue
        stmt = stmt.where(Listing.id.in_(
            select(ListingFacet.listing_id).where(ListingFacet.facet == facet,
                                                  ListingFacet.value.in_(values))
        ))
    return stmt


def facet_counts(session: Session, query: CatalogueQuery) -> dict[str, dict[str, int]]:
    """For each facet, how many listings each value would give (disjunctive counts)."""
    counts: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
    for facet in FACETS:
        ids = _filtered_ids(session, query, skip_facet=facet).scalar_subquery()
        rows = session.execute(
            select(ListingFacet.value, func.count())
            .where(ListingFacet.facet == facet, ListingFacet.listing_id.in_(ids))
            .group_by(ListingFacet.value)
        ).all()
        counts[facet] = dict(sorted(((value, n) for value, n in rows), key=lambda r: (-r[1], r[0])))
    return counts


Loader = Callable[[Session, list[int]], Sequence[Listing | ListingCard]]


def search_catalogue(session: Session, query: CatalogueQuery, *, with_facets: bool = True,
                     load: Loader | None = None) -> CatalogueResult:
    """The page of listings the query asks for, the total and the facet counts.

    The page's listings are ORM ``Listing`` objects, or what ``load`` gives for their ids
    (``load_cards`` for the pages and the API, which show cards)."""
    load = load or load_listings
    sort = query.effective_sort
    hits = _backend.search(session, SearchRequest(
        query=parse_query(query.q), filters={f: v for f, v in query.filters.items() if v},
        status=query.status, sort=sort, offset=(query.page - 1) * query.per_page,
        limit=query.per_page, with_facets=with_facets))
    if hits is None:
        return _search_sql(session, query, with_facets=with_facets, load=load)
    return CatalogueResult(load(session, hits.ids), hits.total, hits.facets,
                           query.page, query.per_page, sort)


def _search_sql(session: Session, query: CatalogueQuery, *, with_facets: bool = True,
                load: Loader | None = None) -> CatalogueResult:
    """``search_catalogue`` straight from the database: the reference the index must match,
    and the path for what the backend does not serve."""
    sort = query.effective_sort
    parsed = parse_query(query.q)
    ids = _filtered_ids(session, query).subquery()
    total = session.scalar(select(func.count()).select_from(ids)) or 0
    stmt = select(Listing.id).join(ids, ids.c.id == Listing.id)
    if sort == "relevance" and parsed:
        hits = search.matches(session, parsed)
        stmt = stmt.join(hits, hits.c.listing_id == Listing.id).order_by(
            hits.c.score.desc(), Listing.sort_key, Listing.id)
    elif sort == "-referenced_at":
        stmt = stmt.order_by(Listing.decided_at.desc(), Listing.sort_key, Listing.id)
    else:
        stmt = stmt.order_by(Listing.sort_key, Listing.id)
    page_ids = list(session.scalars(
        stmt.limit(query.per_page).offset((query.page - 1) * query.per_page)
    ))
    items = (load or load_listings)(session, page_ids)
    facets = facet_counts(session, query) if with_facets else {}
    return CatalogueResult(items, total, facets, query.page, query.per_page, sort)


def load_listings(session: Session, ids: list[int]) -> list[Listing]:
    """Listings with what a card shows (app, publisher, framework), in the given order."""
    if not ids:
        return []
    rows = session.scalars(
        select(Listing).where(Listing.id.in_(ids))
        .options(joinedload(Listing.app).joinedload(App.organisation),
                 joinedload(Listing.framework), joinedload(Listing.dossier))
    ).unique().all()
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def load_cards(session: Session, ids: list[int]) -> list[ListingCard]:
    """``load_listings`` for what cards show (``ListingCard``), in the given order."""
    if not ids:
        return []
    by_id = {}
    for (listing_id, state, published_at, decided_at, valid_until, app_id, slug, name, summary,
         category, pricing, logo_key, publisher, snapshot) in session.execute(_CARDS, {"ids": ids}):
        by_id[listing_id] = ListingCard(
            listing_id, state, published_at, decided_at, valid_until,
            CardApp(app_id, slug, name, summary, category, pricing, logo_key, CardPublisher(publisher)),
            DecidedProfile.from_snapshot(snapshot))
    return [by_id[i] for i in ids if i in by_id]


def public_listing(session: Session, slug: str) -> Listing | None:
    """A listing the public may see (published, suspended, or delisted: its page and its
    history stay), with its history."""
    return session.scalar(
        select(Listing).join(Listing.app)
        .where(App.slug == slug, Listing.state.in_(PAGE_STATES))
        .options(joinedload(Listing.app).joinedload(App.organisation),
                 joinedload(Listing.framework), selectinload(Listing.events),
                 joinedload(Listing.dossier))
    )


def newest(session: Session, limit: int = 6) -> list[ListingCard]:
    """The most recently published listings (home page), as cards."""
    ids = _backend.newest(session, limit)
    if ids is not None:
        return load_cards(session, ids)
    ids = list(session.scalars(
        select(Listing.id).where(Listing.state == ListingState.PUBLISHED)
        .order_by(Listing.published_at.desc(), Listing.id.desc()).limit(limit)
    ))
    return load_cards(session, ids)


def category_counts(session: Session) -> dict[str, int]:
    """Published listings per category."""
    return _backend.value_counts(session, "category", ListingState.PUBLISHED.value)


def _category_counts_sql(session: Session) -> dict[str, int]:
    """``category_counts`` straight from the database (the reference of the tests)."""
    rows = session.execute(
        select(ListingFacet.value, func.count()).join(Listing, Listing.id == ListingFacet.listing_id)
        .where(ListingFacet.facet == "category", Listing.state == ListingState.PUBLISHED)
        .group_by(ListingFacet.value)
    ).all()
    return dict(rows)


def all_published(session: Session) -> Iterator[Listing]:
    """Every published listing with its app and publisher, by name (open data exports),
    streamed by batches: an export never holds the whole catalogue in memory."""
    yield from session.scalars(
        select(Listing).where(Listing.state == ListingState.PUBLISHED)
        .options(joinedload(Listing.app).joinedload(App.organisation),
                 joinedload(Listing.framework), joinedload(Listing.dossier))
        .order_by(Listing.sort_key, Listing.id)
        # 100 listings with their four related rows weigh 3 MiB; 500 weighed 14 MiB that a
        # worker kept, for no gain in time (docs/PERFORMANCE.md §0.1).
        .execution_options(yield_per=100)
    )


def feed_events(session: Session, limit: int = 50) -> list[ListingEvent]:
    """The latest publications, suspensions and delistings (Atom feed)."""
    return list(session.scalars(
        select(ListingEvent)
        .where(ListingEvent.kind.in_((K.PUBLISHED, K.RENEWED, K.SUSPENDED, K.REINSTATED,
                                      K.DELISTED)))
        .options(joinedload(ListingEvent.listing).joinedload(Listing.app))
        .order_by(ListingEvent.occurred_at.desc(), ListingEvent.id.desc()).limit(limit)
    ))


def decided_profile(session: Session, listing: Listing) -> DecidedProfile:
    """The assessed facts the public, the consent screen and OAuth scopes go by: the
    snapshot of the dossier whose decision is in force, never the live app profile."""
    return listing.profile


def listing_of(session: Session, app: App) -> Any | None:
    """The app's listing while it is live (published or suspended), else None."""
    return session.scalar(
        select(Listing).where(Listing.app_id == app.id,
                              Listing.state.in_((ListingState.PUBLISHED, ListingState.SUSPENDED)))
    )


def agreed_data_categories(session: Session, listing: Listing) -> list[str]:
    """The data categories the agreement of the listing's decision covers.

    What was decided governs (DESIGN §4): the consent screen and the OAuth scopes
    read the agreement signed for the listing's dossier, never the live profile.
    A listing without an agreement row falls back to its dossier's frozen snapshot.
    """
    agreed = session.scalar(select(Agreement.data_categories)
                            .where(Agreement.dossier_id == listing.dossier_id))
    if agreed is None:
        agreed = (listing.dossier.profile_snapshot or {}).get("data_categories")
    return [str(code) for code in agreed or []]


def reports_of(session: Session, user: User) -> list[Report]:
    """The reports a user filed, newest first, with their listing's app."""
    return list(session.scalars(
        select(Report).where(Report.reporter_id == user.id)
        .options(joinedload(Report.listing).joinedload(Listing.app))
        .order_by(Report.created_at.desc(), Report.id.desc())
    ))
