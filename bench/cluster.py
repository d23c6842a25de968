"""``python -m bench.cluster``: the catalogue's requests per second on two instances against one.

One fresh PostgreSQL database seeded with ``flask demo seed --apps N``, Redis for
rate limits, the version token and the queue, and the application under gunicorn as
in production (``CATALOGUE_ENV=production``, ``--workers W``) on 127.0.0.1:

- *one instance*: wrk with C connections against instance A;
- *two instances*: two wrk at once, C/2 connections each, against A and B (a perfect
  load balancer), their requests per second added.

Each path is measured both ways, alternating which goes first. Both instances share
the machine, so on a 2-core machine the second instance competes with the first for
the same cores (and with wrk): the figure shows what the per-instance work costs
when instances multiply, not what a second machine would add. The servers' CPU time
per request is reported too, as in ``bench.run``. Writes
``bench/results/cluster-<timestamp>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from bench.load import LoadResult, run_load, wrk_available
from bench.paths import ALL_PATHS
from bench.run import (
    DEFAULT_POSTGRES,
    RESULTS_DIR,
    base_env,
    capture,
    discover_context,
    flask_command,
    fresh_database,
    load_average,
    machine_info,
    warm_up,
)
from bench.servers import Server, start_gunicorn

DEFAULT_PATHS = ("home", "listing_page", "search_page", "api_list", "api_detail")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=1000, help="published apps to seed")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds of load per measure")
    parser.add_argument("--connections", type=int, default=16, help="connections in all (split on two)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    parser.add_argument("--paths", default=",".join(DEFAULT_PATHS),
                        help="paths, among " + ", ".join(ALL_PATHS))
    parser.add_argument("--query", default="diabète")
    parser.add_argument("--public-cache", choices=("on", "off"), default="on",
                        help="PUBLIC_CACHE of the instances (off: every request through Flask)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    args.paths = [p for p in args.paths.split(",") if p]
    args.loader = "wrk" if wrk_available() else "python"
    return args


def _cpu(servers: list[Server]) -> float:
    return sum(s.cpu_seconds() for s in servers)


def one_instance(args: argparse.Namespace, a: Server, answer: dict[str, Any]) -> dict[str, Any]:
    before = _cpu([a])
    result = run_load(a.url(answer["path"]), connections=args.connections, duration=args.duration,
                      headers=answer["request_headers"], tool=args.loader)
    return _row(result.rps, result.p99_ms, result.requests, _cpu([a]) - before, result.error_count)


def two_instances(args: argparse.Namespace, a: Server, b: Server, answer: dict[str, Any]) -> dict[str, Any]:
    results: dict[str, LoadResult] = {}

    def load(server: Server) -> None:
        results[server.name] = run_load(server.url(answer["path"]), connections=max(1, args.connections // 2),
                                        duration=args.duration, headers=answer["request_headers"],
                                        tool=args.loader)

    before = _cpu([a, b])
    threads = [threading.Thread(target=load, args=(s,)) for s in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu = _cpu([a, b]) - before
    both = list(results.values())
    return _row(sum(r.rps for r in both), max(r.p99_ms for r in both), sum(r.requests for r in both), cpu,
                sum(r.error_count for r in both))


def _row(rps: float, p99: float, requests: int, cpu_s: float, errors: int) -> dict[str, Any]:
    return {"rps": round(rps, 1), "p99_ms": p99, "requests": requests, "errors": errors,
            "cpu_ms_per_request": round(1000 * cpu_s / requests, 3) if requests else None}


def markdown(results: dict[str, Any]) -> str:
    o = results["options"]
    lines = [
        f"#### Two instances against one · {o['apps']} apps · PostgreSQL + Redis · "
        f"{o['workers']} workers per instance · PUBLIC_CACHE={o['public_cache']} · "
        f"{o['connections']} connections · {o['duration_s']} s per measure · {o['loader']}",
        "",
        f"Machine: {results['machine'].get('nproc')} CPUs ({results['machine'].get('cpu')}) · "
        f"load {results['load_before']} → {results['load_after']}",
        "",
        "| Path | 1 instance req/s | 2 instances req/s | × | p99 1 / 2 (ms) | CPU ms/req 1 / 2 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in results["paths"]:
        one, two = row["one"], row["two"]
        factor = f"{two['rps'] / one['rps']:.2f}" if one["rps"] else "–"
        lines.append(f"| {row['label']} `{row['path']}` | {one['rps']} | {two['rps']} | {factor} | "
                     f"{one['p99_ms']} / {two['p99_ms']} | {one['cpu_ms_per_request']} / "
                     f"{two['cpu_ms_per_request']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    results: dict[str, Any] = {
        "command": "python -m bench.cluster " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": machine_info(), "load_before": load_average(), "paths": [],
        "options": {"apps": args.apps, "workers": args.workers, "connections": args.connections,
                    "duration_s": args.duration, "public_cache": args.public_cache, "loader": args.loader},
    }
    workdir = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    servers: list[Server] = []
    try:
        with fresh_database("postgresql", args.apps, workdir, args.postgres_url) as database_url:
            env = {**base_env(database_url, workdir), "REDIS_URL": args.redis_url,
                   "JOBS_QUEUE": f"bench-{uuid.uuid4().hex[:8]}"}
            seed_env = {**env, "CATALOGUE_ENV": "development", "LOG_LEVEL": "WARNING"}
            flask_command(["db", "upgrade", "heads"], seed_env, 600)
            print(f"seeding {args.apps} apps…", flush=True)
            flask_command(["demo", "seed", "--apps", str(args.apps)], seed_env, 3600)
            prod_env = {**env, "CATALOGUE_ENV": "production", "LOG_LEVEL": "WARNING",
                        "PUBLIC_CACHE": "true" if args.public_cache == "on" else "false"}
            for name in ("a", "b"):
                servers.append(start_gunicorn(name, "wsgi:app", prod_env, workdir, workers=args.workers,
                                              ready_path="/healthz"))
            a, b = servers
            answers, skipped = capture(a, [ALL_PATHS[n] for n in args.paths], discover_context(a, args.query))
            for s in skipped:
                print(f"skipped {s['name']}: {s['reason']}", flush=True)
            warm_up(a, answers, 2)
            warm_up(b, answers, 2)
            for index, answer in enumerate(answers):
                if index % 2 == 0:
                    one, two = one_instance(args, a, answer), two_instances(args, a, b, answer)
                else:
                    two, one = two_instances(args, a, b, answer), one_instance(args, a, answer)
                results["paths"].append({"name": answer["name"], "label": answer["label"],
                                         "path": answer["path"], "one": one, "two": two})
                print(f"{answer['name']:<13} 1: {one['rps']:8.1f} req/s  2: {two['rps']:8.1f} req/s",
                      flush=True)
    finally:
        for server in servers:
            server.stop()
    results["load_after"] = load_average()
    json_path = args.output_dir / f"cluster-{stamp}.json"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    json_path.with_suffix(".md").write_text(markdown(results), encoding="utf-8")
    print(markdown(results))
    print(f"Results: {json_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
