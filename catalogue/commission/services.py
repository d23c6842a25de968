"""The commission's actions: one function per action, the acting user explicit.

Lifecycle changes go through ``workflows.engine.fire`` on ``DOSSIER_LIFECYCLE``
(guards and effects in ``catalogue.commission.lifecycle``); the other acts (interests,
assignments, reports) are checked here. Every function flushes, never commits, and
records its audit event. Sessions, votes and the opinion are in ``commission.sessions``;
the queue and dashboards in ``commission.dashboards``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from catalogue.accounts import queries as accounts_queries
from catalogue.accounts.models import COMMISSION_ROLES, Role, User
from catalogue.audit import services as audit
from catalogue.clock import now
from catalogue.commission import interests
from catalogue.commission import notifications as commission_notifications
from catalogue.commission import queries as commission_queries
from catalogue.commission.models import (
    Assessment,
    Assignment,
    Decision,
    InterestDeclaration,
    OpinionValue,
    RapporteurReport,
    Verdict,
)
from catalogue.commission.permissions import require_role
from catalogue.commission.queries import has_declared_interest
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers.lifecycle import DOSSIER_LIFECYCLE
from catalogue.dossiers.models import FINAL_DOSSIER_STATES, Dossier, DossierState
from catalogue.dossiers.permissions import roles_on_dossier
from catalogue.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from catalogue.publishers.models import Organisation
from workflows import engine

S = DossierState


def _fire(session: Session, dossier: Dossier, name: str, actor: User | None, **data: Any) -> Dossier:
    engine.fire(session, DOSSIER_LIFECYCLE, dossier, name, actor, **data)
    return dossier



# --- Interests -------------------------------------------------------------------


def _interest_fields(nature: str, started_on: date | None, ended_on: date | None) -> dict[str, Any]:
    errors = {}
    if not (nature or "").strip():
        errors["nature"] = "Décrivez la nature du lien (fonction, contrat, participation…)."
    if started_on is None:
        errors["started_on"] = "Indiquez la date de début du lien."
    if started_on and ended_on and ended_on < started_on:
        errors["ended_on"] = "La date de fin ne peut précéder la date de début."
    if errors:
        raise ValidationFailed("La déclaration contient des erreurs.", errors=errors)
    return {"nature": nature.strip(), "started_on": started_on, "ended_on": ended_on}


def declare_interest(session: Session, *, actor: User, organisation_id: int, nature: str,
                     started_on: date | None, ended_on: date | None = None) -> InterestDeclaration:
    """Declare a link with a publisher. A current interest ends the member's assignments
    on that publisher's open dossiers (they may no longer act on them)."""
    if not actor.role_set & COMMISSION_ROLES:
        raise PermissionDenied("Seuls les membres de la commission déclarent des intérêts.")
    fields = _interest_fields(nature, started_on, ended_on)
    if session.get(Organisation, organisation_id) is None:
        raise ValidationFailed("Éditeur inconnu.", errors={"organisation_id": "Choisissez un éditeur."})
    declaration = InterestDeclaration(user_id=actor.id, organisation_id=organisation_id, **fields)
    session.add(declaration)
    session.flush()
    audit.record(session, "commission.interest_declared", actor=actor, subject=declaration,
                 payload={"organisation_id": organisation_id, "started_on": fields["started_on"],
                          "ended_on": fields["ended_on"]})
    _release_conflicted_assignments(session, actor, organisation_id)
    return declaration


def update_interest(session: Session, declaration: InterestDeclaration, *, actor: User, nature: str,
                    started_on: date | None, ended_on: date | None) -> InterestDeclaration:
    """Update one's own declaration (e.g. record the end of the link). Not retroactive:
    ending or shortening it while a dossier of the publisher is on an open agenda raises
    ``InterestFrozen`` after recording the request for the secretariat."""
    if declaration.user_id != actor.id:
        raise NotFound("Déclaration introuvable.")
    fields = _interest_fields(nature, started_on, ended_on)
    interests.guard_change(session, declaration, actor=actor, started_on=fields["started_on"],
                           ended_on=fields["ended_on"])
    before = {"started_on": declaration.started_on, "ended_on": declaration.ended_on}
    for key, value in fields.items():
        setattr(declaration, key, value)
    session.flush()
    audit.record(session, "commission.interest_updated", actor=actor, subject=declaration,
                 payload={"before": before, "after": {"started_on": fields["started_on"],
                                                      "ended_on": fields["ended_on"]}})
    _release_conflicted_assignments(session, actor, declaration.organisation_id)
    return declaration


def _release_conflicted_assignments(session: Session, user: User, organisation_id: int) -> None:
    if not has_declared_interest(session, user.id, organisation_id):
        return
    rows = session.scalars(
        select(Assignment).join(Dossier, Dossier.id == Assignment.dossier_id).where(
            Assignment.rapporteur_id == user.id, Assignment.released_at.is_(None),
            Dossier.organisation_id == organisation_id, Dossier.state.not_in(FINAL_DOSSIER_STATES),
        )
    ).all()
    for assignment in rows:
        assignment.released_at = now()
        audit.record(session, "commission.assignment_released", actor=user, subject=assignment,
                     payload={"dossier_id": assignment.dossier_id, "reason": "interest_declared"})


def interests_of(session: Session, user: User) -> list[InterestDeclaration]:
    return list(session.scalars(
        select(InterestDeclaration).options(selectinload(InterestDeclaration.organisation))
        .where(InterestDeclaration.user_id == user.id).order_by(InterestDeclaration.started_on.desc())
    ))


def all_interests(session: Session, *, actor: User) -> list[InterestDeclaration]:
    """Every declaration (the secretariat's register)."""
    require_role(actor, Role.SECRETARIAT, Role.CHAIR)
    return list(session.scalars(
        select(InterestDeclaration)
        .options(selectinload(InterestDeclaration.organisation), selectinload(InterestDeclaration.user))
        .order_by(InterestDeclaration.declared_at.desc())
    ))


# --- Rapporteurs -------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    user: User
    open_assignments: int
    last_assigned_at: datetime | None


def rapporteur_candidates(session: Session, dossier: Dossier) -> list[Candidate]:
    """Eligible rapporteurs, least loaded first: open assignments, then the longest
    since their last assignment (never assigned first), then account age."""
    open_counts = dict(session.execute(
        select(Assignment.rapporteur_id, func.count())
        .join(Dossier, Dossier.id == Assignment.dossier_id)
        .where(Assignment.released_at.is_(None), Dossier.state.not_in(FINAL_DOSSIER_STATES),
               Assignment.dossier_id != dossier.id)
        .group_by(Assignment.rapporteur_id)
    ).all())
    last = dict(session.execute(
        select(Assignment.rapporteur_id, func.max(Assignment.assigned_at))
        .where(Assignment.dossier_id != dossier.id).group_by(Assignment.rapporteur_id)
    ).all())
    candidates = []
    for user in accounts_queries.users_with_role(session, Role.RAPPORTEUR):
        if has_declared_interest(session, user.id, dossier.organisation_id):
            continue
        if user.id in _publisher_member_ids(session, dossier):
            continue
        when = last.get(user.id)
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=now().tzinfo)
        candidates.append(Candidate(user, open_counts.get(user.id, 0), when))
    candidates.sort(key=lambda c: (c.open_assignments,
                                   c.last_assigned_at.timestamp() if c.last_assigned_at else 0,
                                   c.user.id))
    return candidates


def _publisher_member_ids(session: Session, dossier: Dossier) -> set[int]:
    return {u.id for u in commission_queries.publisher_members(session, dossier)}


def propose_rapporteurs(session: Session, dossier: Dossier) -> list[User]:
    """The two least loaded eligible rapporteurs (fewer when not enough are eligible)."""
    return [c.user for c in rapporteur_candidates(session, dossier)[:2]]


def assign_rapporteurs(session: Session, dossier: Dossier, rapporteur_ids: Sequence[int], *,
                       actor: User, override_reason: str | None = None) -> list[Assignment]:
    """Confirm the proposal or override it (with a reason); replaces current assignments."""
    require_role(actor, Role.SECRETARIAT)
    if dossier.state not in (S.SUBMITTED, S.UNDER_EVALUATION, S.INFORMATION_REQUESTED):
        raise ValidationFailed("Les rapporteurs se désignent entre le dépôt et la fin de l'instruction.")
    ids = list(dict.fromkeys(int(i) for i in rapporteur_ids))
    if len(ids) != 2:
        raise ValidationFailed("Désignez deux rapporteurs distincts.",
                               errors={"rapporteurs": "Désignez deux rapporteurs distincts."})
    eligible = {c.user.id for c in rapporteur_candidates(session, dossier)}
    for uid in ids:
        if uid not in eligible:
            user = session.get(User, uid)
            why = ("a déclaré un intérêt lié à cet éditeur"
                   if user and has_declared_interest(session, uid, dossier.organisation_id)
                   else "n'est pas un rapporteur éligible")
            message = f"{(user.display_name or user.email) if user else uid} {why}."
            raise ValidationFailed(message, errors={"rapporteurs": message})
    proposed = {u.id for u in propose_rapporteurs(session, dossier)}
    reason = (override_reason or "").strip()
    current = {a.rapporteur_id: a for a in session.scalars(
        select(Assignment).where(Assignment.dossier_id == dossier.id))}
    active_now = {uid for uid, a in current.items() if a.released_at is None}
    if set(ids) == active_now:
        return [current[uid] for uid in ids]
    if set(ids) != proposed and not reason:
        message = "Vous vous écartez de la proposition automatique : indiquez pourquoi."
        raise ValidationFailed(message, errors={"override_reason": message})
    for uid, held in current.items():
        if uid not in ids and held.released_at is None:
            held.released_at = now()
    result = []
    for uid in ids:
        assignment = current.get(uid)
        if assignment is None:
            assignment = Assignment(dossier_id=dossier.id, rapporteur_id=uid, assigned_by_id=actor.id)
            session.add(assignment)
        elif assignment.released_at is not None:
            assignment.released_at = None
            assignment.assigned_at = now()
            assignment.assigned_by_id = actor.id
        assignment.override_reason = reason if set(ids) != proposed else None
        result.append(assignment)
    session.flush()
    audit.record(session, "commission.rapporteurs_assigned", actor=actor, subject=dossier,
                 payload={"before": sorted(active_now), "after": sorted(ids),
                          "proposed": sorted(proposed), "override": set(ids) != proposed})
    if dossier.state != S.SUBMITTED:
        # Assigned during the evaluation: they must hear of it now (at acceptance otherwise).
        new = [a.rapporteur for a in result if a.rapporteur_id not in active_now]
        commission_notifications.assigned(session, new, dossier, due_on=dossier.review_due_on)
    return result


# --- Admissibility and evaluation ----------------------------------------------------


def accept_dossier(session: Session, dossier: Dossier, *, actor: User) -> Dossier:
    """Declare the dossier admissible: starts the review clock (two rapporteurs needed)."""
    return _fire(session, dossier, "accept", actor)


def declare_incomplete(session: Session, dossier: Dossier, *, actor: User,
                       missing_items: Sequence[Mapping[str, Any]]) -> Dossier:
    """Send the dossier back with the missing items, field by field."""
    return _fire(session, dossier, "declare_incomplete", actor,
                 missing_items=[dict(i) for i in missing_items])


def request_information(session: Session, dossier: Dossier, *, actor: User, questions: str) -> Dossier:
    """Ask the publisher questions; stops the review clock."""
    return _fire(session, dossier, "request_information", actor, questions=questions)


def lapse_dossier(session: Session, dossier: Dossier) -> Dossier:
    """The clock's act: an information request left unanswered past its due date."""
    return _fire(session, dossier, "lapse", None)


def current_report(session: Session, dossier: Dossier, user: User) -> RapporteurReport | None:
    return session.scalar(
        select(RapporteurReport).options(selectinload(RapporteurReport.assessments))
        .where(RapporteurReport.dossier_id == dossier.id, RapporteurReport.rapporteur_id == user.id,
               RapporteurReport.round == dossier.round)
    )


def file_report(session: Session, dossier: Dossier, *, actor: User,
                assessments: Mapping[int, Mapping[str, Any]], proposed_opinion: str | None,
                summary: str = "", submit: bool = False,
                marked_compliant: Sequence[str] = ()) -> RapporteurReport:
    """Save the rapporteur's report on the current round; ``submit`` files it (final).

    ``assessments`` maps requirement id → {verdict, public_comment, internal_comment}
    (only the requirements given change: a category can be saved alone).
    ``marked_compliant`` names the requirements the rapporteur marked compliant in bulk
    ("the rest of this category"), recorded as such in the audit trail.
    """
    if "rapporteur" not in roles_on_dossier(session, dossier, actor):
        raise NotFound("Dossier introuvable.")
    if dossier.state != S.UNDER_EVALUATION:
        raise ValidationFailed("Le rapport se rédige pendant l'instruction du dossier.")
    report = current_report(session, dossier, actor)
    if report is not None and report.filed_at is not None:
        raise Conflict("Votre rapport est déjà déposé : il ne peut plus être modifié.")
    applicable = {r.id: r for r in dossier_queries.applicable_requirements(session, dossier)}
    errors: dict[str, str] = {}
    try:
        opinion = OpinionValue(proposed_opinion) if proposed_opinion else None
    except ValueError:
        opinion = None
        errors["proposed_opinion"] = "Avis proposé inconnu."
    if report is None:
        report = RapporteurReport(dossier_id=dossier.id, rapporteur_id=actor.id, round=dossier.round)
        session.add(report)
        # Carry over the previous round's verdicts so a new round starts from them.
        previous = session.scalar(
            select(RapporteurReport).options(selectinload(RapporteurReport.assessments))
            .where(RapporteurReport.dossier_id == dossier.id, RapporteurReport.rapporteur_id == actor.id,
                   RapporteurReport.round < dossier.round).order_by(RapporteurReport.round.desc()).limit(1))
        if previous:
            for old in previous.assessments:
                report.assessments.append(Assessment(
                    requirement_id=old.requirement_id, verdict=old.verdict,
                    public_comment=old.public_comment, internal_comment=old.internal_comment))
    existing = {a.requirement_id: a for a in report.assessments}
    for requirement_id, values in assessments.items():
        requirement = applicable.get(int(requirement_id))
        if requirement is None:
            errors[f"req-{requirement_id}"] = "Cette exigence ne s'applique pas à ce dossier."
            continue
        raw = values.get("verdict") or None
        try:
            verdict = Verdict(raw) if raw else None
        except ValueError:
            errors[f"verdict-{requirement.id}"] = "Verdict inconnu."
            continue
        assessment = existing.get(requirement.id)
        if assessment is None:
            assessment = Assessment(requirement_id=requirement.id)
            report.assessments.append(assessment)
            existing[requirement.id] = assessment
        assessment.verdict = verdict
        assessment.public_comment = str(values.get("public_comment") or "").strip()
        assessment.internal_comment = str(values.get("internal_comment") or "").strip()
        if verdict in (Verdict.NOT_COMPLIANT, Verdict.RESERVATION) and not assessment.public_comment:
            errors[f"public-{requirement.id}"] = (
                f"{requirement.code} : expliquez à l'éditeur ce qui manque.")
    report.proposed_opinion = opinion
    report.summary = (summary or "").strip()
    if errors:
        raise ValidationFailed("Le rapport contient des erreurs.", errors=errors)
    session.flush()
    if submit:
        problems = commission_queries.report_problems(session, dossier, report)
        if problems:
            raise ValidationFailed(" ".join(problems), errors={"report": " ".join(problems)})
        report.filed_at = now()
    session.flush()
    audit.record(session, "commission.report_filed" if submit else "commission.report_saved",
                 actor=actor, subject=dossier,
                 payload={"report_id": report.id, "round": report.round,
                          "proposed_opinion": opinion.value if opinion else None,
                          **({"marked_compliant": list(marked_compliant)} if marked_compliant else {}),
                          "verdicts": dict(sorted(
                              (v.value, sum(1 for a in report.assessments if a.verdict == v))
                              for v in Verdict))})
    return report


def visible_reports(session: Session, dossier: Dossier, user: User) -> list[RapporteurReport]:
    """Reports of the current and past rounds that ``user`` may read.

    A rapporteur reads their own, and another's only once they filed their own for
    that round (independent reviews); the rest of the commission reads filed reports.
    """
    roles = roles_on_dossier(session, dossier, user)
    reports = session.scalars(
        select(RapporteurReport)
        .options(selectinload(RapporteurReport.assessments).selectinload(Assessment.requirement),
                 selectinload(RapporteurReport.rapporteur))
        .where(RapporteurReport.dossier_id == dossier.id)
        .order_by(RapporteurReport.round.desc(), RapporteurReport.id)
    ).all()
    if "rapporteur" in roles:
        filed_rounds = {r.round for r in reports if r.rapporteur_id == user.id and r.filed_at}
        return [r for r in reports
                if r.rapporteur_id == user.id or (r.filed_at and r.round in filed_rounds)]
    if roles & {"secretariat", "chair", "decision_maker", "member"}:
        return [r for r in reports if r.filed_at]
    return []


def complete_evaluation(session: Session, dossier: Dossier, *, actor: User) -> Dossier:
    """Close the evaluation once both reports are filed."""
    return _fire(session, dossier, "complete_evaluation", actor)


def confirm_lift(session: Session, dossier: Dossier, *, actor: User) -> Dossier:
    """A rapporteur of the dossier confirms the suspensive reservations lifted."""
    return _fire(session, dossier, "confirm_lift", actor)


def decide(session: Session, dossier: Dossier, *, actor: User, outcome: str, motivation: str,
           reasons: Sequence[Mapping[str, Any]] = (), withdrawal_terms: str | None = None) -> Decision:
    """The State's decision; ``referenced`` prepares the agreement the publisher signs."""
    data: dict[str, Any] = {"outcome": outcome, "motivation": motivation,
                            "reasons": [dict(r) for r in reasons]}
    if withdrawal_terms:
        data["withdrawal_terms"] = withdrawal_terms
    _fire(session, dossier, "decide", actor, **data)
    decision = session.scalar(select(Decision).where(Decision.dossier_id == dossier.id))
    assert decision is not None
    return decision
