"""The consent screen (patients): the authorization endpoint of the code flow.

Authlib validates the request (client, exact redirect URI, PKCE, scope within the
agreement); the page shows the app's trust facts and each requested category;
the patient's choice becomes their consent row through the consents service.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from flask import make_response, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from catalogue import db
from catalogue.accounts.auth import login_required
from catalogue.accounts.models import Role
from catalogue.consents import services as consents
from catalogue.errors import DomainError
from catalogue.listings.labels import label
from catalogue.oauth import queries, scopes
from catalogue.oauth.forms import AuthorizeForm
from catalogue.oauth.server import Grantor, authorization
from catalogue.oauth.views import bp
from catalogue.web import CSP, commit

MODE_LABELS = {"read": _l("lecture"), "write": _l("écriture")}


def _error_page(error: OAuth2Error) -> tuple[str, int]:
    """An error that must not go back to the client (unknown client, wrong redirect URI)."""
    return render_template("oauth/error.html", error=error.error,
                           description=error.description or ""), 400


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@login_required
def authorize() -> Any:
    server = authorization()
    me = current_user._get_current_object()
    try:
        grant = server.get_consent_grant(end_user=me)
    except OAuth2Error as error:
        if error.redirect_uri:
            return server.handle_error_response(None, error)
        return _error_page(error)
    client = grant.request.client
    listing = queries.listing_of_client(db.session, client.row)
    pairs = scopes.parse(grant.request.scope) or []
    requested = scopes.categories(pairs)
    if not me.has_role(Role.PATIENT):
        return render_template("oauth/error.html", error="access_denied", description=_(
            "Seul un compte patient peut connecter une application à un espace santé.")), 403
    form = AuthorizeForm()
    form.categories.choices = [SelectChoice(code, label("data_category", code)) for code in requested]
    if form.validate_on_submit():
        if form.deny.data:
            return server.create_authorization_response(grant=grant, grant_user=None)
        chosen = [code for code in requested if code in set(form.categories.data or [])]
        if not chosen:
            form.categories.errors = [_("Cochez au moins une catégorie, ou refusez.")]
        else:
            existing = consents.live_consent(db.session, me, listing.app_id)
            # Categories this request did not ask about keep the patient's earlier answer.
            kept = [c for c in (existing.scopes if existing else []) if c not in requested]
            try:
                consent = consents.grant_consent(db.session, listing, [*kept, *chosen], actor=me)
            except DomainError as exc:
                db.rollback()
                form.categories.errors = [exc.message]
            else:
                granted = Grantor(me, consent, scopes.render(scopes.within(pairs, chosen)))
                response = server.create_authorization_response(grant=grant, grant_user=granted)
                commit()
                return response
    modes = {code: [MODE_LABELS[m] for c, m in pairs if c == code] for code in requested}
    target = urlsplit(grant.redirect_uri or "")
    response = make_response(render_template(
        "oauth/authorize.html", form=form, listing=listing, app=listing.app, modes=modes,
        redirect_host=target.netloc), 422 if form.errors else 200)
    # The answer to this form redirects to the app: the browser must be allowed to follow it
    # (CSP form-action applies to redirects). The URI is one the publisher registered.
    response.headers["Content-Security-Policy"] = CSP.replace(
        "form-action 'self'", f"form-action 'self' {target.scheme}://{target.netloc}")
    return response
