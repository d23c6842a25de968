"""Modification dossiers carry a proposed profile (DESIGN §4 "The decision governs").

A modification dossier's ``profile_snapshot`` starts as the listing's decided profile
and is the publisher's *draft* of the assessed facts while the dossier is a draft
(``profile_version`` guards against concurrent edits). Its applicable requirements
follow the draft. Submission freezes it; a favourable decision with the agreement signed
makes it the listing's profile (``catalogue.listings.services.publish_from_dossier``);
a refusal leaves the listing on the old one. No path edits a snapshot once filed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from catalogue.accounts.models import User
from catalogue.apps import vocabulary as v
from catalogue.apps.models import App
from catalogue.apps.profile import clean_profile, profile_snapshot
from catalogue.audit import services as audit
from catalogue.dossiers.models import (
    Answer,
    AnswerStatus,
    Dossier,
    DossierKind,
    DossierState,
    Evidence,
)
from catalogue.dossiers.permissions import require_member
from catalogue.errors import Conflict, DomainError
from catalogue.frameworks.applicability import applicable_requirements
from catalogue.frameworks.models import Requirement
from catalogue.frameworks.vocabulary import predicate_label


@dataclass(frozen=True)
class FieldChange:
    """One assessed fact the modification changes."""

    field: str
    before: Any
    after: Any

    @property
    def label(self) -> str:
        return v.label(v.ASSESSED_FIELD_LABELS, self.field)


@dataclass(frozen=True)
class Proposal:
    """What a modification dossier proposes, against the listing's decided profile."""

    changes: list[FieldChange]
    added: list[Requirement]
    removed: list[Requirement]


def opening_snapshot(app: App, decided: Dossier | None) -> dict[str, Any]:
    """The snapshot a new dossier starts from: the app's presentation, and the assessed
    facts as last decided (the live profile when nothing was decided yet)."""
    snapshot = profile_snapshot(app)
    if decided is not None:
        snapshot.update({f: decided.profile_snapshot[f] for f in v.ASSESSED_FIELDS
                         if f in (decided.profile_snapshot or {})})
    return snapshot


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """The assessed facts that differ between two snapshots, in the vocabulary's order."""
    return [FieldChange(f, before.get(f), after.get(f)) for f in v.ASSESSED_FIELDS
            if _norm(before.get(f)) != _norm(after.get(f))]


def _norm(value: Any) -> Any:
    if value in (None, "", []):
        return None
    return value


def proposal(session: Session, dossier: Dossier) -> Proposal | None:
    """The diff a modification dossier proposes (None for other kinds): changed facts and
    the requirements whose applicability changes with them."""
    if dossier.kind != DossierKind.MODIFICATION or dossier.previous_dossier_id is None:
        return None
    previous = session.get(Dossier, dossier.previous_dossier_id)
    before = (previous.profile_snapshot if previous else None) or {}
    after = dossier.profile_snapshot or {}
    requirements = session.scalars(
        select(Requirement).where(Requirement.framework_id == dossier.framework_id)
    ).all()
    old = {r.id for r in applicable_requirements(requirements, before.get("predicates") or [])}
    new = applicable_requirements(requirements, after.get("predicates") or [])
    new_ids = {r.id for r in new}
    return Proposal(
        changes=field_changes(before, after),
        added=[r for r in new if r.id not in old],
        removed=sorted((r for r in requirements if r.id in old and r.id not in new_ids),
                       key=lambda r: r.position),
    )


def save_proposed_profile(session: Session, dossier: Dossier, *, actor: User, version: int,
                          **fields: Any) -> Dossier:
    """The publisher edits the draft of the assessed facts of a modification dossier.

    ``version`` is the ``profile_version`` the form was built from: a stale one means
    someone else saved in between (``Conflict``). Presentation fields are not part of a
    proposal: they change on the app at once.
    """
    require_member(session, dossier, actor)
    if dossier.kind != DossierKind.MODIFICATION:
        raise DomainError("Seul un dossier de modification propose un nouveau profil.")
    if dossier.state != DossierState.DRAFT:
        raise DomainError(
            "Ce dossier a été déposé : le profil proposé est gelé jusqu'à la décision."
        )
    if int(version) != dossier.profile_version:
        raise Conflict(
            "Le profil proposé vient d'être modifié par une autre personne : rechargez la page "
            "et reprenez vos changements."
        )
    before = dict(dossier.profile_snapshot or {})
    requirements = dossier.framework.requirements
    was_applicable = {r.id for r in applicable_requirements(requirements,
                                                            before.get("predicates") or [])}
    merged = {**before, **{f: fields[f] for f in v.ASSESSED_FIELDS if f in fields}}
    clean = clean_profile(session, merged, dossier.app_id)
    after = {**before, **{f: getattr(clean[f], "value", clean[f]) for f in v.ASSESSED_FIELDS}}
    changes = field_changes(before, after)
    if not changes:
        return dossier
    dossier.profile_snapshot = after
    dossier.profile_version = dossier.profile_version + 1
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(
            "Le dossier vient d'être modifié par une autre personne : rechargez la page et "
            "réessayez."
        ) from None
    added = [r for r in applicable_requirements(requirements, after.get("predicates") or [])
             if r.id not in was_applicable]
    carried = carry_answers(session, dossier, added, actor=actor)
    audit.record(session, "dossier.profile_proposed", actor=actor, subject=dossier, payload={
        "fields": [c.field for c in changes],
        "before": {c.field: c.before for c in changes},
        "after": {c.field: c.after for c in changes},
        "version": dossier.profile_version,
        "answers_carried": carried,
    })
    return dossier


def carry_answers(session: Session, dossier: Dossier, requirements: list[Requirement], *,
                  actor: User) -> dict[str, int | str]:
    """Answer the requirements that a proposal makes applicable from what the organisation
    already said or holds, so that only what is truly new needs writing:

    - the latest answer to the same requirement (by code) in another dossier of the app
      that says something: its status, justification and evidence (a ``not_applicable``
      the requirement no longer allows is left for the publisher);
    - else, the organisation's library files of the kinds the requirement asks for (the
      newest unexpired one per kind), attached without a status, which the publisher gives.

    Requirements already answered in this dossier are left alone. Returns requirement
    code → where the answer came from (the earlier dossier's id, or ``library``)."""
    round_ = dossier.round
    answered = set(session.scalars(select(Answer.requirement_id).where(
        Answer.dossier_id == dossier.id, Answer.requirement_id.in_([r.id for r in requirements]))))
    wanted = {r.code: r for r in requirements if r.id not in answered}
    if not wanted:
        return {}
    earlier: dict[str, tuple[Answer, Dossier]] = {}
    for answer, source in session.execute(
            select(Answer, Dossier).join(Dossier, Dossier.id == Answer.dossier_id)
            .join(Requirement, Requirement.id == Answer.requirement_id)
            .where(Dossier.app_id == dossier.app_id, Dossier.id != dossier.id,
                   Requirement.code.in_(wanted))
            .order_by(Dossier.id.desc(), Answer.round.desc())).all():
        # An answer that says nothing (files attached by an earlier carry-over, no status,
        # no text) is no better than the library, which may have grown since.
        if answer.status is not None or answer.justification.strip():
            earlier.setdefault(answer.requirement.code, (answer, source))
    library = _newest_by_kind(session, dossier.organisation_id)
    carried: dict[str, int | str] = {}
    for code, requirement in wanted.items():
        row = Answer(dossier_id=dossier.id, requirement_id=requirement.id, round=round_,
                     justification="", updated_by_id=actor.id)
        if code in earlier:
            old, source = earlier[code]
            allowed = old.status != AnswerStatus.NOT_APPLICABLE or requirement.allow_not_applicable
            row.status = old.status if allowed else None
            row.justification = old.justification
            row.evidence = list(old.evidence)
            carried[code] = source.id
        else:
            files = [library[k] for k in requirement.evidence or [] if k in library]
            if not files:
                continue
            row.evidence = list(dict.fromkeys(files))
            carried[code] = "library"
        session.add(row)
    session.flush()
    return carried


def _newest_by_kind(session: Session, organisation_id: int) -> dict[str, Evidence]:
    """The organisation's newest unexpired file under each evidence kind."""
    newest: dict[str, Evidence] = {}
    for evidence in session.scalars(select(Evidence).where(
            Evidence.organisation_id == organisation_id).order_by(Evidence.uploaded_at.desc(),
                                                                  Evidence.id.desc())):
        if evidence.expired:
            continue
        for kind in evidence.kinds:
            newest.setdefault(kind, evidence)
    return newest


def apply_decided_profile(session: Session, app: App, dossier: Dossier) -> list[FieldChange]:
    """Once a modification is referenced, the app's profile takes the decided facts, so that
    later dossiers start from them. Returns what changed."""
    changes = field_changes(profile_snapshot(app), dossier.profile_snapshot or {})
    for change in changes:
        setattr(app, change.field, change.after)
    session.flush()
    return changes


def public_note(changes: list[FieldChange]) -> str:
    """The public history line of a modification: which assessed facts changed, and how."""
    parts = [f"{c.label} : {shown(c.field, c.before)} → {shown(c.field, c.after)}"
             for c in changes]
    return "Modification évaluée — " + " ; ".join(parts) if parts else ""


_TABLES = {"audiences": v.AUDIENCES, "platforms": v.PLATFORMS,
           "data_categories": v.DATA_CATEGORIES, "connected_services": v.NATIONAL_SERVICES,
           "medical_device_class": v.MEDICAL_DEVICE_CLASSES}


def shown(field: str, value: Any) -> str:
    """A value as the public reads it (French labels)."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if value in (None, "", []):
        return "—"
    table = _TABLES.get(field)
    if isinstance(value, list):
        if field == "predicates":
            return ", ".join(predicate_label(c) for c in value)
        return ", ".join(v.label(table, c) if table else str(c) for c in value)
    return v.label(table, value) if table else str(value)
