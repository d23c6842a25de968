"""Flask extensions, created unbound and initialised by ``create_app``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from flask import Flask, Response, current_app, has_request_context, request, session
from flask.globals import request_ctx
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_login.config import COOKIE_NAME
from flask_login.signals import user_accessed
from flask_wtf.csrf import CSRFProtect

from catalogue.core.i18n import TypographicBabel


class RouteLimiter(Limiter):
    """Flask-Limiter, whose per-request hooks only work where a limit may apply.

    Only a few routes carry a limit (a decorator on the view, checked when the view runs).
    Flask-Limiter's ``before_request`` still resolves the limits of every request, and its
    ``after_request`` and ``teardown_request`` build a per-request context to find them
    empty: a tenth of a public page's CPU. Here the ``before_request`` check runs only
    when a limit could apply at that stage (application, default, blueprint or meta
    limits, the in-memory fallback after a storage failure, or a limited callable that
    has run inside this endpoint), and the two later hooks only when a check ran during
    the request (it left its context on the request). Every limit applies as before.
    """

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        after = app.after_request_funcs.get(None, [])
        after[:] = [_after_if_checked(hook) if self._is_own_hook(hook) else hook for hook in after]
        teardown = app.teardown_request_funcs.get(None, [])
        teardown[:] = [_teardown_if_checked(hook) if self._is_own_hook(hook) else hook for hook in teardown]

    def _is_own_hook(self, hook: Any) -> bool:
        # Its after_request hook is a partial bound to this limiter, its teardown a method.
        return getattr(hook, "args", None) == (self,) or getattr(hook, "__self__", None) is self

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware and not self._middleware_may_limit():
            return
        super()._check_request_limit(callable_name, in_middleware)

    def _middleware_may_limit(self) -> bool:
        manager = self.limit_manager
        return bool(manager.application_limits or manager.default_limits
                    or manager._blueprint_limits or self._meta_limits or self._storage_dead
                    or manager.has_hints(request.endpoint or ""))


def _limit_checked() -> bool:
    """Whether a limit check ran in this request (Flask-Limiter keeps its state there)."""
    return hasattr(request_ctx, "_limiter_request_context")


def _after_if_checked(hook: Callable[[Any], Any]) -> Callable[[Response], Response]:
    def inject_limit_headers(response: Response) -> Response:
        return cast(Response, hook(response)) if _limit_checked() else response

    return inject_limit_headers


def _teardown_if_checked(hook: Callable[[Any], Any]) -> Callable[[BaseException | None], None]:
    def release_limit_context(exc: BaseException | None) -> None:
        if _limit_checked():
            hook(exc)

    return release_limit_context


class SessionLoginManager(LoginManager):  # type: ignore[misc]  # Flask-Login is untyped
    """Flask-Login, which settles at once that a visitor with an empty session and no
    remember cookie is anonymous (most public requests), where Flask-Login first digests
    the client's address and agent for its session protection and then looks for a user
    in each place one could come from. Same signal, same session read (so the answer
    still varies on Cookie), same anonymous user."""

    def _load_user(self) -> Any:
        cookie_name = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
        if (session or cookie_name in request.cookies or self._request_callback is not None
                or self._header_callback is not None):
            return super()._load_user()
        user_accessed.send(current_app._get_current_object())  # type: ignore[attr-defined]
        session.get("_user_id")
        return self._update_request_context_with_user()


login_manager = SessionLoginManager()
csrf = CSRFProtect()
babel = TypographicBabel()
# No default limits: only the routes that need one are limited (login, sign-up, reset, TOTP).
limiter = RouteLimiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


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
