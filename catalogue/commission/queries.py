"""Reads of the commission: assignments, quorum and tally, eligibility to vote, interests,
the review clock, and why an opinion or a decision cannot be recorded yet. Pages, guards
and tests apply the same rule from here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.accounts.models import Role, User
from catalogue.accounts.queries import users_with_role
from catalogue.clock import today
from catalogue.commission import interests
from catalogue.commission.models import (
    FAVOURABLE_OPINIONS,
    AgendaItem,
    AgendaItemOutcome,
    Assignment,
    Attendance,
    CommissionSession,
    DecisionOutcome,
    InterestDeclaration,
    Opinion,
    OpinionValue,
    RapporteurReport,
    SessionState,
    VoteChoice,
)
from catalogue.dossiers.models import Dossier, InformationRequest
from catalogue.dossiers.queries import applicable_requirements
from catalogue.publishers.models import MemberRole, Membership
from catalogue.settings import setting


def has_declared_interest(session: Session, user_id: int, organisation_id: int) -> bool:
    """Whether the user has an interest in the organisation that is current today."""
    on = today()
    return session.scalar(
        select(InterestDeclaration.id).where(
            InterestDeclaration.user_id == user_id,
            InterestDeclaration.organisation_id == organisation_id,
            InterestDeclaration.started_on <= on,
            (InterestDeclaration.ended_on.is_(None)) | (InterestDeclaration.ended_on >= on),
        ).limit(1)
    ) is not None


# Members who sit in the commission and vote (DESIGN §3).
VOTING_ROLES = (Role.MEMBER, Role.CHAIR)


def active_assignments(session: Session, dossier: Dossier) -> list[Assignment]:
    """The rapporteurs currently assigned to the dossier, oldest first."""
    return list(
        session.scalars(
            select(Assignment)
            .where(Assignment.dossier_id == dossier.id, Assignment.released_at.is_(None))
            .order_by(Assignment.assigned_at, Assignment.id)
        )
    )


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


def sitting_members(session: Session) -> list[User]:
    """The commission's voting members (role ``member`` or ``chair``)."""
    return users_with_role(session, *VOTING_ROLES)


def quorum_required(session: Session) -> int:
    """Members present needed to vote: ``QUORUM``, else a majority of sitting members."""
    return _quorum(len(sitting_members(session)))


def _quorum(sitting: int) -> int:
    configured = setting("QUORUM")
    return int(configured) if configured else sitting // 2 + 1


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


@dataclass(frozen=True)
class SessionFacts:
    """What every agenda item of a session needs to know, read once for the whole session:
    the sitting members, who is present, the quorum, the chairs, and the current declared
    interests of every sitting member in the organisations on the agenda."""

    members: list[User]
    attendance: dict[int, bool]
    present: frozenset[int]
    quorum: int
    chair_ids: frozenset[int]
    interests: frozenset[tuple[int, int]]  # (user id, organisation id)

    def conflicted(self, user_id: int, organisation_id: int) -> bool:
        """Whether the user declared a current interest in the organisation."""
        return (user_id, organisation_id) in self.interests


def session_facts(session: Session, commission_session: CommissionSession) -> SessionFacts:
    """The facts of one session, in four queries whatever the length of its agenda."""
    members = sitting_members(session)
    voting = {u.id for u in members}
    attendance = {a.user_id: a.present for a in session.scalars(
        select(Attendance).where(Attendance.session_id == commission_session.id))}
    organisations = {item.dossier.organisation_id for item in commission_session.items}
    on = today()
    interests = session.execute(select(InterestDeclaration.user_id,
                                       InterestDeclaration.organisation_id).where(
        InterestDeclaration.organisation_id.in_(organisations), InterestDeclaration.started_on <= on,
        (InterestDeclaration.ended_on.is_(None)) | (InterestDeclaration.ended_on >= on))).all()
    return SessionFacts(
        members=members, attendance=attendance,
        present=frozenset(uid for uid, here in attendance.items() if here and uid in voting),
        quorum=_quorum(len(members)),
        chair_ids=frozenset(u.id for u in members if u.has_role(Role.CHAIR)),
        interests=frozenset((int(u), int(o)) for u, o in interests))


def eligible_voter_reason(session: Session, item: AgendaItem, user: User,
                          facts: SessionFacts | None = None) -> str | None:
    """Why ``user`` may not vote on ``item`` (None when they may). ``facts`` spares the
    queries when a page asks for every item of a session."""
    facts = facts or session_facts(session, item.session)
    commission_session = item.session
    if commission_session.state != SessionState.OPEN:
        return "Le vote n'est possible que pendant une séance ouverte."
    if item.outcome != AgendaItemOutcome.PENDING:
        return "Ce point de l'ordre du jour a déjà été traité."
    if not user.has_role(*VOTING_ROLES):
        return "Seuls les membres de la commission votent."
    if facts.conflicted(user.id, item.dossier.organisation_id):
        return "Vous avez déclaré un intérêt lié à cet éditeur : vous ne pouvez pas voter sur ce dossier."
    if interests.interest_since_scheduling(session, user.id, item):
        return ("Votre déclaration d'intérêt lié à cet éditeur couvrait une période depuis "
                "l'inscription du dossier à l'ordre du jour : vous ne pouvez pas voter sur ce dossier.")
    if user.id not in facts.present:
        return "Seuls les membres enregistrés comme présents peuvent voter."
    return None


def interest_organisations(session: Session, user_id: int) -> set[int]:
    """Organisations in which the user has a current declared interest (one query)."""
    on = today()
    return set(session.scalars(select(InterestDeclaration.organisation_id).where(
        InterestDeclaration.user_id == user_id, InterestDeclaration.started_on <= on,
        (InterestDeclaration.ended_on.is_(None)) | (InterestDeclaration.ended_on >= on))))


def review_days(dossier: Dossier) -> int:
    """The review clock of a dossier, in calendar days: its framework's track for the
    dossier's kind (``tracks:`` in the framework file), else the REVIEW_DAYS setting."""
    return dossier.framework.review_days(dossier.kind.value) or int(setting("REVIEW_DAYS"))


def review_due(start: date, dossier: Dossier, days_stopped: int = 0) -> date:
    """The day the review of ``dossier`` started on ``start`` must end."""
    return start + timedelta(days=review_days(dossier) + days_stopped)


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


def opinion_refusal(session: Session, item: AgendaItem, reservations: str = "", *,
                    facts: SessionFacts | None = None
                    ) -> tuple[str | None, dict[str, int], OpinionValue | None]:
    """Why the opinion on ``item`` cannot be recorded now, the tally and the opinion."""
    commission_session = item.session
    if commission_session.state != SessionState.OPEN:
        return "L'avis ne peut être rendu que pendant une séance ouverte.", {}, None
    if item.outcome != AgendaItemOutcome.PENDING:
        return "Ce point de l'ordre du jour a déjà été traité.", {}, None
    facts = facts or session_facts(session, commission_session)
    present, needed = facts.present, facts.quorum
    if len(present) < needed:
        return (f"Quorum non atteint : {len(present)} membre(s) présent(s), {needed} requis.", {}, None)
    votes = [(v.voter_id, v.choice) for v in item.votes]
    conflicted = [v for v in item.votes if facts.conflicted(v.voter_id, item.dossier.organisation_id)]
    if conflicted:
        return "Un membre ayant déclaré un intérêt a voté : le vote doit être repris.", {}, None
    counts, opinion, reason = tally(votes, facts.chair_ids)
    if reason:
        return reason, counts, None
    if opinion in (OpinionValue.FAVOURABLE_WITH_RESERVATIONS,
                   OpinionValue.FAVOURABLE_WITH_SUSPENSIVE_RESERVATIONS) and not reservations.strip():
        return "Rédigez les réserves dont l'avis est assorti.", counts, opinion
    return None, counts, opinion


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
