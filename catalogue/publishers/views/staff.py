"""The secretariat's verification of publishers (``/commission/organisations``): each
organisation stays pending until its registration extract has been checked."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from catalogue import db
from catalogue.accounts.auth import roles_required
from catalogue.accounts.models import Role
from catalogue.dossiers.models import Evidence
from catalogue.publishers import services as publishers
from catalogue.publishers.models import Organisation, OrganisationStatus
from catalogue.web import act

bp = Blueprint("publishers_staff", __name__, url_prefix="/commission")


@bp.get("/organisations")
@roles_required(Role.SECRETARIAT)
def organisations() -> str:
    """Organisations, those awaiting verification first, with their registration extracts."""
    rows = db.session.scalars(select(Organisation).order_by(
        Organisation.status != OrganisationStatus.PENDING, Organisation.created_at.desc()).limit(200)).all()
    extracts = {e.organisation_id: e for e in db.session.scalars(select(Evidence).where(
        Evidence.kind == "registration_extract", Evidence.organisation_id.in_([o.id for o in rows])))}
    return render_template("publishers/staff_organisations.html", organisations=rows, extracts=extracts)


@bp.post("/organisations/<int:organisation_id>/verification")
@roles_required(Role.SECRETARIAT)
def verify(organisation_id: int) -> Response:
    """Approve or refuse an organisation after checking its registration extract."""
    organisation = db.session.get(Organisation, organisation_id) or abort(404)
    approve = request.form.get("decision") == "approve"
    return act(lambda: publishers.verify_organisation(db.session, organisation, actor=current_user,
                                                      approve=approve, reason=request.form.get("reason", "")),
               _("Organisation vérifiée.") if approve else _("Organisation refusée."),
               url_for("publishers_staff.organisations"))
