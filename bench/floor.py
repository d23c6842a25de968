"""The floor: a bare Flask app that answers each measured request with the bytes
the real application answered, captured just before.

It does no work beyond Flask's own routing of one catch-all rule and a dict
lookup, so the requests per second it reaches under the same gunicorn settings
are the most the application could reach on this machine, at this moment, for
an answer of that size. ``bench.run`` writes the captured answers to a JSON file
and points ``BENCH_FLOOR_SPEC`` at it before starting ``gunicorn bench.floor:app``.

Spec format::

    {"answers": [{"path": "/api/v1/apps?q=x", "conditional": false, "status": 200,
                  "headers": [["Content-Type", "application/json"], ...],
                  "body_b64": "..."}]}

``conditional`` answers are served when the request carries ``If-None-Match``
(the 304 path), the others when it does not.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

SPEC_ENV = "BENCH_FLOOR_SPEC"

# Hop-by-hop or per-connection headers that the server sets itself.
_SERVER_HEADERS = frozenset({"date", "server", "connection", "transfer-encoding", "content-length",
                             "keep-alive"})


def answer_key(path: str, conditional: bool) -> tuple[str, bool]:
    """The lookup key of an answer: path with its query string, and whether it is conditional."""
    return path, conditional


def load_answers(spec_path: str | os.PathLike[str]) -> dict[tuple[str, bool], dict[str, Any]]:
    """Read a spec file into ``{(path, conditional): {status, headers, body}}``."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    answers: dict[tuple[str, bool], dict[str, Any]] = {}
    for entry in spec["answers"]:
        answers[answer_key(entry["path"], bool(entry.get("conditional")))] = {
            "status": int(entry["status"]),
            "headers": [(k, v) for k, v in entry["headers"] if k.lower() not in _SERVER_HEADERS],
            "body": base64.b64decode(entry["body_b64"]),
        }
    return answers


def create_floor_app(answers: dict[tuple[str, bool], dict[str, Any]]) -> Flask:
    """A Flask app with one catch-all GET rule that replays ``answers``."""
    floor = Flask(__name__)

    @floor.get("/", defaults={"_path": ""})
    @floor.get("/<path:_path>")
    def replay(_path: str) -> Response:
        query = request.query_string.decode("latin-1")
        key = answer_key(request.path + (f"?{query}" if query else ""),
                         "If-None-Match" in request.headers)
        found = answers.get(key)
        if found is None:
            return Response(b"not captured\n", status=404, mimetype="text/plain")
        return Response(found["body"], status=found["status"], headers=found["headers"])

    return floor


def _app_from_environment() -> Flask:
    spec = os.environ.get(SPEC_ENV)
    if not spec:
        raise RuntimeError(f"{SPEC_ENV} must name the spec file written by bench.run")
    return create_floor_app(load_answers(spec))


def __getattr__(name: str) -> Any:
    # ``gunicorn bench.floor:app`` builds the app on first access, so importing
    # this module (tests, bench.run) needs no spec file.
    if name == "app":
        return _app_from_environment()
    raise AttributeError(name)
