"""The long-tail scenario of ``bench.run``: thousands of distinct searches, nearly all misses.

Real traffic is mostly cache misses: every distinct search, every filter combination.
This scenario builds a list of distinct search URLs from the catalogue's own words ×
category × platform, and replays it round-robin (wrk with ``wrk_paths.lua``) against:

- the application, one gunicorn worker, public cache on (as in production);
- the application, one gunicorn worker, ``PUBLIC_CACHE=false`` (Flask alone);
- when Granian is installed (``pip install granian``; not a dependency), the same
  under Granian, one worker and one Python thread: what the HTTP server weighs;
- Datasette (PyPI ``datasette``), one process, on a table built from the
  application's own ``/opendata/catalogue.json`` with an FTS5 index, answering the
  same searches with ``_facet=category`` — the tool a user would pick to publish a
  searchable table.

It reports requests per second per worker, latency, CPU per request and peak memory
of each, and our requests per second against Datasette's.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.load import run_load
from bench.servers import (
    ROOT,
    BenchError,
    Server,
    free_port,
    granian_installed,
    start_granian,
    start_gunicorn,
)

WORD = re.compile(r"[^\W\d_]{5,}")
DATASETTE_DB = "catalogue"
COLUMNS = ("slug", "name", "summary", "category", "audiences", "platforms", "pricing",
           "medical_device", "services", "publisher", "status", "referenced_at", "valid_until",
           "url")


def search_triples(items: list[dict[str, Any]], count: int, seed: int = 14
                   ) -> list[tuple[str, str, str]]:
    """``count`` distinct (word, category, platform) searches from the catalogue's own words.

    The words are the most frequent words of the names and summaries (five letters
    or more, as typed: accents kept), enough of them to give ``count`` combinations
    with the categories and platforms present; the order is shuffled (seeded).
    """
    categories = sorted({i["category"] for i in items if i.get("category")})
    platforms = sorted({p for i in items for p in i.get("platforms") or ()})
    if not categories or not platforms:
        return []
    frequency = Counter(w.lower() for i in items
                        for w in WORD.findall(f"{i.get('name', '')} {i.get('summary', '')}"))
    per_word = len(categories) * len(platforms)
    words = [w for w, _n in frequency.most_common(max(1, -(-count // per_word)))]
    triples = [(w, c, p) for w in words for c in categories for p in platforms]
    random.Random(seed).shuffle(triples)
    return triples[:count]


def our_path(word: str, category: str, platform: str) -> str:
    return f"/api/v1/apps?q={quote(word)}&category={quote(category)}&platform={quote(platform)}"


def datasette_path(word: str, category: str, platform: str) -> str:
    return (f"/{DATASETTE_DB}/apps.json?_search={quote(word)}&category={quote(category)}"
            f"&platforms__contains={quote(platform)}&_facet=category&_size=20")


def build_datasette_db(items: list[dict[str, Any]], path: Path) -> None:
    """The table a Datasette user would publish: one row per app, lists joined by ``|``,
    an FTS5 index on name, summary and publisher (accents folded), category indexed."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"CREATE TABLE apps ({', '.join(c + ' TEXT' for c in COLUMNS)})")
        conn.executemany(
            f"INSERT INTO apps VALUES ({', '.join('?' for _ in COLUMNS)})",
            [tuple("|".join(v) if isinstance(v := item.get(c), list) else
                   ("true" if v is True else "false" if v is False else v) for c in COLUMNS)
             for item in items])
        conn.execute("CREATE INDEX apps_category ON apps (category)")
        conn.execute('CREATE VIRTUAL TABLE apps_fts USING fts5(name, summary, publisher, '
                     'content="apps", tokenize="unicode61 remove_diacritics 2")')
        conn.execute("INSERT INTO apps_fts (apps_fts) VALUES ('rebuild')")
        conn.commit()
    finally:
        conn.close()


def start_datasette(db_path: Path, log_dir: Path, startup_timeout: float = 60.0) -> Server:
    """``datasette serve -i DB`` (immutable, as a published file is) on 127.0.0.1."""
    port = free_port()
    log_path = log_dir / "datasette.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed by Server.stop
    command = [str(Path(sys.executable).parent / "datasette"), "serve", "-i", str(db_path),
               "--host", "127.0.0.1", "--port", str(port),
               "--setting", "sql_time_limit_ms", "10000",
               "--setting", "facet_time_limit_ms", "5000",
               "--setting", "suggest_facets", "off"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    server = Server("datasette", process, port, log_path, 1, log)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            server.stop()
            raise BenchError(f"datasette exited with {process.returncode}\n{server.log_tail()}")
        try:
            if server.get("/-/versions.json", timeout=5).status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise BenchError(f"datasette: not ready after {startup_timeout:.0f} s\n{server.log_tail()}")


def process_memory(server: Server) -> list[dict[str, float]]:
    """Peak RSS of the serving processes: the workers, or the process itself (Datasette)."""
    found = server.memory()
    if found:
        return found
    fields = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                fields[key] = int(value.split()[0]) / 1024
    return [{"pid": server.process.pid, "peak_rss_mb": round(fields.get("VmHWM", 0.0), 1),
             "rss_mb": round(fields.get("VmRSS", 0.0), 1)}]


def _load(args: Any, server: Server, paths: list[str], paths_file: Path) -> dict[str, Any]:
    paths_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
    cpu_before = server.cpu_seconds()
    result = run_load(server.url(paths[0]), connections=args.connections, duration=args.duration,
                      tool=args.loader, threads=args.threads, paths_file=paths_file)
    cpu = server.cpu_seconds() - cpu_before
    return {**result.as_dict(),
            "cpu_ms_per_request": round(1000 * cpu / result.requests, 3) if result.requests else None,
            "memory": process_memory(server)}


def wait_for_exports(app: Server, timeout: float = 900.0) -> float:
    """Ask for the exports until they are built (503 with Retry-After meanwhile); seconds."""
    started = time.monotonic()
    for path in ("/opendata/catalogue.csv", "/opendata/catalogue.json"):
        while True:
            answer = app.get(path, timeout=120)
            if answer.status != 503:
                break
            if time.monotonic() - started > timeout:
                raise BenchError(f"{path} still not built after {timeout:.0f} s")
            time.sleep(min(5.0, float(answer.header("Retry-After") or 5)))
    return round(time.monotonic() - started, 1)


def run_longtail(args: Any, env: dict[str, str], app: Server, workdir: Path) -> dict[str, Any]:
    """The scenario on a seeded database (``env``), next to the already running ``app``."""
    export = app.get("/opendata/catalogue.json", timeout=600)
    if export.status != 200:
        raise BenchError(f"/opendata/catalogue.json answered {export.status}")
    items = json.loads(export.body)["items"]
    triples = search_triples(items, args.longtail)
    if not triples:
        raise BenchError("no words, categories or platforms in the catalogue")
    db_path = workdir / f"{DATASETTE_DB}.db"
    build_datasette_db(items, db_path)
    result: dict[str, Any] = {"urls": len(triples), "words": len({t[0] for t in triples}),
                              "example": our_path(*triples[0]),
                              "datasette_example": datasette_path(*triples[0]), "servers": {}}
    ours = [our_path(*t) for t in triples]
    theirs = [datasette_path(*t) for t in triples]
    scenarios = [("app (cache on)", {"PUBLIC_CACHE": "true"}, start_gunicorn),
                 ("app (PUBLIC_CACHE=false)", {"PUBLIC_CACHE": "false"}, start_gunicorn)]
    if granian_installed():
        scenarios.append(("app under Granian (PUBLIC_CACHE=false)", {"PUBLIC_CACHE": "false"},
                          start_granian))
    for name, extra, start in scenarios:
        server = start("longtail", args.app, {**env, **extra}, workdir, workers=1,
                       ready_path="/healthz")
        try:
            for path in ours[:20]:  # warm the code paths, not the URL list
                server.get(path)
            result["servers"][name] = _load(args, server, ours, workdir / "paths-app.txt")
        finally:
            server.stop()
        print(f"[longtail] {name}: {result['servers'][name]['rps']} req/s, "
              f"cpu {result['servers'][name]['cpu_ms_per_request']} ms", flush=True)
    datasette = start_datasette(db_path, workdir)
    try:
        for path in theirs[:20]:
            datasette.get(path)
        check = datasette.get(theirs[0])
        if check.status != 200 or "facet_results" not in json.loads(check.body):
            raise BenchError(f"datasette answered {check.status} to {theirs[0]}")
        result["servers"]["datasette"] = _load(args, datasette, theirs, workdir / "paths-ds.txt")
    finally:
        datasette.stop()
    print(f"[longtail] datasette: {result['servers']['datasette']['rps']} req/s, "
          f"cpu {result['servers']['datasette']['cpu_ms_per_request']} ms", flush=True)
    base = result["servers"]["datasette"]
    for name, _extra, _start in scenarios:
        mine = result["servers"][name]
        mine["vs_datasette"] = round(mine["rps"] / base["rps"], 2) if base["rps"] else None
        if mine["cpu_ms_per_request"] and base["cpu_ms_per_request"]:
            mine["cpu_vs_datasette"] = round(base["cpu_ms_per_request"] / mine["cpu_ms_per_request"], 2)
    return result


def table(longtail: dict[str, Any]) -> str:
    """Markdown table of one long-tail run."""
    lines = [f"Long tail: {longtail['urls']} distinct searches ({longtail['words']} words × "
             f"category × platform), replayed round-robin, one worker each; e.g. "
             f"`{longtail['example']}` / `{longtail['datasette_example']}`", "",
             "| Server | req/s | p50 ms | p99 ms | CPU ms/req | Peak RSS MiB | × Datasette req/s | "
             "× Datasette CPU |", "|---|---|---|---|---|---|---|---|"]
    for name, r in longtail["servers"].items():
        rss = max((m["peak_rss_mb"] for m in r.get("memory") or []), default=0)
        errors = sum(r.get("errors", {}).values())
        lines.append(f"| {name} | {r['rps']:.0f}{f' ({errors} err)' if errors else ''} | "
                     f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r.get('cpu_ms_per_request') or '–'} | "
                     f"{rss:.0f} | {r.get('vs_datasette', '–')} | {r.get('cpu_vs_datasette', '–')} |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - a helper to look at the URL list
    data = json.loads(Path(sys.argv[1]).read_text())
    for triple in search_triples(data["items"], int(os.environ.get("N", "20"))):
        print(our_path(*triple), datasette_path(*triple))
