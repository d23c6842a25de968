"""The application as the browser tests' live servers run it: each HTML page sent to a tab is
also written, byte for byte, to ``$HTML_CAPTURE_DIR`` so that the tests validate it with the Nu
HTML checker (``tests/browser/html_checker.py``).

The recording is done here, on the server side, because it sees exactly what was sent, whatever
browser context, tab or click asked for it; the browser only keeps its own re-serialised DOM.
Without ``HTML_CAPTURE_DIR`` this is the plain ``wsgi:app``.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from wsgi import app

# What a browser sends with a top-level or framed navigation: the pages a person sees.
PAGE_DESTINATIONS = {"document", "iframe"}


class HtmlCapture:
    """WSGI middleware: buffers each page response and records it with its request line."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], folder: Path) -> None:
        self.wsgi_app = wsgi_app
        self.folder = folder
        self.sequence = itertools.count()
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_SEC_FETCH_DEST") not in PAGE_DESTINATIONS:
            return self.wsgi_app(environ, start_response)
        started: dict[str, Any] = {}

        def remember(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        answer = self.wsgi_app(environ, remember)
        try:
            body = b"".join(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        # Written before the body leaves: when the browser has the page, the record exists.
        self.record(environ, started, body)
        return [body]

    def record(self, environ: dict[str, Any], started: dict[str, Any], body: bytes) -> None:
        status = started.get("status", "")
        content_type = next((value for name, value in started.get("headers", [])
                             if name.lower() == "content-type"), "")
        if status.startswith("3") or not content_type.startswith("text/html"):
            return
        with self.lock:
            number = next(self.sequence)
        name = f"{time.time_ns():020d}-{os.getpid()}-{number:06d}"
        query = environ.get("QUERY_STRING", "")
        target = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
        (self.folder / f"{name}.html").write_bytes(body)
        meta = {"request": f"{environ.get('REQUEST_METHOD')} {target}", "status": status,
                "content_type": content_type, "html": f"{name}.html"}
        staging = self.folder / f"{name}.json.part"
        staging.write_text(json.dumps(meta))
        staging.replace(self.folder / f"{name}.json")


if os.environ.get("HTML_CAPTURE_DIR"):
    capture_folder = Path(os.environ["HTML_CAPTURE_DIR"])
    capture_folder.mkdir(parents=True, exist_ok=True)
    app.wsgi_app = HtmlCapture(app.wsgi_app, capture_folder)  # type: ignore[method-assign]
