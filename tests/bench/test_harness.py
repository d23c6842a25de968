"""The benchmark harness itself, so that ``make bench`` cannot rot unnoticed.

Fast pieces (the floor replays bytes, the load generators report, the verdict
on targets) are tested directly; one end-to-end run seeds a tiny catalogue,
serves it with gunicorn and loads a few paths for a second each.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bench import report
from bench.floor import create_floor_app, load_answers
from bench.load import _parse_output, run_load, wrk_available
from bench.memory import main as memory_main
from bench.paths import ALL_PATHS, HOT_PATHS
from bench.run import main as bench_main
from bench.run import write_floor_spec
from bench.servers import granian_installed


def _spec(tmp_path: Path) -> Path:
    answers = [
        {"path": "/api/v1/apps?q=diab%C3%A8te", "conditional": False, "status": 200,
         "headers": [("Content-Type", "application/json"), ("ETag", '"v1"'),
                     ("Date", "Sun, 29 Nov 2026 00:00:00 GMT")],
         "body": b'{"items": []}', "request_headers": {}},
        {"path": "/api/v1/apps?q=diab%C3%A8te", "conditional": True, "status": 304,
         "headers": [("ETag", '"v1"'), ("Cache-Control", "public, max-age=60")],
         "body": b"", "request_headers": {"If-None-Match": '"v1"'}},
    ]
    path = tmp_path / "floor.json"
    write_floor_spec(answers, path)
    return path


def test_floor_replays_the_captured_bytes_and_headers(tmp_path):
    floor = create_floor_app(load_answers(_spec(tmp_path))).test_client()

    plain = floor.get("/api/v1/apps?q=diab%C3%A8te")
    assert plain.status_code == 200
    assert plain.data == b'{"items": []}'
    assert plain.headers["ETag"] == '"v1"'
    assert plain.headers["Content-Type"] == "application/json"
    # The server's own headers are not replayed: gunicorn sets them.
    assert "Sun, 29 Nov 2026" not in plain.headers.get("Date", "")


def test_floor_answers_the_conditional_request_separately(tmp_path):
    floor = create_floor_app(load_answers(_spec(tmp_path))).test_client()

    conditional = floor.get("/api/v1/apps?q=diab%C3%A8te", headers={"If-None-Match": '"v1"'})
    assert conditional.status_code == 304
    assert conditional.data == b""
    assert floor.get("/api/v1/apps").status_code == 404  # not captured: never served by chance


def test_floor_spec_keeps_binary_bodies_exactly(tmp_path):
    body = bytes(range(256)) * 3
    spec = tmp_path / "floor.json"
    write_floor_spec([{"path": "/x.csv", "conditional": False, "status": 200, "headers": [],
                       "body": body, "request_headers": {}}], spec)
    assert base64.b64decode(json.loads(spec.read_text())["answers"][0]["body_b64"]) == body
    assert create_floor_app(load_answers(spec)).test_client().get("/x.csv").data == body


def test_hot_paths_fill_their_templates_url_encoded():
    context = {"slug": "mon-appli", "q": "diabète type 2", "category": "chronic_disease"}
    paths = {p.name: p.path(context) for p in HOT_PATHS}
    assert paths["api_search"] == "/api/v1/apps?q=diab%C3%A8te%20type%202&category=chronic_disease"
    assert paths["listing_page"] == "/catalogue/mon-appli"
    assert ALL_PATHS["api_304"].conditional_on == "api_list"
    with pytest.raises(KeyError):
        ALL_PATHS["api_detail"].path({})


def test_wrk_report_line_is_parsed():
    stdout = (
        "Running 1s test @ http://127.0.0.1:1/\n  2 threads and 4 connections\n"
        'BENCH_JSON {"tool": "wrk", "requests": 500, "duration_us": 1000000, "bytes": 9000, '
        '"errors": {"connect": 0, "read": 0, "write": 0, "status": 2, "timeout": 0}, '
        '"latency_us": {"p50": 1500, "p90": 2500, "p95": 3000, "p99": 4200, "max": 9000, "mean": 1700.0}}\n'
    )
    result = _parse_output(stdout, "", "wrk")
    assert result.rps == 500.0
    assert (result.p50_ms, result.p95_ms, result.p99_ms) == (1.5, 3.0, 4.2)
    assert result.errors == {"status": 2}
    with pytest.raises(RuntimeError):
        _parse_output("no report here", "", "wrk")


class _Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        status = 304 if self.headers.get("If-None-Match") else 200
        body = b"" if status == 304 else b"hello"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def hello_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize("tool", ["python", "wrk"])
def test_load_generator_measures_a_local_server(hello_server, tool):
    if tool == "wrk" and not wrk_available():
        pytest.skip("wrk is not installed (apt-get install -y wrk)")
    result = run_load(hello_server, connections=2, duration=1, tool=tool, threads=1, timeout=5)
    assert result.requests > 10
    assert result.rps > 0
    assert 0 < result.p50_ms <= result.p95_ms <= result.p99_ms <= result.max_ms
    assert result.error_count == 0
    conditional = run_load(hello_server, connections=1, duration=1, tool=tool, threads=1, timeout=5,
                           headers={"If-None-Match": '"x"'})
    assert conditional.requests > 10 and conditional.error_count == 0


def _row(name: str, ratio: float, p99: float = 10.0) -> dict:
    return {"name": name, "ratio": ratio, "target_ratio": ALL_PATHS[name].target_ratio,
            "app": {"p99_ms": p99}}


def test_targets_judge_ratios_p99_memory_seed_and_scaling():
    runs = [
        {"engine": "sqlite", "size": 1000, "error": None, "seed_s": 5.0,
         "paths": [_row("search_page", 0.8), _row("api_304", 0.95)], "memory": {"app": []}},
        {"engine": "sqlite", "size": 10000, "error": None, "seed_s": 75.0,
         "paths": [_row("search_page", 0.45, p99=60.0), _row("api_304", 0.95)],
         "memory": {"app": [{"peak_rss_mb": 120.0}, {"peak_rss_mb": 160.0}]}},
        {"engine": "sqlite", "size": 100000, "error": None, "seed_s": 600.0,
         "paths": [_row("search_page", 0.3), _row("api_304", 0.9)], "memory": {"app": []}},
    ]
    targets = report.evaluate_targets(runs)
    verdict = {(t["target"], t["subject"], t["size"]): t["ok"] for t in targets}

    assert verdict[("ratio to floor", "search_page", 10000)] is False  # 0.45 < 0.5
    assert verdict[("ratio to floor", "api_304", 10000)] is True
    assert verdict[("p99 ms", "search_page", 10000)] is False
    assert verdict[("peak RSS MiB per worker", "gunicorn workers", 10000)] is False  # 160 MiB
    assert verdict[("seed seconds", "demo seed --apps 10000", 10000)] is False
    # Ratios are judged at 10,000 apps only when that size ran.
    assert ("ratio to floor", "search_page", 1000) not in verdict
    # 0.8 / 0.3 = 2.67: search costs more than twice as much at 100,000 apps.
    assert verdict[("cost at 100000 / cost at 1000", "search_page", 100000)] is False
    text = report.targets_text(targets)
    assert "MISS" in text and "missed" in text


def _on_postgres() -> bool:
    return os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


def _engine_options() -> list[str]:
    if _on_postgres():
        configured = os.environ["TEST_DATABASE_URL"]
        admin = make_url(configured).set(database="postgres").render_as_string(hide_password=False)
        return ["--engines", "postgresql", "--postgres-url", admin]
    return ["--engines", "sqlite"]


def test_bench_run_end_to_end_on_a_tiny_catalogue(tmp_path, capsys, seeded_demo):
    paths = ["search_page", "api_304"]
    # On SQLite the run starts from the suite's seeded demo (--seeded-sqlite), as a long run
    # starts from a database seeded once; on PostgreSQL it seeds its own.
    seeded = ["--seeded-sqlite", str(seeded_demo / "live.sqlite")] if not _on_postgres() else []
    code = bench_main([*_engine_options(), *seeded, "--sizes", "12", "--duration", "1", "--warmup", "0.2",
                       "--connections", "2", "--threads", "1", "--paths", ",".join(paths),
                       "--longtail", "30", "--output-dir", str(tmp_path)])
    out = capsys.readouterr().out
    results = json.loads(next(tmp_path.glob("*.json")).read_text())
    run = results["runs"][0]
    assert code == 0, run.get("error") or run.get("skipped")
    assert run["error"] is None and run["skipped"] == []
    assert run["seed_s"] > 0 if _on_postgres() else run["seeded_from"] == seeded[1]
    assert run["context"]["published"] >= 12
    measured = {row["name"]: row for row in run["paths"]}
    assert list(measured) == paths
    for row in measured.values():
        assert row["app"]["requests"] > 0 and row["floor"]["requests"] > 0
        assert row["ratio"] is not None and row["ratio"] > 0
    assert measured["api_304"]["status"] == 304
    assert measured["api_304"]["request_headers"]["If-None-Match"]
    assert len(run["memory"]["app"]) == 2
    assert all(w["peak_rss_mb"] > 0 for w in run["memory"]["app"])
    assert "Targets (issue 8)" in out and "search_page" in out
    assert next(tmp_path.glob("*.md")).read_text().count("| search_page | 200 |") == 1
    # The long tail ran on both our application and Datasette, with the same searches.
    servers = run["longtail"]["servers"]
    granian = {"app under Granian (PUBLIC_CACHE=false)"} if granian_installed() else set()
    assert set(servers) == {"app (cache on)", "app (PUBLIC_CACHE=false)", "datasette"} | granian
    assert all(s["requests"] > 0 and s["errors"].get("status", 0) == 0 for s in servers.values())
    assert servers["app (PUBLIC_CACHE=false)"]["vs_datasette"] > 0


def test_memory_probe_reports_each_step(tmp_path, capsys, seeded_demo):
    database = tmp_path / "memory.sqlite"
    shutil.copyfile(seeded_demo / "live.sqlite", database)
    assert memory_main([f"sqlite:///{database}", "--searches", "20"]) == 0
    lines = capsys.readouterr().out.splitlines()
    steps = ["start", "pages, API and a search", "+ 20 long-tail searches", "+ /opendata/catalogue.csv (200",
             "+ /opendata/catalogue.json (200", "+ a FHIR request (200)"]
    assert [next(line for line in lines if line.startswith(step)) for step in steps]
    peaks = [int(re.search(r"peak (\d+) MiB", line).group(1)) for line in lines]
    assert len(peaks) == len(steps) and peaks[0] > 30 and peaks == sorted(peaks)  # a peak never falls
