"""Helpers for the tests that start processes of their own (live servers, the Nu checker,
CLI commands): a free port, a command with its log, and servers that die with the test."""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> None:
    """``preexec_fn`` of a helper server: the kernel stops it when the test process dies, so a
    crashed or interrupted run leaves no server (a JVM of 300 MB, a gunicorn) behind."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(log: Path, lines: int = 60) -> str:
    """The end of a log file, for an error message."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def run_logged(args: list[str], env: dict[str, str], log: Path, timeout: int = 600) -> None:
    """Run a command from the repository root, its output appended to ``log``; raise with the
    log's tail when it fails."""
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(args)}\n")
        out.flush()
        result = subprocess.run(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                timeout=timeout, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{tail(log)}")


def wait_until_serving(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """Return once ``url`` answers 200; raise with the log's tail if ``process`` exits first or
    nothing answers within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            command = " ".join(map(str, process.args))
            raise RuntimeError(f"{command} exited ({process.returncode}):\n{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"nothing answered {url} in {timeout:g} s:\n{tail(log)}")
