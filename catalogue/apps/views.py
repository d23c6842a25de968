"""App pages of the publisher space: list, questionnaire, logo, screenshots (thin views)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalogue import db
from catalogue.accounts.auth import login_required
from catalogue.apps import services as apps
from catalogue.apps.forms import AppProfileForm, LogoForm, ScreenshotForm
from catalogue.apps.models import App
from catalogue.dossiers import queries as dossier_queries
from catalogue.publishers import queries as publisher_queries
from catalogue.storage.services import StorageError, get_storage
from catalogue.web import act, apply_form

bp = Blueprint("apps", __name__)

_GROUPS = {
    "presentation": ("name", "slug", "summary", "description", "category"),
    "usage": ("audiences", "platforms", "languages", "pricing", "price_text"),
    "links": ("website_url", "privacy_policy_url", "accessibility_statement_url", "support_contact"),
    "data": ("data_categories", "hosting_provider", "hds_certified", "hds_certificate_ref",
             "connected_services"),
    "regulatory": ("is_medical_device", "medical_device_class", "predicates"),
}


def _lang() -> str:
    return "en" if session.get("lang") == "en" or current_user.locale == "en" else "fr"


def _form_page(form: AppProfileForm, *, organisation: Any, app: App | None = None,
               assessed: list[str] | None = None, assessed_message: str = "",
               status: int = 200) -> Any:
    listed = app is not None and apps.listing_of(db.session, app) is not None
    return render_template("apps/form.html", form=form, organisation=organisation, app=app,
                           groups=_GROUPS, listed=listed, assessed=assessed or [],
                           assessed_message=assessed_message), status


@bp.route("/editeur/organisations/<int:organisation_id>/applications/nouvelle", methods=["GET", "POST"])
@login_required
def new(organisation_id: int) -> Any:
    """Describe a new app (the orientation questionnaire)."""
    organisation = publisher_queries.organisation_for_user(db.session, organisation_id, current_user)
    form = AppProfileForm(lang=_lang())
    if request.method == "GET":
        form.languages.data = ["fr"]
    created: list[App] = []
    if form.validate_on_submit() and apply_form(
            form, lambda: created.append(apps.create_app_profile(db.session, organisation, actor=current_user,
                                                                 **form.values())),
            _("Application enregistrée."), field="name"):
        return redirect(url_for("apps.show", app_id=created[0].id))
    return _form_page(form, organisation=organisation, status=422 if form.errors else 200)


@bp.get("/editeur/applications/<int:app_id>")
@login_required
def show(app_id: int) -> Any:
    """The app: profile, logo and screenshots, dossiers, what can be opened next."""
    app = apps.app_for_user(db.session, app_id, current_user)
    listing = apps.listing_of(db.session, app)
    app_dossiers = dossier_queries.dossiers_of_app(db.session, app)
    open_kinds = {d.kind.value for d in app_dossiers if d.is_open}
    return render_template(
        "apps/show.html", app=app, listing=listing, dossiers=app_dossiers, open_kinds=open_kinds,
        renewal=dossier_queries.renewal_offer(db.session, app) if listing else None,
        library=dossier_queries.evidence_library(db.session, app.organisation, app),
        logo_form=LogoForm(), screenshot_form=ScreenshotForm(),
    )


@bp.route("/editeur/applications/<int:app_id>/modifier", methods=["GET", "POST"])
@login_required
def edit(app_id: int) -> Any:
    """Edit the questionnaire. On a listed app, assessed fields need a modification dossier."""
    app = apps.app_for_user(db.session, app_id, current_user)
    form = AppProfileForm(obj=None if request.method == "POST" else app, lang=_lang())
    if request.method == "GET":
        form.pricing.data = app.pricing.value
        form.medical_device_class.data = app.medical_device_class or ""
    assessed: list[str] = []
    assessed_message: list[str] = []

    def action() -> None:
        try:
            apps.update_app_profile(db.session, app, actor=current_user, **form.values())
        except apps.AssessedFieldChange as exc:
            assessed.extend(exc.fields)
            assessed_message.append(exc.message)
            raise

    if form.validate_on_submit() and apply_form(form, action, _("Profil mis à jour."), field="name"):
        return redirect(url_for("apps.show", app_id=app.id))
    return _form_page(form, organisation=app.organisation, app=app, assessed=assessed,
                      assessed_message=assessed_message[0] if assessed_message else None,
                      status=409 if assessed else 422 if form.errors else 200)


@bp.post("/editeur/applications/<int:app_id>/logo")
@login_required
def logo(app_id: int) -> Any:
    app = apps.app_for_user(db.session, app_id, current_user)
    upload = request.files.get("logo")
    if upload is None or not upload.filename:
        flash(_("Choisissez une image pour le logo."), "danger")
        return redirect(url_for("apps.show", app_id=app.id) + "#images")
    data = upload.read(6 * 1024 * 1024)
    return act(lambda: apps.set_logo(db.session, app, actor=current_user, data=data),
               _("Logo mis à jour."), url_for("apps.show", app_id=app.id) + "#images")


@bp.post("/editeur/applications/<int:app_id>/captures")
@login_required
def add_screenshot(app_id: int) -> Any:
    app = apps.app_for_user(db.session, app_id, current_user)
    upload = request.files.get("screenshot")
    if upload is None or not upload.filename:
        flash(_("Choisissez une capture d'écran."), "danger")
        return redirect(url_for("apps.show", app_id=app.id) + "#images")
    data = upload.read(6 * 1024 * 1024)
    return act(lambda: apps.add_screenshot(db.session, app, actor=current_user, data=data,
                                           alt_text=request.form.get("alt_text", "")),
               _("Capture d'écran ajoutée."), url_for("apps.show", app_id=app.id) + "#images")


@bp.post("/editeur/applications/<int:app_id>/captures/<int:screenshot_id>/supprimer")
@login_required
def remove_screenshot(app_id: int, screenshot_id: int) -> Any:
    app = apps.app_for_user(db.session, app_id, current_user)
    if all(shot.id != screenshot_id for shot in app.screenshots):
        abort(404)
    return act(lambda: apps.remove_screenshot(db.session, app, screenshot_id, actor=current_user),
               _("Capture d'écran supprimée."), url_for("apps.show", app_id=app.id) + "#images")


def _image(key: str | None, app: App) -> Response:
    if not key:
        abort(404)
    try:
        data = get_storage().get(key)
    except StorageError:
        abort(404)
    mimetype = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    response = Response(data, mimetype=mimetype)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _visible_app(app_id: int) -> App:
    """Members see their apps' images; everyone sees those of a listed app."""
    app = db.session.get(App, app_id)
    if app is None:
        abort(404)
    if apps.listing_of(db.session, app) is not None:
        return app
    if current_user.is_authenticated and publisher_queries.member_role(
            db.session, app.organisation_id, current_user.id) is not None:
        return app
    abort(404)


@bp.get("/applications/<int:app_id>/logo")
def logo_image(app_id: int) -> Response:
    app = _visible_app(app_id)
    return _image(app.logo_key, app)


@bp.get("/applications/<int:app_id>/captures/<int:screenshot_id>")
def screenshot_image(app_id: int, screenshot_id: int) -> Response:
    app = _visible_app(app_id)
    shot = next((s for s in app.screenshots if s.id == screenshot_id), None)
    return _image(shot.storage_key if shot else None, app)
