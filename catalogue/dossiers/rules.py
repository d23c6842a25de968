"""The publisher's guards and effects of the dossier lifecycle (``workflows/dossier.py``).

Guards return None or the French reason; effects run in the transaction of the
transition. Guards that check data the user types (a reason, an answer) check it
only when the key is given: ``available()`` asks without data to decide which
buttons to show, and the services always pass the key.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from catalogue.clock import now, today
from catalogue.dossiers.models import Dossier, DossierState, Evidence, InformationRequest
from catalogue.notifications import services as notifications
from workflows.dossier import STATE_LABELS
from workflows.engine import Context


def _link(dossier: Dossier) -> str:
    return f"/editeur/dossiers/{dossier.id}"


def _members(ctx: Context) -> list[Any]:
    from catalogue.publishers.services import member_users

    return member_users(ctx.session, ctx.subject.organisation_id)


def _context(dossier: Dossier, **extra: Any) -> dict[str, Any]:
    return {"reference": dossier.reference or "", "app_name": dossier.app.name,
            "dossier_id": dossier.id, "path": _link(dossier),
            "state_label": STATE_LABELS.get(dossier.state, str(dossier.state)), **extra}


def notify_members(ctx: Context, message: str, **extra: Any) -> None:
    """In-app notification and e-mail to every member of the dossier's organisation."""
    dossier: Dossier = ctx.subject
    notifications.notify(ctx.session, _members(ctx), message, _context(dossier, **extra),
                         link=_link(dossier))


# --- submit / resubmit ---------------------------------------------------------------------

def guard_submittable(ctx: Context) -> str | None:
    """Every applicable requirement answered as the framework asks, the organisation
    verified: otherwise one message per failing item, naming the requirement."""
    from catalogue.dossiers.services import submission_problems

    problems = submission_problems(ctx.session, ctx.subject)
    if not problems:
        return None
    lines = [p.message for p in problems]
    shown = lines[:20]
    more = f" … et {len(lines) - 20} autre(s) point(s)." if len(lines) > 20 else ""
    return "Le dossier ne peut pas être déposé : " + " ; ".join(shown) + more


def effect_submitted(ctx: Context) -> None:
    """Reference (first submission), time, new round on resubmission, receipt e-mail and
    notifications."""
    from catalogue.dossiers.services import applicable_requirements, current_answers, next_reference

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
    requirements = applicable_requirements(ctx.session, dossier)
    answers = current_answers(ctx.session, dossier)
    evidence = {e.id: e for a in answers.values() for e in a.evidence}
    context = _context(
        dossier, framework=dossier.framework.label, requirement_count=len(requirements),
        evidence=sorted(evidence.values(), key=lambda e: e.title),
        submitted_at=dossier.submitted_at, resubmitted=resubmitted,
        organisation=dossier.organisation.legal_name,
    )
    members = _members(ctx)
    notifications.notify(ctx.session, members, "dossier_receipt", context, link=_link(dossier))


# --- answer_information --------------------------------------------------------------------

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
    from catalogue.commission.rules import active_assignments, resume_review_clock

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
    context = _context(dossier, due_on=dossier.review_due_on)
    commission = [a.rapporteur for a in active_assignments(ctx.session, dossier)]
    if request.requested_by not in commission:
        commission.append(request.requested_by)
    notifications.notify(ctx.session, commission, "dossier_information_answered",
                         {**context, "path": f"/commission/dossiers/{dossier.id}"},
                         link=f"/commission/dossiers/{dossier.id}")
    notify_members(ctx, "dossier_status_changed")


# --- lift_reservations ---------------------------------------------------------------------

def _latest_opinion(ctx: Context) -> Any:
    from catalogue.commission.models import Opinion

    return ctx.session.scalar(
        select(Opinion).where(Opinion.dossier_id == ctx.subject.id)
        .order_by(Opinion.issued_at.desc(), Opinion.id.desc()).limit(1)
    )


def guard_reservations_liftable(ctx: Context) -> str | None:
    from catalogue.commission.models import OpinionValue

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
    from catalogue.commission.rules import active_assignments

    dossier: Dossier = ctx.subject
    opinion = _latest_opinion(ctx)
    opinion.lift_statement = str(ctx.data.get("statement") or "").strip()
    opinion.lift_requested_at = now()
    opinion.lift_requested_by_id = ctx.actor.id if ctx.actor else None
    ctx.session.flush()
    ctx.audit_payload["opinion_id"] = opinion.id
    rapporteurs = [a.rapporteur for a in active_assignments(ctx.session, dossier)]
    notifications.notify(ctx.session, rapporteurs, "dossier_reservations_lifted",
                         {**_context(dossier), "path": f"/commission/dossiers/{dossier.id}"},
                         link=f"/commission/dossiers/{dossier.id}")


# --- sign_agreement ------------------------------------------------------------------------

def _agreement(ctx: Context) -> Any:
    from catalogue.commission.models import Agreement

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
    from catalogue.listings.services import publish_from_dossier

    dossier: Dossier = ctx.subject
    agreement = _agreement(ctx)
    agreement.accepted_by_id = ctx.actor.id
    agreement.accepted_at = now()
    dossier.closed_at = agreement.accepted_at
    ctx.session.flush()
    listing = publish_from_dossier(ctx.session, dossier, actor=ctx.actor)
    ctx.audit_payload.update(agreement_id=agreement.id, listing_id=listing.id,
                             valid_until=listing.valid_until)
    notify_members(ctx, "dossier_status_changed")


# --- withdraw ------------------------------------------------------------------------------

def guard_withdrawable(ctx: Context) -> str | None:
    if "reason" in ctx.data and not str(ctx.data["reason"] or "").strip():
        return "Indiquez le motif du retrait."
    return None


def effect_withdrawn(ctx: Context) -> None:
    from catalogue.commission.rules import active_assignments

    dossier: Dossier = ctx.subject
    dossier.withdrawal_reason = str(ctx.data.get("reason") or "").strip()
    dossier.closed_at = now()
    ctx.session.flush()
    ctx.audit_payload["reason_given"] = bool(dossier.withdrawal_reason)
    notify_members(ctx, "dossier_status_changed")
    if ctx.source != DossierState.DRAFT:
        rapporteurs = [a.rapporteur for a in active_assignments(ctx.session, dossier)]
        notifications.notify(ctx.session, rapporteurs, "dossier_status_changed",
                             {**_context(dossier), "path": f"/commission/dossiers/{dossier.id}"},
                             link=f"/commission/dossiers/{dossier.id}")
