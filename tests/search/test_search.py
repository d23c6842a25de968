"""Full-text search: one table of queries, the same expected results on SQLite (FTS5)
and PostgreSQL (tsvector) — the suite runs on both — plus hostile input."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from catalogue import db
from catalogue.listings import services as listing_services
from catalogue.listings.queries import CatalogueQuery, search_catalogue
from catalogue.search import services as search
from catalogue.search.text import parse_query, unaccent, words

CORPUS = [
    {"name": "Glycémie Facile", "summary": "Suivi du diabète et des glycémies au quotidien.",
     "category": "chronic_disease"},
    {"name": "Sérénité", "summary": "Exercices de respiration contre le stress et l'anxiété.",
     "category": "mental_health", "description": "Des séances guidées de méditation."},
    {"name": "Maternité Sereine", "summary": "Accompagne la grossesse semaine après semaine.",
     "category": "pregnancy_parenthood"},
    {"name": "Cœur Vigilant", "summary": "Carnet de tension artérielle pour les patients cardiaques.",
     "category": "chronic_disease"},
    {"name": "TéléConsult Express", "summary": "Consultez un médecin en vidéo, même le dimanche.",
     "category": "teleconsultation"},
    {"name": "Pilulier Malin", "summary": "Rappels de prise de médicaments.",
     "category": "medication", "description": "Suivi de l'observance des traitements."},
]

# (query, names expected, in any order). Accents, case, stemming, prefixes, stop words.
QUERIES: list[tuple[str, set[str]]] = [
    ("glycemie", {"Glycémie Facile"}),
    ("GLYCÉMIES", {"Glycémie Facile"}),
    ("diabete", {"Glycémie Facile"}),
    ("serenite", {"Sérénité"}),
    ("sereine", {"Maternité Sereine"}),
    ("grossesses", {"Maternité Sereine"}),
    ("gross", {"Maternité Sereine"}),  # prefix of the last word while typing
    ("médecin vidéo", {"TéléConsult Express"}),
    ("teleconsult", {"TéléConsult Express"}),
    ("coeur", {"Cœur Vigilant"}),
    ("tension arterielle", {"Cœur Vigilant"}),
    # The category label is indexed too: both chronic-disease apps are "suivi".
    ("suivi", {"Glycémie Facile", "Cœur Vigilant", "Pilulier Malin"}),
    ("médicament", {"Pilulier Malin"}),
    ("méditations guidées", {"Sérénité"}),
    ("le la de", {c["name"] for c in CORPUS}),  # stop words only: no text filter
    ("zzzyyyxxx", set()),
    ("glycemie stress", set()),  # every term must match
]


@pytest.fixture
def corpus(bulk_listings: Any) -> list[Any]:
    return bulk_listings(CORPUS)


def _names(session: Any, q: str, **kwargs: Any) -> set[str]:
    result = search_catalogue(session, CatalogueQuery(q=q, per_page=100, **kwargs), with_facets=False)
    return {item.app.name for item in result.items}


@pytest.mark.parametrize(("query", "expected"), QUERIES)
def test_query_table_gives_the_same_results_on_every_engine(session: Any, corpus: list[Any],
                                                           query: str, expected: set[str]) -> None:
    assert _names(session, query) == expected


def test_relevance_puts_name_matches_first(session: Any, bulk_listings: Any) -> None:
    bulk_listings([
        {"name": "Carnet Général", "summary": "On y parle parfois de sommeil."},
        {"name": "Sommeil Profond", "summary": "Retrouver ses nuits."},
    ])
    result = search_catalogue(session, CatalogueQuery(q="sommeil"), with_facets=False)
    assert [i.app.name for i in result.items] == ["Sommeil Profond", "Carnet Général"]
    assert result.sort == "relevance"


HOSTILE = [
    "", " ", "a" * 10_000, '"', "'", '""', "*", "-", "NEAR(a b)", "a OR b NOT c", "^a", "a:b",
    "name:glycemie", "(((", ")", "'; DROP TABLE listings; --", "1=1 OR 1", "\\", "%", "_",
    "😀🩺💊", "\x00", "\u202e", "ÉÉÉ", "a & b | !c", "a <-> b", ":*", "glycé*", "{}", "NULL",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_fail(session: Any, corpus: list[Any], client: Any, query: str) -> None:
    # Through the service…
    search_catalogue(session, CatalogueQuery(q=query[:200]))
    # …through the page (400 only when too long) and the API (400 when too long).
    page = client.get("/catalogue", query_string={"q": query})
    assert page.status_code in (200, 400), page.data[:300]
    api = client.get("/api/v1/apps", query_string={"q": query})
    assert api.status_code in (200, 400)
    if len(query) > 200:
        assert api.status_code == 400 and "q" in api.json["errors"]
        assert page.status_code == 400


@pytest.mark.parametrize("raw", ["%ff", "%c3%28", "%ed%a0%80", "%e2%82", "%00", "%f0%9f%98"])
def test_invalid_utf8_percent_encoding_never_fails(client: Any, corpus: list[Any], raw: str) -> None:
    for url in (f"/catalogue?q={raw}", f"/api/v1/apps?q={raw}", f"/?q={raw}",
                f"/api/v1/apps?category={raw}", f"/catalogue?category={raw}"):
        response = client.get(url)
        assert response.status_code in (200, 400), url


def test_parse_query_quotes_every_term_for_both_engines() -> None:
    query = parse_query('Glycémies "OR" NEAR(diabète')
    assert query.terms == ("glycem", "or", "near", "diabet")
    assert query.prefix_last
    # The last word: its stem, or a stem beginning with the word as typed.
    assert query.fts5() == '"glycem" AND "or" AND "near" AND ("diabet" OR "diabete"*)'
    assert query.tsquery() == "'glycem' & 'or' & 'near' & ('diabet' | 'diabete':*)"
    assert not parse_query("diabète ").prefix_last  # a finished word is not a prefix
    assert not parse_query("le la de")
    assert unaccent("Œuf Éléphant ÇA") == "oeuf elephant ca"
    assert words("L'été à Paris") == ["ete", "a", "paris"]  # "l" is a stop word, "à" is not once unaccented


def test_a_whole_word_is_not_a_prefix_of_its_stem(session: Any, corpus: list[Any]) -> None:
    """"médicament" stems to ``medic``: as a prefix, that stem would match every app of a
    publisher named "Lumière Médicale" (the publisher's name is searchable)."""
    for listing in corpus:
        listing.app.organisation.legal_name = "Lumière Médicale SAS"
    search.reindex(session)
    db.commit()
    everyone = {c["name"] for c in CORPUS}
    assert _names(session, "Lumière Médicale") == everyone
    assert _names(session, "médicament") == {"Pilulier Malin"}
    assert _names(session, "médicaments") == {"Pilulier Malin"}
    assert _names(session, "médica") == everyone  # still typing: "médicale" begins so
    assert _names(session, "médicament ") == {"Pilulier Malin"}


def test_index_follows_the_listing_in_the_same_transaction(session: Any, make_user: Any,
                                                             corpus: list[Any]) -> None:
    from catalogue.accounts.models import Role

    listing = corpus[0]
    secretariat = make_user(roles=[Role.SECRETARIAT])
    decider = make_user(roles=[Role.DECISION_MAKER])
    listing_services.suspend_listing(session, listing, actor=secretariat, reason="Faille signalée.")
    assert _names(session, "glycemie") == set()
    assert _names(session, "glycemie", status="suspended") == {"Glycémie Facile"}
    listing_services.delist_listing(session, listing, actor=decider, reason="Faille non corrigée.")
    assert _names(session, "glycemie", status="suspended") == set()
    column = "listing_id" if session.get_bind().dialect.name == "postgresql" else "rowid"
    assert session.execute(text(f"SELECT count(*) FROM search_fts WHERE {column} = :i"),
                           {"i": listing.id}).scalar() == 0


def test_index_writes_roll_back_with_the_transaction(session: Any, corpus: list[Any]) -> None:
    listing = corpus[1]
    nested = session.begin_nested()
    search.remove_listing(session, listing.id)
    assert _names(session, "serenite") == set()
    nested.rollback()
    assert _names(session, "serenite") == {"Sérénité"}


def test_reindex_rebuilds_the_whole_index(session: Any, corpus: list[Any]) -> None:
    session.execute(text("DELETE FROM search_fts"))
    assert _names(session, "glycemie") == set()
    assert search.reindex(session) >= len(CORPUS)
    assert _names(session, "glycemie") == {"Glycémie Facile"}


def test_flask_search_reindex_command(app: Any, corpus: list[Any]) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "indexée" in result.output
    db.session.rollback()
