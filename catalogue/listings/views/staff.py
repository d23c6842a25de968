"""The staff's pages on listings and patients' reports (``/commission/fiches``,
``/commission/signalements``): the secretariat and the decision maker suspend, reinstate and
delist through the listing lifecycle; the secretariat triages reports."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalogue import db
from catalogue.accounts.auth import roles_required
from catalogue.accounts.models import Role
from catalogue.listings import services as listing_services
from catalogue.listings.lifecycle import LISTING_LIFECYCLE
from catalogue.listings.models import Listing, ListingState, Report, ReportStatus
from catalogue.web import act
from workflows.engine import available

bp = Blueprint("listings_staff", __name__, url_prefix="/commission")

# The addresses speak French; the lifecycle's transitions are named in English.
TRANSITION_OF_SLUG = {"suspendre": "suspend", "retablir": "reinstate", "dereferencer": "delist"}
SLUG_OF_TRANSITION = {transition: slug for slug, transition in TRANSITION_OF_SLUG.items()}


@bp.get("/fiches")
@roles_required(Role.SECRETARIAT, Role.DECISION_MAKER)
def listings() -> str:
    """Every listing with the actions its state allows."""
    state = request.args.get("etat", "")
    query = select(Listing).options(selectinload(Listing.app)).order_by(Listing.state_changed_at.desc())
    if state in {s.value for s in ListingState}:
        query = query.where(Listing.state == state)
    rows = db.session.scalars(query.limit(300)).all()
    # The buttons are what the listing lifecycle offers this user in each listing's state.
    actions = {row.id: [a for a in available(db.session, LISTING_LIFECYCLE, row, current_user) if a.allowed]
               for row in rows}
    return render_template("listings/staff_listings.html", listings=rows, state=state, actions=actions,
                           slugs=SLUG_OF_TRANSITION,
                           states=[s.value for s in ListingState])


@bp.post("/fiches/<int:listing_id>/<action>")
@roles_required(Role.SECRETARIAT, Role.DECISION_MAKER)
def listing_action(listing_id: int, action: str) -> Response:
    """Suspend, reinstate or delist, with the reason made public in the listing's history."""
    if action not in TRANSITION_OF_SLUG:
        abort(404)
    listing = db.session.get(Listing, listing_id) or abort(404)
    transition = TRANSITION_OF_SLUG[action]
    service: dict[str, Any] = {"suspend": listing_services.suspend_listing,
                               "reinstate": listing_services.reinstate_listing,
                               "delist": listing_services.delist_listing}
    done = {"suspend": _("Fiche suspendue."), "reinstate": _("Fiche rétablie."),
            "delist": _("Application déréférencée.")}
    return act(lambda: service[transition](db.session, listing, actor=current_user,
                                           reason=request.form.get("reason", "")),
               done[transition], url_for("listings_staff.listings"))


@bp.get("/signalements")
@roles_required(Role.SECRETARIAT)
def reports() -> str:
    """Patients' reports, newest first, by status."""
    status = request.args.get("statut", "")
    query = select(Report).options(selectinload(Report.listing).selectinload(Listing.app)) \
        .order_by(Report.created_at.desc())
    if status in {s.value for s in ReportStatus}:
        query = query.where(Report.status == status)
    rows = db.session.scalars(query.limit(300)).all()
    return render_template("listings/staff_reports.html", reports=rows, status=status,
                           statuses=[s.value for s in ReportStatus])


@bp.post("/signalements/<int:report_id>")
@roles_required(Role.SECRETARIAT)
def triage(report_id: int) -> Response:
    report_row = db.session.get(Report, report_id) or abort(404)
    return act(lambda: listing_services.triage_report(db.session, report_row, actor=current_user,
                                              status=request.form.get("status", ""),
                                              note=request.form.get("note", "")),
               _("Signalement mis à jour."), url_for("listings_staff.reports"))
