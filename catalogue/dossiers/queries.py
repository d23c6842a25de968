"""Reads of the dossiers domain: dossiers, answers, requirements that apply, progress,
the review clock and what changed between rounds."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload, selectinload

from catalogue.apps.models import App
from catalogue.clock import today
from catalogue.dossiers.feedback import unanswered_notes
from catalogue.dossiers.models import (
    Answer,
    AnswerStatus,
    Dossier,
    DossierState,
    Evidence,
)
from catalogue.frameworks.applicability import applicable_requirements as _applicable
from catalogue.frameworks.diff import Segment, word_diff
from catalogue.frameworks.models import FrameworkCategory, FrameworkStatus, Requirement
from catalogue.frameworks.queries import latest_published
from catalogue.frameworks.vocabulary import evidence_label
from catalogue.listings.queries import listing_of
from catalogue.publishers.models import Organisation, OrganisationStatus

S = DossierState


RENEWAL_WINDOW = timedelta(days=183)  # "six months before valid_until"


def dossiers_of_app(session: Session, app: App) -> list[Dossier]:
    """The app's dossiers, newest first."""
    return list(session.scalars(
        select(Dossier).where(Dossier.app_id == app.id)
        .options(selectinload(Dossier.framework))
        .order_by(Dossier.created_at.desc(), Dossier.id.desc())
    ))


def dossiers_of_organisation(session: Session, organisation: Organisation) -> list[Dossier]:
    """The organisation's dossiers with their apps, newest first."""
    return list(session.scalars(
        select(Dossier).where(Dossier.organisation_id == organisation.id)
        .options(selectinload(Dossier.app), selectinload(Dossier.framework))
        .order_by(Dossier.created_at.desc(), Dossier.id.desc())
    ))


def applicable_requirements(session: Session, dossier: Dossier) -> list[Requirement]:
    """The requirements that apply to the dossier: its frozen framework version and
    profile snapshot decide, for its whole life."""
    requirements = session.scalars(
        select(Requirement).where(Requirement.framework_id == dossier.framework_id)
    ).all()
    predicates = (dossier.profile_snapshot or {}).get("predicates") or []
    return _applicable(requirements, predicates)


def categories_of(session: Session, dossier: Dossier) -> list[FrameworkCategory]:
    """The framework's categories, in order."""
    return list(session.scalars(
        select(FrameworkCategory).where(FrameworkCategory.framework_id == dossier.framework_id)
        .order_by(FrameworkCategory.position)
    ))


def working_round(dossier: Dossier) -> int | None:
    """The round the publisher edits now, or None when the dossier is not editable."""
    if dossier.state == S.DRAFT:
        return dossier.round
    if dossier.state in (S.INCOMPLETE, S.INFORMATION_REQUESTED):
        return dossier.round + 1
    return None


def current_answers(session: Session, dossier: Dossier, *, working: bool = False,
                    round_: int | None = None, requirements_loaded: bool = False) -> dict[int, Answer]:
    """requirement_id → the latest answer up to the round under review (or, with
    ``working``, including the round the publisher is editing; or up to ``round_``).

    ``requirements_loaded``: the caller has just read the dossier's requirements, so each
    answer's requirement comes from the session's identity map without a query."""
    if round_ is None:
        round_ = (working_round(dossier) or dossier.round) if working else dossier.round
    requirement_load = (lazyload(Answer.requirement) if requirements_loaded
                        else selectinload(Answer.requirement))
    rows = session.scalars(
        select(Answer).where(Answer.dossier_id == dossier.id, Answer.round <= round_)
        .options(selectinload(Answer.evidence), requirement_load)
        .order_by(Answer.round)
    ).all()
    latest: dict[int, Answer] = {}
    for answer in rows:
        latest[answer.requirement_id] = answer
    return latest


def last_referenced_dossier(session: Session, app: App) -> Dossier | None:
    """The app's last referenced dossier (what a renewal or modification starts from)."""
    return session.scalar(
        select(Dossier).where(Dossier.app_id == app.id, Dossier.state == S.REFERENCED)
        .order_by(Dossier.closed_at.desc().nulls_last(), Dossier.id.desc()).limit(1)
    )


@dataclass(frozen=True)
class RenewalOffer:
    """Why a renewal is offered now (or None), and by when."""

    reason: str
    deadline: date


def renewal_offer(session: Session, app: App) -> RenewalOffer | None:
    """A renewal is offered from six months before ``valid_until``, and as soon as a newer
    wave than the listing's, setting a compliance deadline, is in force: a dossier is frozen
    to the wave in force, so a compliance dossier opened earlier would be assessed against
    the old wave and comply with nothing (the gap is shown from the new wave's publication)."""
    listing = listing_of(session, app)
    if listing is None:
        return None
    on = today()
    offers: list[RenewalOffer] = []
    if listing.valid_until - RENEWAL_WINDOW <= on:
        offers.append(RenewalOffer(
            f"Le référencement arrive à échéance le {listing.valid_until:%d/%m/%Y}.",
            listing.valid_until))
    latest = latest_published(session)
    if latest is not None and latest.id != listing.framework_id and latest.compliance_deadline \
            and latest.effective_from > listing.framework.effective_from \
            and latest.status == FrameworkStatus.IN_FORCE:
        offers.append(RenewalOffer(
            f"La vague {latest.label} impose une mise en conformité avant le "
            f"{latest.compliance_deadline:%d/%m/%Y}.", latest.compliance_deadline))
    return min(offers, key=lambda o: o.deadline) if offers else None


def renewal_refusal(session: Session, app: App) -> str:
    """Why no renewal or compliance dossier can be opened now, and from when it can."""
    listing = listing_of(session, app)
    if listing is None:
        return ("Un dossier de renouvellement ou de mise en conformité ne concerne qu'une "
                "application référencée.")
    latest = latest_published(session)
    if latest is not None and latest.effective_from > listing.framework.effective_from \
            and latest.status != FrameworkStatus.IN_FORCE:
        return (f"La vague {latest.label} du référentiel n'entre en vigueur que le "
                f"{latest.effective_from:%d/%m/%Y} : le dossier de mise en conformité s'ouvre "
                "à cette date, pour être évalué selon cette vague.")
    opens = listing.valid_until - RENEWAL_WINDOW
    return (f"Aucune nouvelle vague du référentiel n'est en vigueur et le référencement reste "
            f"valable jusqu'au {listing.valid_until:%d/%m/%Y} : le renouvellement s'ouvre six "
            f"mois avant l'échéance, le {opens:%d/%m/%Y}, ou à l'entrée en vigueur d'une "
            "nouvelle vague du référentiel.")


def requirement_changes(session: Session, dossier: Dossier) -> dict[str, str]:
    """For a renewal or modification: requirement code → ``new`` or ``reworded`` compared
    with the dossier it starts from."""
    if dossier.previous_dossier_id is None:
        return {}
    previous = session.get(Dossier, dossier.previous_dossier_id)
    if previous is None or previous.framework_id == dossier.framework_id:
        return {}
    old = {r.code: r for r in session.scalars(
        select(Requirement).where(Requirement.framework_id == previous.framework_id))}
    changes = {}
    for requirement in applicable_requirements(session, dossier):
        before = old.get(requirement.code)
        if before is None:
            changes[requirement.code] = "new"
        elif (before.title, before.statement, sorted(before.evidence or [])) != (
                requirement.title, requirement.statement, sorted(requirement.evidence or [])):
            changes[requirement.code] = "reworded"
    return changes


def evidence_library(session: Session, organisation: Organisation, app: App | None = None
                     ) -> list[Evidence]:
    """The files a dossier of ``app`` may use: the whole organisation's library (a file
    uploaded for one of its apps serves all of them)."""
    query = select(Evidence).where(Evidence.organisation_id == organisation.id)
    return list(session.scalars(
        query.options(selectinload(Evidence.uploaded_by)).order_by(Evidence.uploaded_at.desc())
    ))


@dataclass(frozen=True)
class Problem:
    """One thing that stops the submission, tied to a requirement and a field."""

    message: str
    field: str
    requirement_code: str | None = None
    requirement_id: int | None = None
    category: str | None = None


@dataclass(frozen=True)
class Completeness:
    """The round being edited, read once: the requirements that apply, the answers, and
    everything that stops its submission (one message per item, in framework order)."""

    requirements: list[Requirement]
    answers: dict[int, Answer]
    problems: list[Problem]


def submission_problems(session: Session, dossier: Dossier) -> list[Problem]:
    """Everything that stops the submission of the round being edited, one message per
    item, in framework order (the completeness panel and the ``submit`` guard)."""
    return completeness(session, dossier).problems


def completeness(session: Session, dossier: Dossier) -> Completeness:
    """The requirements, answers and problems of the round being edited (see ``Completeness``)."""
    problems: list[Problem] = []
    organisation = dossier.organisation
    if organisation.status != OrganisationStatus.VERIFIED:
        problems.append(Problem(
            "L'organisation n'a pas encore été vérifiée par le secrétariat : le dossier pourra "
            "être déposé après la vérification de son extrait d'immatriculation.",
            "organisation"))
    requirements = applicable_requirements(session, dossier)
    answers = current_answers(session, dossier, working=True, requirements_loaded=True)
    on = today()
    # The secretariat's notes stay open until the answer they concern changes.
    open_notes = unanswered_notes(session, dossier)
    for requirement in requirements:
        def add(message: str, field: str, r: Requirement = requirement) -> None:
            problems.append(Problem(f"{r.code} « {r.title} » : {message}", field, r.code, r.id,
                                    r.category))

        for note in open_notes.get(requirement.code, ()):
            add(f"remarque du secrétariat sans suite (réponse et pièces inchangées) : {note}",
                "admissibility")
        answer = answers.get(requirement.id)
        if answer is None or answer.status is None:
            add("sans réponse.", "status")
            continue
        if answer.status == AnswerStatus.NOT_COMPLIANT:
            if requirement.mandatory:
                add("exigence obligatoire déclarée non conforme ; le dossier ne peut être déposé "
                    "qu'une fois la mise en conformité faite.", "status")
            elif not answer.justification:
                add("expliquez l'écart et le plan de mise en conformité.", "justification")
            continue
        if answer.status == AnswerStatus.NOT_APPLICABLE:
            if not requirement.allow_not_applicable:
                add("cette exigence ne peut pas être déclarée non applicable.", "status")
            elif not answer.justification:
                add("justifiez pourquoi l'exigence ne s'applique pas.", "justification")
            continue
        kinds = {k for e in answer.evidence for k in e.kinds}
        for kind in requirement.evidence or []:
            if kind not in kinds:
                add(f"pièce manquante : {evidence_label(kind)}.", "evidence")
        for item in answer.evidence:
            if item.valid_until is not None and item.valid_until < on:
                add(f"la pièce « {item.title} » n'est plus valide depuis le "
                    f"{item.valid_until:%d/%m/%Y}.", "evidence")
    return Completeness(requirements, answers, problems)


@dataclass
class CategoryProgress:
    code: str
    title: str
    answered: int = 0
    applicable: int = 0
    requirements: list[Requirement] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.answered == self.applicable


def progress(session: Session, dossier: Dossier, answers: dict[int, Answer] | None = None
             ) -> list[CategoryProgress]:
    """Per category: answered / applicable requirements (empty categories left out)."""
    if answers is None:
        answers = current_answers(session, dossier, working=True)
    by_code = {c.code: CategoryProgress(c.code, c.title) for c in categories_of(session, dossier)}
    for requirement in applicable_requirements(session, dossier):
        entry = by_code.setdefault(requirement.category,
                                   CategoryProgress(requirement.category, requirement.category))
        entry.applicable += 1
        entry.requirements.append(requirement)
        answer = answers.get(requirement.id)
        if answer is not None and answer.status is not None:
            entry.answered += 1
    return [p for p in by_code.values() if p.applicable]


@dataclass(frozen=True)
class ReviewClock:
    started_on: date | None
    due_on: date | None
    days_used: int
    days_left: int | None
    days_stopped: int
    stopped_since: date | None


def review_clock(dossier: Dossier) -> ReviewClock | None:
    """Days used, left and stopped of the review clock, once it started."""
    if dossier.review_started_on is None:
        return None
    on = today()
    end = dossier.clock_stopped_on or (
        dossier.closed_at.date() if dossier.closed_at else on)
    stopped = dossier.days_stopped or 0
    used = max(0, (end - dossier.review_started_on).days - stopped)
    if dossier.clock_stopped_on is not None:
        stopped += max(0, (on - dossier.clock_stopped_on).days)
    left = None
    if dossier.review_due_on is not None and dossier.state in (
            S.UNDER_EVALUATION, S.INFORMATION_REQUESTED):
        reference_day = dossier.clock_stopped_on or on
        left = (dossier.review_due_on - reference_day).days
    return ReviewClock(dossier.review_started_on, dossier.review_due_on, used, left, stopped,
                       dossier.clock_stopped_on)


NEXT_ACTOR = {
    S.DRAFT: "Vous : compléter l'auto-évaluation puis déposer le dossier.",
    S.SUBMITTED: "Le secrétariat : vérification de la recevabilité du dossier.",
    S.INCOMPLETE: "Vous : compléter les éléments manquants puis déposer à nouveau.",
    S.UNDER_EVALUATION: "Les rapporteurs : instruction du dossier.",
    S.INFORMATION_REQUESTED: "Vous : répondre à la demande de compléments.",
    S.READY_FOR_COMMISSION: "Le secrétariat : inscription à une séance de la commission.",
    S.SCHEDULED: "La commission : examen en séance.",
    S.OPINION_ISSUED: "L'État : décision de référencement.",
    S.AGREEMENT_PENDING: "Le propriétaire de l'organisation : accepter la convention.",
    S.REFERENCED: "Personne : l'application est référencée.",
    S.REFUSED: "Personne : le dossier est clos (refus).",
    S.LAPSED: "Personne : le dossier est caduc faute de réponse.",
    S.WITHDRAWN: "Personne : le dossier a été retiré.",
}


@dataclass(frozen=True)
class AnswerChange:
    code: str
    title: str
    before: Answer | None
    after: Answer

    @property
    def justification_diff(self) -> list[Segment]:
        """The justification's change, word by word."""
        return word_diff(self.before.justification if self.before else "", self.after.justification)

    @property
    def evidence_added(self) -> list[Evidence]:
        """Files attached in this round that replace none of the previous ones."""
        before = self.before.evidence if self.before else []
        kinds_before = {e.kind for e in before}
        ids_before = {e.id for e in before}
        return [e for e in self.after.evidence if e.id not in ids_before and e.kind not in kinds_before]

    @property
    def evidence_removed(self) -> list[Evidence]:
        after_ids = {e.id for e in self.after.evidence}
        after_kinds = {e.kind for e in self.after.evidence}
        return [e for e in (self.before.evidence if self.before else [])
                if e.id not in after_ids and e.kind not in after_kinds]

    @property
    def evidence_replaced(self) -> list[tuple[Evidence, Evidence]]:
        """(old, new) pairs: a file of the same kind with another content (SHA-256)."""
        before = self.before.evidence if self.before else []
        after_ids = {e.id for e in self.after.evidence}
        pairs = []
        for new in self.after.evidence:
            old = next((e for e in before if e.kind == new.kind and e.id != new.id
                        and e.id not in after_ids), None)
            if old is not None and new.id not in {e.id for e in before}:
                pairs.append((old, new))
        return pairs


def _differs(before: Answer | None, after: Answer) -> bool:
    if before is None:
        return True
    return (before.status, before.justification, sorted(e.id for e in before.evidence)) != (
        after.status, after.justification, sorted(e.id for e in after.evidence))


def round_changes(session: Session, dossier: Dossier) -> list[tuple[int, list[AnswerChange]]]:
    """For each round after the first: the requirements whose answer changed, with the
    answer before and after."""
    rows = session.scalars(
        select(Answer).where(Answer.dossier_id == dossier.id)
        .options(selectinload(Answer.evidence), selectinload(Answer.requirement))
        .order_by(Answer.round, Answer.id)
    ).all()
    by_round: dict[int, list[Answer]] = defaultdict(list)
    for answer in rows:
        by_round[answer.round].append(answer)
    latest: dict[int, Answer] = {}
    result = []
    for round_ in sorted(by_round):
        changes = []
        for answer in by_round[round_]:
            before = latest.get(answer.requirement_id)
            if round_ > 1 and round_ <= dossier.round and _differs(before, answer):
                changes.append(AnswerChange(answer.requirement.code, answer.requirement.title,
                                            before, answer))
            latest[answer.requirement_id] = answer
        if changes:
            result.append((round_, changes))
    return result
