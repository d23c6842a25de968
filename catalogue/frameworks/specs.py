"""The frozen, typed specification of a framework version, as read from its file (see ``loader``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class CategorySpec:
    """A category of requirements, e.g. `security`."""

    code: str
    title: str
    title_en: str


@dataclass(frozen=True)
class RequirementSpec:
    """One requirement of a framework version, as read from its file."""

    code: str
    category: str
    title: str
    title_en: str
    statement: str
    mandatory: bool
    applies_if: tuple[str, ...]
    allow_not_applicable: bool
    evidence: tuple[str, ...]
    position: int


@dataclass(frozen=True)
class FrameworkSpec:
    """One version (wave) of a framework, validated."""

    code: str
    version: str
    title: str
    title_en: str
    effective_from: date
    compliance_deadline: date | None
    categories: tuple[CategorySpec, ...]
    requirements: tuple[RequirementSpec, ...]
    # Review clock per dossier kind, in calendar days (kinds absent: the REVIEW_DAYS setting).
    tracks: tuple[tuple[str, int], ...] = ()
    # The listing state at this wave's compliance deadline for listings not brought into line.
    on_compliance_deadline: str = "suspended"

    @property
    def label(self) -> str:
        return f"{self.code} {self.version}"
