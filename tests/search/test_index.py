"""The bitmap index answers exactly what the database answers (``_search_sql``, the
path of before the index), on the demo catalogue, for every kind of request; and it
follows the catalogue version without leaking a transaction's uncommitted changes."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import select

from catalogue import db
from catalogue.apps.models import App
from catalogue.listings import queries
from catalogue.listings.labels import FACET_TABLES
from catalogue.listings.models import Listing, ListingState
from catalogue.listings.queries import CatalogueQuery, search_catalogue
from catalogue.search import index as search_index

WORDS = ["données", "suivi", "diab", "sommeil", "santé", "patients", "le", "zzz", "médecin",
         "application", "stress", "grossesse", "a"]


def _requests(count: int) -> list[CatalogueQuery]:
    rnd = random.Random(14)
    out = []
    for _ in range(count):
        filters = {}
        for facet in rnd.sample(list(FACET_TABLES), rnd.randint(0, 3)):
            filters[facet] = rnd.sample(list(FACET_TABLES[facet]), rnd.randint(1, 2))
        out.append(CatalogueQuery(
            q=rnd.choice(["", *WORDS, "suivi données", "patients "]), filters=filters,
            status=rnd.choice(["published", "published", "suspended"]),
            sort=rnd.choice([None, "name", "-referenced_at", "relevance"]),
            page=rnd.choice([1, 1, 2, 3, 40]), per_page=rnd.choice([1, 5, 20, 100]),
        ))
    return out


def _same(session: Any, query: CatalogueQuery) -> None:
    got = search_catalogue(session, query)
    want = queries._search_sql(session, query)
    assert ([i.id for i in got.items], got.total, got.facets, got.sort) == \
        ([i.id for i in want.items], want.total, want.facets, want.sort), query


def test_index_answers_what_the_database_answers(session: Any, seed_catalogue: Any) -> None:
    seed_catalogue(120)
    # Some suspended listings, and ties on the decision date, so every state and order counts.
    listings = session.scalars(select(Listing).order_by(Listing.id)).all()
    for listing in listings[::7]:
        listing.state = ListingState.SUSPENDED
    for listing in listings[::5]:
        listing.decided_at = listings[0].decided_at
    from catalogue.listings import cache

    cache.catalogue_changed(session)
    db.commit()
    for query in _requests(300):
        _same(session, query)
    assert queries.category_counts(session) == queries._category_counts_sql(session)


def test_uncommitted_changes_are_seen_by_their_transaction_only(session: Any,
                                                                 seed_catalogue: Any) -> None:
    seed_catalogue(10)
    everything = CatalogueQuery(per_page=100)
    before = [i.id for i in search_catalogue(session, everything).items]
    nested = session.begin_nested()
    first = session.get(Listing, before[0])
    first.state = ListingState.SUSPENDED
    from catalogue.listings import cache

    cache.catalogue_changed(session)
    session.flush()
    assert before[0] not in [i.id for i in search_catalogue(session, everything).items]
    nested.rollback()
    # The shared index was never given the rolled-back state.
    assert [i.id for i in search_catalogue(session, everything).items] == before
    assert all(idx.key[0] for idx in search_index._shared.values())


def test_a_new_version_rebuilds_the_shared_index(session: Any, client: Any,
                                                 seed_catalogue: Any) -> None:
    seed_catalogue(5)
    assert client.get("/api/v1/apps").json["total"] == 5
    shared = dict(search_index._shared)
    seed_catalogue(8)
    assert client.get("/api/v1/apps").json["total"] == 8
    assert search_index._shared != shared
    app_name = session.scalar(select(App.name).join(Listing, Listing.app_id == App.id).limit(1))
    assert client.get("/api/v1/apps", query_string={"q": app_name}).json["total"] >= 1
