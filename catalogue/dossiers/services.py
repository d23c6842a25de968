"""Dossier rules on the publisher's side: opening, self-assessment, evidence, submission,
information answers, reservations, agreement and withdrawal.

Rounds: ``Dossier.round`` is the round under review. The publisher edits round
``dossier.round`` while the dossier is a draft, and round ``dossier.round + 1``
while it is ``incomplete`` or ``information_requested``; ``resubmit`` and
``answer_information`` make that pending round current. Answers are
copy-on-write per round, so every round keeps what was said.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from catalogue.accounts.models import User
from catalogue.apps.models import App
from catalogue.audit import services as audit
from catalogue.clock import now, today
from catalogue.dossiers.evidence import evidence_by_id, evidence_rows
from catalogue.dossiers.lifecycle import DOSSIER_LIFECYCLE, next_reference
from catalogue.dossiers.models import (
    FINAL_DOSSIER_STATES,
    Answer,
    AnswerStatus,
    Dossier,
    DossierKind,
    DossierState,
    Evidence,
)
from catalogue.dossiers.modification import opening_snapshot
from catalogue.dossiers.permissions import require_member as require_dossier_member
from catalogue.dossiers.queries import (
    applicable_requirements,
    completeness,
    current_answers,
    last_referenced_dossier,
    renewal_offer,
    renewal_refusal,
    working_round,
)
from catalogue.errors import Conflict, DomainError, NotFound, ValidationFailed
from catalogue.frameworks.models import Requirement
from catalogue.frameworks.queries import framework_in_force
from catalogue.listings.queries import listing_of
from catalogue.publishers.permissions import require_member
from workflows.engine import fire

log = logging.getLogger(__name__)

S = DossierState
EDITABLE_STATES = (S.DRAFT, S.INCOMPLETE, S.INFORMATION_REQUESTED)


# --- Look-ups ------------------------------------------------------------------------------


# --- Opening a dossier ---------------------------------------------------------------------

def open_dossier(session: Session, app: App, *, actor: User,
                 kind: DossierKind = DossierKind.INITIAL) -> Dossier:
    """Open a dossier for an app, frozen to the framework version in force and to a
    snapshot of the profile. ``renewal`` and ``modification`` only for a listed app, and
    start from the last referenced dossier (answers carried over where the requirement
    did not change)."""
    require_member(session, app.organisation, actor)
    kind = DossierKind(kind)
    framework = framework_in_force(session)
    if framework is None:
        raise DomainError("Aucun référentiel n'est en vigueur : aucun dossier ne peut être ouvert.")
    listed = listing_of(session, app) is not None
    previous = None
    if kind == DossierKind.INITIAL and listed:
        raise DomainError(
            "Cette application est déjà référencée : ouvrez un dossier de renouvellement ou de "
            "modification."
        )
    if kind != DossierKind.INITIAL:
        if not listed:
            raise DomainError(
                "Un dossier de renouvellement ou de modification ne concerne qu'une application "
                "référencée."
            )
        previous = last_referenced_dossier(session, app)
        if kind == DossierKind.RENEWAL and renewal_offer(session, app) is None:
            raise DomainError(renewal_refusal(session, app))
    existing = session.scalar(
        select(Dossier.id).where(Dossier.app_id == app.id, Dossier.kind == kind,
                                 Dossier.state.not_in(FINAL_DOSSIER_STATES))
    )
    if existing is not None:
        raise DomainError("Un dossier de ce type est déjà ouvert pour cette application.")
    dossier = Dossier(
        app_id=app.id, organisation_id=app.organisation_id, kind=kind,
        state=S.DRAFT, framework_id=framework.id, profile_snapshot=opening_snapshot(app, previous),
        previous_dossier_id=previous.id if previous else None, created_by_id=actor.id,
    )
    session.add(dossier)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DomainError("Un dossier de ce type est déjà ouvert pour cette application.") from None
    carried = _carry_over(session, dossier, previous, actor) if previous else 0
    audit.record(session, "dossier.opened", actor=actor, subject=dossier,
                 payload={"app_id": app.id, "kind": kind.value, "framework_id": framework.id,
                          "previous_dossier_id": dossier.previous_dossier_id,
                          "answers_carried": carried})
    return dossier


def _carry_over(session: Session, dossier: Dossier, previous: Dossier, actor: User) -> int:
    """Copy the previous dossier's answers where the requirement still applies; reworded
    ones are copied too and flagged on the page (``requirement_changes``); new ones stay empty."""
    old_answers = {a.requirement.code: a for a in current_answers(session, previous).values()}
    count = 0
    for requirement in applicable_requirements(session, dossier):
        old = old_answers.get(requirement.code)
        if old is None:
            continue
        answer = Answer(dossier_id=dossier.id, requirement_id=requirement.id, round=1,
                        status=old.status, justification=old.justification,
                        updated_by_id=actor.id)
        answer.evidence = list(old.evidence)
        session.add(answer)
        count += 1
    session.flush()
    return count


# --- Evidence ------------------------------------------------------------------------------


# --- Self-assessment -----------------------------------------------------------------------

def _require_editable(dossier: Dossier) -> int:
    round_ = working_round(dossier)
    if round_ is None:
        raise DomainError(
            "Ce dossier a été déposé : ses réponses ne peuvent plus être modifiées."
        )
    return round_


def _touch(session: Session, dossier: Dossier) -> None:
    """Bump the dossier's version: a concurrent submission and this edit cannot both win."""
    flag_modified(dossier, "round")
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(
            "Le dossier vient d'être modifié par une autre personne : rechargez la page et réessayez."
        ) from None


@dataclass(frozen=True)
class AnswerInput:
    """One answer as the publisher gives it: a status, a justification, evidence from the library."""

    requirement_code: str
    status: AnswerStatus | str | None
    justification: str = ""
    evidence_ids: Sequence[int] = ()


def save_answer(
    session: Session, dossier: Dossier, requirement_code: str, *, actor: User,
    status: AnswerStatus | str | None, justification: str = "", evidence_ids: Sequence[int] = (),
    roles: frozenset[str] | None = None,
) -> Answer:
    """Save the publisher's answer to one requirement (see ``save_answers``)."""
    answer = AnswerInput(requirement_code, status, justification, evidence_ids)
    return save_answers(session, dossier, [answer], actor=actor, roles=roles)[0]


def save_answers(session: Session, dossier: Dossier, answers: Sequence[AnswerInput], *, actor: User,
                 roles: frozenset[str] | None = None) -> list[Answer]:
    """Save the publisher's answers to several requirements at once (any time while editable).

    Every answer is checked before any is written: one refused answer keeps them all out,
    and ``ValidationFailed.errors`` names each refused field by its input name
    (``status-SEC-03``, ``justification-SEC-03``, ``evidence-SEC-03``). Incomplete answers
    are kept (the completeness panel lists what is missing); values the framework forbids
    (``not_applicable`` where not allowed) are refused. The dossier's version moves once, and
    one audit event lists every answer's before and after.
    """
    require_dossier_member(session, dossier, actor, roles)
    round_ = _require_editable(dossier)
    by_code = {r.code: r for r in applicable_requirements(session, dossier)}
    library = evidence_by_id(session, dossier, [i for a in answers for i in a.evidence_ids])
    errors: dict[str, str] = {}
    checked: list[tuple[Requirement, AnswerStatus | None, str, list[Evidence]]] = []
    for item in answers:
        requirement = by_code.get(item.requirement_code)
        if requirement is None:
            raise NotFound(f"L'exigence {item.requirement_code} ne s'applique pas à ce dossier.")
        code = requirement.code
        try:
            status = AnswerStatus(item.status) if item.status else None
        except ValueError:
            errors[f"status-{code}"] = "Réponse inconnue."
            continue
        if status == AnswerStatus.NOT_APPLICABLE and not requirement.allow_not_applicable:
            errors[f"status-{code}"] = f"{code} : cette exigence ne peut pas être déclarée non applicable."
            continue
        justification = (item.justification or "").strip()
        if len(justification) > 10_000:
            errors[f"justification-{code}"] = "Texte trop long."
            continue
        if any(int(i) not in library for i in item.evidence_ids):
            errors[f"evidence-{code}"] = "Pièce introuvable."
            continue
        evidence = sorted({library[int(i)] for i in item.evidence_ids}, key=lambda e: e.id)
        checked.append((requirement, status, justification, evidence))
    if errors:
        message = next(iter(errors.values())) if len(errors) == 1 else "Les réponses contiennent des erreurs."
        raise ValidationFailed(message, errors=errors)
    if not checked:
        return []
    existing = {a.requirement_id: a for a in session.scalars(
        select(Answer).where(Answer.dossier_id == dossier.id, Answer.round == round_,
                             Answer.requirement_id.in_([r.id for r, *_ in checked]))
        .options(selectinload(Answer.evidence)))}
    saved: list[Answer] = []
    changes: list[dict[str, object]] = []
    for requirement, status, justification, evidence in checked:
        answer = existing.get(requirement.id)
        before = None
        if answer is None:
            answer = existing[requirement.id] = Answer(dossier_id=dossier.id, requirement_id=requirement.id,
                                                       round=round_)
            session.add(answer)
        else:
            before = {"status": answer.status.value if answer.status else None,
                      "evidence": sorted(e.id for e in answer.evidence)}
        answer.status = status
        answer.justification = justification
        answer.evidence = evidence
        answer.updated_by_id = actor.id
        answer.updated_at = now()
        saved.append(answer)
        changes.append({"requirement": requirement.code, "before": before,
                        "after": {"status": status.value if status else None,
                                  "evidence": [e.id for e in evidence]}})
    _touch(session, dossier)
    audit.record(session, "dossier.answers_saved", actor=actor, subject=dossier,
                 payload={"round": round_, "answers": changes})
    return saved


# --- Transitions ---------------------------------------------------------------------------


def submit_dossier(session: Session, dossier: Dossier, *, actor: User,
                   roles: frozenset[str] | None = None) -> Dossier:
    """Submit (draft) or resubmit (incomplete) the dossier; the guard lists every problem."""
    roles = require_dossier_member(session, dossier, actor, roles)
    if dossier.state not in (S.DRAFT, S.INCOMPLETE):
        raise Conflict("Ce dossier a déjà été déposé.")
    check = completeness(session, dossier)
    if check.problems:
        raise ValidationFailed(
            "Le dossier ne peut pas encore être déposé.",
            errors=[p.message for p in check.problems],
        )
    name = "submit" if dossier.state == S.DRAFT else "resubmit"
    if dossier.reference is None:
        # The database requires a reference on any filed dossier, and the engine writes the
        # new state before the effects run: the reference is taken just before firing.
        # The counter's row lock serialises concurrent submissions; the loser's transaction
        # (stale version) rolls its increment back, so numbers have no gaps.
        # It is written with the new state, under the version check: a concurrent submission
        # that won shows there.
        dossier.reference = next_reference(session, today().year)
    fire(session, DOSSIER_LIFECYCLE, dossier, name, actor, roles=roles, completeness=check)
    return dossier


def answer_information(session: Session, dossier: Dossier, *, actor: User, answer: str,
                       evidence_ids: Sequence[int] = (), roles: frozenset[str] | None = None) -> Dossier:
    """Answer the open information request; answers and new evidence form a new round."""
    roles = require_dossier_member(session, dossier, actor, roles)
    answer = _required_text(answer, "answer", "Rédigez votre réponse.")
    evidence_rows(session, dossier, evidence_ids)
    fire(session, DOSSIER_LIFECYCLE, dossier, "answer_information", actor, roles=roles, answer=answer,
         evidence_ids=list(evidence_ids))
    return dossier


def lift_reservations(session: Session, dossier: Dossier, *, actor: User, statement: str,
                      roles: frozenset[str] | None = None) -> Dossier:
    """State that the suspensive reservations are lifted (a rapporteur then confirms)."""
    roles = require_dossier_member(session, dossier, actor, roles)
    statement = _required_text(statement, "statement", "Expliquez comment chaque réserve a été levée.")
    fire(session, DOSSIER_LIFECYCLE, dossier, "lift_reservations", actor, roles=roles,
         statement=statement)
    return dossier


def sign_agreement(session: Session, dossier: Dossier, *, actor: User,
                   roles: frozenset[str] | None = None) -> Dossier:
    """The owner accepts the agreement; the listing is published or renewed."""
    roles = require_dossier_member(session, dossier, actor, roles)
    fire(session, DOSSIER_LIFECYCLE, dossier, "sign_agreement", actor, roles=roles, accepted=True)
    return dossier


def withdraw_dossier(session: Session, dossier: Dossier, *, actor: User, reason: str,
                     roles: frozenset[str] | None = None) -> Dossier:
    """Withdraw the dossier, with a reason."""
    roles = require_dossier_member(session, dossier, actor, roles)
    reason = _required_text(reason, "reason", "Indiquez le motif du retrait.")
    fire(session, DOSSIER_LIFECYCLE, dossier, "withdraw", actor, roles=roles, reason=reason)
    return dossier


# --- Follow-up -----------------------------------------------------------------------------



def _required_text(value: str | None, field: str, message: str) -> str:
    """The trimmed text of a required field, or ValidationFailed naming the field."""
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(message, errors={field: message})
    return text
