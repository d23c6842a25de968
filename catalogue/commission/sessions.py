"""Commission sessions: planning and the agenda, opening, attendance, votes, the opinion,
postponement and closing with the minutes. One function per action, the acting user explicit;
each flushes, never commits, and records its audit event (the opinion and postponement through
the dossier's lifecycle).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from catalogue.accounts.models import Role, User
from catalogue.audit import services as audit
from catalogue.clock import now
from catalogue.commission import queries as commission_queries
from catalogue.commission.minutes import render_minutes
from catalogue.commission.models import (
    AgendaItem,
    AgendaItemOutcome,
    Attendance,
    CommissionSession,
    Opinion,
    SessionState,
    Vote,
    VoteChoice,
)
from catalogue.commission.permissions import require_role
from catalogue.dossiers.lifecycle import DOSSIER_LIFECYCLE
from catalogue.dossiers.models import Dossier, DossierState
from catalogue.errors import Conflict, PermissionDenied, ValidationFailed
from workflows import engine

S = DossierState


def plan_session(session: Session, *, actor: User, title: str, scheduled_at: datetime | None,
                 location: str = "", dossier_ids: Sequence[int] = ()) -> CommissionSession:
    """Plan a session and put the given ready dossiers on its agenda, in that order."""
    require_role(actor, Role.SECRETARIAT)
    errors = {}
    if not (title or "").strip():
        errors["title"] = "Donnez un intitulé à la séance."
    if scheduled_at is None:
        errors["scheduled_at"] = "Indiquez la date et l'heure de la séance."
    elif scheduled_at < now():
        errors["scheduled_at"] = "La séance doit être programmée dans le futur."
    if errors:
        raise ValidationFailed("La séance ne peut pas être programmée.", errors=errors)
    commission_session = CommissionSession(title=title.strip(), scheduled_at=scheduled_at,
                                           location=(location or "").strip(), created_by_id=actor.id)
    session.add(commission_session)
    session.flush()
    audit.record(session, "commission.session_planned", actor=actor, subject=commission_session,
                 payload={"scheduled_at": scheduled_at, "dossier_ids": list(dossier_ids)})
    dossiers = {d.id: d for d in session.scalars(select(Dossier).where(Dossier.id.in_(dossier_ids)))}
    for dossier_id in dossier_ids:
        dossier = dossiers.get(int(dossier_id))
        if dossier is None:
            raise ValidationFailed("Dossier inconnu.", errors={"dossier_ids": "Dossier inconnu."})
        schedule_dossier(session, dossier, commission_session, actor=actor)
    return commission_session


def schedule_dossier(session: Session, dossier: Dossier, commission_session: CommissionSession, *,
                     actor: User) -> Dossier:
    """Put a ready dossier at the end of a planned session's agenda."""
    engine.fire(session, DOSSIER_LIFECYCLE, dossier, "schedule", actor, commission_session=commission_session)
    session.refresh(commission_session, ["items"])
    return dossier


def _bump(session: Session, commission_session: CommissionSession) -> None:
    flag_modified(commission_session, "state")
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("La séance vient d'être modifiée par quelqu'un d'autre ; rechargez la page.") from None


def open_session(session: Session, commission_session: CommissionSession, *,
                 actor: User) -> CommissionSession:
    """The chair opens a planned session (attendance and votes become possible)."""
    require_role(actor, Role.CHAIR)
    if commission_session.state != SessionState.PLANNED:
        raise Conflict("Seule une séance programmée peut être ouverte.")
    if not commission_session.items:
        raise ValidationFailed("L'ordre du jour est vide : inscrivez au moins un dossier.")
    commission_session.state = SessionState.OPEN
    commission_session.opened_at = now()
    commission_session.opened_by_id = actor.id
    _bump(session, commission_session)
    audit.record(session, "commission.session_opened", actor=actor, subject=commission_session,
                 payload={"from": "planned", "to": "open"})
    return commission_session


def record_attendance(session: Session, commission_session: CommissionSession, *, actor: User,
                      present_ids: Iterable[int]) -> list[Attendance]:
    """The chair records who of the sitting members is present (others absent)."""
    require_role(actor, Role.CHAIR)
    if commission_session.state != SessionState.OPEN:
        raise Conflict("La présence s'enregistre pendant la séance ouverte.")
    present = {int(i) for i in present_ids}
    members = commission_queries.sitting_members(session)
    unknown = present - {m.id for m in members}
    if unknown:
        raise ValidationFailed("Seuls les membres de la commission peuvent être déclarés présents.")
    existing = {a.user_id: a for a in session.scalars(
        select(Attendance).where(Attendance.session_id == commission_session.id))}
    voted = set(session.scalars(
        select(Vote.voter_id).join(AgendaItem, AgendaItem.id == Vote.item_id)
        .where(AgendaItem.session_id == commission_session.id)))
    leaving = [m for m in members if m.id in voted and m.id not in present]
    if leaving:
        raise ValidationFailed("Un membre qui a déjà voté ne peut pas être déclaré absent.")
    rows = []
    for member in members:
        row = existing.get(member.id)
        if row is None:
            row = Attendance(session_id=commission_session.id, user_id=member.id)
            session.add(row)
        row.present = member.id in present
        row.recorded_at = now()
        rows.append(row)
    session.flush()
    audit.record(session, "commission.attendance_recorded", actor=actor, subject=commission_session,
                 payload={"present": sorted(present), "absent": sorted(m.id for m in members
                                                                       if m.id not in present)})
    return rows


def cast_vote(session: Session, item: AgendaItem, *, actor: User, choice: str) -> Vote:
    """A present member without interest votes once on an item of an open session."""
    try:
        value = VoteChoice(choice)
    except ValueError:
        message = "Choisissez votre vote."
        raise ValidationFailed(message, errors={"choice": message}) from None
    reason = commission_queries.eligible_voter_reason(session, item, actor)
    if reason:
        raise PermissionDenied(reason)
    already = session.scalar(select(Vote.id).where(Vote.item_id == item.id, Vote.voter_id == actor.id))
    if already is not None:
        raise Conflict("Vous avez déjà voté sur ce point ; un vote ne se modifie pas.")
    vote = Vote(item_id=item.id, voter_id=actor.id, choice=value)
    try:
        with session.begin_nested():
            session.add(vote)
            session.flush()
    except IntegrityError:
        raise Conflict("Vous avez déjà voté sur ce point ; un vote ne se modifie pas.") from None
    audit.record(session, "commission.vote_cast", actor=actor, subject=item,
                 payload={"dossier_id": item.dossier_id, "choice": value.value})
    return vote


def issue_opinion(session: Session, item: AgendaItem, *, actor: User, reservations: str = "") -> Opinion:
    """The chair records the commission's opinion from the votes cast on the item."""
    dossier = item.dossier
    engine.fire(session, DOSSIER_LIFECYCLE, dossier, "issue_opinion", actor, item=item,
                reservations=reservations)
    opinion = commission_queries.latest_opinion(session, dossier)
    assert opinion is not None
    return opinion


def postpone_item(session: Session, item: AgendaItem, *, actor: User, reason: str) -> Dossier:
    """The chair postpones an item; the dossier is ready for another session."""
    engine.fire(session, DOSSIER_LIFECYCLE, item.dossier, "postpone", actor, item=item, reason=reason)
    return item.dossier


def close_session(session: Session, commission_session: CommissionSession, *,
                  actor: User) -> CommissionSession:
    """Close the session once every item is decided or postponed, and freeze its minutes."""
    require_role(actor, Role.CHAIR)
    if commission_session.state != SessionState.OPEN:
        raise Conflict("Seule une séance ouverte peut être close.")
    pending = [i for i in commission_session.items if i.outcome == AgendaItemOutcome.PENDING]
    if pending:
        refs = ", ".join(i.dossier.reference or str(i.dossier_id) for i in pending)
        raise ValidationFailed(f"Rendez un avis ou reportez chaque point avant de clore : {refs}.")
    commission_session.state = SessionState.CLOSED
    commission_session.closed_at = now()
    commission_session.minutes = render_minutes(session, commission_session)
    _bump(session, commission_session)
    audit.record(session, "commission.session_closed", actor=actor, subject=commission_session,
                 payload={"from": "open", "to": "closed", "items": len(commission_session.items)})
    return commission_session
