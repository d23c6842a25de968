"""The commission's reading pages: the secretariat's queue with due dates, its dashboard
(counts, review times, overdue dossiers) and each rapporteur's assignments."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from catalogue.accounts.models import User
from catalogue.apps.models import App
from catalogue.clock import now, today
from catalogue.commission.models import (
    Assignment,
    Opinion,
    RapporteurReport,
)
from catalogue.core.i18n import N_
from catalogue.dossiers.models import FINAL_DOSSIER_STATES, Dossier, DossierState, InformationRequest

S = DossierState


QUEUE_STATES = tuple(s for s in S if s != S.DRAFT)


@dataclass(frozen=True)
class QueueRow:
    dossier: Dossier
    due_on: date | None
    due_label: str
    overdue: bool


def _due_of(dossier: Dossier, requests: Mapping[int, Any]) -> tuple[date | None, str]:
    if dossier.state == S.UNDER_EVALUATION:
        return dossier.review_due_on, N_("Fin d'instruction")
    if dossier.state == S.INFORMATION_REQUESTED and dossier.id in requests:
        return requests[dossier.id], N_("Réponse de l'éditeur")
    return None, ""


def queue(session: Session, *, states: Iterable[str] = (), overdue_only: bool = False,
          search: str = "", limit: int = 500) -> list[QueueRow]:
    """Dossiers by state with their next due date, overdue first, then soonest due."""
    wanted = [S(s) for s in states if s in S.__members__.values()] or list(QUEUE_STATES)
    query = (select(Dossier).join(App, App.id == Dossier.app_id)
             .options(selectinload(Dossier.app), selectinload(Dossier.organisation))
             .where(Dossier.state.in_(wanted)))
    if search.strip():
        pattern = f"%{search.strip().lower()}%"
        query = query.where(func.lower(App.name).like(pattern) | func.lower(Dossier.reference).like(pattern))
    dossiers = session.scalars(query.order_by(Dossier.submitted_at).limit(limit)).all()
    requests = dict(session.execute(
        select(InformationRequest.dossier_id, func.min(InformationRequest.due_on))
        .where(InformationRequest.answered_at.is_(None),
               InformationRequest.dossier_id.in_([d.id for d in dossiers]))
        .group_by(InformationRequest.dossier_id)).all())
    on = today()
    rows = []
    for dossier in dossiers:
        due, label = _due_of(dossier, requests)
        overdue = due is not None and due < on
        if overdue_only and not overdue:
            continue
        rows.append(QueueRow(dossier, due, label, overdue))
    rows.sort(key=lambda r: (not r.overdue, r.due_on is None, r.due_on or date.max,
                             r.dossier.submitted_at or now()))
    return rows


def _percentile(values: Sequence[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    # Nearest-rank percentile: a value that occurred, no interpolation.
    rank = max(1, -(-int(fraction * 100) * len(ordered) // 100))
    return float(ordered[min(rank, len(ordered)) - 1])


@dataclass(frozen=True)
class SecretariatStats:
    counts: dict[str, int]
    review_days_median: float | None
    review_days_p90: float | None
    reviewed: int
    overdue: list[QueueRow]


def secretariat_dashboard(session: Session) -> SecretariatStats:
    """Counts by state, review time (acceptance to opinion, clock stops excluded), overdue."""
    counts = dict(session.execute(select(Dossier.state, func.count()).group_by(Dossier.state)).all())
    counts = {s.value: int(counts.get(s, 0)) for s in S}
    rows = session.execute(
        select(Dossier.review_started_on, Dossier.days_stopped, func.min(Opinion.issued_at))
        .join(Opinion, Opinion.dossier_id == Dossier.id)
        .where(Dossier.review_started_on.is_not(None))
        .group_by(Dossier.id, Dossier.review_started_on, Dossier.days_stopped)
    ).all()
    durations = [max(0, (issued.date() - started).days - (stopped or 0)) for started, stopped, issued in rows]
    return SecretariatStats(
        counts=counts,
        review_days_median=float(statistics.median(durations)) if durations else None,
        review_days_p90=_percentile(durations, 0.9),
        reviewed=len(durations),
        overdue=queue(session, overdue_only=True),
    )


@dataclass(frozen=True)
class RapporteurRow:
    dossier: Dossier
    assignment: Assignment
    report: RapporteurReport | None


def rapporteur_dashboard(session: Session, user: User) -> list[RapporteurRow]:
    """The user's current assignments with their due dates and report status."""
    assignments = session.scalars(
        select(Assignment).join(Dossier, Dossier.id == Assignment.dossier_id)
        .options(selectinload(Assignment.dossier).selectinload(Dossier.app))
        .where(Assignment.rapporteur_id == user.id, Assignment.released_at.is_(None),
               Dossier.state.not_in(FINAL_DOSSIER_STATES))
        .order_by(Dossier.review_due_on.is_(None), Dossier.review_due_on)
    ).all()
    reports = {(r.dossier_id, r.round): r for r in session.scalars(
        select(RapporteurReport).where(RapporteurReport.rapporteur_id == user.id,
                                       RapporteurReport.dossier_id.in_([a.dossier_id for a in assignments])))}
    return [RapporteurRow(a.dossier, a, reports.get((a.dossier_id, a.dossier.round))) for a in assignments]
