"""Flask extensions, created unbound and initialised by ``create_app``."""

from __future__ import annotations

from flask import has_request_context, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from catalogue.core.i18n import TypographicBabel

login_manager = LoginManager()
csrf = CSRFProtect()
babel = TypographicBabel()
migrate = Migrate()
# No default limits: only the routes that need one are limited (login, sign-up, reset, TOTP).
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def select_locale() -> str:
    """``?lang=`` (remembered for the session) first, then the signed-in user's setting, then French.

    The session's choice comes before the account setting so that switching language
    sticks for the rest of the visit, sign-in included (the login keeps it).
    """
    if not has_request_context():
        return "fr"  # the CLI, the clock and jobs speak French, the platform's language
    lang = request.args.get("lang")
    if lang in ("fr", "en"):
        session["lang"] = lang
        return lang
    if session.get("lang") in ("fr", "en"):
        return session["lang"]
    if current_user and current_user.is_authenticated and current_user.locale in ("fr", "en"):
        return current_user.locale
    return "fr"
