"""Load generators: wrk (Debian package ``wrk``) with a Lua report, or a bounded
Python fallback when wrk is not installed.

Both run in a second process and give the same result: requests, requests per
second, latency percentiles and errors. The fallback is itself CPU-bound on a
2-core machine, so its absolute figures are lower than wrk's; ratios to the
floor measured with the same tool still compare. ``python -m bench.load URL``
runs the fallback.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

LUA_REPORT = Path(__file__).resolve().parent / "wrk_report.lua"
LUA_PATHS = Path(__file__).resolve().parent / "wrk_paths.lua"
MARKER = "BENCH_JSON "


@dataclass
class LoadResult:
    """What one load of one URL measured."""

    tool: str
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _from_report(report: dict) -> LoadResult:
    duration = report["duration_us"] / 1e6
    latency = report["latency_us"]
    return LoadResult(
        tool=report["tool"],
        requests=report["requests"],
        duration_s=round(duration, 3),
        rps=round(report["requests"] / duration, 1) if duration else 0.0,
        p50_ms=round(latency["p50"] / 1000, 2),
        p95_ms=round(latency["p95"] / 1000, 2),
        p99_ms=round(latency["p99"] / 1000, 2),
        max_ms=round(latency["max"] / 1000, 2),
        errors={k: int(v) for k, v in report["errors"].items() if v},
    )


def _parse_output(stdout: str, stderr: str, tool: str) -> LoadResult:
    for line in stdout.splitlines():
        if line.startswith(MARKER):
            return _from_report(json.loads(line[len(MARKER):]))
    raise RuntimeError(f"{tool} printed no report:\n{stdout[-2000:]}\n{stderr[-2000:]}")


def run_load(url: str, *, connections: int, duration: float, headers: dict[str, str] | None = None,
             tool: str = "wrk", threads: int = 2, timeout: float = 30.0,
             paths_file: Path | None = None) -> LoadResult:
    """Load ``url`` for ``duration`` seconds with ``connections`` concurrent connections;
    with ``paths_file``, the paths it lists (one per line) round-robin on ``url``'s server."""
    header_args: list[str] = []
    for name, value in (headers or {}).items():
        header_args += ["-H", f"{name}: {value}"]
    env = {**os.environ, "BENCH_PATHS": str(paths_file)} if paths_file else None
    if tool == "wrk":
        command = ["wrk", "-t", str(max(1, min(threads, connections))), "-c", str(connections),
                   "-d", f"{max(1, round(duration))}s", "--timeout", f"{round(timeout)}s",
                   "-s", str(LUA_PATHS if paths_file else LUA_REPORT), *header_args, url]
    else:
        command = [sys.executable, "-m", "bench.load", url, "--connections", str(connections),
                   "--duration", str(duration), "--timeout", str(timeout), *header_args]
        if paths_file:
            command += ["--paths-file", str(paths_file)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False, env=env,
                               timeout=duration + timeout + 30, cwd=Path(__file__).resolve().parent.parent)
    if completed.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return _parse_output(completed.stdout, completed.stderr, tool)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def python_load(url: str, connections: int, duration: float, headers: dict[str, str],
                timeout: float, paths: list[str] | None = None) -> dict:
    """The fallback generator: ``connections`` threads, each a closed loop of GETs (of
    ``paths`` round-robin when given)."""
    parts = urlsplit(url)
    targets = paths or [parts.path + (f"?{parts.query}" if parts.query else "")]
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
    received = [0] * connections
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + duration

    def worker(index: int) -> None:
        conn: http.client.HTTPConnection | None = None
        turn = index * max(1, len(targets) // connections)
        while time.perf_counter() < deadline:
            begin = time.perf_counter()
            turn += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=timeout)
                conn.request("GET", targets[turn % len(targets)], headers=headers)
                response = conn.getresponse()
                body = response.read()
                latencies[index].append(time.perf_counter() - begin)
                received[index] += len(body)
                if response.status >= 400:
                    with lock:
                        errors["status"] += 1
                if response.will_close:
                    conn.close()
                    conn = None
            except TimeoutError:
                with lock:
                    errors["timeout"] += 1
                conn = None
            except OSError:
                with lock:
                    errors["read"] += 1
                conn = None
        if conn is not None:
            conn.close()

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=duration + timeout + 5)
    elapsed = time.perf_counter() - started
    values = sorted(v for per in latencies for v in per)
    us = 1e6
    return {
        "tool": "python", "requests": len(values), "duration_us": int(elapsed * us),
        "bytes": sum(received), "errors": errors,
        "latency_us": {
            "p50": int(percentile(values, 0.50) * us), "p90": int(percentile(values, 0.90) * us),
            "p95": int(percentile(values, 0.95) * us), "p99": int(percentile(values, 0.99) * us),
            "max": int((values[-1] if values else 0) * us),
            "mean": (sum(values) / len(values) * us) if values else 0.0,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Bounded HTTP load (fallback when wrk is missing).")
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("-H", "--header", action="append", default=[])
    parser.add_argument("--paths-file", type=Path, help="paths to request round-robin, one a line")
    args = parser.parse_args(argv)
    if urlsplit(args.url).hostname not in ("127.0.0.1", "localhost"):
        parser.error("the benchmark only sends traffic to 127.0.0.1")
    headers = dict(h.split(": ", 1) for h in args.header)
    paths = None
    if args.paths_file:
        paths = [p for p in args.paths_file.read_text(encoding="utf-8").splitlines() if p]
    report = python_load(args.url, args.connections, args.duration, headers, args.timeout, paths)
    sys.stdout.write(MARKER + json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
