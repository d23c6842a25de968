"""Framework reads: a version by its code and number, the version in force, its neighbours,
the lists with their counts, the requirements for a profile, and the pages' cache token."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from catalogue.errors import NotFound
from catalogue.frameworks.applicability import applicable_requirements
from catalogue.frameworks.diff import FrameworkDiff, diff_frameworks
from catalogue.frameworks.models import Framework, FrameworkStatus, Requirement

DEFAULT_CODE = "ENS"


@dataclass(frozen=True)
class FrameworkSummary:
    """A framework version with its requirement counts, for lists."""

    framework: Framework
    requirement_count: int
    mandatory_count: int


def get_framework(session: Session, code: str, version: str) -> Framework:
    """The version `code` `version` with its categories and requirements; NotFound otherwise."""
    framework = session.scalar(
        select(Framework)
        .where(Framework.code == code, Framework.version == version)
        .options(selectinload(Framework.categories), selectinload(Framework.requirements))
    )
    if framework is None:
        raise NotFound(f"Le référentiel {code} {version} n'existe pas.")
    return framework


def framework_in_force(
    session: Session, code: str = DEFAULT_CODE, on: date | None = None
) -> Framework | None:
    """The version of `code` in force, or None when none is.

    Without `on`: the version whose status is `in_force` now (what new dossiers use). With a
    date: the version that applies on that date by the calendar, i.e. the one with the latest
    `effective_from` not after it, whatever its status (e.g. to tell which wave applied when a
    decision was taken, or which one will apply on a future date).
    """
    query = select(Framework).where(Framework.code == code)
    if on is None:
        query = query.where(Framework.status == FrameworkStatus.IN_FORCE)
    else:
        query = query.where(Framework.effective_from <= on).order_by(
            Framework.effective_from.desc()
        ).limit(1)
    return session.scalar(query.options(selectinload(Framework.requirements)))


def latest_published(session: Session, code: str = DEFAULT_CODE) -> Framework | None:
    """The newest imported version of `code` (latest `effective_from`), even before it is in
    force: the wave listings must prepare for. None when no version was imported."""
    return session.scalar(
        select(Framework)
        .where(Framework.code == code)
        .order_by(Framework.effective_from.desc())
        .limit(1)
        .options(selectinload(Framework.requirements))
    )


def previous_version(session: Session, framework: Framework) -> Framework | None:
    """The version of the same code that came just before `framework`, if any."""
    return session.scalar(
        select(Framework)
        .where(Framework.code == framework.code, Framework.effective_from < framework.effective_from)
        .order_by(Framework.effective_from.desc())
        .limit(1)
    )


def next_version(session: Session, framework: Framework) -> Framework | None:
    """The version of the same code that comes just after `framework`, if any."""
    return session.scalar(
        select(Framework)
        .where(Framework.code == framework.code, Framework.effective_from > framework.effective_from)
        .order_by(Framework.effective_from)
        .limit(1)
    )


def compare_versions(
    session: Session, code: str, old: str, new: str
) -> tuple[Framework, Framework, FrameworkDiff]:
    """Both versions and what changed from `old` to `new` (NotFound if either is unknown)."""
    if old == new:
        raise NotFound(f"Comparer la version {code} {old} à elle-même n'a pas de sens.")
    before = get_framework(session, code, old)
    after = get_framework(session, code, new)
    return before, after, diff_frameworks(before, after)


def list_frameworks(session: Session, code: str | None = None) -> list[FrameworkSummary]:
    """Every imported version (of `code`, or all codes), newest first within a code, with
    its requirement counts; two queries whatever the number of versions."""
    query = select(Framework).order_by(Framework.code, Framework.effective_from.desc())
    if code is not None:
        query = query.where(Framework.code == code)
    frameworks = list(session.scalars(query))
    counts = {
        framework_id: (total, mandatory)
        for framework_id, total, mandatory in session.execute(
            select(
                Requirement.framework_id,
                func.count(Requirement.id),
                func.sum(case((Requirement.mandatory.is_(True), 1), else_=0)),
            ).group_by(Requirement.framework_id)
        )
    }
    return [
        FrameworkSummary(f, *(int(n or 0) for n in counts.get(f.id, (0, 0)))) for f in frameworks
    ]


def requirements_for_profile(
    framework: Framework, predicates: Mapping[str, bool] | Iterable[str]
) -> list[Requirement]:
    """The requirements of `framework` that apply to an app whose profile makes
    `predicates` true (a collection of predicate codes or a mapping code -> bool), in
    document order. Raises ValueError on an unknown predicate code."""
    return applicable_requirements(framework, predicates)


def frameworks_token(session: Session) -> str:
    """A cheap version token of everything the framework pages and API show.

    Every change of a framework row bumps its `version_id` (status transitions, draft
    re-imports, which also rewrite `content_hash`), and imports add rows, so the count and
    the sum of versions move whenever an answer could change.
    """
    count, versions = session.execute(
        select(func.count(Framework.id), func.coalesce(func.sum(Framework.version_id), 0))
    ).one()
    return f"frameworks:{count}:{versions}"
