"""Micro-benchmark behind the choice of the facet index (docs/PERFORMANCE.md §8).

The same synthetic catalogue (N listings, 6 facets with the vocabulary's sizes) in
pyroaring bitmaps and in a tantivy index; then the work of one catalogue request:
a filter (two facets), the total, and the disjunctive counts of every facet value.

    .venv/bin/python -m bench.index_choice [N]
"""

from __future__ import annotations

import json
import random
import resource
import sys
import tempfile
import time

from pyroaring import BitMap, FrozenBitMap

FACETS = {"category": 12, "audience": 6, "platform": 4, "pricing": 3, "medical_device": 2,
          "service": 5}
MULTI = {"audience", "platform", "service"}


def synthetic(n: int, seed: int = 1) -> list[dict[str, list[str]]]:
    rnd = random.Random(seed)
    docs = []
    for _ in range(n):
        doc = {}
        for facet, size in FACETS.items():
            k = rnd.randint(1, 3) if facet in MULTI else 1
            doc[facet] = sorted({f"v{rnd.randrange(size)}" for _ in range(k)})
        docs.append(doc)
    return docs


FILTERS = {"category": ["v1", "v2"], "platform": ["v0"]}


def roaring(docs: list[dict[str, list[str]]], repeat: int) -> dict[str, float]:
    t0 = time.perf_counter()
    rows: dict[tuple[str, str], list[int]] = {}
    for i, doc in enumerate(docs):
        for facet, values in doc.items():
            for value in values:
                rows.setdefault((facet, value), []).append(i)
    bitmaps = {key: FrozenBitMap(ids) for key, ids in rows.items()}
    everything = FrozenBitMap(range(len(docs)))
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(repeat):
        chosen = {f: BitMap.union(*(bitmaps[(f, v)] for v in vals)) for f, vals in FILTERS.items()}
        base = everything
        for bm in chosen.values():
            base = base & bm
        total = len(base)
        counts = {}
        for (facet, value), bm in bitmaps.items():
            scope = everything
            for f, c in chosen.items():
                if f != facet:
                    scope = scope & c
            counts[(facet, value)] = scope.intersection_cardinality(bm)
        page = list(base[0:20])
    request = (time.perf_counter() - t0) / repeat
    size = sum(len(bm.serialize()) for bm in bitmaps.values())
    return {"build_s": build, "request_ms": request * 1000, "bytes": size, "total": total,
            "page": len(page)}


def tantivy_bench(docs: list[dict[str, list[str]]], repeat: int) -> dict[str, float]:
    import tantivy

    builder = tantivy.SchemaBuilder()
    for facet in FACETS:
        builder.add_text_field(facet, stored=False, tokenizer_name="raw", fast=True)
    builder.add_integer_field("id", stored=True, fast=True, indexed=True)
    schema = builder.build()
    directory = tempfile.mkdtemp()
    t0 = time.perf_counter()
    index = tantivy.Index(schema, path=directory)
    writer = index.writer(heap_size=100_000_000, num_threads=1)
    for i, doc in enumerate(docs):
        writer.add_document(tantivy.Document(id=i, **doc))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    build = time.perf_counter() - t0

    def term_or(facet: str, values: list[str]) -> tantivy.Query:
        return tantivy.Query.boolean_query([
            (tantivy.Occur.Should, tantivy.Query.term_query(schema, facet, v)) for v in values])

    def conj(parts: list[tantivy.Query]) -> tantivy.Query:
        if not parts:
            return tantivy.Query.all_query()
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, p) for p in parts])

    t0 = time.perf_counter()
    for _ in range(repeat):
        base = conj([term_or(f, v) for f, v in FILTERS.items()])
        result = searcher.search(base, limit=20, count=True, order_by_field="id")
        total = result.count
        counts = {}
        for facet in FACETS:
            scope = conj([term_or(f, v) for f, v in FILTERS.items() if f != facet])
            agg = searcher.aggregate(scope, {"c": {"terms": {"field": facet, "size": 100}}})
            counts[facet] = agg
    request = (time.perf_counter() - t0) / repeat
    return {"build_s": build, "request_ms": request * 1000, "total": total}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    docs = synthetic(n)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {"n": n, "pyroaring": roaring(docs, 200)}
    out["pyroaring"]["rss_growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                         - before) / 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["tantivy"] = tantivy_bench(docs, 50)
    out["tantivy"]["rss_growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                       - before) / 1024
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
