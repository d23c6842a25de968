"""Declarations of interest: one's own, and the register for the secretariat and the chair."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from catalogue import db
from catalogue.accounts.auth import roles_required
from catalogue.accounts.models import Role
from catalogue.commission import services as commission
from catalogue.commission.forms import InterestForm
from catalogue.commission.interests import InterestFrozen
from catalogue.commission.models import (
    InterestDeclaration,
)
from catalogue.commission.views import ANY_COMMISSION, bp
from catalogue.publishers.models import Organisation
from catalogue.web import apply_form


def _organisation_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(select(Organisation.id, Organisation.legal_name, Organisation.siren)
                              .order_by(Organisation.legal_name)).all()
    return [(0, _("— Choisir —"))] + [(i, f"{name} ({siren})") for i, name, siren in rows]


@bp.route("/interets", methods=["GET", "POST"])
@roles_required(*ANY_COMMISSION)
def interests() -> Any:
    """One's own declarations and a form to add one; the secretariat also sees the register."""
    form = InterestForm()
    form.organisation_id.choices = _organisation_choices()
    if form.validate_on_submit() and apply_form(
            form, lambda: commission.declare_interest(
                db.session, actor=current_user, organisation_id=form.organisation_id.data,
                nature=form.nature.data, started_on=form.started_on.data, ended_on=form.ended_on.data),
            _("Déclaration enregistrée.")):
        return redirect(url_for("commission.interests"))
    register = (commission.all_interests(db.session, actor=current_user)
                if current_user.has_role(Role.SECRETARIAT, Role.CHAIR) else [])
    return render_template("commission/interests.html", form=form,
                           mine=commission.interests_of(db.session, current_user), register=register), \
        422 if form.errors else 200


@bp.route("/interets/<int:declaration_id>", methods=["GET", "POST"])
@roles_required(*ANY_COMMISSION)
def interest(declaration_id: int) -> Any:
    """Change one's own declaration."""
    declaration = db.session.get(InterestDeclaration, declaration_id)
    if declaration is None or declaration.user_id != current_user.id:
        abort(404)
    form = InterestForm(obj=declaration)
    form.organisation_id.choices = [(declaration.organisation_id, declaration.organisation.legal_name)]
    if form.validate_on_submit() and apply_form(
            form, lambda: commission.update_interest(
                db.session, declaration, actor=current_user, nature=form.nature.data,
                started_on=form.started_on.data, ended_on=form.ended_on.data),
            _("Déclaration mise à jour."),
            # The refused change stays recorded as a request to the secretariat (minutes).
            recorded_refusals=(InterestFrozen,)):
        return redirect(url_for("commission.interests"))
    return render_template("commission/interest_edit.html", form=form, declaration=declaration), \
        422 if form.errors else 200
