"""The long-tail scenario's pieces: the URL list from the catalogue's own words, and the
Datasette table built from our open data, with the FTS index Datasette detects."""

from __future__ import annotations

import sqlite3
from urllib.parse import parse_qs, urlsplit

from datasette.utils import detect_fts

from bench.longtail import build_datasette_db, datasette_path, our_path, search_triples

ITEMS = [
    {"slug": f"app-{n}", "name": f"Glycémie Facile {n}", "summary": "Suivi du diabète au quotidien.",
     "category": ("chronic_disease", "mental_health")[n % 2], "platforms": ["ios", "android"][: 1 + n % 2],
     "audiences": ["patients"], "pricing": "free", "medical_device": n % 3 == 0, "services": [],
     "publisher": "Éditeur", "status": "published", "referenced_at": "2026-03-02T09:00:00+00:00",
     "valid_until": "2029-03-01", "url": f"http://localhost/catalogue/app-{n}"}
    for n in range(6)
]


def test_search_triples_are_distinct_words_of_the_catalogue_by_category_and_platform():
    triples = search_triples(ITEMS, 12)
    assert len(triples) == len(set(triples)) == 12
    assert {c for _w, c, _p in triples} == {"chronic_disease", "mental_health"}
    assert {p for _w, _c, p in triples} == {"ios", "android"}
    assert {w for w, _c, _p in triples} <= {"glycémie", "facile", "suivi", "diabète", "quotidien"}
    assert search_triples(ITEMS, 12) == triples  # seeded: the same list every run
    ours = parse_qs(urlsplit(our_path("diabète", "chronic_disease", "ios")).query)
    assert ours == {"q": ["diabète"], "category": ["chronic_disease"], "platform": ["ios"]}
    theirs = parse_qs(urlsplit(datasette_path("diabète", "chronic_disease", "ios")).query)
    assert theirs["_search"] == ["diabète"] and theirs["_facet"] == ["category"]


def test_datasette_table_has_every_row_and_a_detected_accent_folding_fts_index(tmp_path):
    path = tmp_path / "catalogue.db"
    build_datasette_db(ITEMS, path)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM apps").fetchone()[0] == 6
        assert detect_fts(conn, "apps") == "apps_fts"
        hits = conn.execute("SELECT count(*) FROM apps_fts WHERE apps_fts MATCH 'diabete'").fetchone()
        assert hits[0] == 6
        assert conn.execute("SELECT platforms FROM apps WHERE slug = 'app-1'").fetchone()[0] == "ios|android"
    finally:
        conn.close()
