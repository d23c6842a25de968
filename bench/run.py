"""``python -m bench.run``: the hot paths at each size and engine, against their floor.

For each engine and size: a fresh database, ``flask db upgrade heads``,
``flask demo seed --apps N`` (timed), the application under gunicorn as in
production (``CATALOGUE_ENV=production``, a generated ``SECRET_KEY``, 2 workers,
127.0.0.1 and a free port), each answer captured and replayed by ``bench.floor``
under the same gunicorn settings, a warm-up, then each path loaded from a
second process (wrk, or the Python fallback) first on one server then on the
other. Prints a table per run and the verdict on the targets; writes
``bench/results/<timestamp>.json`` and ``.md``.

Every wait is bounded and all traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import longtail, report
from bench.load import run_load, wrk_available
from bench.paths import ALL_PATHS, DEFAULT_PATHS, HotPath
from bench.servers import ROOT, BenchError, Server, start_gunicorn

RESULTS_DIR = ROOT / "bench" / "results"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# Variables of the caller's environment that would point the benchmark elsewhere.
_STRIPPED_ENV = ("DATABASE_URL", "TEST_DATABASE_URL", "REDIS_URL", "CATALOGUE_ENV", "SECRET_KEY",
                 "AUDIT_HMAC_KEY",
                 "STORAGE_URL", "MAIL_URL", "FLASK_APP", "FLASK_DEBUG", "BENCH_FLOOR_SPEC")


# --- Options -----------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="Measure the catalogue's hot paths against their floor (docs/PERFORMANCE.md).",
    )
    parser.add_argument("--sizes", help="published apps to seed, comma-separated "
                        "(default 1000,10000,100000; 1000 with --quick)")
    parser.add_argument("--engines", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--duration", type=float, help="seconds of load per path and server "
                        "(default 10; 3 with --quick)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per server (default 3; 1 quick)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (production: 2)")
    parser.add_argument("--app", default="wsgi:app",
                        help="WSGI application measured (default wsgi:app, as in production, "
                        "public cache included; PUBLIC_CACHE=false in the environment measures "
                        "Flask alone)")
    parser.add_argument("--quick", action="store_true", help="short run: 1,000 apps, 3 s per path")
    parser.add_argument("--paths", default=",".join(DEFAULT_PATHS),
                        help=f"paths to measure, among {', '.join(ALL_PATHS)}")
    parser.add_argument("--query", default="diabète", help="full-text query of the search paths")
    parser.add_argument("--loader", choices=("auto", "wrk", "python"), default="auto",
                        help="load generator (auto: wrk when installed)")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES,
                        help="maintenance database of the PostgreSQL server (bench_<size>_<pid> "
                        "databases are created and dropped next to it)")
    parser.add_argument("--seed-timeout", type=float, default=3600.0, help="limit of one seed, seconds")
    parser.add_argument("--profile", action="store_true",
                        help="profile the path furthest from its floor with pyinstrument, per run")
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target does not hold")
    parser.add_argument("--seeded-sqlite", type=Path,
                        help="a SQLite file already migrated and seeded with the size given "
                        "(copied, not seeded again: the 100,000-app seed takes minutes)")
    parser.add_argument("--longtail", type=int,
                        help="distinct search URLs of the long-tail scenario against Datasette "
                        "(bench.longtail; default 4000, 400 with --quick; 0: skip it)")
    args = parser.parse_args(argv)
    if args.longtail is None:
        args.longtail = 400 if args.quick else 4000
    args.sizes = [int(s.replace("_", "")) for s in (args.sizes or ("1000" if args.quick else
                                                                    "1000,10000,100000")).split(",")]
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for engine in args.engines:
        if engine not in ("sqlite", "postgresql"):
            parser.error(f"unknown engine {engine!r}")
    args.paths = [p.strip() for p in args.paths.split(",") if p.strip() and p.strip() != "none"]
    for name in args.paths:
        if name not in ALL_PATHS:
            parser.error(f"unknown path {name!r}")
    if args.duration is None:
        args.duration = 3.0 if args.quick else 10.0
    if args.warmup is None:
        args.warmup = 1.0 if args.quick else 3.0
    if args.loader == "auto":
        args.loader = "wrk" if wrk_available() else "python"
    elif args.loader == "wrk" and not wrk_available():
        parser.error("wrk is not installed (apt-get install -y wrk), or use --loader python")
    return args


# --- Machine and environment -------------------------------------------------

def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_mb = 0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_mb = int(line.split()[1]) // 1024
    commit = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10, check=False).stdout.strip()
    return {
        "nproc": os.cpu_count(), "memory_mb": mem_mb, "cpu": cpu,
        "kernel": platform.release(), "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version, "git_commit": commit,
    }


def load_average() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def base_env(database_url: str, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _STRIPPED_ENV}
    env.update(
        FLASK_APP="wsgi.py",
        DATABASE_URL=database_url,
        STORAGE_URL=f"file://{workdir / 'evidence'}",
        SECRET_KEY=secrets.token_urlsafe(48),
        AUDIT_HMAC_KEY=secrets.token_urlsafe(48),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def flask_command(args: list[str], env: dict[str, str], timeout: float) -> tuple[float, float]:
    """Run ``flask ARGS`` from the repository root; returns its wall and CPU time, seconds.

    The CPU time (user + system of the command) does not depend on what else the
    machine runs; the wall time, which the seed target speaks of, does.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    try:
        completed = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,
                                   capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"flask {' '.join(args)}: still running after {timeout:.0f} s") from exc
    if completed.returncode != 0:
        raise BenchError(f"flask {' '.join(args)} failed ({completed.returncode}):\n"
                         f"{completed.stdout[-1500:]}\n{completed.stderr[-3000:]}")
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


# --- Databases ---------------------------------------------------------------

@contextlib.contextmanager
def fresh_database(engine: str, size: int, workdir: Path, postgres_url: str):
    """Yield the URL of an empty database, dropped afterwards."""
    if engine == "sqlite":
        yield f"sqlite:///{workdir / 'bench.sqlite'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(postgres_url)
    # The pid keeps two runs (or a run and the smoke test) from sharing a database.
    name = f"bench_{size}_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- Context, capture, floor ---------------------------------------------------

def discover_context(app: Server, query: str) -> dict[str, Any]:
    """Pick what the templated paths need from the seeded catalogue, through its API:
    a slug from the middle of the list, the largest category and a query with results."""
    context: dict[str, Any] = {}
    answer = app.get("/api/v1/apps?per_page=100")
    if answer.status != 200:
        return context
    data = json.loads(answer.body)
    items = data.get("items") or []
    context["published"] = data.get("total")
    if items:
        context["slug"] = items[len(items) // 2]["slug"]
    categories = (data.get("facets") or {}).get("category") or {}
    if isinstance(categories, dict) and categories:
        context["category"] = max(categories, key=lambda k: (categories[k], k))
    for candidate in (query, *_words_of(items)):
        found = app.get(f"/api/v1/apps?per_page=1&q={_quote(candidate)}")
        if found.status == 200 and json.loads(found.body).get("total"):
            context["q"] = candidate
            context["q_total"] = json.loads(found.body)["total"]
            break
    if "q" in context and "category" in context:
        found = app.get(f"/api/v1/apps?per_page=1&q={_quote(context['q'])}"
                        f"&category={_quote(context['category'])}")
        if found.status == 200:
            context["q_category_total"] = json.loads(found.body).get("total")
    return context


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _words_of(items: list[dict[str, Any]]) -> list[str]:
    words = []
    for item in items[:5]:
        words += [w.strip(",.;:()") for w in str(item.get("name", "")).split() if len(w) >= 5]
    return words[:5]


def capture(app: Server, paths: list[HotPath], context: dict[str, Any]
            ) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Request each path once; return the answers to replay and the paths skipped (with why)."""
    captured: dict[str, dict[str, Any]] = {}
    skipped: list[dict[str, str]] = []
    for hot in paths:
        try:
            path = hot.path(context)
        except KeyError as exc:
            skipped.append({"name": hot.name, "reason": f"no {exc.args[0]} in the catalogue "
                            "(is /api/v1/apps there, and the catalogue seeded?)"})
            continue
        headers: dict[str, str] = {}
        if hot.conditional_on:
            # The ETag a client got from a first, unconditional request of the same URL.
            etag = app.get(path).header("ETag")
            if not etag:
                skipped.append({"name": hot.name, "reason": f"GET {path} carries no ETag"})
                continue
            headers["If-None-Match"] = etag
        answer = app.get(path, headers)
        if answer.status != hot.expect:
            skipped.append({"name": hot.name, "reason": f"GET {path} answered {answer.status}, "
                            f"expected {hot.expect}"})
            continue
        captured[hot.name] = {
            "name": hot.name, "label": hot.label, "path": path, "request_headers": headers,
            "conditional": bool(hot.conditional_on), "status": answer.status,
            "headers": answer.headers, "body": answer.body,
        }
    return list(captured.values()), skipped


def write_floor_spec(answers: list[dict[str, Any]], path: Path) -> None:
    spec = {"answers": [
        {"path": a["path"], "conditional": a["conditional"], "status": a["status"],
         "headers": a["headers"], "body_b64": base64.b64encode(a["body"]).decode("ascii")}
        for a in answers
    ]}
    path.write_text(json.dumps(spec), encoding="utf-8")


def check_floor(floor: Server, answers: list[dict[str, Any]]) -> None:
    """The floor must answer each path with the very bytes the application answered."""
    for a in answers:
        got = floor.get(a["path"], a["request_headers"])
        if got.status != a["status"] or got.body != a["body"]:
            raise BenchError(f"floor answers {a['path']} with {got.status} / {len(got.body)} bytes, "
                             f"not {a['status']} / {len(a['body'])}")


def warm_up(server: Server, answers: list[dict[str, Any]], seconds: float) -> None:
    """A few sequential requests to every path, within ``seconds`` (at least one round)."""
    deadline = time.monotonic() + seconds
    rounds = 0
    while rounds < 1 or (rounds < 8 and time.monotonic() < deadline):
        for a in answers:
            server.get(a["path"], a["request_headers"])
        rounds += 1


# --- One run -------------------------------------------------------------------

def measure(args: argparse.Namespace, server: Server, answer: dict[str, Any]) -> dict[str, Any]:
    """Load one path on one server; the load's figures plus the server's CPU per request."""
    cpu_before = server.cpu_seconds()
    result = run_load(server.url(answer["path"]), connections=args.connections, duration=args.duration,
                      headers=answer["request_headers"], tool=args.loader, threads=args.threads)
    cpu = server.cpu_seconds() - cpu_before
    return {**result.as_dict(),
            "cpu_ms_per_request": round(1000 * cpu / result.requests, 3) if result.requests else None}


def bench_one(args: argparse.Namespace, engine: str, size: int, stamp: str) -> dict[str, Any]:
    """Seed, serve, capture, load: one engine at one size."""
    run: dict[str, Any] = {"engine": engine, "size": size, "paths": [], "skipped": [], "error": None,
                           "load_before": load_average()}
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{engine}-{size}-"))
    servers: list[Server] = []
    try:
        with fresh_database(engine, size, workdir, args.postgres_url) as database_url:
            env = base_env(database_url, workdir)
            seed_env = {**env, "CATALOGUE_ENV": "development", "LOG_LEVEL": "WARNING"}
            if engine == "sqlite" and args.seeded_sqlite:
                shutil.copyfile(args.seeded_sqlite, workdir / "bench.sqlite")
                run["seeded_from"] = str(args.seeded_sqlite)
            run["migrate_s"] = round(flask_command(["db", "upgrade", "heads"], seed_env, 600)[0], 2)
            if engine == "sqlite" and args.seeded_sqlite:
                wall = cpu = 0.0
            else:
                print(f"[{engine} {size}] seeding…", flush=True)
                wall, cpu = flask_command(["demo", "seed", "--apps", str(size)], seed_env,
                                          args.seed_timeout)
            run["seed_s"], run["seed_cpu_s"] = round(wall, 2), round(cpu, 2)
            print(f"[{engine} {size}] seeded in {run['seed_s']} s ({run['seed_cpu_s']} s CPU); serving",
                  flush=True)
            prod_env = {**env, "CATALOGUE_ENV": "production"}
            app = start_gunicorn("app", args.app, prod_env, workdir, workers=args.workers,
                                 ready_path="/healthz")
            servers.append(app)
            # The exports of a new version are built off the request: wait until they are.
            run["exports_ready_s"] = longtail.wait_for_exports(app)
            context = discover_context(app, args.query)
            run["context"] = context
            answers, run["skipped"] = capture(app, [ALL_PATHS[n] for n in args.paths], context)
            for skipped in run["skipped"]:
                print(f"[{engine} {size}] skipped {skipped['name']}: {skipped['reason']}", flush=True)
            if not answers and args.paths:
                raise BenchError("no path answered as expected")
            if args.longtail:
                run["longtail"] = longtail.run_longtail(args, prod_env, app, workdir)
            if not answers:
                app.stop()
                servers.clear()
                return run
            spec = workdir / "floor.json"
            write_floor_spec(answers, spec)
            floor = start_gunicorn("floor", "bench.floor:app", {**prod_env, "BENCH_FLOOR_SPEC": str(spec)},
                                   workdir, workers=args.workers, ready_path=answers[0]["path"])
            servers.append(floor)
            check_floor(floor, answers)
            warm_up(app, answers, args.warmup)
            warm_up(floor, answers, args.warmup)
            for index, a in enumerate(answers):
                # Alternate which server goes first, so a drift of the machine's load
                # during the run does not always favour the same side.
                order = (app, floor) if index % 2 == 0 else (floor, app)
                results = {s.name: measure(args, s, a) for s in order}
                app_r, floor_r = results["app"], results["floor"]
                app_cpu, floor_cpu = app_r["cpu_ms_per_request"], floor_r["cpu_ms_per_request"]
                row = {
                    "name": a["name"], "label": a["label"], "path": a["path"], "status": a["status"],
                    "request_headers": a["request_headers"], "bytes": len(a["body"]),
                    "app": app_r, "floor": floor_r,
                    "ratio": round(app_r["rps"] / floor_r["rps"], 3) if floor_r["rps"] else None,
                    # The same ratio from CPU time per request: steadier on a busy machine.
                    "cpu_ratio": round(floor_cpu / app_cpu, 3) if app_cpu and floor_cpu else None,
                    "target_ratio": ALL_PATHS[a["name"]].target_ratio,
                }
                run["paths"].append(row)
                print(f"[{engine} {size}] {a['name']:<13} {app_r['rps']:8.1f} req/s "
                      f"p99 {app_r['p99_ms']:7.1f} ms cpu {app_cpu} ms | floor {floor_r['rps']:8.1f} req/s "
                      f"cpu {floor_cpu} ms | ratio {row['ratio']} (cpu {row['cpu_ratio']})", flush=True)
            run["memory"] = {"app": app.memory(), "floor": floor.memory()}
            if args.profile and run["paths"]:
                run["profile"] = profile_slowest(args, run, prod_env, stamp)
            for server in servers:
                server.stop()
            servers.clear()
    except (BenchError, RuntimeError, OSError, subprocess.SubprocessError) as exc:
        run["error"] = str(exc)
        print(f"[{engine} {size}] ERROR: {exc}", file=sys.stderr, flush=True)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        run["load_after"] = load_average()
    return run


def profile_slowest(args: argparse.Namespace, run: dict[str, Any], env: dict[str, str],
                    stamp: str) -> dict[str, Any]:
    """pyinstrument over the path furthest below its floor (``bench.profile``)."""
    worst = min((r for r in run["paths"] if r["ratio"] is not None), key=lambda r: r["ratio"])
    out = args.output_dir / f"{stamp}-profile-{run['engine']}-{run['size']}-{worst['name']}.txt"
    command = [sys.executable, "-m", "bench.profile", worst["path"], "--output", str(out),
               "--seconds", "20"]
    for name, value in worst["request_headers"].items():
        command += ["-H", f"{name}: {value}"]
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=300, check=False)
    if completed.returncode != 0:
        return {"path": worst["path"], "error": completed.stderr[-2000:]}
    return {"path": worst["path"], "name": worst["name"], "file": str(out.relative_to(ROOT))
            if out.is_relative_to(ROOT) else str(out)}


# --- Main ----------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    results: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": machine_info(),
        "options": {"app": args.app, "sizes": args.sizes, "engines": args.engines,
                    "duration_s": args.duration,
                    "connections": args.connections, "threads": args.threads, "workers": args.workers,
                    "warmup_s": args.warmup, "loader": args.loader, "paths": args.paths,
                    "query": args.query, "longtail_urls": args.longtail},
        "runs": [],
    }
    json_path = args.output_dir / f"{stamp}.json"
    print(report.machine_line(results), flush=True)
    for engine in args.engines:
        for size in args.sizes:
            run = bench_one(args, engine, size, stamp)
            results["runs"].append(run)
            print(report.run_table(run), flush=True)
            # Written after every run: an interrupted long run keeps what it measured.
            json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    results["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results["targets"] = report.evaluate_targets(results["runs"])
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    md_path = json_path.with_suffix(".md")
    md_path.write_text(report.markdown(results), encoding="utf-8")
    print(report.targets_text(results["targets"]))
    print(f"\nResults: {json_path}\n         {md_path}")
    failed_runs = [r for r in results["runs"] if r["error"]]
    if failed_runs:
        return 1
    if args.strict and any(t["ok"] is False for t in results["targets"]):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
