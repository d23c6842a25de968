"""Absolute URLs of the public contract (API, feed, open data, e-mails).

They start with the ``BASE_URL`` setting, never with the request's Host header:
a client sending ``Host: evil.example`` must not get (nor leave in a shared cache)
links to another site. The Host itself is checked against ``TRUSTED_HOSTS``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import current_app, url_for
from werkzeug.exceptions import SecurityError
from werkzeug.sansio.utils import get_host

log = logging.getLogger("catalogue.request")


def base_url() -> str:
    """``BASE_URL`` without its trailing slash."""
    return str(current_app.config["BASE_URL"]).rstrip("/")


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint``: ``BASE_URL`` followed by the route's path."""
    return base_url() + url_for(endpoint, **values)


def host_is_trusted(environ: dict[str, Any], trusted: list[str] | None) -> bool:
    """Whether the WSGI request's Host is one of ``trusted`` (the app's ``TRUSTED_HOSTS``)."""
    if not trusted:
        return True
    port = str(environ.get("SERVER_PORT") or "")
    server = (environ.get("SERVER_NAME", ""), int(port) if port.isdigit() else None)
    try:
        get_host(environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST"), server, trusted)
    except SecurityError:
        return False
    return True


class TrustedHosts:
    """WSGI middleware: a request whose Host is not in ``TRUSTED_HOSTS`` gets a bare 400.

    Flask checks the Host too (its ``TRUSTED_HOSTS`` setting), but only once it builds
    the URL adapter, and then cannot render its error page; answering here keeps
    such requests out of Flask, its hooks and the public cache.
    """

    def __init__(self, wsgi: Any, trusted: list[str] | None):
        self.wsgi = wsgi
        self.trusted = trusted

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if host_is_trusted(environ, self.trusted):
            return self.wsgi(environ, start_response)
        log.info('request_id=- user=- method=%s path=%s status=400 untrusted_host=%s',
                 environ.get("REQUEST_METHOD"), json.dumps(environ.get("PATH_INFO", "")),
                 json.dumps(environ.get("HTTP_HOST", "")))
        if str(environ.get("PATH_INFO", "")).startswith("/api/"):
            body = json.dumps({"type": "about:blank", "title": "Requête invalide", "status": 400,
                               "detail": "Hôte non reconnu."}).encode()
            content_type = "application/problem+json"
        else:
            body = "Requête invalide : hôte non reconnu.\n".encode()
            content_type = "text/plain; charset=utf-8"
        start_response("400 BAD REQUEST", [("Content-Type", content_type),
                                           ("Content-Length", str(len(body))),
                                           ("Cache-Control", "no-store"),
                                           ("X-Content-Type-Options", "nosniff")])
        return [body]
