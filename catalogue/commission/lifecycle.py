"""The commission's guards and effects of the dossier lifecycle (``catalogue.dossiers.lifecycle``).

Guards return ``None`` or the reason, in French, why the transition is refused;
effects run after the state changed, in the same transaction, and add what the
audit event should carry to ``ctx.audit_payload``. The helpers below (quorum,
tally, eligibility) are shared with ``services`` so that a page, a guard and a
test all apply the same rule.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from catalogue.accounts.models import Role
from catalogue.accounts.queries import users_with_role
from catalogue.clock import now, today
from catalogue.commission import notifications as commission_notifications
from catalogue.commission.models import (
    AdmissibilityDecision,
    AdmissibilityOutcome,
    AgendaItem,
    AgendaItemOutcome,
    Agreement,
    CommissionSession,
    Decision,
    DecisionOutcome,
    Opinion,
    OpinionValue,
    RapporteurReport,
    SessionState,
)
from catalogue.commission.queries import (
    active_assignments,
    decision_refusal,
    has_declared_interest,
    latest_opinion,
    open_information_request,
    opinion_refusal,
    publisher_members,
    review_due,
)
from catalogue.dossiers.models import Dossier, InformationRequest
from catalogue.settings import setting
from workflows.engine import Context

DEFAULT_WITHDRAWAL_TERMS = (
    "L'éditeur peut mettre fin à la convention à tout moment par écrit ; la fiche est alors "
    "retirée du catalogue. L'État peut suspendre ou déréférencer l'application en cas de "
    "manquement au référentiel, d'incident de sécurité ou de non-respect de la convention, "
    "après avoir entendu l'éditeur sauf urgence. Les données des usagers déjà échangées "
    "restent soumises au droit commun de la protection des données."
)


# --- Shared helpers ------------------------------------------------------------







# --- Admissibility -------------------------------------------------------------


def guard_missing_items_given(ctx: Context) -> str | None:
    items = ctx.data.get("missing_items") or []
    if not items or not all(isinstance(i, dict) and str(i.get("message", "")).strip() for i in items):
        return "Indiquez au moins un élément manquant, avec ce qui doit être fourni."
    return None


def effect_declared_incomplete(ctx: Context) -> None:
    dossier: Dossier = ctx.subject
    items = [
        {"requirement_code": i.get("requirement_code") or None, "field": i.get("field") or "answer",
         "message": str(i["message"]).strip()}
        for i in ctx.data["missing_items"]
    ]
    ctx.session.add(AdmissibilityDecision(
        dossier_id=dossier.id, round=dossier.round, outcome=AdmissibilityOutcome.INCOMPLETE,
        missing_items=items, decided_by_id=ctx.actor.id,
    ))
    ctx.audit_payload["missing_items"] = len(items)
    commission_notifications.dossier_incomplete(ctx.session, publisher_members(ctx.session, dossier),
                                                 dossier, missing_items=items)


def guard_rapporteurs_assigned(ctx: Context) -> str | None:
    dossier: Dossier = ctx.subject
    assignments = active_assignments(ctx.session, dossier)
    if len({a.rapporteur_id for a in assignments}) < 2:
        return "Deux rapporteurs distincts doivent être désignés avant de déclarer le dossier recevable."
    for a in assignments:
        if has_declared_interest(ctx.session, a.rapporteur_id, dossier.organisation_id):
            return "Un rapporteur désigné a déclaré un intérêt lié à cet éditeur : remplacez-le."
    return None


def effect_accepted(ctx: Context) -> None:
    dossier: Dossier = ctx.subject
    start = today()
    dossier.review_started_on = start
    dossier.review_due_on = review_due(start, dossier)
    dossier.clock_stopped_on = None
    dossier.days_stopped = 0
    ctx.session.add(AdmissibilityDecision(
        dossier_id=dossier.id, round=dossier.round, outcome=AdmissibilityOutcome.ACCEPTED,
        missing_items=[], decided_by_id=ctx.actor.id,
    ))
    ctx.audit_payload["review_due_on"] = dossier.review_due_on
    commission_notifications.dossier_accepted(ctx.session, publisher_members(ctx.session, dossier),
                                               dossier, due_on=dossier.review_due_on)
    rapporteurs = [a.rapporteur for a in active_assignments(ctx.session, dossier)]
    commission_notifications.assigned(ctx.session, rapporteurs, dossier, due_on=dossier.review_due_on)


# --- Information requests --------------------------------------------------------


def guard_questions_given(ctx: Context) -> str | None:
    if not str(ctx.data.get("questions") or "").strip():
        return "Rédigez les questions posées à l'éditeur."
    return None


def effect_information_requested(ctx: Context) -> None:
    dossier: Dossier = ctx.subject
    on = today()
    due = on + timedelta(days=int(setting("INFO_RESPONSE_DAYS")))
    request = InformationRequest(
        dossier_id=dossier.id, round=dossier.round, questions=str(ctx.data["questions"]).strip(),
        requested_by_id=ctx.actor.id, due_on=due,
    )
    ctx.session.add(request)
    dossier.clock_stopped_on = on
    ctx.session.flush()
    ctx.audit_payload.update(information_request_id=request.id, due_on=due)
    commission_notifications.information_requested(
        ctx.session, publisher_members(ctx.session, dossier), dossier, due_on=due,
        questions=request.questions)


def guard_information_overdue(ctx: Context) -> str | None:
    request = open_information_request(ctx.session, ctx.subject)
    if request is None:
        return "Aucune demande de compléments n'est en attente."
    if request.due_on >= (ctx.data.get("on") or today()):
        return f"L'éditeur a jusqu'au {request.due_on:%d/%m/%Y} pour répondre."
    return None


def effect_lapsed(ctx: Context) -> None:
    dossier: Dossier = ctx.subject
    dossier.closed_at = now()
    request = open_information_request(ctx.session, dossier)
    ctx.audit_payload["information_request_id"] = request.id if request else None
    commission_notifications.dossier_lapsed(ctx.session, publisher_members(ctx.session, dossier),
                                             dossier)


# --- Evaluation ------------------------------------------------------------------


def guard_reports_filed(ctx: Context) -> str | None:
    dossier: Dossier = ctx.subject
    assignments = active_assignments(ctx.session, dossier)
    if len(assignments) < 2:
        return "Deux rapporteurs doivent être désignés."
    filed = set(ctx.session.scalars(
        select(RapporteurReport.rapporteur_id).where(
            RapporteurReport.dossier_id == dossier.id, RapporteurReport.round == dossier.round,
            RapporteurReport.filed_at.is_not(None),
        )
    ))
    waiting = [a.rapporteur.display_name or f"#{a.rapporteur_id}" for a in assignments
               if a.rapporteur_id not in filed]
    if waiting:
        return "En attente du rapport de : " + ", ".join(waiting) + "."
    return None


def effect_evaluation_completed(ctx: Context) -> None:
    dossier: Dossier = ctx.subject
    proposals = ctx.session.scalars(
        select(RapporteurReport.proposed_opinion).where(
            RapporteurReport.dossier_id == dossier.id, RapporteurReport.round == dossier.round,
            RapporteurReport.filed_at.is_not(None),
        )
    ).all()
    ctx.audit_payload["proposed_opinions"] = sorted(str(p) for p in proposals)


# --- Sessions --------------------------------------------------------------------


def guard_session_planned(ctx: Context) -> str | None:
    commission_session = ctx.data.get("commission_session")
    if not isinstance(commission_session, CommissionSession):
        return "Choisissez la séance à l'ordre du jour de laquelle inscrire le dossier."
    if commission_session.state != SessionState.PLANNED:
        return "Un dossier ne peut être inscrit qu'à une séance programmée, pas encore ouverte."
    already = ctx.session.scalar(select(AgendaItem.id).where(
        AgendaItem.session_id == commission_session.id, AgendaItem.dossier_id == ctx.subject.id))
    if already is not None:
        return "Ce dossier a déjà été examiné ou reporté lors de cette séance ; choisissez-en une autre."
    return None


def effect_scheduled(ctx: Context) -> None:
    commission_session: CommissionSession = ctx.data["commission_session"]
    last = ctx.session.scalar(
        select(func.max(AgendaItem.position)).where(AgendaItem.session_id == commission_session.id)
    )
    item = AgendaItem(session_id=commission_session.id, dossier_id=ctx.subject.id,
                      position=(last or 0) + 1)
    ctx.session.add(item)
    ctx.session.flush()
    ctx.audit_payload.update(session_id=commission_session.id, position=item.position)


def _pending_item(ctx: Context) -> AgendaItem | None:
    item = ctx.data.get("item")
    if isinstance(item, AgendaItem) and item.dossier_id == ctx.subject.id:
        return item
    return None


def guard_reason_given(ctx: Context) -> str | None:
    item = _pending_item(ctx)
    if item is None or item.outcome != AgendaItemOutcome.PENDING:
        return "Ce dossier n'est pas en attente d'examen à l'ordre du jour."
    if item.session.state == SessionState.CLOSED:
        return "La séance est close."
    if not str(ctx.data.get("reason") or "").strip():
        return "Indiquez le motif du report."
    return None


def effect_postponed(ctx: Context) -> None:
    item = _pending_item(ctx)
    assert item is not None
    item.outcome = AgendaItemOutcome.POSTPONED
    item.postpone_reason = str(ctx.data["reason"]).strip()
    ctx.audit_payload.update(session_id=item.session_id, item_id=item.id)


def guard_opinion_recordable(ctx: Context) -> str | None:
    item = _pending_item(ctx)
    if item is None:
        return "Ce dossier n'est pas à l'ordre du jour d'une séance."
    reason, _, _ = opinion_refusal(ctx.session, item, str(ctx.data.get("reservations") or ""))
    return reason


def effect_opinion_issued(ctx: Context) -> None:
    item = _pending_item(ctx)
    assert item is not None
    reservations = str(ctx.data.get("reservations") or "").strip()
    _, counts, value = opinion_refusal(ctx.session, item, reservations)
    assert value is not None
    opinion = Opinion(
        dossier_id=ctx.subject.id, item_id=item.id, value=value,
        reservations=reservations,
        tally=counts, issued_by_id=ctx.actor.id,
    )
    ctx.session.add(opinion)
    item.outcome = AgendaItemOutcome.OPINION_ISSUED
    ctx.session.flush()
    ctx.audit_payload.update(opinion=value.value, tally=counts, item_id=item.id)
    dossier: Dossier = ctx.subject
    commission_notifications.opinion_issued(ctx.session, publisher_members(ctx.session, dossier),
                                             dossier, opinion=value.value, reservations=reservations)


# --- Suspensive reservations, decision ---------------------------------------------


def guard_lift_confirmable(ctx: Context) -> str | None:
    opinion = latest_opinion(ctx.session, ctx.subject)
    if opinion is None or opinion.value != OpinionValue.FAVOURABLE_WITH_SUSPENSIVE_RESERVATIONS:
        return "L'avis n'est pas assorti de réserves suspensives."
    if opinion.lift_confirmed_at is not None:
        return "La levée des réserves a déjà été confirmée."
    if opinion.lift_requested_at is None:
        return "L'éditeur n'a pas encore déclaré les réserves levées."
    return None


def effect_lift_confirmed(ctx: Context) -> None:
    opinion = latest_opinion(ctx.session, ctx.subject)
    assert opinion is not None
    opinion.lift_confirmed_at = now()
    opinion.lift_confirmed_by_id = ctx.actor.id
    ctx.audit_payload["opinion_id"] = opinion.id
    dossier: Dossier = ctx.subject
    recipients = publisher_members(ctx.session, dossier) + users_with_role(ctx.session, Role.DECISION_MAKER)
    commission_notifications.lift_confirmed(ctx.session, recipients, dossier)


def guard_decidable(ctx: Context) -> str | None:
    return decision_refusal(ctx.session, ctx.subject, ctx.data.get("outcome"),
                            str(ctx.data.get("motivation") or ""), ctx.data.get("reasons") or [])


def effect_decided(ctx: Context) -> None:
    dossier: Dossier = ctx.subject
    outcome = DecisionOutcome(ctx.data["outcome"])
    reasons = [
        {"requirement_code": r["requirement_code"], "reason": str(r["reason"]).strip()}
        for r in ctx.data.get("reasons") or () if str(r.get("reason", "")).strip()
    ]
    decision = Decision(dossier_id=dossier.id, outcome=outcome,
                        motivation=str(ctx.data["motivation"]).strip(), reasons=reasons,
                        decided_by_id=ctx.actor.id)
    ctx.session.add(decision)
    if outcome == DecisionOutcome.REFERENCED:
        snapshot = dossier.profile_snapshot or {}
        ctx.session.add(Agreement(
            dossier_id=dossier.id,
            duration_days=int(setting("LISTING_VALIDITY_DAYS")),
            data_categories=list(snapshot.get("data_categories") or dossier.app.data_categories or []),
            withdrawal_terms=str(ctx.data.get("withdrawal_terms") or DEFAULT_WITHDRAWAL_TERMS),
        ))
    else:
        dossier.closed_at = now()
    ctx.session.flush()
    ctx.audit_payload.update(decision_id=decision.id, outcome=outcome.value, reasons=len(reasons))
    commission_notifications.decision(ctx.session, publisher_members(ctx.session, dossier), dossier,
                                      outcome=outcome.value, motivation=decision.motivation)
