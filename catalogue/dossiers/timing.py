"""The clock at every stage of a dossier (issue 11, step 7): what stage it is at, who acts
next and the date that matters now: admissibility target, review due date, answer due
date, session date, decision expected, agreement to sign, listing validity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.clock import today
from catalogue.commission.models import (
    AgendaItem,
    CommissionSession,
    Decision,
    Opinion,
)
from catalogue.dossiers.models import Dossier, DossierState, InformationRequest
from catalogue.dossiers.queries import NEXT_ACTOR
from catalogue.listings.models import Listing
from catalogue.settings import setting

S = DossierState
_PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class StageClock:
    """The stage, who acts next, and the relevant date (with what it means)."""

    stage: str
    next_actor: str
    date_label: str = ""
    on: date | None = None
    # A date someone must act by (not a mere appointment or validity end).
    deadline: bool = True

    @property
    def overdue(self) -> bool:
        return self.deadline and self.on is not None and self.on < today()


STAGES = {
    S.DRAFT: "Constitution du dossier",
    S.SUBMITTED: "Recevabilité",
    S.INCOMPLETE: "Recevabilité : dossier incomplet",
    S.UNDER_EVALUATION: "Instruction",
    S.INFORMATION_REQUESTED: "Instruction : compléments demandés",
    S.READY_FOR_COMMISSION: "En attente d'une séance de la commission",
    S.SCHEDULED: "Examen par la commission",
    S.OPINION_ISSUED: "Décision de l'État",
    S.AGREEMENT_PENDING: "Convention",
    S.REFERENCED: "Référencé",
    S.REFUSED: "Refusé",
    S.LAPSED: "Caduc",
    S.WITHDRAWN: "Retiré",
}


def _day(moment: object) -> date:
    return moment.astimezone(_PARIS).date()  # type: ignore[attr-defined]


def stage_clock(session: Session, dossier: Dossier) -> StageClock:
    """Where the dossier stands and the date that matters now, for its publisher."""
    state = dossier.state
    base = {"stage": STAGES[state], "next_actor": NEXT_ACTOR.get(state, "")}
    if state == S.SUBMITTED and dossier.submitted_at:
        return StageClock(**base, date_label="Recevabilité attendue au plus tard le",
                          on=_day(dossier.submitted_at) + timedelta(days=int(setting("ADMISSIBILITY_DAYS"))))
    if state == S.UNDER_EVALUATION and dossier.review_due_on:
        return StageClock(**base, date_label="Instruction à terminer au plus tard le",
                          on=dossier.review_due_on)
    if state == S.INFORMATION_REQUESTED:
        due = session.scalar(select(InformationRequest.due_on).where(
            InformationRequest.dossier_id == dossier.id, InformationRequest.answered_at.is_(None))
            .order_by(InformationRequest.requested_at.desc()).limit(1))
        if due:
            return StageClock(**base, date_label="Réponse attendue au plus tard le", on=due)
    if state == S.SCHEDULED:
        held = session.scalar(
            select(CommissionSession.scheduled_at)
            .join(AgendaItem, AgendaItem.session_id == CommissionSession.id)
            .where(AgendaItem.dossier_id == dossier.id)
            .order_by(CommissionSession.scheduled_at.desc()).limit(1))
        if held:
            return StageClock(**base, date_label="Séance de la commission le", on=_day(held),
                              deadline=False)
    if state == S.OPINION_ISSUED:
        issued = session.scalar(select(Opinion.issued_at).where(Opinion.dossier_id == dossier.id)
                                .order_by(Opinion.issued_at.desc()).limit(1))
        if issued:
            return StageClock(**base, date_label="Décision attendue au plus tard le",
                              on=_day(issued) + timedelta(days=int(setting("DECISION_DAYS"))))
    if state == S.AGREEMENT_PENDING:
        decided = session.scalar(select(Decision.decided_at).where(Decision.dossier_id == dossier.id))
        if decided:
            return StageClock(**base, date_label="Convention à signer au plus tard le",
                              on=_day(decided) + timedelta(days=int(setting("AGREEMENT_DAYS"))))
    if state == S.REFERENCED:
        valid = session.scalar(select(Listing.valid_until).where(Listing.dossier_id == dossier.id))
        if valid:
            return StageClock(**base, date_label="Référencement valable jusqu'au", on=valid,
                              deadline=False)
    return StageClock(**base)
