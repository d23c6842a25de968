"""Dossier rules on the publisher's side: opening, self-assessment, evidence, submission,
information answers, reservations, agreement and withdrawal.

Rounds: ``Dossier.round`` is the round under review. The publisher edits round
``dossier.round`` while the dossier is a draft, and round ``dossier.round + 1``
while it is ``incomplete`` or ``information_requested``; ``resubmit`` and
``answer_information`` make that pending round current. Answers are
copy-on-write per round, so every round keeps what was said.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from catalogue.accounts.models import Role, User
from catalogue.apps.models import App
from catalogue.apps.services import listing_of, profile_snapshot
from catalogue.audit import services as audit
from catalogue.clock import now, today
from catalogue.dossiers.models import (
    FINAL_DOSSIER_STATES,
    Answer,
    AnswerStatus,
    Dossier,
    DossierKind,
    DossierState,
    Evidence,
    ReferenceCounter,
    answer_evidence,
)
from catalogue.dossiers.uploads import check_upload
from catalogue.errors import Conflict, DomainError, NotFound, ValidationFailed
from catalogue.frameworks.applicability import applicable_requirements as _applicable
from catalogue.frameworks.models import Framework, FrameworkCategory, Requirement
from catalogue.frameworks.vocabulary import EVIDENCE_KINDS, evidence_label
from catalogue.publishers.models import Organisation, OrganisationStatus
from catalogue.publishers.services import member_role, require_member
from catalogue.storage.services import StorageError, get_storage, new_key
from workflows.dossier import DOSSIER_LIFECYCLE, roles_on_dossier
from workflows.engine import fire

log = logging.getLogger(__name__)

S = DossierState
EDITABLE_STATES = (S.DRAFT, S.INCOMPLETE, S.INFORMATION_REQUESTED)
RENEWAL_WINDOW = timedelta(days=183)  # "six months before valid_until"
DEFAULT_UPLOAD_MAX_MB = 20


# --- Look-ups ------------------------------------------------------------------------------

def dossier_for_user(session: Session, dossier_id: int, user: User) -> Dossier:
    """The dossier if the user may see it; NotFound otherwise.

    Members of the publisher always; the commission (secretariat, assigned rapporteurs,
    members, chair, decision maker, none with a declared interest) once it is filed.
    """
    dossier = session.scalar(
        select(Dossier).where(Dossier.id == dossier_id)
        .options(selectinload(Dossier.app), selectinload(Dossier.framework),
                 selectinload(Dossier.organisation))
    )
    if dossier is None or user is None:
        raise NotFound("Dossier introuvable.")
    roles = roles_on_dossier(session, dossier, user)
    if "publisher" in roles:
        return dossier
    commission = {"secretariat", "rapporteur", "member", "chair", "decision_maker"}
    if dossier.state != S.DRAFT and roles & commission:
        return dossier
    raise NotFound("Dossier introuvable.")


def publisher_dossier(session: Session, dossier_id: int, user: User) -> Dossier:
    """The dossier when the user is a member of its organisation (publisher pages)."""
    dossier = dossier_for_user(session, dossier_id, user)
    if member_role(session, dossier.organisation_id, user.id) is None:
        raise NotFound("Dossier introuvable.")
    return dossier


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
                    round_: int | None = None) -> dict[int, Answer]:
    """requirement_id → the latest answer up to the round under review (or, with
    ``working``, including the round the publisher is editing; or up to ``round_``)."""
    if round_ is None:
        round_ = (working_round(dossier) or dossier.round) if working else dossier.round
    rows = session.scalars(
        select(Answer).where(Answer.dossier_id == dossier.id, Answer.round <= round_)
        .options(selectinload(Answer.evidence), selectinload(Answer.requirement))
        .order_by(Answer.round)
    ).all()
    latest: dict[int, Answer] = {}
    for answer in rows:
        latest[answer.requirement_id] = answer
    return latest


# --- Opening a dossier ---------------------------------------------------------------------

def _framework_in_force(session: Session) -> Framework | None:
    from catalogue.frameworks.services import framework_in_force

    return framework_in_force(session)


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
    wave than the listing's sets a compliance deadline."""
    from catalogue.frameworks.services import latest_published

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
            and latest.effective_from >= listing.framework.effective_from:
        offers.append(RenewalOffer(
            f"La vague {latest.label} impose une mise en conformité avant le "
            f"{latest.compliance_deadline:%d/%m/%Y}.", latest.compliance_deadline))
    return min(offers, key=lambda o: o.deadline) if offers else None


def open_dossier(session: Session, app: App, *, actor: User,
                 kind: DossierKind = DossierKind.INITIAL) -> Dossier:
    """Open a dossier for an app, frozen to the framework version in force and to a
    snapshot of the profile. ``renewal`` and ``modification`` only for a listed app, and
    start from the last referenced dossier (answers carried over where the requirement
    did not change)."""
    require_member(session, app.organisation, actor)
    kind = DossierKind(kind)
    framework = _framework_in_force(session)
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
            raise DomainError(
                "Le renouvellement s'ouvre six mois avant l'échéance du référencement ou à la "
                "publication d'une nouvelle vague du référentiel."
            )
    existing = session.scalar(
        select(Dossier.id).where(Dossier.app_id == app.id, Dossier.kind == kind,
                                 Dossier.state.not_in(FINAL_DOSSIER_STATES))
    )
    if existing is not None:
        raise DomainError("Un dossier de ce type est déjà ouvert pour cette application.")
    dossier = Dossier(
        app_id=app.id, organisation_id=app.organisation_id, kind=kind,
        state=S.DRAFT, framework_id=framework.id, profile_snapshot=profile_snapshot(app),
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


# --- Evidence ------------------------------------------------------------------------------

_PENDING_KEYS = "dossiers_pending_storage_keys"


@event.listens_for(Session, "after_commit")
def _forget_pending_keys(db_session: Session) -> None:  # pragma: no cover - hook
    db_session.info.pop(_PENDING_KEYS, None)


@event.listens_for(Session, "after_soft_rollback")
def _delete_pending_keys(db_session: Session, previous_transaction: Any) -> None:
    # A rolled back transaction leaves no evidence row: it must not leave its file either.
    if previous_transaction.parent is not None:
        return
    for key in db_session.info.pop(_PENDING_KEYS, []):
        try:
            get_storage().delete(key)
        except (StorageError, RuntimeError):  # pragma: no cover - best effort
            log.warning("could not delete orphan evidence file %s", key)


def add_evidence(
    session: Session, organisation: Organisation, *, actor: User, app: App | None = None,
    filename: str, data: bytes, kind: str, title: str, valid_until: date | None = None,
    max_bytes: int | None = None,
) -> Evidence:
    """Check and store an evidence file in the organisation's library.

    The same content (SHA-256) is stored once per organisation: uploading it again
    returns the existing row. A storage failure leaves no row; a rolled back
    transaction leaves no file.
    """
    require_member(session, organisation, actor)
    if app is not None and app.organisation_id != organisation.id:
        raise NotFound("Application introuvable.")
    errors: dict[str, str] = {}
    if kind not in EVIDENCE_KINDS:
        errors["kind"] = "Choisissez le type de pièce."
    title = " ".join((title or "").split())
    if not title:
        errors["title"] = "Donnez un titre à la pièce."
    elif len(title) > 200:
        errors["title"] = "Le titre ne doit pas dépasser 200 caractères."
    if valid_until is not None and valid_until < today():
        errors["valid_until"] = "La date de validité est déjà passée."
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors=errors)
    limit = max_bytes or DEFAULT_UPLOAD_MAX_MB * 1024 * 1024
    checked = check_upload(filename, data, max_bytes=limit)
    digest = hashlib.sha256(data).hexdigest()
    existing = session.scalar(
        select(Evidence).where(Evidence.organisation_id == organisation.id, Evidence.sha256 == digest)
    )
    if existing is not None:
        return existing
    key = new_key("evidence")
    try:
        get_storage().put(key, data)
    except StorageError:
        log.exception("evidence storage failed")
        raise DomainError(
            "Le fichier n'a pas pu être enregistré. Réessayez dans quelques instants.",
            errors={"file": "Le fichier n'a pas pu être enregistré."},
        ) from None
    evidence = Evidence(
        organisation_id=organisation.id, app_id=app.id if app else None, kind=kind,
        title=title, filename=checked.filename, content_type=checked.content_type,
        size=len(data), sha256=digest, storage_key=key, valid_until=valid_until,
        uploaded_by_id=actor.id, uploaded_at=now(),
    )
    try:
        with session.begin_nested():
            session.add(evidence)
            session.flush()
    except IntegrityError:
        get_storage().delete(key)
        # The same file was stored concurrently: use that one.
        existing = session.scalar(
            select(Evidence).where(Evidence.organisation_id == organisation.id,
                                   Evidence.sha256 == digest))
        if existing is None:
            raise
        return existing
    session.info.setdefault(_PENDING_KEYS, []).append(key)
    audit.record(session, "evidence.uploaded", actor=actor, subject=evidence,
                 payload={"organisation_id": organisation.id, "app_id": evidence.app_id,
                          "kind": kind, "sha256": digest, "size": len(data)})
    return evidence


def evidence_library(session: Session, organisation: Organisation, app: App | None = None
                     ) -> list[Evidence]:
    """The files a dossier of ``app`` may use: the app's and the organisation's own."""
    query = select(Evidence).where(Evidence.organisation_id == organisation.id)
    if app is not None:
        query = query.where((Evidence.app_id == app.id) | Evidence.app_id.is_(None))
    return list(session.scalars(
        query.options(selectinload(Evidence.uploaded_by)).order_by(Evidence.uploaded_at.desc())
    ))


def _evidence_rows(session: Session, dossier: Dossier, evidence_ids: Iterable[int]) -> list[Evidence]:
    ids = sorted({int(i) for i in evidence_ids})
    if not ids:
        return []
    rows = list(session.scalars(
        select(Evidence).where(Evidence.id.in_(ids),
                               Evidence.organisation_id == dossier.organisation_id,
                               (Evidence.app_id == dossier.app_id) | Evidence.app_id.is_(None))
    ))
    if len(rows) != len(ids):
        raise ValidationFailed("Pièce introuvable dans la bibliothèque de l'application.",
                               errors={"evidence": "Pièce introuvable."})
    return rows


def _download_allowed(session: Session, evidence: Evidence, user: User) -> bool:
    from catalogue.commission.models import Assignment
    from workflows.dossier import has_declared_interest

    if member_role(session, evidence.organisation_id, user.id) is not None:
        return True
    roles = user.role_set
    if not roles & {Role.SECRETARIAT, Role.CHAIR, Role.RAPPORTEUR}:
        return False
    if has_declared_interest(session, user.id, evidence.organisation_id):
        return False
    if Role.SECRETARIAT in roles:
        return True  # also checks registration extracts, before any dossier
    used_in = select(Answer.dossier_id).join(
        answer_evidence, answer_evidence.c.answer_id == Answer.id
    ).where(answer_evidence.c.evidence_id == evidence.id)
    filed = select(Dossier.id).where(Dossier.id.in_(used_in), Dossier.state != S.DRAFT)
    if Role.CHAIR in roles and session.scalar(filed.limit(1)) is not None:
        return True
    if Role.RAPPORTEUR in roles:
        assigned = session.scalar(
            select(Assignment.id).where(
                Assignment.rapporteur_id == user.id, Assignment.released_at.is_(None),
                Assignment.dossier_id.in_(filed),
            ).limit(1)
        )
        return assigned is not None
    return False


def evidence_for_download(session: Session, evidence_id: int, user: User) -> Evidence:
    """The evidence if the user may download it (members, assigned rapporteurs, the
    secretariat, the chair); NotFound for anyone else. Each download is audited."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or user is None or not _download_allowed(session, evidence, user):
        raise NotFound("Pièce introuvable.")
    audit.record(session, "evidence.downloaded", actor=user, subject=evidence,
                 payload={"organisation_id": evidence.organisation_id, "sha256": evidence.sha256})
    return evidence


def evidence_content(evidence: Evidence) -> bytes:
    """The stored bytes of an evidence file (DomainError when storage fails)."""
    try:
        return get_storage().get(evidence.storage_key)
    except StorageError:
        log.exception("evidence read failed")
        raise DomainError("La pièce est momentanément indisponible.") from None


# --- Self-assessment -----------------------------------------------------------------------

def _requirement_of(session: Session, dossier: Dossier, code: str) -> Requirement:
    for requirement in applicable_requirements(session, dossier):
        if requirement.code == code:
            return requirement
    raise NotFound(f"L'exigence {code} ne s'applique pas à ce dossier.")


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


def save_answer(
    session: Session, dossier: Dossier, requirement_code: str, *, actor: User,
    status: AnswerStatus | str | None, justification: str = "", evidence_ids: Sequence[int] = (),
) -> Answer:
    """Save the publisher's answer to one requirement (any time while editable).

    Incomplete answers are kept (the completeness panel lists what is missing); values
    the framework forbids (``not_applicable`` where not allowed) are refused.
    """
    _require_member(session, dossier, actor)
    round_ = _require_editable(dossier)
    requirement = _requirement_of(session, dossier, requirement_code)
    try:
        status = AnswerStatus(status) if status else None
    except ValueError:
        raise ValidationFailed("Réponse inconnue.", errors={"status": "Réponse inconnue."}) from None
    if status == AnswerStatus.NOT_APPLICABLE and not requirement.allow_not_applicable:
        message = f"{requirement.code} : cette exigence ne peut pas être déclarée non applicable."
        raise ValidationFailed(message, errors={"status": message})
    justification = (justification or "").strip()
    if len(justification) > 10_000:
        raise ValidationFailed("La justification ne doit pas dépasser 10 000 caractères.",
                               errors={"justification": "Texte trop long."})
    evidence = _evidence_rows(session, dossier, evidence_ids)
    answer = session.scalar(
        select(Answer).where(Answer.dossier_id == dossier.id, Answer.requirement_id == requirement.id,
                             Answer.round == round_).options(selectinload(Answer.evidence))
    )
    before = None
    if answer is None:
        answer = Answer(dossier_id=dossier.id, requirement_id=requirement.id, round=round_)
        session.add(answer)
    else:
        before = {"status": answer.status.value if answer.status else None,
                  "evidence": sorted(e.id for e in answer.evidence)}
    answer.status = status
    answer.justification = justification
    answer.evidence = evidence
    answer.updated_by_id = actor.id
    answer.updated_at = now()
    _touch(session, dossier)
    audit.record(session, "dossier.answer_saved", actor=actor, subject=dossier,
                 payload={"requirement": requirement.code, "round": round_, "before": before,
                          "after": {"status": status.value if status else None,
                                    "evidence": sorted(e.id for e in evidence)}})
    return answer


@dataclass(frozen=True)
class Problem:
    """One thing that stops the submission, tied to a requirement and a field."""

    message: str
    field: str
    requirement_code: str | None = None
    requirement_id: int | None = None
    category: str | None = None


def submission_problems(session: Session, dossier: Dossier) -> list[Problem]:
    """Everything that stops the submission of the round being edited, one message per
    item, in framework order (the completeness panel and the ``submit`` guard)."""
    problems: list[Problem] = []
    organisation = dossier.organisation
    if organisation.status != OrganisationStatus.VERIFIED:
        problems.append(Problem(
            "L'organisation n'a pas encore été vérifiée par le secrétariat : le dossier pourra "
            "être déposé après la vérification de son extrait d'immatriculation.",
            "organisation"))
    answers = current_answers(session, dossier, working=True)
    on = today()
    for requirement in applicable_requirements(session, dossier):
        def add(message: str, field: str, r: Requirement = requirement) -> None:
            problems.append(Problem(f"{r.code} « {r.title} » : {message}", field, r.code, r.id,
                                    r.category))

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
        kinds = {e.kind for e in answer.evidence}
        for kind in requirement.evidence or []:
            if kind not in kinds:
                add(f"pièce manquante : {evidence_label(kind)}.", "evidence")
        for item in answer.evidence:
            if item.valid_until is not None and item.valid_until < on:
                add(f"la pièce « {item.title} » n'est plus valide depuis le "
                    f"{item.valid_until:%d/%m/%Y}.", "evidence")
    return problems


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


# --- Transitions ---------------------------------------------------------------------------

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


def submit_dossier(session: Session, dossier: Dossier, *, actor: User) -> Dossier:
    """Submit (draft) or resubmit (incomplete) the dossier; the guard lists every problem."""
    _require_member(session, dossier, actor)
    if dossier.state not in (S.DRAFT, S.INCOMPLETE):
        raise Conflict("Ce dossier a déjà été déposé.")
    problems = submission_problems(session, dossier)
    if problems:
        raise ValidationFailed(
            "Le dossier ne peut pas encore être déposé.",
            errors=[p.message for p in problems],
        )
    name = "submit" if dossier.state == S.DRAFT else "resubmit"
    if dossier.reference is None:
        # The database requires a reference on any filed dossier, and the engine writes the
        # new state before the effects run: the reference is taken just before firing.
        # The counter's row lock serialises concurrent submissions; the loser's transaction
        # (stale version) rolls its increment back, so numbers have no gaps.
        dossier.reference = next_reference(session, today().year)
        # Write it now, under the version check: a concurrent submission that won shows here.
        _touch(session, dossier)
    fire(session, DOSSIER_LIFECYCLE, dossier, name, actor)
    return dossier


def answer_information(session: Session, dossier: Dossier, *, actor: User, answer: str,
                       evidence_ids: Sequence[int] = ()) -> Dossier:
    """Answer the open information request; answers and new evidence form a new round."""
    _require_member(session, dossier, actor)
    answer = _required_text(answer, "answer", "Rédigez votre réponse.")
    _evidence_rows(session, dossier, evidence_ids)
    fire(session, DOSSIER_LIFECYCLE, dossier, "answer_information", actor, answer=answer,
         evidence_ids=list(evidence_ids))
    return dossier


def lift_reservations(session: Session, dossier: Dossier, *, actor: User, statement: str) -> Dossier:
    """State that the suspensive reservations are lifted (a rapporteur then confirms)."""
    _require_member(session, dossier, actor)
    statement = _required_text(statement, "statement", "Expliquez comment chaque réserve a été levée.")
    fire(session, DOSSIER_LIFECYCLE, dossier, "lift_reservations", actor, statement=statement)
    return dossier


def sign_agreement(session: Session, dossier: Dossier, *, actor: User) -> Dossier:
    """The owner accepts the agreement; the listing is published or renewed."""
    _require_member(session, dossier, actor)
    fire(session, DOSSIER_LIFECYCLE, dossier, "sign_agreement", actor, accepted=True)
    return dossier


def withdraw_dossier(session: Session, dossier: Dossier, *, actor: User, reason: str) -> Dossier:
    """Withdraw the dossier, with a reason."""
    _require_member(session, dossier, actor)
    reason = _required_text(reason, "reason", "Indiquez le motif du retrait.")
    fire(session, DOSSIER_LIFECYCLE, dossier, "withdraw", actor, reason=reason)
    return dossier


# --- Follow-up -----------------------------------------------------------------------------

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


def _require_member(session: Session, dossier: Dossier, actor: User) -> None:
    """Publisher actions: anyone outside the organisation learns nothing (404)."""
    if member_role(session, dossier.organisation_id, actor.id) is None:
        raise NotFound("Dossier introuvable.")


def _required_text(value: str | None, field: str, message: str) -> str:
    """The trimmed text of a required field, or ValidationFailed naming the field."""
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(message, errors={field: message})
    return text
