"""Feedback that reaches the publisher (issue 11, step 4): the secretariat's admissibility
notes at the question they concern, open until the answer changes, and the rapporteurs'
comments for the publisher per requirement once the commission's opinion is issued."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalogue.commission.models import (
    AdmissibilityDecision,
    AdmissibilityOutcome,
    Assessment,
    Opinion,
    RapporteurReport,
)
from catalogue.dossiers.models import Answer, Dossier, DossierState


def admissibility_notes(session: Session, dossier: Dossier) -> dict[str, list[str]]:
    """requirement code → the secretariat's notes of the last ``incomplete`` decision, while
    the dossier is incomplete (notes not tied to a requirement are under ``""``)."""
    if dossier.state != DossierState.INCOMPLETE:
        return {}
    decision = session.scalar(
        select(AdmissibilityDecision).where(
            AdmissibilityDecision.dossier_id == dossier.id,
            AdmissibilityDecision.outcome == AdmissibilityOutcome.INCOMPLETE)
        .order_by(AdmissibilityDecision.decided_at.desc(), AdmissibilityDecision.id.desc()).limit(1))
    notes: dict[str, list[str]] = defaultdict(list)
    for item in (decision.missing_items if decision else []) or []:
        notes[item.get("requirement_code") or ""].append(item.get("message") or "")
    return dict(notes)


def _signature(answer: Answer | None) -> tuple[object, ...] | None:
    if answer is None:
        return None
    return (answer.status, answer.justification.strip(),
            tuple(sorted(e.id for e in answer.evidence)))


def unanswered_notes(session: Session, dossier: Dossier) -> dict[str, list[str]]:
    """The noted requirements whose answer did not change in the round being prepared
    (same status, justification and files as in the round under review): still open."""
    notes = {code: messages for code, messages in admissibility_notes(session, dossier).items()
             if code}
    if not notes:
        return {}
    rows = session.scalars(
        select(Answer).where(Answer.dossier_id == dossier.id, Answer.round <= dossier.round + 1)
        .options(selectinload(Answer.evidence), selectinload(Answer.requirement))
        .order_by(Answer.round)
    ).all()
    reviewed: dict[str, Answer] = {}
    working: dict[str, Answer] = {}
    for answer in rows:
        target = working if answer.round == dossier.round + 1 else reviewed
        target[answer.requirement.code] = answer
    return {code: messages for code, messages in notes.items()
            if code not in working or _signature(working[code]) == _signature(reviewed.get(code))}


def public_comments(session: Session, dossier: Dossier) -> dict[str, list[str]]:
    """requirement code → the rapporteurs' comments for the publisher, once the commission's
    opinion is issued (before that, the review is the commission's)."""
    if session.scalar(select(Opinion.id).where(Opinion.dossier_id == dossier.id).limit(1)) is None:
        return {}
    rows = session.scalars(
        select(Assessment).join(RapporteurReport, RapporteurReport.id == Assessment.report_id)
        .where(RapporteurReport.dossier_id == dossier.id, RapporteurReport.filed_at.is_not(None),
               Assessment.public_comment != "")
        .options(selectinload(Assessment.requirement))
        .order_by(RapporteurReport.round, RapporteurReport.id)
    ).all()
    comments: dict[str, list[str]] = defaultdict(list)
    for assessment in rows:
        comments[assessment.requirement.code].append(assessment.public_comment.strip())
    return dict(comments)
