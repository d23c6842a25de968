"""Conditional GET for public answers (DESIGN §6 "Public contract", §7 "Caching").

A public answer (catalogue page, API resource, export, feed) is computed from data
that changes rarely. Its ETag derives from a cheap *version token* (a counter
bumped by every change the answer can show: ``CatalogueVersion`` for listings,
the frameworks' own token for frameworks) together with the URL and the locale,
so checking ``If-None-Match`` costs one small query, not the page.

Usage in a view::

    return conditional(token, lambda: render_template(...))

Anonymous answers carry ``Cache-Control: public, max-age=60`` so a CDN may keep
them; signed-in users get ``no-store`` from ``catalogue.web`` and are never
answered 304 from a public ETag (their page shows their account).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import Response, make_response, request
from flask_babel import get_locale
from flask_login import current_user

PUBLIC_CACHE_CONTROL = "public, max-age=60"


def make_etag(token: str | int, path: str, query_string: str, locale: str) -> str:
    """The strong ETag of an answer: version token, URL and language (also used by
    ``catalogue.listings.public_cache`` in front of Flask, so both always agree)."""
    basis = "|".join((str(token), path, query_string, locale))
    return '"' + hashlib.sha256(basis.encode()).hexdigest()[:32] + '"'


def etag_for(token: str | int) -> str:
    """The strong ETag of the current request's answer for a version ``token``."""
    return make_etag(token, request.path, request.query_string.decode("latin-1"),
                     str(get_locale() or "fr"))


def _anonymous() -> bool:
    return not (current_user and current_user.is_authenticated)


def conditional(token: str | int, build: Callable[[], Any]) -> Response:
    """Answer 304 when the client holds the current version, else build the answer.

    ``build`` returns anything Flask turns into a response. ETag and
    ``Cache-Control`` are set on 200 and 304 alike, for anonymous requests only.
    """
    if not _anonymous():
        return make_response(build())
    etag = etag_for(token)
    # If-None-Match compares weakly (RFC 9110 §13.1.2): W/"x" matches "x".
    if request.if_none_match.contains_weak(etag.strip('"')):
        response = Response(status=304)
    else:
        response = make_response(build())
        if response.status_code != 200:
            return response
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
    # The language may come from the session cookie of a visitor who chose English: a
    # shared cache must not hand that page to others (anonymous visitors send no cookie).
    response.vary.add("Cookie")
    return response
