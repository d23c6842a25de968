"""Reminders sent by the clock (DESIGN §4 "Time"): ``REMINDER_DAYS`` (7) days before each
deadline, to whoever must act, once per deadline (``ReminderSent`` rows)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalogue.accounts.models import User
from catalogue.commission import notifications as commission_notifications
from catalogue.commission.models import Assignment, RapporteurReport, ReminderSent
from catalogue.commission.queries import publisher_members
from catalogue.dossiers.models import Dossier, DossierKind, DossierState, InformationRequest
from catalogue.frameworks.models import Framework
from catalogue.listings.models import Listing, ListingState
from catalogue.publishers.models import MemberRole, Membership
from catalogue.settings import setting


def _remind(session: Session, kind: str, subject_type: str, subject_id: int, deadline: date,
            users: list[User], context: dict[str, Any], link: str) -> int:
    exists = session.scalar(select(ReminderSent.id).where(
        ReminderSent.kind == kind, ReminderSent.subject_type == subject_type,
        ReminderSent.subject_id == subject_id, ReminderSent.deadline == deadline))
    if exists is not None or not users:
        return 0
    session.add(ReminderSent(kind=kind, subject_type=subject_type, subject_id=subject_id,
                             deadline=deadline, recipients=len(users)))
    commission_notifications.reminder(session, users, kind=kind, deadline=deadline,
                                      reference=str(context.get("reference") or ""),
                                      app_name=str(context["app_name"]), link=link)
    return 1


def send_reminders(session: Session, on: date) -> int:
    """Remind, once per deadline, whoever must act before it."""
    horizon = on + timedelta(days=int(setting("REMINDER_DAYS")))
    sent = 0
    # Rapporteurs who have not filed their report, before the end of the review.
    dossiers = session.scalars(
        select(Dossier).options(selectinload(Dossier.app))
        .where(Dossier.state == DossierState.UNDER_EVALUATION,
               Dossier.review_due_on.is_not(None), Dossier.review_due_on >= on,
               Dossier.review_due_on <= horizon)
    ).all()
    for dossier in dossiers:
        filed = set(session.scalars(select(RapporteurReport.rapporteur_id).where(
            RapporteurReport.dossier_id == dossier.id, RapporteurReport.round == dossier.round,
            RapporteurReport.filed_at.is_not(None))))
        waiting = [a.rapporteur for a in session.scalars(
            select(Assignment).options(selectinload(Assignment.rapporteur))
            .where(Assignment.dossier_id == dossier.id, Assignment.released_at.is_(None)))
            if a.rapporteur_id not in filed]
        sent += _remind(session, "review_due", "Dossier", dossier.id, dossier.review_due_on, waiting,
                        {"reference": dossier.reference, "app_name": dossier.app.name},
                        f"/commission/dossiers/{dossier.id}")
    # The publisher, before an information request's due date.
    requests = session.scalars(
        select(InformationRequest).where(InformationRequest.answered_at.is_(None),
                                         InformationRequest.due_on >= on,
                                         InformationRequest.due_on <= horizon)
    ).all()
    for request in requests:
        dossier = session.get(Dossier, request.dossier_id)
        if dossier is None or dossier.state != DossierState.INFORMATION_REQUESTED:
            continue
        sent += _remind(session, "information_due", "InformationRequest", request.id, request.due_on,
                        publisher_members(session, dossier),
                        {"reference": dossier.reference, "app_name": dossier.app.name},
                        f"/editeur/dossiers/{dossier.id}")
    sent += _listing_reminders(session, on, horizon)
    return sent


def _listing_reminders(session: Session, on: date, horizon: date) -> int:
    """Owners of listings reaching ``valid_until`` without an open renewal, and of
    listings under an older wave before the new wave's compliance deadline."""
    def owners(organisation_id: int) -> list[User]:
        return list(session.scalars(select(User).join(Membership, Membership.user_id == User.id).where(
            Membership.organisation_id == organisation_id, Membership.role == MemberRole.OWNER,
            User.is_active.is_(True))))

    sent = 0
    listings = session.scalars(
        select(Listing).options(selectinload(Listing.app))
        .where(Listing.state == ListingState.PUBLISHED, Listing.valid_until >= on,
               Listing.valid_until <= horizon)
    ).all()
    for listing in listings:
        renewal_open = session.scalar(select(Dossier.id).where(
            Dossier.app_id == listing.app_id, Dossier.kind == DossierKind.RENEWAL,
            Dossier.state.not_in(("referenced", "refused", "lapsed", "withdrawn"))).limit(1))
        if renewal_open is not None:
            continue
        sent += _remind(session, "listing_expiry", "Listing", listing.id, listing.valid_until,
                        owners(listing.app.organisation_id),
                        {"reference": "", "app_name": listing.app.name}, "/editeur/")
    waves = session.scalars(select(Framework).where(
        Framework.compliance_deadline.is_not(None), Framework.compliance_deadline >= on,
        Framework.compliance_deadline <= horizon)).all()
    for wave in waves:
        older = session.scalars(
            select(Listing).options(selectinload(Listing.app), selectinload(Listing.framework))
            .where(Listing.state == ListingState.PUBLISHED, Listing.framework_id != wave.id)
        ).all()
        for listing in older:
            if listing.framework.code != wave.code or listing.framework.effective_from >= wave.effective_from:
                continue
            sent += _remind(session, "compliance_deadline", "Listing", listing.id, wave.compliance_deadline,
                            owners(listing.app.organisation_id),
                            {"reference": wave.label, "app_name": listing.app.name}, "/editeur/")
    return sent
