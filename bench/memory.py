"""``python -m bench.memory DATABASE_URL``: one worker's peak memory, step by step.

Serves a seeded database with one gunicorn worker (``PUBLIC_CACHE=false``, no job
queue) and prints the worker's peak and current resident memory (``VmHWM``,
``VmRSS``) after each step: at start; after the home page, the catalogue, a search,
a listing page and the API; after N distinct long-tail searches (``bench.longtail``'s
URLs, from the catalogue's words); after the CSV and JSON exports, which that worker
builds itself for lack of a job queue; after a FHIR request. docs/PERFORMANCE.md §0.1
gives its figures at 10,000 and 100,000 apps::

    .venv/bin/python -m bench.memory sqlite:////tmp/floor/s100k.sqlite
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.longtail import our_path, search_triples
from bench.run import base_env
from bench.servers import Server, start_gunicorn

# The catalogue's words, categories and platforms, read from the database: the exports
# are one of the steps measured, so the URL list cannot come from them.
_APPS = text("""
    SELECT a.slug, a.name, a.summary, a.category FROM listings l JOIN apps a ON a.id = l.app_id
    WHERE l.state = 'published' ORDER BY l.id LIMIT :limit
""")
_PLATFORMS = text("SELECT DISTINCT value FROM listing_facets WHERE facet = 'platform'")


def _items(database_url: str, limit: int) -> list[dict[str, Any]]:
    """Published apps as ``search_triples`` reads them (every platform of the catalogue
    on each: only the set of platforms matters there)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            platforms = sorted(connection.execute(_PLATFORMS).scalars())
            rows = connection.execute(_APPS, {"limit": limit}).all()
    finally:
        engine.dispose()
    return [{"slug": slug, "name": name, "summary": summary, "category": category, "platforms": platforms}
            for slug, name, summary, category in rows]


def _peak(server: Server) -> str:
    worker = server.memory()[0]
    return f"peak {worker['peak_rss_mb']:.0f} MiB, now {worker['rss_mb']:.0f} MiB"


def _until_built(server: Server, path: str, timeout: float = 900.0) -> int:
    """GET ``path`` until it is not a 503 (an export being built); its final status."""
    deadline = time.monotonic() + timeout
    while True:
        answer = server.get(path, timeout=timeout)
        if answer.status != 503 or time.monotonic() > deadline:
            return answer.status
        time.sleep(float(answer.header("Retry-After") or 5))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.split("\n")[0])
    parser.add_argument("database_url", help="a migrated and seeded database")
    parser.add_argument("--searches", type=int, default=1000, help="long-tail searches (default 1000)")
    args = parser.parse_args(argv)

    items = _items(args.database_url, 5000)
    searches = [our_path(*triple) for triple in search_triples(items, args.searches)]
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as workdir:
        env = {**base_env(args.database_url, Path(workdir)), "CATALOGUE_ENV": "production",
               "PUBLIC_CACHE": "false"}
        server = start_gunicorn("memory", "wsgi:app", env, Path(workdir), workers=1,
                                ready_path="/healthz")
        try:
            print(f"start: {_peak(server)}", flush=True)
            slug = items[0]["slug"]
            for path in ("/", "/catalogue", "/catalogue?q=diab%C3%A8te", f"/catalogue/{slug}",
                         f"/api/v1/apps/{slug}", "/api/v1/apps?q=patient"):
                server.get(path)
            print(f"pages, API and a search: {_peak(server)}", flush=True)
            started = time.monotonic()
            for path in searches:
                server.get(path)
            took = time.monotonic() - started
            print(f"+ {len(searches)} long-tail searches ({took:.0f} s): {_peak(server)}", flush=True)
            for path in ("/opendata/catalogue.csv", "/opendata/catalogue.json"):
                status = _until_built(server, path)
                print(f"+ {path} ({status}, built by this worker): {_peak(server)}", flush=True)
            status = server.get("/fhir/r4/DeviceDefinition?_count=5").status
            print(f"+ a FHIR request ({status}): {_peak(server)}", flush=True)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
