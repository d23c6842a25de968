"""Request plumbing shared by every blueprint: request ids and logs, security
headers, caching rules, error pages and problem+json, and the commit helper."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from flask import Flask, Request, Response, flash, g, jsonify, redirect, render_template, request, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError
from werkzeug.security import safe_join

from catalogue import db
from catalogue.accounts.auth import safe_next
from catalogue.accounts.models import COMMISSION_ROLES, Role
from catalogue.audit import services as audit
from catalogue.errors import DomainError
from catalogue.publishers.models import Membership

log = logging.getLogger("catalogue.request")

PROBLEM_JSON = "application/problem+json"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# Sent with every answer unless the view set its own; (lower-case name, name, value).
_SECURITY_HEADERS = tuple((name.lower(), name, value) for name, value in (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
))
_HSTS = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")


def is_api_request() -> bool:
    """Answers under /api/ speak JSON, errors included."""
    return request.path.startswith("/api/")


def problem(
    status: int, title: str, detail: str = "", *, errors: Any = None, type_: str = "about:blank"
) -> Response:
    """An RFC 9457 problem+json answer."""
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


def commit() -> None:
    """Commit the request's transaction and run what waits for the commit (e-mails)."""
    db.commit()


def attempt(action: Callable[[], object], success: str) -> bool:
    """Run one service call for a posted form: commit and flash ``success``, or roll
    back and flash the rule's French reason. Returns whether the action went through."""
    try:
        action()
    except DomainError as exc:
        db.rollback()
        flash(exc.message, "danger")
        return False
    commit()
    flash(success, "success")
    return True


def act(action: Callable[[], object], success: str, to: str | Callable[[], str], *,
        failed_to: str | None = None) -> Response:
    """The one way a view runs a posted action: ``attempt`` it, then redirect to ``to`` (or,
    when refused, to ``failed_to`` if given, so the user lands on the form they came from).
    ``to`` may be a function, for a page that only exists once the action is done."""
    if not attempt(action, success):
        return redirect(failed_to or (to if isinstance(to, str) else "/"))
    return redirect(to if isinstance(to, str) else to())


def apply_form(form: FlaskForm, action: Callable[[], object], success: str, *,
               field: str | None = None,
               recorded_refusals: tuple[type[DomainError], ...] = ()) -> bool:
    """For a page that shows its form again when refused: run the service, commit and flash
    ``success`` (none when empty: a view that clears the session flashes after); or roll back
    and put the rule's reason on the fields it names. A reason that names none of the form's
    fields goes on ``field`` when given, else on the form as a whole. Returns whether the
    action went through.

    ``recorded_refusals`` are refusals that record something worth keeping (a request sent
    to the secretariat instead): their transaction is committed, not rolled back."""
    try:
        action()
    except DomainError as exc:
        if isinstance(exc, recorded_refusals):
            commit()
        else:
            db.rollback()
        place_errors(form, exc, field)
        return False
    commit()
    if success:
        flash(success, "success")
    return True


def place_errors(form: FlaskForm, exc: DomainError, default: str | None) -> None:
    """Put a refused rule's reasons on the fields it names; the rest on ``default`` when given,
    else on the form as a whole."""
    named = exc.errors if isinstance(exc.errors, dict) else {}
    # A rule names a field by its input name ("verdict-12") or its attribute name.
    fields = {f.name: f for f in form} | dict(form._fields)
    placed, unplaced = False, []
    for name, message in named.items():
        if name in fields:
            fields[name].errors = [*fields[name].errors, message]
            placed = True
        else:
            unplaced.append(message)
    if default is not None:
        fallback = fields[default]
        fallback.errors = [*fallback.errors, *(unplaced if named else [exc.message])]
    elif not placed:
        form.form_errors.append(exc.message)
        if isinstance(exc.errors, list | tuple):
            form.form_errors.extend(str(e) for e in exc.errors)


def error_messages(form: FlaskForm, general: str = "form") -> dict[str, str]:
    """The form's first error per input name (and the form's own under ``general``), as the
    pages list them above the form and beside each field."""
    messages = {field.name: str(field.errors[0]) for field in form if field.errors}
    if form.form_errors:
        messages[general] = str(form.form_errors[0])
    return messages


_TITLES = {
    400: _l("Requête invalide"),
    403: _l("Accès refusé"),
    404: _l("Page introuvable"),
    405: _l("Méthode non autorisée"),
    409: _l("Conflit"),
    413: _l("Fichier trop volumineux"),
    422: _l("Données invalides"),
    429: _l("Trop de tentatives"),
    500: _l("Erreur interne"),
    503: _l("Service indisponible"),
}


def error_response(status: int, detail: str = "", errors: Any = None) -> Response:
    """The error answer in the form the client speaks: problem+json under /api/, a page elsewhere."""
    # Titles are lazy translations: French by default, English with ?lang=en.
    title = str(_TITLES.get(status, _l("Erreur")))
    detail = str(detail)
    if is_api_request():
        return problem(status, title, detail, errors=errors)
    template = f"errors/{status}.html" if status in (403, 404, 429, 500) else "errors/error.html"
    html = render_template(template, status=status, title=title, detail=detail)
    return Response(html, status=status, mimetype="text/html")


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, whose signing serializer is built only when there is
    a cookie to read: most public requests carry none, and Flask builds it for every one."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


# A static URL carries its file's fingerprint (``?v=``): that URL's answer never changes, so
# browsers keep it a year and do not ask again on every page (a signed-in page used to fetch
# 240 KB of style sheets each time); a new file is a new URL.
STATIC_IMMUTABLE = "public, max-age=31536000, immutable"


class StaticVersions:
    """The fingerprint of each static file, read once per process (on every call in debug
    mode, where files change under a running server)."""

    def __init__(self, folder: str, *, remember: bool) -> None:
        self.folder = folder
        self.remember = remember
        self._known: dict[str, str | None] = {}

    def __call__(self, filename: str) -> str | None:
        """The first 12 hex digits of the file's SHA-256; None when there is no such file."""
        if filename in self._known:
            return self._known[filename]
        path = safe_join(self.folder, filename)
        try:
            with open(path or "", "rb") as file:
                version: str | None = hashlib.file_digest(file, "sha256").hexdigest()[:12]
        except OSError:
            version = None
        if self.remember:
            self._known[filename] = version
        return version


def _static_cache_control(versions: StaticVersions) -> str:
    """A fingerprinted URL of the current file is kept a year; any other static answer is
    revalidated (public files: never ``no-store``, whoever asks)."""
    asked = request.args.get("v")
    filename = (request.view_args or {}).get("filename")
    if asked and filename and asked == versions(filename):
        return STATIC_IMMUTABLE
    return "no-cache"


def init_app(app: Flask) -> None:
    """Install the hooks and error handlers on the application."""
    app.session_interface = CookieSessionInterface()
    install_template_helpers(app)
    versions = StaticVersions(app.static_folder or "", remember=not app.debug)

    @app.url_defaults
    def _fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "v" not in values:
            version = versions(values.get("filename", ""))
            if version:
                values["v"] = version

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()
        audit.client_ip.set(request.remote_addr)

    @app.after_request
    def _finish(response: Response) -> Response:
        headers = response.headers
        present = {name.lower() for name, _value in headers.items()}
        headers.extend([(name, value) for lower, name, value in _SECURITY_HEADERS if lower not in present])
        if app.config.get("HSTS") and "strict-transport-security" not in present:
            headers.add(*_HSTS)
        static = request.endpoint == "static"
        # Once: each use of the proxy looks the user up again. A static file is the same for
        # everyone: no lookup.
        user = None if static else current_user._get_current_object()
        signed_in = bool(user and user.is_authenticated)
        if static:
            headers["Cache-Control"] = _static_cache_control(versions)
        elif signed_in:
            # Nothing behind a login may sit in a shared cache.
            headers["Cache-Control"] = "no-store"
            headers.setdefault("Vary", "Cookie")
        elif "cache-control" not in present:
            headers["Cache-Control"] = "no-store" if request.method != "GET" else "no-cache"
        request_id = g.get("request_id")
        headers["X-Request-ID"] = "" if request_id is None else request_id
        if log.isEnabledFor(logging.INFO):
            elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
            log.info(
                # The path as a JSON string: a CR/LF typed in the URL cannot start a forged line.
                "request_id=%s user=%s method=%s path=%s status=%s duration_ms=%.1f",
                request_id, user.id if user and signed_in else "-", request.method, json.dumps(request.path),
                response.status_code,
                elapsed,
            )
        return response

    @app.teardown_request
    def _teardown(_exc: BaseException | None) -> None:
        db.rollback()
        db.session.remove()

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        db.rollback()
        status = exc.code or 500
        detail = ""
        if status == 429:
            detail = _l("Trop de tentatives. Patientez quelques minutes avant de réessayer.")
        elif status == 413:
            detail = _l("Le fichier dépasse la taille maximale de %(n)s Mo.", n=app.config["UPLOAD_MAX_MB"])
        elif status == 400 and getattr(exc, "description", "").startswith("The CSRF"):
            detail = _l("Le formulaire a expiré ou n'est pas authentique. Rechargez la page et réessayez.")
        elif status in (400, 409, 422) and exc.description and not exc.description.startswith("The "):
            detail = exc.description
        response = error_response(status, detail)
        if isinstance(exc, HTTPException) and exc.response is None:
            for key, value in exc.get_headers():
                if key.lower() in ("allow", "retry-after"):
                    response.headers[key] = value
        return response

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError) -> Response:
        db.rollback()
        return error_response(exc.status, exc.message, exc.errors)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        db.rollback()
        log.exception("unhandled error request_id=%s", g.get("request_id"))
        return error_response(500, _l("Une erreur inattendue est survenue. Elle a été enregistrée."))


def _main_nav() -> list[dict[str, Any]]:
    """Navigation entries for the current user's roles (templates only present them)."""
    items = [("/catalogue", _("Catalogue")), ("/referentiels", _("Référentiels")),
             ("/statistiques", _("Statistiques"))]
    if current_user.is_authenticated:
        items.insert(0, ("/travail", _("Mon travail")))
        is_publisher = db.session.scalar(
            select(Membership.id).where(Membership.user_id == current_user.id).limit(1)
        )
        if is_publisher:
            items.append(("/editeur/", _("Espace éditeur")))
        if current_user.role_set & COMMISSION_ROLES:
            items.append(("/commission/", _("Commission")))
        if current_user.has_role(Role.ADMIN):
            items.append(("/admin/", _("Administration")))
    path = request.path
    return [
        {"href": href, "label": label,
         "active": path == href or (href != "/" and path.startswith(href.rstrip("/") + "/"))
         or path == href.rstrip("/")}
        for href, label in items
    ]


def install_template_helpers(app: Flask) -> None:
    """The navigation, the locale and the language links, for every template."""

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        return {"main_nav": _main_nav, "current_locale": lambda: str(get_locale() or "fr"),
                "lang_url": _lang_url}


def _lang_url(lang: str) -> str:
    """The current page in another language, keeping its query (filters, search).

    Built from the matched route and its arguments, never from the raw path: a path such
    as ``/%5Cevil.example/`` (a backslash, read as ``/`` by browsers) must not turn the
    language link into a link to another site.
    """
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    args.append(("lang", lang))
    path = None
    if request.endpoint and request.endpoint != "static":
        try:
            path = url_for(request.endpoint, **(request.view_args or {}))
        except BuildError:
            path = None
    if path is None:  # no route matched (error page): the quoted path, if it stays here
        path = safe_next(quote(request.path, safe="/-_.~"), default="/")
    return f"{path}?{urlencode(args)}"
