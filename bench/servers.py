"""Gunicorn servers for the benchmark: start, wait until ready, read memory, stop.

Every wait is bounded; every server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


class BenchError(RuntimeError):
    """The benchmark cannot go on (a server did not start, a command failed)."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class HttpAnswer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def http_get(port: int, path: str, headers: dict[str, str] | None = None,
             timeout: float = 60.0) -> HttpAnswer:
    """One GET to 127.0.0.1:port, the whole answer read."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return HttpAnswer(response.status, list(response.getheaders()), body)
    finally:
        conn.close()


@dataclass
class Server:
    """A running server: a master (gunicorn, Granian) and its workers, or one process."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    workers: int
    _log: object = field(repr=False, default=None)

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def get(self, path: str, headers: dict[str, str] | None = None, timeout: float = 60.0) -> HttpAnswer:
        return http_get(self.port, path, headers, timeout)

    def worker_pids(self) -> list[int]:
        """The pids of the master's children (the workers)."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():
            return [int(p) for p in children.read_text().split()]
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                # Field 4 (after the parenthesised name) is the parent pid.
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(stat.parent.name))
        return found

    def memory(self) -> list[dict[str, float]]:
        """Per worker: peak resident memory (VmHWM) and current (VmRSS), in MiB."""
        out = []
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                fields = {}
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    key, _, value = line.partition(":")
                    if key in ("VmHWM", "VmRSS"):
                        fields[key] = int(value.split()[0]) / 1024
                out.append({"pid": pid, "peak_rss_mb": round(fields.get("VmHWM", 0.0), 1),
                            "rss_mb": round(fields.get("VmRSS", 0.0), 1)})
        return out

    def cpu_seconds(self) -> float:
        """User + system CPU time consumed so far by the workers (and the master), seconds.

        Divided by the requests served, it gives the server's CPU cost per request,
        a figure that other processes on the machine do not distort the way they
        distort requests per second.
        """
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in (self.process.pid, *self.worker_pids()):
            with contextlib.suppress(OSError, ValueError, IndexError):
                # Fields 14 and 15 (utime, stime) counted after the parenthesised name.
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        return total / ticks

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self, timeout: float = 15.0) -> None:
        """Graceful stop (SIGTERM to the master), then SIGKILL to its process group."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        if self._log is not None:
            self._log.close()


def start_gunicorn(name: str, app_spec: str, env: dict[str, str], log_dir: Path, *,
                   workers: int = 2, ready_path: str = "/", startup_timeout: float = 60.0) -> Server:
    """``gunicorn --workers N --bind 127.0.0.1:<free port> APP``: the production server,
    with sync workers (one request at a time per process; ``make serve-prod`` adds
    threads, which cost a CPU-bound request more: docs/PERFORMANCE.md §0.5).

    Returns once ``ready_path`` answers (any status) or raises ``BenchError`` after
    ``startup_timeout`` seconds.
    """
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers),
               "--bind", f"{HOST}:{port}", "--access-logfile", "-", app_spec]
    return _serve(name, command, port, env, log_dir, workers, ready_path, startup_timeout)


def granian_installed() -> bool:
    """Whether Granian (PyPI ``granian``, not a dependency of the project) is installed."""
    return (Path(sys.executable).parent / "granian").exists()


def start_granian(name: str, app_spec: str, env: dict[str, str], log_dir: Path, *,
                  workers: int = 1, ready_path: str = "/", startup_timeout: float = 60.0) -> Server:
    """The same application under Granian (a Rust HTTP server with a WSGI interface), one
    Python thread per worker: what the HTTP server's own per-request work weighs
    (docs/PERFORMANCE.md §0.5). Measured, not what production runs."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "granian"), "--interface", "wsgi",
               "--workers", str(workers), "--blocking-threads", "1",
               "--host", HOST, "--port", str(port), app_spec]
    return _serve(name, command, port, env, log_dir, workers, ready_path, startup_timeout)


def _serve(name: str, command: list[str], port: int, env: dict[str, str], log_dir: Path,
           workers: int, ready_path: str, startup_timeout: float) -> Server:
    """Start ``command`` (a master and its ``workers``) and wait until it answers."""
    log_path = log_dir / f"{name}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed by Server.stop
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    server = Server(name, process, port, log_path, workers, log)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            server.stop()
            raise BenchError(f"{name}: {Path(command[0]).name} exited with {process.returncode}\n"
                             f"{server.log_tail()}")
        try:
            server.get(ready_path, timeout=5)
        except OSError:
            time.sleep(0.2)
            continue
        # Every worker must have booted, or the first seconds of load measure the boot.
        if len(server.worker_pids()) >= workers:
            return server
        time.sleep(0.2)
    server.stop()
    raise BenchError(f"{name}: not ready after {startup_timeout:.0f} s\n{server.log_tail()}")
