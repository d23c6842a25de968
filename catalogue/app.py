"""The application factory: settings, database, storage, mail, extensions, blueprints."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import catalogue.models  # noqa: F401 - every mapper, so the metadata is complete
from catalogue import db, replica, web
from catalogue import settings as settings_module
from catalogue.accounts import auth, passwords  # noqa: F401 - auth registers the user loader
from catalogue.accounts import cli as accounts_cli
from catalogue.accounts import views as accounts_views
from catalogue.admin import views as admin_views
from catalogue.api import views as api_views
from catalogue.apps import views as apps_views
from catalogue.audit import cli as audit_cli
from catalogue.audit import services as audit
from catalogue.commission import cli as commission_cli
from catalogue.commission.views import bp as commission_bp
from catalogue.commission.views import dossiers as _commission_dossiers  # noqa: F401 - registers its routes
from catalogue.commission.views import interests as _commission_interests  # noqa: F401 - registers its routes
from catalogue.commission.views import sessions as _commission_sessions  # noqa: F401 - registers its routes
from catalogue.consents import views as consents_views
from catalogue.core import migrations, templating, work_views
from catalogue.core import views as core_views
from catalogue.demo import cli as demo_cli
from catalogue.dossiers import proposal_views
from catalogue.dossiers import views as dossiers_views
from catalogue.extensions import babel, csrf, limiter, login_manager, select_locale
from catalogue.fhir import views as fhir_views
from catalogue.frameworks import cli as frameworks_cli
from catalogue.frameworks import views as frameworks_views
from catalogue.jobs import cli as jobs_cli
from catalogue.jobs import queue as jobs
from catalogue.jobs import views as jobs_views
from catalogue.listings import version_token
from catalogue.listings.public_cache import PublicCache
from catalogue.listings.views import public as listings_public
from catalogue.listings.views import staff as listings_staff
from catalogue.listings.views import waves as wave_views
from catalogue.notifications import services as notifications
from catalogue.oauth.views import bp as oauth_bp
from catalogue.oauth.views import consent as _oauth_consent  # noqa: F401 - registers its routes
from catalogue.oauth.views import endpoints as _oauth_endpoints  # noqa: F401 - registers its routes
from catalogue.oauth.views import publisher as _oauth_publisher  # noqa: F401 - registers its routes
from catalogue.oauth.views import resource as _oauth_resource  # noqa: F401 - registers its routes
from catalogue.public_urls import TrustedHosts
from catalogue.publishers.views import publisher as publishers_space
from catalogue.publishers.views import staff as publishers_staff
from catalogue.search import cli as search_cli
from catalogue.storage import services as storage
from config import load_config

ROOT = Path(__file__).resolve().parent.parent

# Registration order is URL precedence.
BLUEPRINTS = (
    accounts_views.bp, admin_views.bp, publishers_space.bp, apps_views.bp, dossiers_views.bp,
    commission_bp, publishers_staff.bp, listings_staff.bp, frameworks_views.bp, listings_public.bp,
    consents_views.bp, oauth_bp, fhir_views.bp, api_views.bp, jobs_views.bp, core_views.bp, work_views.bp,
    proposal_views.bp, wave_views.bp,
)
COMMANDS = (
    accounts_cli.cli, commission_cli.cli, frameworks_cli.cli, demo_cli.cli, audit_cli.cli,
    search_cli.cli, jobs_cli.cli,
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application. ``config`` overrides the environment (tests)."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
        instance_path=str(ROOT / "instance"),
    )
    app.cli = migrations.CommandLine(app)
    settings = load_config()
    if config:
        # Explicit overrides are already typed values; environment parsing stays the source.
        settings = load_config({**_environ_strings(config)}) | config
    app.config.update(settings)

    logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(message)s")

    engine = db.make_engine(app.config["DATABASE_URL"])
    app.extensions["engine"] = engine
    db.configure_engine(app.config.get("DB_BIND") or engine)
    activate(app)

    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(ROOT / "translations"))
    app.config["RATELIMIT_ENABLED"] = app.config.get("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    login_manager.init_app(app)

    web.init_app(app)
    templating.install(app)
    replica.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    for group in COMMANDS:
        app.cli.add_command(group)
    token = version_token.from_settings(engine, app.config["REDIS_URL"], app.config["DATABASE_URL"])
    version_token.configure(token)
    if app.config["PUBLIC_CACHE"]:
        app.wsgi_app = PublicCache(app, version_reader=token.read)  # type: ignore[method-assign]
    app.wsgi_app = TrustedHosts(app.wsgi_app, app.config["TRUSTED_HOSTS"])  # type: ignore[method-assign]
    # Outermost, so that the public cache checks the forwarded Host too.
    if app.config["PROXY_HOPS"]:
        # Behind a load balancer: client address (rate limits, audit) and scheme from its headers.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app


def activate(app: Flask) -> None:
    """Make ``app``'s settings and services the process's: what the rules read (settings),
    how passwords are hashed, the audit key, the storage and the mailer. ``create_app``
    calls it; a process that built several applications (the tests) calls it to switch."""
    passwords.configure(cheap=app.config["ARGON2_CHEAP"])
    settings_module.configure(app.config)
    audit.configure(app.config["AUDIT_HMAC_KEY"])
    storage.configure(storage.storage_from_url(app.config["STORAGE_URL"]))
    notifications.configure(
        notifications.Mailer(app.config["MAIL_URL"], app.config["MAIL_FROM"], app.config["BASE_URL"])
    )
    jobs.configure(jobs.Jobs(app.config["REDIS_URL"] if app.config["JOBS_ON_REDIS"] else None,
                             app.config["JOBS_QUEUE"]))


def _environ_strings(config: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in config.items():
        if isinstance(value, str):
            env[key] = value
    return env
