"""The publisher's client page: client id, redirect URIs, secret rotation."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalogue import db
from catalogue.accounts.auth import login_required
from catalogue.apps import services as apps
from catalogue.errors import DomainError, NotFound
from catalogue.oauth import queries, services
from catalogue.oauth.forms import RedirectUrisForm, RotateSecretForm
from catalogue.oauth.views import bp
from catalogue.web import commit


def _client_of(app_id: int) -> Any:
    """The app's client (created on first visit); 404 unless the user is a member of its
    publisher and the app has a listing."""
    app = apps.app_for_user(db.session, app_id, current_user)
    listing = apps.listing_of(db.session, app)
    if listing is None:
        raise NotFound(_("Cette application n'est pas référencée : elle n'a pas de client OAuth."))
    return app, listing, services.ensure_client(db.session, app)


def _page(app: Any, listing: Any, client: Any, *, uris_form: RedirectUrisForm | None = None,
          secret: str | None = None, status: int = 200) -> Any:
    if uris_form is None:
        uris_form = RedirectUrisForm(redirect_uris="\n".join(client.redirect_uris or []))
    base = current_app.config["BASE_URL"].rstrip("/")
    return render_template(
        "oauth/client.html", app=app, listing=listing, client=client, uris_form=uris_form,
        secret_form=RotateSecretForm(), secret=secret, usable=queries.client_usable(db.session, client),
        metadata_url=f"{base}/.well-known/oauth-authorization-server",
    ), status


@bp.get("/editeur/applications/<int:app_id>/oauth")
@login_required
def client_page(app_id: int) -> Any:
    app, listing, client = _client_of(app_id)
    commit()  # the client may have just been created
    return _page(app, listing, client)


@bp.post("/editeur/applications/<int:app_id>/oauth/adresses")
@login_required
def set_redirect_uris(app_id: int) -> Any:
    app, listing, client = _client_of(app_id)
    form = RedirectUrisForm()
    if form.validate_on_submit():
        try:
            services.set_redirect_uris(db.session, client, (form.redirect_uris.data or "").splitlines(),
                                       actor=current_user)
        except DomainError as exc:
            db.rollback()
            errors = exc.errors if isinstance(exc.errors, dict) else {}
            form.redirect_uris.errors = [errors.get("redirect_uris", exc.message)]
        else:
            commit()
            flash(_("Adresses de retour enregistrées."), "success")
            return redirect(url_for("oauth.client_page", app_id=app_id))
    return _page(app, listing, client, uris_form=form, status=422)


@bp.post("/editeur/applications/<int:app_id>/oauth/secret")
@login_required
def rotate_secret(app_id: int) -> Any:
    app, listing, client = _client_of(app_id)
    if not RotateSecretForm().validate_on_submit():
        return redirect(url_for("oauth.client_page", app_id=app_id))
    secret = services.rotate_secret(db.session, client, actor=current_user)
    commit()
    # Shown once, on this answer only (never stored in clear, never in a redirect).
    return _page(app, listing, client, secret=secret)
