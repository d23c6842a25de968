"""Settings, declared once: name, type, default, environment variable.

Every setting the application reads is declared in ``SETTINGS``. ``load_config``
reads the environment (or an explicit mapping, for tests), converts each value
to its type and stops the start with a message naming the variable when a value
is malformed. Nothing else in the code reads ``os.environ``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

ENVIRONMENTS = ("development", "test", "production")


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def _positive_int(raw: str) -> int:
    value = int(raw.strip())
    if value <= 0:
        raise ValueError("expected a positive integer")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw.strip())
    if value < 0:
        raise ValueError("expected 0 or a positive integer")
    return value


def _optional_positive_int(raw: str) -> int | None:
    return _positive_int(raw) if raw.strip() else None


def _environment(raw: str) -> str:
    value = raw.strip().lower()
    if value not in ENVIRONMENTS:
        raise ValueError(f"expected one of {', '.join(ENVIRONMENTS)}")
    return value


def _url(*schemes: str, optional: bool = False) -> Callable[[str], str | None]:
    def parse(raw: str) -> str | None:
        value = raw.strip()
        if not value and optional:
            return None
        scheme = urlparse(value).scheme.split("+")[0]
        if scheme not in schemes:
            raise ValueError(f"expected a URL starting with {' or '.join(s + '://' for s in schemes)}")
        return value

    return parse


def _str(raw: str) -> str:
    return raw


def _hosts(raw: str) -> list[str] | None:
    hosts = [h.strip().lower() for h in raw.split(",") if h.strip()]
    for host in hosts:
        if "/" in host or (":" in host and not host.startswith("[")):
            raise ValueError("expected host names separated by commas, without scheme or port")
    return hosts or None


@dataclass(frozen=True)
class Setting:
    """One declared setting: ``env`` is the environment variable that sets it."""

    name: str
    parse: Callable[[str], Any]
    default: Any
    help: str

    @property
    def env(self) -> str:
        return self.name


SETTINGS: tuple[Setting, ...] = (
    Setting("CATALOGUE_ENV", _environment, "development",
            "development, test or production"),
    Setting("SECRET_KEY", _str, None,
            "signs sessions and links; required outside development and tests"),
    Setting("AUDIT_HMAC_KEY", _str, None,
            "keys the audit chain (HMAC-SHA256); kept outside the database, required in "
            "production; default outside production: derived from SECRET_KEY"),
    Setting("DATABASE_URL", _url("sqlite", "postgresql"), None,
            "SQLAlchemy URL; default SQLite in instance/"),
    Setting("DATABASE_REPLICA_URL", _url("sqlite", "postgresql", optional=True), None,
            "optional read replica: anonymous catalogue reads (pages, API, exports) go there"),
    Setting("REDIS_URL", _url("redis", "rediss", optional=True), None,
            "optional: shared rate limits, cache version and the job queue"),
    Setting("JOBS_ON_REDIS", _bool, True,
            "with REDIS_URL, jobs go to the RQ queue (run by `flask jobs worker`); off: in-process"),
    Setting("REDIS_NAMESPACE", _str, "catalogue",
            "prefix of this deployment's rate-limit and lock-out keys in a shared Redis"),
    Setting("JOBS_QUEUE", _str, "catalogue", "name of the RQ queue (one per deployment sharing a Redis)"),
    Setting("STORAGE_URL", _url("file", "s3"), None,
            "file://… (default instance/evidence) or s3://bucket/prefix"),
    Setting("MAIL_URL", _url("smtp", "smtps", optional=True), None,
            "smtp://user:password@host:port; default: the outbox table"),
    Setting("MAIL_FROM", _str, "Catalogue ENS <ne-pas-repondre@catalogue-ens.fr>",
            "sender of e-mails"),
    Setting("BASE_URL", _url("http", "https"), "http://127.0.0.1:5000",
            "public address: every absolute URL (e-mails, API, feed, exports) starts with it, "
            "never with the request's Host"),
    Setting("TRUSTED_HOSTS", _hosts, None,
            "host names accepted in the Host header, comma-separated (.example.fr for its "
            "subdomains); any other answers 400. Default: the host of BASE_URL (plus localhost "
            "and 127.0.0.1 outside production)"),
    Setting("REVIEW_DAYS", _positive_int, 60, "review clock, calendar days"),
    Setting("INFO_RESPONSE_DAYS", _positive_int, 30, "days to answer an information request"),
    Setting("LISTING_VALIDITY_DAYS", _positive_int, 1095, "validity of a listing, days"),
    Setting("REMINDER_DAYS", _positive_int, 7, "reminders are sent this many days before a deadline"),
    Setting("ADMISSIBILITY_DAYS", _positive_int, 15,
            "target for the admissibility check after submission, days (shown to the publisher)"),
    Setting("DECISION_DAYS", _positive_int, 30,
            "target for the State's decision after the opinion, days (shown to the publisher)"),
    Setting("AGREEMENT_DAYS", _positive_int, 30,
            "time to sign the agreement after a referencing decision, days (shown)"),
    Setting("QUORUM", _optional_positive_int, None,
            "members present needed to vote; default a majority of sitting members"),
    Setting("UPLOAD_MAX_MB", _positive_int, 20, "largest accepted upload, MiB"),
    Setting("SESSION_IDLE_MINUTES", _positive_int, 30, "idle timeout of a signed-in session"),
    Setting("LOG_LEVEL", _str, "INFO", "logging level"),
    Setting("PUBLIC_CACHE", _bool, None,
            "answer anonymous catalogue requests from a per-process cache; default on, off in tests"),
    Setting("PROXY_HOPS", _non_negative_int, 0,
            "reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted"),
    Setting("OAUTH_ACCESS_TOKEN_SECONDS", _positive_int, 600,
            "lifetime of an access token issued to a referenced app"),
    Setting("OAUTH_REFRESH_TOKEN_DAYS", _positive_int, 30,
            "lifetime of a refresh token (each use rotates it)"),
    Setting("OAUTH_TOKEN_RATE_LIMIT", _str, "30 per minute",
            "rate limit of the token endpoint per client address (Flask-Limiter syntax)"),
    Setting("OIDC_PSC_ISSUER", _url("http", "https", optional=True), None,
            "Pro Santé Connect issuer URL (sign-in of commission members); unset: not offered"),
    Setting("OIDC_PSC_CLIENT_ID", _str, "", "client id registered with Pro Santé Connect"),
    Setting("OIDC_PSC_CLIENT_SECRET", _str, "", "client secret of Pro Santé Connect"),
    Setting("OIDC_PSC_SCOPE", _str, "openid scope_all", "scopes asked of Pro Santé Connect"),
    Setting("OIDC_FC_ISSUER", _url("http", "https", optional=True), None,
            "FranceConnect issuer URL (sign-in of patients); unset: not offered"),
    Setting("OIDC_FC_CLIENT_ID", _str, "", "client id registered with FranceConnect"),
    Setting("OIDC_FC_CLIENT_SECRET", _str, "", "client secret of FranceConnect"),
    Setting("OIDC_FC_SCOPE", _str, "openid email given_name family_name",
            "scopes asked of FranceConnect"),
    Setting("OIDC_MFA_ACR_VALUES", _str, "eidas2,eidas3",
            "acr values (comma-separated) that count as a second factor asserted by the provider"),
)


def _instance_secret_key() -> str:
    """Development only: a key generated once into instance/ and reused across restarts."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every declared setting and derive the Flask configuration.

    Raises ``ConfigError`` naming the variable when a value is malformed or a
    required one is missing.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env)
        if raw is None or (raw == "" and setting.default is not None):
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{setting.env}={raw!r} is not valid: {exc}") from None

    env = values["CATALOGUE_ENV"]
    if not values["SECRET_KEY"]:
        if env == "production":
            raise ConfigError("SECRET_KEY must be set in production")
        values["SECRET_KEY"] = (
            "test-secret-key-not-for-production" if env == "test" else _instance_secret_key()
        )
    if not values["AUDIT_HMAC_KEY"]:
        if env == "production":
            raise ConfigError("AUDIT_HMAC_KEY must be set in production (it keys the audit chain)")
        values["AUDIT_HMAC_KEY"] = hmac.new(values["SECRET_KEY"].encode(), b"catalogue-audit-chain",
                                            hashlib.sha256).hexdigest()
    if not values["DATABASE_URL"]:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        values["DATABASE_URL"] = f"sqlite:///{INSTANCE_DIR / 'catalogue.sqlite'}"
    if not values["STORAGE_URL"]:
        values["STORAGE_URL"] = f"file://{INSTANCE_DIR / 'evidence'}"

    if not values["TRUSTED_HOSTS"]:
        base_host = (urlparse(values["BASE_URL"]).hostname or "").lower()
        extra = [] if env == "production" else ["localhost", "127.0.0.1"]
        values["TRUSTED_HOSTS"] = list(dict.fromkeys([base_host, *extra]))
    if values["PUBLIC_CACHE"] is None:
        values["PUBLIC_CACHE"] = env != "test"
    secure = env == "production"
    values.update(
        TESTING=env == "test",
        DEBUG=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=secure,
        SESSION_COOKIE_NAME="ens_session",
        MAX_CONTENT_LENGTH=values["UPLOAD_MAX_MB"] * 1024 * 1024 + 64 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="fr",
        BABEL_SUPPORTED_LOCALES=("fr", "en"),
        BABEL_DEFAULT_TIMEZONE="Europe/Paris",
        HSTS=secure,
        ARGON2_CHEAP=env == "test",
        RATELIMIT_STORAGE_URI=values["REDIS_URL"] or "memory://",
        RATELIMIT_KEY_PREFIX=values["REDIS_NAMESPACE"],
    )
    return values
