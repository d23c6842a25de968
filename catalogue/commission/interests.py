"""Interest declarations are not retroactive.

A member could end their declaration on a publisher (``ended_on`` = yesterday) just
before voting on that publisher's dossier, and the vote counted. Two rules close it:

- while a dossier of the publisher is on the agenda of a session not yet closed, the
  member's declarations on that publisher are frozen for it: a change that ends or
  shortens one is refused, and recorded as a request to the secretariat (an audit
  event that the session's minutes show);
- a member whose declaration on the publisher covered any day since the dossier was
  put on the agenda does not vote on it, whatever the declaration says today.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.accounts.models import User
from catalogue.audit import services as audit
from catalogue.audit.models import AuditEvent
from catalogue.clock import today
from catalogue.commission.models import (
    AgendaItem,
    AgendaItemOutcome,
    CommissionSession,
    InterestDeclaration,
    SessionState,
)
from catalogue.dossiers.models import Dossier
from catalogue.errors import ValidationFailed

CHANGE_REQUESTED = "commission.interest_change_requested"
# The event the dossier lifecycle records when the secretariat puts a dossier on an agenda.
_SCHEDULED = "dossier.schedule"


class InterestFrozen(ValidationFailed):
    """The change would end or shorten a declaration covering a dossier on an open agenda;
    the request was recorded for the secretariat (commit it, do not roll it back)."""


def open_agenda_items(session: Session, organisation_id: int) -> list[AgendaItem]:
    """Pending items of the publisher's dossiers on sessions not closed yet."""
    return list(session.scalars(
        select(AgendaItem)
        .join(CommissionSession, CommissionSession.id == AgendaItem.session_id)
        .join(Dossier, Dossier.id == AgendaItem.dossier_id)
        .where(Dossier.organisation_id == organisation_id,
               AgendaItem.outcome == AgendaItemOutcome.PENDING,
               CommissionSession.state.in_((SessionState.PLANNED, SessionState.OPEN)))
        .order_by(AgendaItem.id)
    ))


def _shortens(declaration: InterestDeclaration, started_on: date | None, ended_on: date | None) -> bool:
    if started_on is not None and started_on > declaration.started_on:
        return True
    if ended_on is None:
        return False
    return declaration.ended_on is None or ended_on < declaration.ended_on


def guard_change(session: Session, declaration: InterestDeclaration, *, actor: User,
                 started_on: date | None, ended_on: date | None) -> None:
    """Refuse (``InterestFrozen``) a change ending or shortening a frozen declaration,
    after recording it as a request to the secretariat."""
    if not _shortens(declaration, started_on, ended_on):
        return
    items = open_agenda_items(session, declaration.organisation_id)
    if not items:
        return
    audit.record(session, CHANGE_REQUESTED, actor=actor, subject=declaration, payload={
        "organisation_id": declaration.organisation_id,
        "before": {"started_on": declaration.started_on, "ended_on": declaration.ended_on},
        "requested": {"started_on": started_on, "ended_on": ended_on},
        "dossier_ids": sorted({i.dossier_id for i in items}),
        "session_ids": sorted({i.session_id for i in items}),
    })
    message = ("Un dossier de cet éditeur est inscrit à l'ordre du jour d'une séance : votre "
               "déclaration ne peut être ni close ni raccourcie tant qu'il n'a pas été examiné. "
               "Votre demande a été transmise au secrétariat et figurera au procès-verbal.")
    raise InterestFrozen(message, errors={"ended_on": message})


def scheduled_on(session: Session, item: AgendaItem) -> date:
    """The day the item's dossier was put on the agenda of the item's session."""
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == _SCHEDULED, AuditEvent.subject_type == "Dossier",
                                 AuditEvent.subject_id == str(item.dossier_id))
        .order_by(AuditEvent.id.desc())
    )
    for event in events:
        if (event.payload or {}).get("session_id") == item.session_id:
            return event.occurred_at.date()
    return today()


def interest_since_scheduling(session: Session, user_id: int, item: AgendaItem) -> bool:
    """Whether a declaration of the user on the dossier's publisher covered any day from
    the scheduling of the item until today."""
    since, until = scheduled_on(session, item), today()
    return session.scalar(
        select(InterestDeclaration.id).where(
            InterestDeclaration.user_id == user_id,
            InterestDeclaration.organisation_id == item.dossier.organisation_id,
            InterestDeclaration.started_on <= until,
            (InterestDeclaration.ended_on.is_(None)) | (InterestDeclaration.ended_on >= since),
        ).limit(1)
    ) is not None


def change_requests(session: Session, session_id: int) -> list[AuditEvent]:
    """The refused changes of declarations concerning a session's agenda (minutes)."""
    return [event for event in session.scalars(
        select(AuditEvent).where(AuditEvent.action == CHANGE_REQUESTED).order_by(AuditEvent.id))
        if session_id in (event.payload or {}).get("session_ids", [])]
