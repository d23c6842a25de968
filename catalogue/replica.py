"""``DATABASE_REPLICA_URL``: anonymous catalogue reads served by a read replica.

Which requests: GET or HEAD of a public catalogue endpoint (pages, feed, API,
open data exports) from a visitor without a session cookie, who therefore
cannot have just written anything. Their session sends plain SELECTs to the
replica (``db.RoutingSession``); a write or a locking read switches the rest of
the request to the primary. Every other request (signed in, forms, back office,
anything carrying a session) reads and writes the primary only.

The public answers' ETags come from the version the replica holds, so a
replica that lags serves a consistent older catalogue, never a mix; the public
cache keeps only answers whose ETag matches the current version.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from catalogue import db

# Public, anonymous, read-only endpoints whose answers depend only on the catalogue.
REPLICA_ENDPOINTS = frozenset({
    "listings.home", "listings.catalogue", "listings.listing", "listings.feed",
    "listings.statistics_page", "listings.opendata_csv", "listings.opendata_json",
    "api.list_apps", "api.get_app", "api.list_categories", "api.list_frameworks", "api.get_framework",
})


def reads_from_replica(app: Flask) -> bool:
    """True when the current request may read from the replica."""
    if request.method not in ("GET", "HEAD") or request.endpoint not in REPLICA_ENDPOINTS:
        return False
    cookies = (app.config["SESSION_COOKIE_NAME"], app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    return not any(name in request.cookies for name in cookies)


def install(app: Flask, engine: Any) -> None:
    """Route the eligible requests of ``app`` to ``engine`` (None: no replica)."""
    app.extensions["replica_engine"] = engine


def init_app(app: Flask) -> None:
    """Create the replica engine when configured and choose the database per request."""
    url = app.config.get("DATABASE_REPLICA_URL")
    install(app, db.make_engine(url) if url else None)

    @app.before_request
    def _choose_database() -> None:
        engine = app.extensions.get("replica_engine")
        if engine is not None and reads_from_replica(app):
            db.session.info["replica"] = engine
