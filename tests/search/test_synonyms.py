"""The French health thesaurus expands queries on both engines (issue 13): run on SQLite
and, with TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from catalogue.listings.queries import CatalogueQuery, search_catalogue
from catalogue.search import synonyms
from catalogue.search.text import parse_query

CORPUS = [
    {"name": "Carnet Insuline", "summary": "Notez vos doses d'insuline et vos repas.",
     "category": "chronic_disease"},
    {"name": "Mesure Pression", "summary": "Suivi de l'hypertension à domicile.",
     "category": "chronic_disease"},
    {"name": "Neuf Mois", "summary": "Pour les femmes enceintes, semaine après semaine.",
     "category": "pregnancy_parenthood"},
    {"name": "Pas à Pas", "summary": "Marchez plus chaque jour.", "category": "prevention"},
]


@pytest.fixture
def corpus(bulk_listings: Any) -> list[Any]:
    return bulk_listings(CORPUS)


def _names(session: Any, q: str) -> set[str]:
    result = search_catalogue(session, CatalogueQuery(q=q, per_page=100), with_facets=False)
    return {item.app.name for item in result.items}


@pytest.mark.parametrize(("query", "expected"), [
    ("diabète", {"Carnet Insuline"}),          # diabète ↔ insuline
    ("glycémie ", {"Carnet Insuline"}),
    ("tension", {"Mesure Pression"}),          # tension ↔ hypertension
    ("grossesse", {"Neuf Mois"}),              # grossesse ↔ enceinte
    ("diabète grossesse", set()),              # every term (or a synonym) must match
    ("marchez", {"Pas à Pas"}),                # words outside the thesaurus unchanged
])
def test_synonyms_find_apps_worded_otherwise(session: Any, corpus: list[Any], query: str,
                                             expected: set[str]) -> None:
    assert _names(session, query) == expected


def test_expansion_is_quoted_for_both_engines() -> None:
    expanded = synonyms.expand(parse_query("diabète suiv"))
    assert expanded.fts5().startswith('("diabet" OR "glycem" OR "insulin"')
    assert expanded.fts5().endswith('AND "suiv"*')
    assert expanded.tsquery().endswith("& 'suiv':*") and "'diabet' | 'glycem'" in expanded.tsquery()


def test_every_thesaurus_line_is_a_group_of_at_least_two_stems() -> None:
    table = synonyms.thesaurus()
    assert table["diabet"][0] == "diabet" and "insulin" in table["diabet"]
    assert all(len(group) >= 2 for group in table.values())
