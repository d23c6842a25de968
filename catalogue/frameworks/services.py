"""Framework rules: importing a wave from its file (the reads, such as the version that
applies, are in ``frameworks.queries``).

The framework files (`data/*.yaml`) are the source of truth; the database holds what was
imported, so that dossiers' answers and rapporteurs' assessments can point at requirement
rows. Views, the API, the CLI and the demo seed all go through these functions.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from catalogue.audit import services as audit
from catalogue.commission.models import Assessment
from catalogue.dossiers.models import Answer, Dossier
from catalogue.errors import Conflict, ValidationFailed
from catalogue.frameworks.diff import FrameworkDiff, diff_frameworks
from catalogue.frameworks.loader import (
    FrameworkFileError,
    content_hash,
    load_framework_file,
    parse_framework,
)
from catalogue.frameworks.models import Framework, FrameworkCategory, FrameworkStatus, Requirement
from catalogue.frameworks.specs import FrameworkSpec, RequirementSpec
from catalogue.listings.models import Listing


class ImportOutcome(enum.StrEnum):
    CREATED = "created"
    UNCHANGED = "unchanged"
    UPDATED = "updated"  # a draft nobody uses yet, re-imported with corrections


@dataclass(frozen=True)
class ImportResult:
    """What `import_framework` did: the framework row and, for an update, what changed."""

    framework: Framework
    outcome: ImportOutcome
    changes: FrameworkDiff | None = None

    @property
    def changed(self) -> bool:
        return self.outcome is not ImportOutcome.UNCHANGED


# --- Import --------------------------------------------------------------------------------


def import_framework(
    session: Session, path_or_spec: str | Path | FrameworkSpec | Mapping[str, Any], *,
    actor: Any = None,
) -> ImportResult:
    """Write a framework version, its categories and requirements, from a validated spec.

    `path_or_spec` is a file path, an already validated `FrameworkSpec`, or a parsed mapping.
    The whole file is validated before anything is written; an invalid one raises
    `ValidationFailed` whose `errors` lists every problem (each naming the requirement or
    field concerned). Flushes, never commits; audited as `framework.import`.

    The version is identified by its code and version (`ENS`, `2026.1`):

    - new → created as a draft (the clock brings it into force on `effective_from`);
    - already imported with the same content (same `content_hash`) → nothing changes, not
      even an audit event, so that importing the same file twice is harmless;
    - already imported with other content:
      - in force or retired → refused (`Conflict`): a published wave is never edited in
        place, since dossiers were assessed against it; a change is a new version in a
        new file;
      - a draft that something already points at (a dossier, a listing, an answer or an
        assessment) → refused as well, for the same reason;
      - a draft nobody uses → updated in place (`framework.update_draft`). Anything may
        change: titles, dates, categories, and requirements, which are matched by code:
        a requirement kept by code keeps its row (and id) with its new content, a new
        code adds a row, a code no longer in the file deletes its row. Category and
        requirement order follow the file.

    Versions of one code must come into force in the order of their numbers: 2027.1 after
    2026.1. A file that breaks that order (or shares another version's date) is refused.
    """
    spec = _spec_from(path_or_spec)
    _check_lengths(spec)
    new_hash = content_hash(spec)
    existing = session.scalar(
        select(Framework)
        .where(Framework.code == spec.code, Framework.version == spec.version)
        .options(selectinload(Framework.categories), selectinload(Framework.requirements))
        .with_for_update()
    )
    if existing is not None and existing.content_hash == new_hash:
        return ImportResult(existing, ImportOutcome.UNCHANGED)

    if existing is None:
        _check_order(session, spec)
        return ImportResult(_create(session, spec, new_hash, actor), ImportOutcome.CREATED)

    changes = diff_frameworks(existing, spec)
    if existing.status is not FrameworkStatus.DRAFT:
        state = "en vigueur" if existing.status is FrameworkStatus.IN_FORCE else "retirée"
        raise Conflict(
            f"La version {existing.label} est {state} : elle ne peut plus être modifiée. "
            "Le fichier diffère de la version importée ; toute évolution passe par une "
            "nouvelle version, dans un nouveau fichier.",
            errors=_change_lines(existing, spec, changes),
        )
    uses = _uses(session, existing)
    if uses:
        raise Conflict(
            f"La version {existing.label} est encore à venir mais déjà utilisée "
            f"({', '.join(uses)}) : elle ne peut plus être modifiée. Publiez une nouvelle "
            "version dans un nouveau fichier.",
            errors=_change_lines(existing, spec, changes),
        )
    _check_order(session, spec)
    before = existing.content_hash
    _update_draft(session, existing, spec, new_hash)
    audit.record(
        session,
        "framework.update_draft",
        actor=actor,
        subject=existing,
        payload={
            "code": spec.code,
            "version": spec.version,
            "content_hash": {"before": before, "after": new_hash},
            "added": [r.code for r in changes.added],
            "removed": [r.code for r in changes.retired],
            "modified": sorted(_modified_codes(changes)),
        },
    )
    return ImportResult(existing, ImportOutcome.UPDATED, changes)


def _spec_from(source: str | Path | FrameworkSpec | Mapping[str, Any]) -> FrameworkSpec:
    try:
        if isinstance(source, FrameworkSpec):
            return source
        if isinstance(source, Mapping):
            return parse_framework(source)
        return load_framework_file(source)
    except FrameworkFileError as exc:
        count = len(exc.errors)
        raise ValidationFailed(
            f"{exc.source} : {count} erreur{'s' if count > 1 else ''} ; rien n'a été importé.",
            errors=exc.errors,
        ) from exc


def _check_lengths(spec: FrameworkSpec) -> None:
    """Refuse texts longer than their columns: a clear message rather than a database error.

    The file format sets no length; the limits come from the models, so they cannot drift.
    """
    def limit(model: Any, column: str) -> int:
        return int(model.__table__.c[column].type.length)

    checks: list[tuple[str, str, str, int]] = []
    for name in ("title", "title_en"):
        checks.append(("référentiel", name, getattr(spec, name), limit(Framework, name)))
    for category in spec.categories:
        for name in ("title", "title_en"):
            checks.append((f"catégorie « {category.code} »", name, getattr(category, name),
                           limit(FrameworkCategory, name)))
    for requirement in spec.requirements:
        for name in ("title", "title_en"):
            checks.append((f"exigence {requirement.code}", name, getattr(requirement, name),
                           limit(Requirement, name)))
    errors = [
        f"{where} : « {name} » dépasse {maximum} caractères ({len(value)})"
        for where, name, value, maximum in checks if len(value) > maximum
    ]
    if errors:
        raise ValidationFailed(
            f"{spec.label} : {len(errors)} texte(s) trop long(s) ; rien n'a été importé.",
            errors=errors,
        )


def _version_key(version: str) -> tuple[int, int]:
    year, _, number = version.partition(".")
    return int(year), int(number)


def _check_order(session: Session, spec: FrameworkSpec) -> None:
    """Refuse a version whose date contradicts its number among the versions of its code."""
    others = session.execute(
        select(Framework.version, Framework.effective_from).where(
            Framework.code == spec.code, Framework.version != spec.version
        )
    ).all()
    key = _version_key(spec.version)
    errors = []
    for version, effective_from in others:
        other_key = _version_key(version)
        if effective_from == spec.effective_from:
            errors.append(
                f"la version {spec.code} {version} entre déjà en vigueur le "
                f"{effective_from.isoformat()} : deux versions ne peuvent partager cette date"
            )
        elif (other_key < key) != (effective_from < spec.effective_from):
            relation = "après" if other_key < key else "avant"
            errors.append(
                f"« effective_from » ({spec.effective_from.isoformat()}) doit être {relation} "
                f"celle de la version {spec.code} {version} ({effective_from.isoformat()})"
            )
    if errors:
        raise ValidationFailed(
            f"{spec.label} : la date d'entrée en vigueur ne suit pas l'ordre des versions ; "
            "rien n'a été importé.",
            errors=[f"référentiel : {error}" for error in errors],
        )


def _create(session: Session, spec: FrameworkSpec, new_hash: str, actor: Any) -> Framework:
    framework = Framework(
        code=spec.code,
        version=spec.version,
        title=spec.title,
        title_en=spec.title_en,
        effective_from=spec.effective_from,
        compliance_deadline=spec.compliance_deadline,
        tracks=dict(spec.tracks),
        on_compliance_deadline=spec.on_compliance_deadline,
        status=FrameworkStatus.DRAFT,
        content_hash=new_hash,
    )
    framework.categories = [
        FrameworkCategory(code=c.code, title=c.title, title_en=c.title_en, position=index)
        for index, c in enumerate(spec.categories, start=1)
    ]
    framework.requirements = [_requirement_row(r) for r in spec.requirements]
    try:
        # A savepoint, so that losing a race against a concurrent import of the same
        # version leaves the caller's transaction usable.
        with session.begin_nested():
            session.add(framework)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"La version {spec.label} vient d'être importée par ailleurs ; relancez l'import "
            "pour vérifier qu'elle est identique."
        ) from None
    audit.record(
        session,
        "framework.import",
        actor=actor,
        subject=framework,
        payload={
            "code": spec.code,
            "version": spec.version,
            "content_hash": new_hash,
            "effective_from": spec.effective_from,
            "categories": len(spec.categories),
            "requirements": len(spec.requirements),
        },
    )
    return framework


def _requirement_row(spec: RequirementSpec) -> Requirement:
    row = Requirement(code=spec.code)
    _copy_requirement(row, spec)
    return row


def _copy_requirement(row: Requirement, spec: RequirementSpec) -> None:
    row.category = spec.category
    row.title = spec.title
    row.title_en = spec.title_en
    row.statement = spec.statement
    row.mandatory = spec.mandatory
    row.applies_if = list(spec.applies_if)
    row.allow_not_applicable = spec.allow_not_applicable
    row.evidence = list(spec.evidence)
    row.position = spec.position


def _update_draft(session: Session, framework: Framework, spec: FrameworkSpec, new_hash: str) -> None:
    framework.title = spec.title
    framework.title_en = spec.title_en
    framework.effective_from = spec.effective_from
    framework.compliance_deadline = spec.compliance_deadline
    framework.tracks = dict(spec.tracks)
    framework.on_compliance_deadline = spec.on_compliance_deadline
    # The hash changes, so the row's version_id moves too: caches keyed on it expire.
    framework.content_hash = new_hash

    categories = {c.code: c for c in framework.categories}
    kept_categories = []
    for index, c in enumerate(spec.categories, start=1):
        row = categories.get(c.code) or FrameworkCategory(code=c.code)
        row.title, row.title_en, row.position = c.title, c.title_en, index
        kept_categories.append(row)
    framework.categories = kept_categories

    requirements = {r.code: r for r in framework.requirements}
    kept = []
    for r in spec.requirements:
        requirement = requirements.get(r.code) or Requirement(code=r.code)
        _copy_requirement(requirement, r)
        kept.append(requirement)
    # Rows are matched by code, so no insert can collide with a row about to be deleted;
    # codes gone from the file are deleted (delete-orphan).
    framework.requirements = kept
    session.flush()


def _uses(session: Session, framework: Framework) -> list[str]:
    """What points at this framework or its requirements, as short French phrases."""
    requirement_ids = select(Requirement.id).where(Requirement.framework_id == framework.id)
    counts = {
        "dossier(s)": select(func.count(Dossier.id)).where(Dossier.framework_id == framework.id),
        "fiche(s) catalogue": select(func.count(Listing.id)).where(
            Listing.framework_id == framework.id
        ),
        "réponse(s)": select(func.count(Answer.id)).where(
            Answer.requirement_id.in_(requirement_ids)
        ),
        "évaluation(s)": select(func.count(Assessment.id)).where(
            Assessment.requirement_id.in_(requirement_ids)
        ),
    }
    uses = []
    for noun, query in counts.items():
        n = session.scalar(query) or 0
        if n:
            uses.append(f"{n} {noun}")
    return uses


def _modified_codes(changes: FrameworkDiff) -> set[str]:
    groups: Iterable[Sequence[Any]] = (
        changes.became_mandatory,
        changes.became_optional,
        changes.reworded,
        changes.applicability_changed,
        changes.evidence_changed,
        changes.recategorised,
        changes.not_applicable_changed,
    )
    return {change.code for group in groups for change in group}


def _change_lines(framework: Framework, spec: FrameworkSpec, changes: FrameworkDiff) -> list[str]:
    """Say, in French, how the file differs from the imported version."""
    lines = []
    fields = ("title", "title_en", "effective_from", "compliance_deadline",
              "on_compliance_deadline")
    for name in fields:
        if getattr(framework, name) != getattr(spec, name):
            lines.append(f"référentiel : « {name} » modifié")
    if dict(framework.tracks or {}) != dict(spec.tracks):
        lines.append("référentiel : « tracks » modifié")
    imported_categories = [(c.code, c.title, c.title_en) for c in framework.categories]
    if imported_categories != [(c.code, c.title, c.title_en) for c in spec.categories]:
        lines.append("référentiel : catégories modifiées")
    lines += [f"exigence {r.code} : ajoutée" for r in changes.added]
    lines += [f"exigence {r.code} : supprimée" for r in changes.retired]
    lines += [f"exigence {code} : modifiée" for code in sorted(_modified_codes(changes))]
    old_positions = [r.code for r in framework.requirements]
    new_positions = [r.code for r in spec.requirements]
    if not lines and old_positions != new_positions:
        lines.append("référentiel : ordre des exigences modifié")
    return lines or ["référentiel : contenu modifié"]
