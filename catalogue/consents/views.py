"""The patient's space: connected apps (consents) and their history, connecting an
app from its listing, revoking, exporting one's data, deleting one's account, and
following one's reports."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from wtforms.fields.choices import SelectChoice

from catalogue import db
from catalogue.accounts.auth import login_required
from catalogue.accounts.passwords import verify_password
from catalogue.clock import now
from catalogue.consents import services
from catalogue.consents.forms import ConsentForm, DeleteAccountForm, ExportForm, RevokeForm
from catalogue.errors import DomainError, NotFound
from catalogue.listings import queries
from catalogue.listings.labels import label
from catalogue.listings.models import ListingState
from catalogue.listings.services import reports_of
from catalogue.web import commit

bp = Blueprint("consents", __name__, url_prefix="/compte")


def _me() -> Any:
    return current_user._get_current_object()


@bp.get("/connexions")
@login_required
def connections() -> str:
    """Connected apps, with what each may use, and the history of grants and revocations."""
    me = _me()
    return render_template(
        "consents/connections.html", consents=services.consents_of(db.session, me),
        history=services.history_of(db.session, me), revoke_form=RevokeForm(),
    )


@bp.route("/connexions/nouvelle/<slug>", methods=["GET", "POST"])
@login_required
def connect(slug: str) -> Any:
    """The consent screen: each data category the listing declares, granted one by one."""
    listing = queries.public_listing(db.session, slug)
    if listing is None:
        raise NotFound(_("Cette application n'est pas au catalogue."))
    me = _me()
    existing = services.live_consent(db.session, me, listing.app_id)
    form = ConsentForm()
    form.scopes.choices = [SelectChoice(code, label("data_category", code))
                           for code in queries.decided_profile(db.session, listing).data_categories]
    if existing is not None and not form.is_submitted():
        form.scopes.data = list(existing.scopes)
    available = listing.state == ListingState.PUBLISHED and bool(form.scopes.choices)
    if available and form.validate_on_submit():
        try:
            services.grant_consent(db.session, listing, form.scopes.data, actor=me)
        except DomainError as exc:
            db.rollback()
            form.scopes.errors = [*form.scopes.errors,
                                  *(exc.errors.values() if isinstance(exc.errors, dict)
                                    else [exc.message])]
        else:
            commit()
            flash(_("« %(name)s » est connectée à votre espace santé.", name=listing.app.name),
                  "success")
            return redirect(url_for("consents.connections"))
    status = 422 if form.errors else 200
    return render_template("consents/connect.html", form=form, listing=listing, app=listing.app,
                           existing=existing, available=available), status


@bp.post("/connexions/<int:consent_id>/revoquer")
@login_required
def revoke(consent_id: int) -> Any:
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    me = _me()
    consent = services.consent_for_patient(db.session, consent_id, me)
    services.revoke_consent(db.session, consent, actor=me)
    commit()
    flash(_("La connexion de « %(name)s » est révoquée : elle n'a plus accès à vos données.",
            name=consent.app.name), "success")
    return redirect(url_for("consents.connections"))


@bp.route("/export", methods=["GET", "POST"])
@login_required
def export() -> Any:
    """What the export holds (GET) and the JSON download itself (POST, audited)."""
    form = ExportForm()
    if form.validate_on_submit():
        data = services.export_account(db.session, _me())
        commit()
        response = Response(json.dumps(data, ensure_ascii=False, indent=2),
                            mimetype="application/json")
        stamp = now().strftime("%Y%m%d")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="catalogue-ens-mes-donnees-{stamp}.json"')
        return response
    return render_template("consents/export.html", form=form)


@bp.route("/suppression", methods=["GET", "POST"])
@login_required
def delete_account() -> Any:
    """Delete the account: consents revoked, personal data erased, signed out."""
    form = DeleteAccountForm()
    me = _me()
    error = None
    if form.validate_on_submit():
        if not verify_password(me.password_hash, form.password.data):
            form.password.errors = [*form.password.errors, _("Mot de passe incorrect.")]
        else:
            try:
                services.delete_account(db.session, me, actor=me)
            except DomainError as exc:
                db.rollback()
                error = exc.message
            else:
                commit()
                logout_user()
                session.clear()
                flash(_("Votre compte est supprimé et vos données personnelles effacées."),
                      "success")
                return redirect("/")
    status = 422 if (form.errors or error) else 200
    return render_template("consents/delete.html", form=form, error=error), status


@bp.get("/signalements")
@login_required
def reports() -> str:
    """The problems the user reported and where their handling stands."""
    return render_template("consents/reports.html", reports=reports_of(db.session, _me()))
