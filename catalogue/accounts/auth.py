"""Flask-side authentication: loading the user from the session, access decorators.

Session keys (the contract every part relies on):
- Flask-Login's ``_user_id`` is ``"<id>:<session_version>"``: bumping the user's
  ``session_version`` (logout, password change) revokes every copy of the cookie;
- ``session["mfa"]`` is True once the second factor was passed in this session;
- ``session["seen"]`` is the epoch second of the last request (idle timeout).
"""

from __future__ import annotations

import functools
import time
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user

from catalogue import db
from catalogue.accounts.models import Role, User
from catalogue.extensions import login_manager
from catalogue.public_urls import base_url

login_manager.login_view = "accounts.login"
login_manager.login_message = lazy_gettext("Connectez-vous pour accéder à cette page.")
login_manager.localize_callback = str
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the user unless the session was revoked, the account closed or idle too long."""
    try:
        raw_id, raw_version = user_id.split(":", 1)
        ident, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    user = db.session.get(User, ident)
    if user is None or not user.is_active or user.erased_at is not None:
        return None
    if user.session_version != version:
        return None
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    seen = session.get("seen")
    current = int(time.time())
    if seen is not None and current - int(seen) > idle:
        # Idle too long: forget everything the session carried, say why on the next page.
        session.clear()
        flash(gettext("Votre session a expiré après %(minutes)s minutes d'inactivité. "
                      "Connectez-vous à nouveau.",
                      minutes=current_app.config["SESSION_IDLE_MINUTES"]), "info")
        return None
    session["seen"] = current
    return user


def second_factor_passed() -> bool:
    """True once the TOTP step (or a recovery code) was passed in this session."""
    return bool(session.get("mfa"))


def safe_next(target: str | None, default: str = "/compte/") -> str:
    """A local path to go to after signing in; anything else (another site) gives ``default``.

    Browsers drop tabs and line breaks from URLs and read a backslash as a slash, so
    ``/%09/evil.example/`` (a tab once decoded) or ``/%5Cevil.example`` would leave the
    site: any control character, space, backslash, scheme or authority is refused, and
    the path must resolve to ``BASE_URL``'s own origin.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    # Categories C* (controls, format characters such as zero-width spaces) and Z* (spaces).
    if "\\" in target or any(unicodedata.category(ch)[0] in "CZ" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    base = urlsplit(base_url() + "/")
    resolved = urlsplit(urljoin(base.geturl(), target))
    if (resolved.scheme, resolved.netloc) != (base.scheme, base.netloc):
        return default
    return target


def rate_limit_key() -> str:
    """Per signed-in user where known (TOTP step), else per client address. The user is named
    by address, not by row id: ids restart with a new database while the counters live in a
    shared Redis, so an id could inherit another deployment's (or test run's) attempts."""
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.email}"
    return request.remote_addr or "unknown"


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed in; users whose roles need a second factor must have passed it."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.needs_second_factor and not second_factor_passed():
            # full_path ends with "?" when there is no query: keep the plain path then.
            return redirect(url_for("accounts.second_factor", next=request.full_path.rstrip("?")))
        if current_user.email_verified_at is None and not getattr(view, "allows_unverified", False):
            # Sign-up promised that no account is active before its address is confirmed.
            return redirect(url_for("accounts.confirm_pending"))
        return view(*args, **kwargs)

    return wrapped


def allows_unverified(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view an account whose e-mail address is not confirmed yet may reach
    (placed under ``login_required``): the confirmation page and the link resend."""
    view.allows_unverified = True  # type: ignore[attr-defined]
    return view


def roles_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Signed in with a second factor where needed, and holding one of ``roles`` (else 403)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
