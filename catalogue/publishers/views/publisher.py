"""Publisher space: sign-up, home, organisation, members and invitations (thin views)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from catalogue import db
from catalogue.accounts import services as accounts
from catalogue.accounts.auth import login_required
from catalogue.apps import services as apps
from catalogue.apps import vocabulary
from catalogue.apps.text import render_markdown
from catalogue.core.i18n import per_locale
from catalogue.dossiers import evidence as evidence_files
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers.labels import KIND_LABELS, STATE_LABELS
from catalogue.errors import DomainError
from catalogue.extensions import limiter
from catalogue.frameworks.vocabulary import EVIDENCE_KINDS, evidence_label, predicate_label
from catalogue.publishers import queries as publisher_queries
from catalogue.publishers import services as publishers
from catalogue.publishers.forms import (
    ExtractForm,
    InviteForm,
    JoinForm,
    OrganisationForm,
    PublisherSignupForm,
    RoleForm,
)
from catalogue.publishers.models import Invitation, MemberRole, OrganisationStatus
from catalogue.web import act, apply_form

bp = Blueprint("publishers", __name__)

ORG_FIELDS = ("legal_name", "siren", "siret", "address", "postal_code", "city",
              "legal_representative", "contact_email", "contact_phone")


def _upload_limit() -> int:
    return int(current_app.config["UPLOAD_MAX_MB"]) * 1024 * 1024


@bp.route("/inscription/editeur", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def signup() -> Any:
    """A publisher creates their account and their organisation together."""
    if current_user.is_authenticated:
        return redirect(url_for("publishers.new_organisation"))
    form = PublisherSignupForm()

    def action() -> None:
        created = publishers.sign_up_publisher(
            db.session, email=form.email.data, password=form.password.data,
            display_name=form.display_name.data, locale=session.get("lang", "fr"),
            **{name: getattr(form, name).data or "" for name in ORG_FIELDS},
        )
        if created is not None:
            accounts.send_verification(db.session, created[0])

    if form.validate_on_submit() and apply_form(form, action, "", field="email"):
        # The same page whether or not the address had an account; the account is
        # usable once its address is confirmed (the link in the e-mail).
        return render_template("accounts/signup_done.html", email=form.email.data.strip(),
                               publisher=True)
    status = 422 if form.errors else 200
    return render_template("publishers/signup.html", form=form), status


@bp.get("/editeur/")
@login_required
def home() -> Any:
    """The publisher's organisations, apps and dossiers."""
    organisations = publisher_queries.organisations_of(db.session, current_user)
    if len(organisations) == 1:
        return redirect(url_for("publishers.organisation", organisation_id=organisations[0].id))
    return render_template("publishers/home.html", organisations=organisations)


@bp.route("/editeur/organisation/nouvelle", methods=["GET", "POST"])
@login_required
def new_organisation() -> Any:
    """A signed-in user registers an organisation and becomes its owner."""
    form = OrganisationForm()
    created: list[Any] = []
    if form.validate_on_submit() and apply_form(
            form, lambda: created.append(publishers.register_publisher(
                db.session, user=current_user,
                **{name: getattr(form, name).data or "" for name in ORG_FIELDS})),
            _("Organisation enregistrée. Déposez l'extrait d'immatriculation pour sa vérification."),
            field="legal_name"):
        return redirect(url_for("publishers.organisation", organisation_id=created[0].id))
    return render_template("publishers/organisation_form.html", form=form), 422 if form.errors else 200


def _organisation_page(organisation_id: int, *, extract_form: ExtractForm | None = None,
                       invite_form: InviteForm | None = None, status: int = 200) -> Any:
    organisation = publisher_queries.organisation_for_user(db.session, organisation_id, current_user)
    role = publisher_queries.member_role(db.session, organisation.id, current_user.id)
    library = dossier_queries.evidence_library(db.session, organisation)
    # The organisation's own extract, not copies attached to an app's dossier.
    extracts = [e for e in library if e.kind == "registration_extract" and e.app_id is None]
    return render_template(
        "publishers/organisation.html", organisation=organisation, role=role,
        is_owner=role == MemberRole.OWNER,
        members=publisher_queries.members(db.session, organisation),
        invitations=publisher_queries.pending_invitations(db.session, organisation),
        apps=apps.apps_of(db.session, organisation),
        dossiers=dossier_queries.dossiers_of_organisation(db.session, organisation),
        extracts=extracts, extract_form=extract_form or ExtractForm(),
        invite_form=invite_form or InviteForm(), role_form=RoleForm(),
    ), status


@bp.get("/editeur/organisations/<int:organisation_id>")
@login_required
def organisation(organisation_id: int) -> Any:
    """Organisation page: status, registration extract, members, apps, dossiers."""
    return _organisation_page(organisation_id)


@bp.route("/editeur/organisations/<int:organisation_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_organisation(organisation_id: int) -> Any:
    """An owner updates the organisation's details (the SIREN never changes)."""
    organisation = publisher_queries.organisation_for_user(db.session, organisation_id, current_user)
    form = OrganisationForm(obj=organisation)
    del form.siren
    if form.validate_on_submit() and apply_form(
            form, lambda: publishers.update_organisation(
                db.session, organisation, actor=current_user,
                **{name: getattr(form, name).data or "" for name in ORG_FIELDS if name != "siren"}),
            _("Informations de l'organisation mises à jour."), field="legal_name"):
        return redirect(url_for("publishers.organisation", organisation_id=organisation.id))
    return render_template("publishers/organisation_edit.html", form=form,
                           organisation=organisation), 422 if form.errors else 200


@bp.post("/editeur/organisations/<int:organisation_id>/extrait")
@login_required
def upload_extract(organisation_id: int) -> Any:
    """Upload the registration extract the secretariat checks."""
    organisation = publisher_queries.organisation_for_user(db.session, organisation_id, current_user)
    form = ExtractForm()
    upload = request.files.get("file")
    if not form.validate_on_submit() or upload is None or not upload.filename:
        if not form.file.errors:
            form.file.errors = [_("Choisissez le fichier de l'extrait d'immatriculation.")]
        return _organisation_page(organisation.id, extract_form=form, status=422)
    if not apply_form(
            form, lambda: evidence_files.add_evidence(
                db.session, organisation, actor=current_user, filename=upload.filename,
                data=upload.read(_upload_limit() + 1), kind="registration_extract",
                title=_("Extrait d'immatriculation (Kbis)"), valid_until=form.valid_until.data,
                max_bytes=_upload_limit()),
            _("Extrait d'immatriculation déposé. Le secrétariat va vérifier l'organisation."), field="file"):
        return _organisation_page(organisation.id, extract_form=form, status=422)
    return redirect(url_for("publishers.organisation", organisation_id=organisation.id))


@bp.post("/editeur/organisations/<int:organisation_id>/invitations")
@login_required
def invite(organisation_id: int) -> Any:
    """An owner invites a member by e-mail."""
    organisation = publisher_queries.organisation_for_user(db.session, organisation_id, current_user)
    form = InviteForm()
    if not form.validate_on_submit():
        return _organisation_page(organisation.id, invite_form=form, status=422)
    if not apply_form(
            form, lambda: publishers.invite_member(
                db.session, organisation, actor=current_user, email=form.email.data,
                role=MemberRole(form.role.data), secret_key=current_app.config["SECRET_KEY"]),
            _("Invitation envoyée à %(email)s.", email=form.email.data), field="email"):
        return _organisation_page(organisation.id, invite_form=form, status=422)
    return redirect(url_for("publishers.organisation", organisation_id=organisation.id) + "#membres")


@bp.post("/editeur/organisations/<int:organisation_id>/invitations/<int:invitation_id>/annuler")
@login_required
def revoke(organisation_id: int, invitation_id: int) -> Any:
    organisation = publisher_queries.organisation_for_user(db.session, organisation_id, current_user)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.organisation_id != organisation.id:
        return redirect(url_for("publishers.organisation", organisation_id=organisation.id))
    return act(lambda: publishers.revoke_invitation(db.session, invitation, actor=current_user),
               _("Invitation annulée."),
               url_for("publishers.organisation", organisation_id=organisation.id) + "#membres")


@bp.post("/editeur/organisations/<int:organisation_id>/membres/<int:membership_id>/role")
@login_required
def change_role(organisation_id: int, membership_id: int) -> Any:
    organisation = publisher_queries.organisation_for_user(db.session, organisation_id, current_user)
    membership = publisher_queries.membership_for(db.session, organisation, membership_id)
    form = RoleForm()
    members = url_for("publishers.organisation", organisation_id=organisation.id) + "#membres"
    if not form.validate_on_submit():
        return redirect(members)
    return act(lambda: publishers.change_member_role(db.session, membership, actor=current_user,
                                                     role=MemberRole(form.role.data)),
               _("Rôle modifié."), members)


@bp.post("/editeur/organisations/<int:organisation_id>/membres/<int:membership_id>/retirer")
@login_required
def remove(organisation_id: int, membership_id: int) -> Any:
    organisation = publisher_queries.organisation_for_user(db.session, organisation_id, current_user)
    membership = publisher_queries.membership_for(db.session, organisation, membership_id)
    leaving = membership.user_id == current_user.id
    members = url_for("publishers.organisation", organisation_id=organisation.id) + "#membres"
    return act(lambda: publishers.remove_member(db.session, membership, actor=current_user),
               _("Vous avez quitté l'organisation.") if leaving else _("Membre retiré."),
               url_for("publishers.home") if leaving else members, failed_to=members)


@bp.route("/editeur/invitation/<token>", methods=["GET", "POST"])
def accept(token: str) -> Any:
    """Follow an invitation: join with the signed-in account, or create the account."""
    secret = current_app.config["SECRET_KEY"]
    try:
        invitation = publishers.read_invitation(db.session, token, secret_key=secret)
    except DomainError as exc:
        return render_template("publishers/invitation_invalid.html", message=exc.message), 400
    form = JoinForm()
    existing = accounts.find_user(db.session, invitation.email)
    if request.method == "POST":
        name, organisation_id = invitation.organisation.legal_name, invitation.organisation_id
        if current_user.is_authenticated:
            if not apply_form(form, lambda: publishers.accept_invitation(
                    db.session, token, user=current_user, secret_key=secret),
                    _("Vous avez rejoint %(name)s.", name=name)):
                return render_template("publishers/invitation_invalid.html",
                                       message=form.form_errors[0]), 400
            return redirect(url_for("publishers.organisation", organisation_id=organisation_id))
        joined: list[Any] = []

        def join() -> None:
            joined.append(accounts.create_user(db.session, invitation.email, form.password.data,
                                               display_name=form.display_name.data, verified=True))
            publishers.accept_invitation(db.session, token, user=joined[0], secret_key=secret)

        # No success message here: the session is cleared once joined, so the view flashes after.
        if existing is None and form.validate_on_submit() and apply_form(form, join, "", field="password"):
            session.clear()
            login_user(joined[0])
            session["mfa"] = False
            flash(_("Bienvenue : vous avez rejoint %(name)s.", name=name), "success")
            return redirect(url_for("publishers.organisation", organisation_id=organisation_id))
    return render_template("publishers/invitation.html", invitation=invitation, form=form,
                           has_account=existing is not None, token=token), 422 if form.errors else 200


def _labels() -> tuple[dict[OrganisationStatus, str], dict[MemberRole, str], dict[str, str]]:
    return ({OrganisationStatus.PENDING: _("en attente de vérification"),
             OrganisationStatus.VERIFIED: _("vérifiée"),
             OrganisationStatus.REJECTED: _("vérification refusée")},
            {MemberRole.OWNER: _("propriétaire"), MemberRole.EDITOR: _("éditeur")},
            {"compliant": _("Conforme"), "not_compliant": _("Non conforme"),
             "not_applicable": _("Non applicable")})


# Once per language: every page of the site gets them.
_labels_in_locale = per_locale(_labels)


@bp.app_context_processor
def _publisher_helpers() -> dict[str, Any]:
    """Labels the publisher-space templates show (templates only present)."""
    org_labels, role_labels, answer_labels = _labels_in_locale()

    def lang() -> str:
        return "en" if session.get("lang") == "en" or (
            current_user.is_authenticated and current_user.locale == "en") else "fr"

    def vocab(table: str, code: str) -> str:
        return vocabulary.label(getattr(vocabulary, table), code, lang())

    def evidence_kind(code: str) -> str:
        try:
            return evidence_label(code, lang())
        except KeyError:
            return code

    return {
        "org_status_label": lambda s: org_labels.get(s, str(s)),
        "member_role_label": lambda r: role_labels.get(r, str(r)),
        "dossier_state_label": lambda s: STATE_LABELS.get(s, str(s)),
        "dossier_kind_label": lambda k: KIND_LABELS.get(getattr(k, "value", k), str(k)),
        "answer_label": lambda a: answer_labels.get(getattr(a, "value", a), "—") if a else _("Sans réponse"),
        "vocab": vocab,
        "evidence_kind": evidence_kind,
        "predicate_text": lambda c: predicate_label(c, lang()),
        "render_markdown": render_markdown,
        "evidence_kinds_all": lambda: [(code, evidence_kind(code)) for code in EVIDENCE_KINDS],
    }
