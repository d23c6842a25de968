"""The number of SQL queries of each public hot path does not grow with the results.

The catalogue is seeded through the demo part (``catalogue.demo.listings``, the
same bulk path ``flask demo seed --apps N`` takes) with a few listings, each page
is fetched once with the query counter on; then the catalogue is topped up to
many listings and each page is fetched again: same count, more results.
"""

from __future__ import annotations

import re
from typing import Any

FEW, MANY = 3, 45
# Every generated description speaks of "vos données": the query matches every listing.
QUERY = "données"

PAGES = {
    "home": "/",
    "search_page": f"/catalogue?q={QUERY}",
    "search_page_filtered": f"/catalogue?q={QUERY}&pricing=free&pricing=freemium&pricing=paid",
    "listing_page": "/catalogue/{slug}",
    "api_list": "/api/v1/apps?per_page=100",
    "api_search": f"/api/v1/apps?q={QUERY}&per_page=100",
    "api_detail": "/api/v1/apps/{slug}",
    "csv": "/opendata/catalogue.csv",
}


def _measure(client: Any, count_queries: Any, slug: str) -> tuple[dict[str, int], dict[str, Any]]:
    counts: dict[str, int] = {}
    answers: dict[str, Any] = {}
    for name, template in PAGES.items():
        with count_queries() as counter:
            response = client.get(template.format(slug=slug))
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = counter.count
        answers[name] = response
    return counts, answers


def _listing_links(html: str) -> int:
    return len(set(re.findall(r'href="/catalogue/([a-z0-9-]+)"', html)))


def test_queries_per_page_do_not_grow_with_the_results(client, count_queries, seed_catalogue):
    seed_catalogue(FEW)
    slug = client.get("/api/v1/apps?per_page=1").json["items"][0]["slug"]
    few, few_answers = _measure(client, count_queries, slug)

    seed_catalogue(MANY)
    # The search index is built once per catalogue version, by the first reader after
    # a change (its own cost is counted below); warm it as the slug lookup did above.
    client.get("/api/v1/apps?per_page=1")
    many, many_answers = _measure(client, count_queries, slug)

    # The catalogue did grow, and the pages show it…
    assert few_answers["api_list"].json["total"] == FEW
    assert many_answers["api_list"].json["total"] == MANY
    assert len(few_answers["api_search"].json["items"]) == FEW
    assert len(many_answers["api_search"].json["items"]) == MANY
    assert _listing_links(many_answers["search_page"].get_data(as_text=True)) > \
        _listing_links(few_answers["search_page"].get_data(as_text=True))
    assert many_answers["csv"].get_data().count(b"\n") > few_answers["csv"].get_data().count(b"\n")
    # …with the same number of queries, page by page.
    assert many == few
    # And each page stays within a handful of queries (no per-row, no per-facet loop
    # growing with the vocabulary unnoticed).
    assert max(many.values()) <= 12, many


def test_conditional_get_costs_one_query(client, count_queries, seed_catalogue):
    seed_catalogue(FEW)
    for path in ("/api/v1/apps", f"/catalogue?q={QUERY}", "/"):
        etag = client.get(path).headers["ETag"]
        with count_queries() as counter:
            response = client.get(path, headers={"If-None-Match": etag})
        assert response.status_code == 304, path
        assert counter.count <= 1, (path, counter.statements)


def test_the_search_index_is_built_once_per_version_with_a_fixed_number_of_queries(
        client, count_queries, seed_catalogue):
    built = []
    for size in (FEW, MANY):
        seed_catalogue(size)
        with count_queries() as first:
            client.get(f"/api/v1/apps?q={QUERY}")
        with count_queries() as second:
            client.get(f"/api/v1/apps?q={QUERY}&pricing=free")
        built.append(first.count - second.count)
        assert second.count <= 3, second.statements
    # Reading the catalogue once (two orders, the newest, the facets) and the text match
    # once per query: the same at 3 and 45 rows.
    assert built[0] == built[1] == 5
