"""The commission's guards and effects of the dossier lifecycle (``workflows/dossier.py``).

Guards return ``None`` or the reason, in French, why the transition is refused;
effects run after the state changed, in the same transaction, and add what the
audit event should carry to ``ctx.audit_payload``. The helpers below (quorum,
tally, eligibility) are shared with ``services`` so that a page, a guard and a
test all apply the same rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.accounts.models import Role, User, UserRole
from catalogue.clock import now, today
from catalogue.commission import interests
from catalogue.commission.models import (
    FAVOURABLE_OPINIONS,
    AdmissibilityDecision,
    AdmissibilityOutcome,
    AgendaItem,
    AgendaItemOutcome,
    Agreement,
    Assignment,
    Attendance,
    CommissionSession,
    Decision,
    DecisionOutcome,
    Opinion,
    OpinionValue,
    RapporteurReport,
    SessionState,
    VoteChoice,
)
from catalogue.commission.settings import setting
from catalogue.dossiers.models import Dossier, InformationRequest
from catalogue.frameworks.models import Requirement
from catalogue.notifications import services as notifications
from catalogue.publishers.models import MemberRole, Membership
from workflows.dossier import has_declared_interest
from workflows.engine import Context

# Members who sit in the commission and vote (DESIGN §3).
VOTING_ROLES = (Role.MEMBER, Role.CHAIR)

DEFAULT_WITHDRAWAL_TERMS = (
    "L'éditeur peut mettre fin à la convention à tout moment par écrit ; la fiche est alors "
    "retirée du catalogue. L'État peut suspendre ou déréférencer l'application en cas de "
    "manquement au référentiel, d'incident de sécurité ou de non-respect de la convention, "
    "après avoir entendu l'éditeur sauf urgence. Les données des usagers déjà échangées "
    "restent soumises au droit commun de la protection des données."
)


# --- Shared helpers ------------------------------------------------------------


def active_assignments(session: Session, dossier: Dossier) -> list[Assignment]:
    """The rapporteurs currently assigned to the dossier, oldest first."""
    return list(
        session.scalars(
            select(Assignment)
            .where(Assignment.dossier_id == dossier.id, Assignment.released_at.is_(None))
            .order_by(Assignment.assigned_at, Assignment.id)
        )
    )


def applicable_requirements(session: Session, dossier: Dossier) -> list[Requirement]:
    """The requirements that apply to the dossier (frozen framework and profile).

    The dossiers domain owns the rule; until its service is importable the same
    pure function is applied to the snapshot's predicates.
    """
    try:
        from catalogue.dossiers.services import applicable_requirements as owned
    except ImportError:
        owned = None
    if owned is not None:
        return list(owned(session, dossier))
    from catalogue.frameworks.applicability import applicable_requirements as pure

    requirements = session.scalars(
        select(Requirement).where(Requirement.framework_id == dossier.framework_id)
    ).all()
    predicates = (dossier.profile_snapshot or {}).get("predicates") or []
    return pure(requirements, predicates)


def publisher_members(session: Session, dossier: Dossier, *, owners_only: bool = False) -> list[User]:
    """Members of the dossier's organisation (those who act for the publisher)."""
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == dossier.organisation_id, User.is_active.is_(True))
    )
    if owners_only:
        query = query.where(Membership.role == MemberRole.OWNER)
    return list(session.scalars(query.order_by(User.id)))


def users_with_role(session: Session, *roles: Role) -> list[User]:
    """Active accounts holding any of ``roles``."""
    return list(
        session.scalars(
            select(User)
            .where(
                User.is_active.is_(True),
                User.erased_at.is_(None),
                select(UserRole.user_id)
                .where(UserRole.user_id == User.id, UserRole.role.in_(roles))
                .exists(),
            )
            .order_by(User.id)
        )
    )


def sitting_members(session: Session) -> list[User]:
    """The commission's voting members (role ``member`` or ``chair``)."""
    return users_with_role(session, *VOTING_ROLES)


def quorum_required(session: Session) -> int:
    """Members present needed to vote: ``QUORUM``, else a majority of sitting members."""
    configured = setting("QUORUM")
    if configured:
        return int(configured)
    return len(sitting_members(session)) // 2 + 1


def present_member_ids(session: Session, commission_session: CommissionSession) -> set[int]:
    """Voting members recorded present at the session."""
    voting = {u.id for u in sitting_members(session)}
    present = session.scalars(
        select(Attendance.user_id).where(
            Attendance.session_id == commission_session.id, Attendance.present.is_(True)
        )
    )
    return {uid for uid in present if uid in voting}


def open_information_request(session: Session, dossier: Dossier) -> InformationRequest | None:
    """The unanswered information request of the dossier, if any."""
    return session.scalar(
        select(InformationRequest)
        .where(InformationRequest.dossier_id == dossier.id, InformationRequest.answered_at.is_(None))
        .order_by(InformationRequest.id.desc())
        .limit(1)
    )


def latest_opinion(session: Session, dossier: Dossier) -> Opinion | None:
    return session.scalar(
        select(Opinion).where(Opinion.dossier_id == dossier.id).order_by(Opinion.id.desc()).limit(1)
    )


def tally(votes: Iterable[tuple[int, VoteChoice | str]], chair_ids: Iterable[int] = ()
          ) -> tuple[dict[str, int], OpinionValue | None, str | None]:
    """Count the votes; the opinion is the choice with most votes cast.

    Abstentions are counted for the minutes but not as votes cast. On a tie the
    vote of the chair decides when it went to one of the tied choices. Returns
    (counts, opinion or None, reason when there is no opinion).
    """
    chair_ids = set(chair_ids)
    counts: Counter[str] = Counter()
    chair_choices: set[str] = set()
    for voter_id, choice in votes:
        value = VoteChoice(choice).value
        counts[value] += 1
        if voter_id in chair_ids:
            chair_choices.add(value)
    result = {c.value: counts.get(c.value, 0) for c in VoteChoice}
    cast = {k: v for k, v in counts.items() if k != VoteChoice.ABSTENTION.value}
    if not cast:
        return result, None, ("Aucun suffrage exprimé : au moins un membre doit voter autrement "
                              "qu'en s'abstenant.")
    best = max(cast.values())
    leaders = sorted(k for k, v in cast.items() if v == best)
    if len(leaders) == 1:
        return result, OpinionValue(leaders[0]), None
    deciding = chair_choices & set(leaders)
    if len(deciding) == 1:
        return result, OpinionValue(deciding.pop()), None
    return result, None, (
        "Égalité des voix : la voix du président est prépondérante, mais il n'a pas voté "
        "pour l'une des positions à égalité."
    )


def eligible_voter_reason(session: Session, item: AgendaItem, user: User) -> str | None:
    """Why ``user`` may not vote on ``item`` (None when they may)."""
    commission_session = item.session
    if commission_session.state != SessionState.OPEN:
        return "Le vote n'est possible que pendant une séance ouverte."
    if item.outcome != AgendaItemOutcome.PENDING:
        return "Ce point de l'ordre du jour a déjà été traité."
    if not user.has_role(*VOTING_ROLES):
        return "Seuls les membres de la commission votent."
    if has_declared_interest(session, user.id, item.dossier.organisation_id):
        return "Vous avez déclaré un intérêt lié à cet éditeur : vous ne pouvez pas voter sur ce dossier."
    if interests.interest_since_scheduling(session, user.id, item):
        return ("Votre déclaration d'intérêt lié à cet éditeur couvrait une période depuis "
                "l'inscription du dossier à l'ordre du jour : vous ne pouvez pas voter sur ce dossier.")
    if user.id not in present_member_ids(session, commission_session):
        return "Seuls les membres enregistrés comme présents peuvent voter."
    return None


def interest_organisations(session: Session, user_id: int) -> set[int]:
    """Organisations in which the user has a current declared interest (one query)."""
    from catalogue.commission.models import InterestDeclaration

    on = today()
    return set(session.scalars(select(InterestDeclaration.organisation_id).where(
        InterestDeclaration.user_id == user_id, InterestDeclaration.started_on <= on,
        (InterestDeclaration.ended_on.is_(None)) | (InterestDeclaration.ended_on >= on))))


def review_due(start: date, days_stopped: int = 0) -> date:
    return start + timedelta(days=int(setting("REVIEW_DAYS")) + days_stopped)


def resume_review_clock(dossier: Dossier, on: date | None = None) -> int:
    """Restart a stopped review clock: push the due date by the days stopped.

    Called by the publisher's ``answer_information`` effect; returns the days stopped.
    """
    on = on or today()
    if dossier.clock_stopped_on is None:
        return 0
    stopped = max(0, (on - dossier.clock_stopped_on).days)
    dossier.days_stopped = (dossier.days_stopped or 0) + stopped
    if dossier.review_due_on is not None:
        dossier.review_due_on = dossier.review_due_on + timedelta(days=stopped)
    dossier.clock_stopped_on = None
    return stopped


def _link(dossier: Dossier) -> str:
    return f"/commission/dossiers/{dossier.id}"


def _publisher_link(dossier: Dossier) -> str:
    return f"/editeur/dossiers/{dossier.id}"


def _context(dossier: Dossier, **extra: Any) -> dict[str, Any]:
    return {"reference": dossier.reference or "", "app_name": dossier.app.name, **extra}


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
    notifications.notify(
        ctx.session, publisher_members(ctx.session, dossier), "commission_dossier_incomplete",
        _context(dossier, missing_items=items), link=_publisher_link(dossier),
    )


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
    dossier.review_due_on = review_due(start)
    dossier.clock_stopped_on = None
    dossier.days_stopped = 0
    ctx.session.add(AdmissibilityDecision(
        dossier_id=dossier.id, round=dossier.round, outcome=AdmissibilityOutcome.ACCEPTED,
        missing_items=[], decided_by_id=ctx.actor.id,
    ))
    ctx.audit_payload["review_due_on"] = dossier.review_due_on
    notifications.notify(
        ctx.session, publisher_members(ctx.session, dossier), "commission_dossier_accepted",
        _context(dossier, due_on=dossier.review_due_on), link=_publisher_link(dossier),
    )
    rapporteurs = [a.rapporteur for a in active_assignments(ctx.session, dossier)]
    notifications.notify(
        ctx.session, rapporteurs, "commission_assigned",
        _context(dossier, due_on=dossier.review_due_on), link=_link(dossier),
    )


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
    notifications.notify(
        ctx.session, publisher_members(ctx.session, dossier), "commission_information_requested",
        _context(dossier, due_on=due, questions=request.questions), link=_publisher_link(dossier),
    )


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
    notifications.notify(
        ctx.session, publisher_members(ctx.session, dossier), "commission_dossier_lapsed",
        _context(dossier), link=_publisher_link(dossier),
    )


# --- Evaluation ------------------------------------------------------------------


def report_problems(session: Session, dossier: Dossier, report: RapporteurReport) -> list[str]:
    """What a report still lacks before it can be filed (French, one line each)."""
    problems = []
    verdicts = {a.requirement_id: a.verdict for a in report.assessments}
    missing = [r.code for r in applicable_requirements(session, dossier) if verdicts.get(r.id) is None]
    if missing:
        problems.append("Verdict manquant pour : " + ", ".join(missing) + ".")
    if report.proposed_opinion is None:
        problems.append("Proposez un avis.")
    return problems


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


def opinion_refusal(session: Session, item: AgendaItem, reservations: str = ""
                    ) -> tuple[str | None, dict[str, int], OpinionValue | None]:
    """Why the opinion on ``item`` cannot be recorded now, the tally and the opinion."""
    commission_session = item.session
    if commission_session.state != SessionState.OPEN:
        return "L'avis ne peut être rendu que pendant une séance ouverte.", {}, None
    if item.outcome != AgendaItemOutcome.PENDING:
        return "Ce point de l'ordre du jour a déjà été traité.", {}, None
    present = present_member_ids(session, commission_session)
    needed = quorum_required(session)
    if len(present) < needed:
        return (f"Quorum non atteint : {len(present)} membre(s) présent(s), {needed} requis.", {}, None)
    votes = [(v.voter_id, v.choice) for v in item.votes]
    conflicted = [v for v in item.votes
                  if has_declared_interest(session, v.voter_id, item.dossier.organisation_id)]
    if conflicted:
        return "Un membre ayant déclaré un intérêt a voté : le vote doit être repris.", {}, None
    chairs = {u.id for u in users_with_role(session, Role.CHAIR)}
    counts, opinion, reason = tally(votes, chairs)
    if reason:
        return reason, counts, None
    if opinion in (OpinionValue.FAVOURABLE_WITH_RESERVATIONS,
                   OpinionValue.FAVOURABLE_WITH_SUSPENSIVE_RESERVATIONS) and not reservations.strip():
        return "Rédigez les réserves dont l'avis est assorti.", counts, opinion
    return None, counts, opinion


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
    notifications.notify(
        ctx.session, publisher_members(ctx.session, dossier), "commission_opinion_issued",
        _context(dossier, opinion=value.value, reservations=reservations),
        link=_publisher_link(dossier),
    )


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
    notifications.notify(ctx.session, recipients, "commission_lift_confirmed", _context(dossier),
                         link=_link(dossier))


def decision_refusal(session: Session, dossier: Dossier, outcome: Any, motivation: str,
                     reasons: Sequence[dict[str, Any]]) -> str | None:
    """Why this decision cannot be recorded (None when it can)."""
    try:
        outcome = DecisionOutcome(outcome)
    except ValueError:
        return "Choisissez la décision : référencement ou refus."
    opinion = latest_opinion(session, dossier)
    if opinion is None:
        return "La commission n'a pas rendu d'avis sur ce dossier."
    if not str(motivation or "").strip():
        return "Motivez la décision."
    if outcome == DecisionOutcome.REFERENCED:
        if opinion.value not in FAVOURABLE_OPINIONS:
            return "Le référencement exige un avis favorable de la commission."
        if opinion.has_open_suspensive_reservation:
            return ("Les réserves suspensives n'ont pas été levées : un rapporteur doit confirmer "
                    "leur levée avant le référencement.")
    else:
        given = [r for r in reasons or () if str(r.get("reason", "")).strip()]
        if not given:
            return "Un refus doit être motivé exigence par exigence : indiquez au moins un motif."
    codes = {r.code for r in applicable_requirements(session, dossier)}
    unknown = sorted({str(r.get("requirement_code")) for r in reasons or ()
                      if str(r.get("reason", "")).strip() and r.get("requirement_code") not in codes})
    if unknown:
        return "Exigence inconnue pour ce dossier : " + ", ".join(unknown) + "."
    return None


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
    notifications.notify(
        ctx.session, publisher_members(ctx.session, dossier), "commission_decision",
        _context(dossier, outcome=outcome.value, motivation=decision.motivation),
        link=_publisher_link(dossier),
    )
