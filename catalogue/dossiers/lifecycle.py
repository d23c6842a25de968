"""The dossier lifecycle (DESIGN §4), as a table, with the publisher's guards and effects.

The commission's guards and effects live in ``catalogue.commission.lifecycle`` and are
imported here by name, so a reader can follow every transition from this table to its
rules. Roles on a dossier come from ``catalogue.dossiers.permissions.roles_on_dossier``.

Guards return None or the French reason; effects run in the transaction of the
transition. Guards that check data the user types (a reason, an answer) check it
only when the key is given: ``available()`` asks without data to decide which
buttons to show, and the services always pass the key.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from catalogue.accounts.models import Role
from catalogue.accounts.queries import users_with_role
from catalogue.audit.services import record_transition
from catalogue.clock import now, today
from catalogue.commission import lifecycle as commission
from catalogue.commission.models import Agreement, Opinion, OpinionValue
from catalogue.commission.queries import active_assignments, resume_review_clock
from catalogue.core.i18n import N_
from catalogue.dossiers import notifications as dossier_notifications
from catalogue.dossiers.labels import STATE_LABELS
from catalogue.dossiers.models import (
    Dossier,
    DossierState,
    Evidence,
    InformationRequest,
    ReferenceCounter,
)
from catalogue.dossiers.permissions import PUBLISHER, PUBLISHER_OWNER, roles_on_dossier
from catalogue.dossiers.queries import Completeness, completeness
from catalogue.errors import DomainError
from catalogue.listings.services import publish_from_dossier
from catalogue.publishers.queries import member_users
from workflows.engine import Context, Lifecycle, Transition, fire

log = logging.getLogger(__name__)
S = DossierState



def _members(ctx: Context) -> list[Any]:
    return member_users(ctx.session, ctx.subject.organisation_id)



def notify_members(ctx: Context) -> None:
    """Tell every member of the dossier's organisation that it moved on."""
    dossier_notifications.status_changed(ctx.session, _members(ctx), ctx.subject)


def _completeness(ctx: Context) -> Completeness:
    # The submitting service has just read it for its own check: one read per submission.
    given = ctx.data.get("completeness")
    return given if isinstance(given, Completeness) else completeness(ctx.session, ctx.subject)


def guard_submittable(ctx: Context) -> str | None:
    """Every applicable requirement answered as the framework asks, the organisation
    verified: otherwise one message per failing item, naming the requirement."""
    problems = _completeness(ctx).problems
    if not problems:
        return None
    lines = [p.message for p in problems]
    shown = lines[:20]
    more = f" … et {len(lines) - 20} autre(s) point(s)." if len(lines) > 20 else ""
    return "Le dossier ne peut pas être déposé : " + " ; ".join(shown) + more


def effect_submitted(ctx: Context) -> None:
    """Reference (first submission), time, new round on resubmission, receipt e-mail and
    notifications."""
    dossier: Dossier = ctx.subject
    resubmitted = ctx.source == DossierState.INCOMPLETE
    if resubmitted:
        # The answers edited while incomplete (round + 1) become the round under review.
        dossier.round += 1
    if dossier.reference is None:
        dossier.reference = next_reference(ctx.session, today().year)
    dossier.submitted_at = now()
    ctx.session.flush()
    ctx.audit_payload.update(reference=dossier.reference, round=dossier.round)
    check = _completeness(ctx)
    evidence = {e.id: e for a in check.answers.values() for e in a.evidence}
    dossier_notifications.receipt(
        ctx.session, _members(ctx), dossier, framework=dossier.framework.label,
        requirement_count=len(check.requirements),
        evidence=sorted(evidence.values(), key=lambda e: e.title),
        submitted_at=dossier.submitted_at, resubmitted=resubmitted,
        organisation=dossier.organisation.legal_name)
    dossier_notifications.submitted_to_secretariat(
        ctx.session, users_with_role(ctx.session, Role.SECRETARIAT), dossier,
        resubmitted=resubmitted, organisation=dossier.organisation.legal_name)


def _open_request(ctx: Context) -> InformationRequest | None:
    return ctx.session.scalar(
        select(InformationRequest).where(
            InformationRequest.dossier_id == ctx.subject.id, InformationRequest.answered_at.is_(None)
        ).order_by(InformationRequest.requested_at.desc()).limit(1)
    )


def guard_information_answerable(ctx: Context) -> str | None:
    if _open_request(ctx) is None:
        return "Aucune demande de compléments n'attend de réponse."
    if "answer" in ctx.data and not str(ctx.data["answer"] or "").strip():
        return "Rédigez votre réponse à la demande de compléments."
    return None


def effect_information_answered(ctx: Context) -> None:
    """Record the answer; the pending round becomes current; the review clock resumes with
    its due date pushed by the days it was stopped."""
    dossier: Dossier = ctx.subject
    request = _open_request(ctx)
    assert request is not None  # the guard checked it
    evidence_ids = sorted({int(i) for i in ctx.data.get("evidence_ids") or []})
    if evidence_ids:
        found = ctx.session.scalars(select(Evidence.id).where(
            Evidence.id.in_(evidence_ids), Evidence.organisation_id == dossier.organisation_id)).all()
        evidence_ids = sorted(found)
    request.answer = str(ctx.data.get("answer") or "").strip()
    request.answered_by_id = ctx.actor.id if ctx.actor else None
    request.answered_at = now()
    request.answer_evidence_ids = evidence_ids
    dossier.round += 1
    stopped = resume_review_clock(dossier, today())
    ctx.session.flush()
    ctx.audit_payload.update(information_request_id=request.id, round=dossier.round,
                             days_stopped=stopped, review_due_on=dossier.review_due_on,
                             evidence_ids=evidence_ids)
    reviewers = [a.rapporteur for a in active_assignments(ctx.session, dossier)]
    if request.requested_by not in reviewers:
        reviewers.append(request.requested_by)
    dossier_notifications.information_answered(ctx.session, reviewers, dossier,
                                               due_on=dossier.review_due_on)
    notify_members(ctx)


def _latest_opinion(ctx: Context) -> Any:
    return ctx.session.scalar(
        select(Opinion).where(Opinion.dossier_id == ctx.subject.id)
        .order_by(Opinion.issued_at.desc(), Opinion.id.desc()).limit(1)
    )


def guard_reservations_liftable(ctx: Context) -> str | None:
    opinion = _latest_opinion(ctx)
    if opinion is None or opinion.value != OpinionValue.FAVOURABLE_WITH_SUSPENSIVE_RESERVATIONS:
        return "L'avis rendu ne comporte pas de réserve suspensive."
    if opinion.lift_confirmed_at is not None:
        return "La levée des réserves a déjà été confirmée."
    if opinion.lift_requested_at is not None:
        return "La levée des réserves a été déclarée et attend la confirmation d'un rapporteur."
    if "statement" in ctx.data and not str(ctx.data["statement"] or "").strip():
        return "Expliquez comment chaque réserve a été levée."
    return None


def effect_reservations_lift_requested(ctx: Context) -> None:
    dossier: Dossier = ctx.subject
    opinion = _latest_opinion(ctx)
    opinion.lift_statement = str(ctx.data.get("statement") or "").strip()
    opinion.lift_requested_at = now()
    opinion.lift_requested_by_id = ctx.actor.id if ctx.actor else None
    ctx.session.flush()
    ctx.audit_payload["opinion_id"] = opinion.id
    rapporteurs = [a.rapporteur for a in active_assignments(ctx.session, dossier)]
    dossier_notifications.reservations_lifted(ctx.session, rapporteurs, dossier)


def _agreement(ctx: Context) -> Any:
    return ctx.session.scalar(select(Agreement).where(Agreement.dossier_id == ctx.subject.id))


def guard_agreement_signable(ctx: Context) -> str | None:
    agreement = _agreement(ctx)
    if agreement is None:
        return "La convention n'a pas encore été établie."
    if agreement.accepted_at is not None:
        return "La convention a déjà été acceptée."
    if "accepted" in ctx.data and not ctx.data["accepted"]:
        return "Cochez la case pour accepter les termes de la convention."
    return None


def effect_agreement_signed(ctx: Context) -> None:
    """Record who accepted and when, then publish or renew the listing."""
    dossier: Dossier = ctx.subject
    agreement = _agreement(ctx)
    agreement.accepted_by_id = ctx.actor.id
    agreement.accepted_at = now()
    dossier.closed_at = agreement.accepted_at
    ctx.session.flush()
    listing = publish_from_dossier(ctx.session, dossier, actor=ctx.actor)
    ctx.audit_payload.update(agreement_id=agreement.id, listing_id=listing.id,
                             valid_until=listing.valid_until)
    notify_members(ctx)


def guard_withdrawable(ctx: Context) -> str | None:
    if "reason" in ctx.data and not str(ctx.data["reason"] or "").strip():
        return "Indiquez le motif du retrait."
    return None


def effect_withdrawn(ctx: Context) -> None:
    dossier: Dossier = ctx.subject
    dossier.withdrawal_reason = str(ctx.data.get("reason") or "").strip()
    dossier.closed_at = now()
    ctx.session.flush()
    ctx.audit_payload["reason_given"] = bool(dossier.withdrawal_reason)
    notify_members(ctx)
    if ctx.source != DossierState.DRAFT:
        rapporteurs = [a.rapporteur for a in active_assignments(ctx.session, dossier)]
        dossier_notifications.status_changed(ctx.session, rapporteurs, dossier, commission_side=True)


def next_reference(session: Session, year: int) -> str:
    """The next ``ENS-YYYY-NNNNN``: one atomic upsert on the year's counter, whose row
    lock serialises concurrent submissions until commit."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = ReferenceCounter.__table__
    stmt = insert(table).values(year=year, last_number=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.year], set_={"last_number": table.c.last_number + 1}
    ).returning(table.c.last_number)
    number = session.execute(stmt).scalar_one()
    return f"ENS-{year}-{number:05d}"



def _decision_target(ctx: Any) -> str:
    return S.AGREEMENT_PENDING if ctx.data.get("outcome") == "referenced" else S.REFUSED


WITHDRAWABLE = (
    S.DRAFT, S.SUBMITTED, S.INCOMPLETE, S.UNDER_EVALUATION, S.INFORMATION_REQUESTED,
    S.READY_FOR_COMMISSION, S.SCHEDULED,
)


DOSSIER_LIFECYCLE = Lifecycle(
    name="dossier",
    states=tuple(s.value for s in S),
    final=frozenset({S.REFERENCED, S.REFUSED, S.LAPSED, S.WITHDRAWN}),
    roles_of=roles_on_dossier,
    record=record_transition,
    subject_phrase="le dossier",
    state_labels={s.value: label for s, label in STATE_LABELS.items()},
    transitions=(
        Transition("submit", (S.DRAFT,), S.SUBMITTED, frozenset({PUBLISHER}),
                   N_("Déposer le dossier"),
                   guards=(guard_submittable,), effects=(effect_submitted,)),
        Transition("declare_incomplete", (S.SUBMITTED,), S.INCOMPLETE, frozenset({"secretariat"}),
                   N_("Déclarer incomplet"),
                   guards=(commission.guard_missing_items_given,),
                   effects=(commission.effect_declared_incomplete,)),
        Transition("resubmit", (S.INCOMPLETE,), S.SUBMITTED, frozenset({PUBLISHER}),
                   N_("Déposer à nouveau"),
                   guards=(guard_submittable,), effects=(effect_submitted,)),
        Transition("accept", (S.SUBMITTED,), S.UNDER_EVALUATION, frozenset({"secretariat"}),
                   N_("Déclarer recevable"),
                   guards=(commission.guard_rapporteurs_assigned,), effects=(commission.effect_accepted,)),
        Transition("request_information", (S.UNDER_EVALUATION,), S.INFORMATION_REQUESTED,
                   frozenset({"rapporteur", "secretariat"}), N_("Demander des compléments"),
                   guards=(commission.guard_questions_given,),
                   effects=(commission.effect_information_requested,)),
        Transition("answer_information", (S.INFORMATION_REQUESTED,), S.UNDER_EVALUATION,
                   frozenset({PUBLISHER}), N_("Répondre à la demande"),
                   guards=(guard_information_answerable,),
                   effects=(effect_information_answered,)),
        Transition("lapse", (S.INFORMATION_REQUESTED,), S.LAPSED, frozenset({"system"}),
                   N_("Constater la caducité"),
                   guards=(commission.guard_information_overdue,), effects=(commission.effect_lapsed,)),
        Transition("complete_evaluation", (S.UNDER_EVALUATION,), S.READY_FOR_COMMISSION,
                   frozenset({"secretariat"}), N_("Clore l'instruction"),
                   guards=(commission.guard_reports_filed,),
                   effects=(commission.effect_evaluation_completed,)),
        Transition("schedule", (S.READY_FOR_COMMISSION,), S.SCHEDULED, frozenset({"secretariat"}),
                   N_("Inscrire à une séance"),
                   guards=(commission.guard_session_planned,), effects=(commission.effect_scheduled,)),
        Transition("postpone", (S.SCHEDULED,), S.READY_FOR_COMMISSION, frozenset({"chair"}),
                   N_("Reporter"), guards=(commission.guard_reason_given,),
                   effects=(commission.effect_postponed,)),
        Transition("issue_opinion", (S.SCHEDULED,), S.OPINION_ISSUED, frozenset({"chair"}),
                   N_("Rendre l'avis"), guards=(commission.guard_opinion_recordable,),
                   effects=(commission.effect_opinion_issued,)),
        # DESIGN's single "lift_reservations" is two acts by two people: the publisher
        # states the reservations lifted, then a rapporteur confirms it.
        Transition("lift_reservations", (S.OPINION_ISSUED,), S.OPINION_ISSUED,
                   frozenset({PUBLISHER}), N_("Déclarer les réserves levées"),
                   guards=(guard_reservations_liftable,),
                   effects=(effect_reservations_lift_requested,)),
        Transition("confirm_lift", (S.OPINION_ISSUED,), S.OPINION_ISSUED,
                   frozenset({"rapporteur"}), N_("Confirmer la levée des réserves"),
                   guards=(commission.guard_lift_confirmable,), effects=(commission.effect_lift_confirmed,)),
        Transition("decide", (S.OPINION_ISSUED,), _decision_target, frozenset({"decision_maker"}),
                   N_("Décider"), guards=(commission.guard_decidable,), effects=(commission.effect_decided,),
                   alternative_targets=(S.AGREEMENT_PENDING, S.REFUSED)),
        Transition("sign_agreement", (S.AGREEMENT_PENDING,), S.REFERENCED,
                   frozenset({PUBLISHER_OWNER}), N_("Accepter la convention"),
                   guards=(guard_agreement_signable,),
                   effects=(effect_agreement_signed,)),
        Transition("withdraw", WITHDRAWABLE, S.WITHDRAWN, frozenset({PUBLISHER}),
                   N_("Retirer le dossier"), guards=(guard_withdrawable,),
                   effects=(effect_withdrawn,)),
    ),
)


def lapse_overdue(session: Session, on: date) -> int:
    """Fire ``lapse`` on each dossier whose request went unanswered past its due date."""
    dossiers = session.scalars(
        select(Dossier)
        .where(Dossier.state == DossierState.INFORMATION_REQUESTED,
               Dossier.id.in_(select(InformationRequest.dossier_id).where(
                   InformationRequest.answered_at.is_(None), InformationRequest.due_on < on)))
        .options(selectinload(Dossier.app)).order_by(Dossier.id)
    ).all()
    count = 0
    for dossier in dossiers:
        try:
            with session.begin_nested():
                fire(session, DOSSIER_LIFECYCLE, dossier, "lapse", None, on=on)
            count += 1
        except DomainError as exc:  # someone answered meanwhile: nothing to do
            log.info("lapse of dossier %s skipped: %s", dossier.id, exc.message)
    return count
