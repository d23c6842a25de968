"""Catalogue ENS: the referencing platform of health apps for Mon Espace Santé."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent

# Domains with a blueprint (``<domain>/views.py`` exposing ``bp``) and, optionally,
# a command group (``<domain>/cli.py`` exposing ``cli``). Order = URL precedence.
DOMAINS = (
    "accounts", "admin", "publishers", "apps", "dossiers", "commission", "frameworks",
    "listings", "consents", "oauth", "fhir", "api", "demo", "audit", "search", "core",
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application. ``config`` overrides the environment (tests)."""
    from catalogue import db, web
    from catalogue.accounts import auth, passwords  # noqa: F401 - auth registers the user loader
    from catalogue.extensions import babel, csrf, limiter, login_manager, migrate, select_locale
    from catalogue.notifications import services as notifications
    from catalogue.storage import services as storage
    from config import load_config

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
        instance_path=str(ROOT / "instance"),
    )
    settings = load_config()
    if config:
        # Explicit overrides are already typed values; environment parsing stays the source.
        settings = load_config({**_environ_strings(config)}) | config
    app.config.update(settings)

    logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(message)s")

    passwords.configure(cheap=app.config["ARGON2_CHEAP"])
    engine = db.make_engine(app.config["DATABASE_URL"])
    app.extensions["engine"] = engine
    db.configure_engine(app.config.get("DB_BIND") or engine)
    db.import_all_models()

    storage.configure(storage.storage_from_url(app.config["STORAGE_URL"]))
    notifications.configure(
        notifications.Mailer(app.config["MAIL_URL"], app.config["MAIL_FROM"], app.config["BASE_URL"])
    )

    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(ROOT / "translations"))
    app.config["RATELIMIT_ENABLED"] = app.config.get("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    login_manager.init_app(app)
    migrate.init_app(app, db=_MigrateDB(), directory=str(ROOT / "migrations"))

    if app.config["PROXY_HOPS"]:
        # Behind a load balancer: client address (rate limits, audit) and scheme from its headers.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    web.init_app(app)
    for domain in DOMAINS:
        _register_domain(app, domain)
    if app.config["PUBLIC_CACHE"]:
        from catalogue.listings.public_cache import PublicCache

        app.wsgi_app = PublicCache(app)  # type: ignore[method-assign]
    return app


class _MigrateDB:
    """What Flask-Migrate needs of a database object: the metadata."""

    @property
    def metadata(self):
        from catalogue.db import Base

        return Base.metadata


def _environ_strings(config: dict[str, Any]) -> dict[str, str]:
    import os

    env = dict(os.environ)
    for key, value in config.items():
        if isinstance(value, str):
            env[key] = value
    return env


def _register_domain(app: Flask, domain: str) -> None:
    for module_name, attr in (("views", "bp"), ("cli", "cli")):
        try:
            module = importlib.import_module(f"catalogue.{domain}.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name in (f"catalogue.{domain}", f"catalogue.{domain}.{module_name}"):
                continue
            raise
        obj = getattr(module, attr, None)
        if obj is None:
            continue
        if attr == "bp":
            app.register_blueprint(obj)
        else:
            app.cli.add_command(obj)
