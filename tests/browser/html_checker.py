"""The Nu HTML checker (vnu.jar from the npm package ``vnu-jar``) for the browser tests.

``NuChecker`` runs the checker once for the session as an HTTP service on 127.0.0.1 (starting
the JVM per page would cost seconds each); ``CapturedPages`` reads the pages the live server
recorded (``tests/browser/live_app.py``) and validates each once. Only errors count: warnings
and notes are the checker's advice, not conformance failures.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.processes import die_with_parent, free_port

VNU_JAR = Path("node_modules/vnu-jar/build/dist/vnu.jar")
START_TIMEOUT = 180
CHECK_TIMEOUT = 60
MAX_ERRORS_SHOWN = 20


class NuChecker:
    """vnu.jar's servlet on a free loopback port; ``errors(html)`` posts one document to it."""

    def __init__(self, root: Path, log: Path) -> None:
        java = shutil.which("java")
        if java is None:
            raise RuntimeError("the Nu HTML checker needs Java 11 or later: "
                               "apt-get install default-jre-headless")
        jar = root / VNU_JAR
        if not jar.exists():
            raise RuntimeError(f"{jar} is missing: run `make install-test` (npm package vnu-jar)")
        self.log = log
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/?out=json"
        self.ready = False
        self.out = log.open("a")
        # Started at once, waited on at the first page: the JVM warms up while the live server seeds.
        # The client compiler alone (TieredStopAtLevel=1) and the serial collector: a run checks a
        # few hundred pages, too few for the optimising compiler to repay its CPU (measured: 18 s
        # of JVM CPU for 250 pages with it, 10 s without).
        self.process = subprocess.Popen(
            [java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss4m", "-Xmx1g",
             "-Dnu.validator.servlet.bind-address=127.0.0.1",
             "-cp", str(jar), "nu.validator.servlet.Main", str(port)],
            stdout=self.out, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)

    def _wait(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Nu HTML checker exited ({self.process.returncode}):\n"
                                   f"{self.log.read_text(errors='replace')[-4000:]}")
            try:
                self.errors(b"<!DOCTYPE html><html lang=en><title>ready</title></html>", "text/html",
                            waiting=True)
                self.ready = True
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        raise RuntimeError(f"the Nu HTML checker did not answer in {START_TIMEOUT} s:\n"
                           f"{self.log.read_text(errors='replace')[-4000:]}")

    def errors(self, html: bytes, content_type: str, waiting: bool = False) -> list[dict[str, Any]]:
        """The checker's errors on one document (messages of type ``error`` or ``non-document-error``)."""
        if not self.ready and not waiting:
            self._wait()
        request = urllib.request.Request(self.url, data=html, method="POST",
                                         headers={"Content-Type": content_type})
        with urllib.request.urlopen(request, timeout=CHECK_TIMEOUT) as response:
            messages = json.load(response)["messages"]
        return [message for message in messages
                if message.get("type") in ("error", "non-document-error")]

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.out.close()


class CapturedPages:
    """The pages the live servers recorded, each validated once, in the order they were sent."""

    def __init__(self, folder: Path, checker: NuChecker) -> None:
        self.folder = folder
        self.checker = checker
        self.seen: set[str] = set()
        self.validated = 0
        self.failed = 0

    def _pending(self) -> list[Path]:
        fresh = sorted(path for path in self.folder.glob("*.json") if path.name not in self.seen)
        self.seen.update(path.name for path in fresh)
        return fresh

    def discard_pending(self) -> None:
        """Forget the pages recorded so far (a test that already failed)."""
        self._pending()

    def check_pending(self) -> str | None:
        """Validate the pages recorded since the last call; a readable report when any has errors."""
        reports = []
        for path in self._pending():
            meta = json.loads(path.read_text())
            html = (self.folder / meta["html"]).read_bytes()
            errors = self.checker.errors(html, meta["content_type"])
            self.validated += 1
            if errors:
                self.failed += 1
                reports.append(format_errors(errors, meta))
        return "\n".join(reports) or None


def format_errors(errors: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    """The checker's errors on one page: message, line, extract."""
    lines = [f"{len(errors)} Nu HTML checker error(s) on {meta['request']} ({meta['status']}):"]
    for error in errors[:MAX_ERRORS_SHOWN]:
        line = error.get("lastLine", error.get("firstLine", "?"))
        lines.append(f"- line {line}: {error.get('message', '')}")
        extract = (error.get("extract") or "").replace("\n", "↩")
        if extract:
            lines.append(f"    {extract[:200]}")
    if len(errors) > MAX_ERRORS_SHOWN:
        lines.append(f"  … and {len(errors) - MAX_ERRORS_SHOWN} more")
    return "\n".join(lines)
