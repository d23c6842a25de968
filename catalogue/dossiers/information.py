"""The reply to an information request: the library's files offered requirement by
requirement, the requirements the request cites first.

A request is free text; the commission cites the requirements it questions by their code
("SEC-04"). Those come first, open; the others follow folded, by category; files tied to no
requirement come last. A requirement offers the files of its current answer, then the
library's other files of a kind it expects, uploaded for this app or for the whole
organisation; the other apps' files wait in the last, folded group.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from catalogue.dossiers.models import Dossier, Evidence, InformationRequest
from catalogue.dossiers.queries import applicable_requirements, categories_of, current_answers
from catalogue.frameworks.models import Requirement


@dataclass(frozen=True)
class RequirementFiles:
    """One requirement and the files offered under it (those of its answer first)."""

    requirement: Requirement
    files: list[Evidence]
    attached: frozenset[int]


@dataclass(frozen=True)
class CategoryFiles:
    """The requirements of one category that have files to offer."""

    code: str
    title: str
    title_en: str
    groups: list[RequirementFiles]

    @property
    def file_count(self) -> int:
        """How many distinct files the category offers."""
        return len({e.id for g in self.groups for e in g.files})


@dataclass(frozen=True)
class ReplyEvidence:
    """What the reply form offers: cited requirements, the others by category, the rest."""

    questioned: list[RequirementFiles]
    categories: list[CategoryFiles]
    others: list[Evidence]


def cited_codes(questions: str, codes: Iterable[str]) -> set[str]:
    """The requirement ``codes`` the text names, whatever their case ("sec-04" is SEC-04),
    as whole codes only (SEC-1 is not cited by SEC-10)."""
    return {code for code in codes
            if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", questions, re.IGNORECASE)}


def _files_for(requirement: Requirement, attached: Sequence[Evidence],
               library: Sequence[Evidence], app_id: int) -> RequirementFiles:
    ids = {e.id for e in attached}
    expected = set(requirement.evidence or [])
    same_kind = [e for e in library if e.id not in ids and e.app_id in (None, app_id)
                 and expected.intersection(e.kinds)]
    return RequirementFiles(requirement, [*attached, *same_kind], frozenset(ids))


def reply_evidence(session: Session, dossier: Dossier, request: InformationRequest,
                   library: Sequence[Evidence]) -> ReplyEvidence:
    """Group ``library`` (the organisation's files) for the reply to ``request``."""
    requirements = applicable_requirements(session, dossier)
    answers = current_answers(session, dossier, working=True, requirements_loaded=True)
    in_library = {e.id for e in library}
    cited = cited_codes(request.questions, (r.code for r in requirements))
    groups = [_files_for(r, [e for e in answers[r.id].evidence if e.id in in_library]
                         if r.id in answers else [], library, dossier.app_id) for r in requirements]
    questioned = [g for g in groups if g.requirement.code in cited]
    rest = [g for g in groups if g.requirement.code not in cited and g.files]
    categories = [CategoryFiles(c.code, c.title, c.title_en, members)
                  for c in categories_of(session, dossier)
                  if (members := [g for g in rest if g.requirement.category == c.code])]
    offered = {e.id for g in groups for e in g.files}
    return ReplyEvidence(questioned, categories, sorted((e for e in library if e.id not in offered),
                                                       key=lambda e: e.title.lower()))
