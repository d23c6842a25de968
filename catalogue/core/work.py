"""Each role's work first: what waits for the signed-in person, read in a few queries.

The landing page after sign-in (``/travail``) shows one section per role the user holds,
most urgent first; every count links to the filtered list where the work is done.
Reads only (CONVENTIONS: queries apart from writes); labels are read in the request's
language, so these functions run inside a request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from catalogue.accounts.models import Role, User
from catalogue.commission import queries as commission_queries
from catalogue.commission.models import (
    AgendaItem,
    AgendaItemOutcome,
    Assignment,
    CommissionSession,
    Opinion,
    RapporteurReport,
    SessionState,
)
from catalogue.consents.models import Consent, ConsentState
from catalogue.dossiers.models import FINAL_DOSSIER_STATES, Dossier, DossierState
from catalogue.publishers.models import Membership, Organisation, OrganisationStatus

S = DossierState


@dataclass(frozen=True)
class Count:
    """One figure of a queue, with the list it opens."""

    label: str
    value: int
    href: str
    urgent: bool = False


@dataclass
class DossierLine:
    """One dossier in a queue: its due date, the days left, who reports on it and what."""

    dossier: Dossier
    due_on: date | None = None
    days_left: int | None = None
    rapporteurs: list[str] = field(default_factory=list)
    proposals: list[Any] = field(default_factory=list)  # rapporteurs' proposed opinions
    opinion: Opinion | None = None
    report: RapporteurReport | None = None


@dataclass
class SessionAgenda:
    session: CommissionSession
    lines: list[DossierLine]


def landing_path(user: User) -> str:
    """Where a user goes after signing in: the work page, or the administration for an
    administrator with no other role."""
    if user.role_set == {Role.ADMIN}:
        return "/admin/"
    return "/travail"


def _rapporteurs(session: Session, dossier_ids: list[int]) -> dict[int, list[str]]:
    """Active rapporteurs' names by dossier (one query)."""
    names: dict[int, list[str]] = {}
    if dossier_ids:
        rows = session.execute(
            select(Assignment.dossier_id, User.display_name, User.email)
            .join(User, User.id == Assignment.rapporteur_id)
            .where(Assignment.dossier_id.in_(dossier_ids), Assignment.released_at.is_(None))
            .order_by(Assignment.assigned_at))
        for dossier_id, name, email in rows:
            names.setdefault(dossier_id, []).append(name or email)
    return names


def rapporteur_names(session: Session, dossier_ids: list[int]) -> dict[int, list[str]]:
    """Public wrapper for list pages (the commission queue shows the rapporteurs)."""
    return _rapporteurs(session, dossier_ids)


def secretariat(session: Session, today: date) -> list[Count]:
    """Admissibility to check, rapporteurs to assign, late reviews, sessions to prepare,
    publishers to verify."""
    by_state = dict(session.execute(select(Dossier.state, func.count()).group_by(Dossier.state)).all())
    assigned = select(Assignment.dossier_id).where(Assignment.released_at.is_(None))
    unassigned = session.scalar(select(func.count()).select_from(Dossier).where(
        Dossier.state == S.SUBMITTED, Dossier.id.not_in(assigned))) or 0
    overdue = session.scalar(select(func.count()).select_from(Dossier).where(
        Dossier.state == S.UNDER_EVALUATION, Dossier.review_due_on < today)) or 0
    pending_orgs = session.scalar(select(func.count()).select_from(Organisation).where(
        Organisation.status == OrganisationStatus.PENDING)) or 0
    return [
        Count(_("Recevabilité à vérifier"), by_state.get(S.SUBMITTED, 0),
              "/commission/dossiers?etat=submitted"),
        Count(_("Rapporteurs à désigner"), unassigned,
              "/commission/dossiers?etat=submitted&sans_rapporteur=1"),
        Count(_("Instructions en retard"), overdue,
              "/commission/dossiers?etat=under_evaluation&retard=1", urgent=bool(overdue)),
        Count(_("Dossiers à inscrire en séance"), by_state.get(S.READY_FOR_COMMISSION, 0),
              "/commission/dossiers?etat=ready_for_commission"),
        Count(_("Éditeurs à vérifier"), pending_orgs, "/commission/organisations"),
    ]


def rapporteur(session: Session, user: User, today: date) -> list[DossierLine]:
    """Reports due, soonest first, with the days left and the state of the user's report."""
    assignments = session.scalars(
        select(Assignment).join(Dossier, Dossier.id == Assignment.dossier_id)
        .options(selectinload(Assignment.dossier).selectinload(Dossier.app))
        .where(Assignment.rapporteur_id == user.id, Assignment.released_at.is_(None),
               Dossier.state.not_in(FINAL_DOSSIER_STATES))
        .order_by(Dossier.review_due_on.is_(None), Dossier.review_due_on)).all()
    ids = [a.dossier_id for a in assignments]
    reports = {(r.dossier_id, r.round): r for r in session.scalars(
        select(RapporteurReport).where(RapporteurReport.rapporteur_id == user.id,
                                       RapporteurReport.dossier_id.in_(ids)))} if ids else {}
    lines = []
    for a in assignments:
        d = a.dossier
        report = reports.get((d.id, d.round))
        # A deadline only while the report is still due: once filed, or once the review is
        # over, the dossier stays listed without a countdown.
        due = d.review_due_on if d.state in (S.UNDER_EVALUATION, S.INFORMATION_REQUESTED) and not (
            report and report.filed_at) else None
        lines.append(DossierLine(d, due, (due - today).days if due else None, report=report))
    lines.sort(key=lambda line: (line.days_left is None, line.days_left or 0))
    return lines


def next_session(session: Session, user: User) -> SessionAgenda | None:
    """The open session, else the next planned one, with its dossiers, their rapporteurs and
    the opinions the rapporteurs propose; dossiers of organisations the user declared an
    interest in are left out."""
    row = session.scalar(
        select(CommissionSession).where(CommissionSession.state != SessionState.CLOSED)
        .order_by(CommissionSession.state != SessionState.OPEN, CommissionSession.scheduled_at).limit(1))
    if row is None:
        return None
    conflicted = commission_queries.interest_organisations(session, user.id)
    items = session.scalars(
        select(AgendaItem).where(AgendaItem.session_id == row.id)
        .options(selectinload(AgendaItem.dossier).selectinload(Dossier.app))
        .order_by(AgendaItem.position)).all()
    dossiers = [i.dossier for i in items if i.dossier.organisation_id not in conflicted]
    ids = [d.id for d in dossiers]
    names = _rapporteurs(session, ids)
    proposals: dict[int, list[Any]] = {}
    if ids:
        for dossier_id, proposed, round_, current in session.execute(
                select(RapporteurReport.dossier_id, RapporteurReport.proposed_opinion,
                       RapporteurReport.round, Dossier.round)
                .join(Dossier, Dossier.id == RapporteurReport.dossier_id)
                .where(RapporteurReport.dossier_id.in_(ids), RapporteurReport.filed_at.is_not(None))):
            if round_ == current and proposed is not None:
                proposals.setdefault(dossier_id, []).append(proposed)
    pending = {i.dossier_id for i in items if i.outcome == AgendaItemOutcome.PENDING}
    return SessionAgenda(row, [DossierLine(d, rapporteurs=names.get(d.id, []),
                                           proposals=proposals.get(d.id, []))
                               for d in dossiers if d.id in pending or row.state != SessionState.OPEN])


def decisions(session: Session, user: User) -> list[DossierLine]:
    """Dossiers waiting for the State's decision, with the commission's opinion."""
    conflicted = commission_queries.interest_organisations(session, user.id)
    dossiers = [d for d in session.scalars(
        select(Dossier).where(Dossier.state == S.OPINION_ISSUED)
        .options(selectinload(Dossier.app)).order_by(Dossier.id)).all()
        if d.organisation_id not in conflicted]
    ids = [d.id for d in dossiers]
    opinions: dict[int, Opinion] = {}
    if ids:
        for opinion in session.scalars(select(Opinion).where(Opinion.dossier_id.in_(ids))
                                       .order_by(Opinion.id)):
            opinions[opinion.dossier_id] = opinion  # the latest wins
    return [DossierLine(d, opinion=opinions.get(d.id)) for d in dossiers]


def publisher(session: Session, user: User) -> list[tuple[Organisation, list[Dossier]]]:
    """The user's organisations and their open dossiers (each with its next step)."""
    organisations = session.scalars(
        select(Organisation).join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user.id).order_by(Organisation.legal_name)).all()
    if not organisations:
        return []
    dossiers = session.scalars(
        select(Dossier).where(Dossier.organisation_id.in_([o.id for o in organisations]),
                              Dossier.state.not_in(FINAL_DOSSIER_STATES))
        .options(selectinload(Dossier.app)).order_by(Dossier.id)).all()
    by_org: dict[int, list[Dossier]] = {}
    for d in dossiers:
        by_org.setdefault(d.organisation_id, []).append(d)
    return [(o, by_org.get(o.id, [])) for o in organisations]


def patient(session: Session, user: User) -> list[Consent]:
    """The apps the patient connected (active or suspended consents)."""
    return list(session.scalars(
        select(Consent).where(Consent.patient_id == user.id, Consent.state != ConsentState.REVOKED)
        .options(selectinload(Consent.app)).order_by(Consent.granted_at.desc())))


# The commission queue's sort keys (column → key); the default keeps the service's order
# (overdue first, then soonest due).
_SORTS: dict[str, Any] = {
    "reference": lambda r: r.dossier.reference or "",
    "application": lambda r: r.dossier.app.name.lower(),
    "etat": lambda r: r.dossier.state.value,
    "echeance": lambda r: (r.due_on is None, r.due_on or date.max),
    "depot": lambda r: (r.dossier.submitted_at is None, r.dossier.submitted_at),
}


def sort_queue(rows: list[Any], sort: str) -> list[Any]:
    """Rows sorted by a column (``-column`` for descending); unknown keys keep the order."""
    key = _SORTS.get(sort.lstrip("-"))
    if key is None:
        return rows
    return sorted(rows, key=key, reverse=sort.startswith("-"))
