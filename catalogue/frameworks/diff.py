"""What changed between two versions (waves) of a framework.

Requirements are matched by code (same code = same requirement across waves). The functions
are pure and work on any objects with the RequirementSpec attributes, so the same diff serves
framework files before import and framework rows already in the database.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

Op = Literal["equal", "insert", "delete"]

# Words, runs of whitespace and single punctuation marks: a changed comma does not mark the
# neighbouring word as changed.
_TOKEN_RE = re.compile(r"\w+|\s+|[^\w\s]")
_WORD_RE = re.compile(r"\w")


class Segment(NamedTuple):
    """A piece of text in a word diff: kept (`equal`), added (`insert`) or removed (`delete`)."""

    op: Op
    text: str


@dataclass(frozen=True)
class RequirementChange:
    """A requirement present in both versions, before (`old`) and after (`new`)."""

    code: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Rewording(RequirementChange):
    """A requirement whose title or statement changed, with word-level highlighting."""

    title_diff: tuple[Segment, ...]
    statement_diff: tuple[Segment, ...]


@dataclass(frozen=True)
class CodesChange(RequirementChange):
    """A requirement whose conditions (`applies_if`) or evidence kinds changed."""

    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class FrameworkDiff:
    """Changes from `old_label` to `new_label`; each list is in document order."""

    old_label: str
    new_label: str
    added: tuple[Any, ...]
    retired: tuple[Any, ...]
    became_mandatory: tuple[RequirementChange, ...]
    became_optional: tuple[RequirementChange, ...]
    reworded: tuple[Rewording, ...]
    applicability_changed: tuple[CodesChange, ...]
    evidence_changed: tuple[CodesChange, ...]
    recategorised: tuple[RequirementChange, ...]
    not_applicable_changed: tuple[RequirementChange, ...]

    @property
    def is_empty(self) -> bool:
        """True when the two versions hold the same requirements with the same content."""
        return not any(
            (
                self.added,
                self.retired,
                self.became_mandatory,
                self.became_optional,
                self.reworded,
                self.applicability_changed,
                self.evidence_changed,
                self.recategorised,
                self.not_applicable_changed,
            )
        )


def word_diff(old: str, new: str) -> list[Segment]:
    """Diff two texts word by word; joining the equal+delete texts gives `old` back, and the
    equal+insert texts give `new`. Within each changed stretch the deletion comes first."""
    a, b = _TOKEN_RE.findall(old), _TOKEN_RE.findall(new)
    raw: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            raw.append(Segment("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            raw.append(Segment("delete", "".join(a[i1:i2])))
        if j2 > j1:
            raw.append(Segment("insert", "".join(b[j1:j2])))
    return _merge(_absorb_separators(raw))


def diff_frameworks(old_spec: Any, new_spec: Any) -> FrameworkDiff:
    """Compare two framework versions requirement by requirement, matched by code."""
    old_by_code = {r.code: r for r in old_spec.requirements}
    new_reqs = sorted(new_spec.requirements, key=lambda r: r.position)
    new_codes = {r.code for r in new_reqs}

    added, mandatory, optional, reworded = [], [], [], []
    applicability, evidence, recategorised, not_applicable = [], [], [], []
    for new in new_reqs:
        old = old_by_code.get(new.code)
        if old is None:
            added.append(new)
            continue
        if new.mandatory and not old.mandatory:
            mandatory.append(RequirementChange(new.code, old, new))
        elif old.mandatory and not new.mandatory:
            optional.append(RequirementChange(new.code, old, new))
        if (old.title, old.statement) != (new.title, new.statement):
            reworded.append(
                Rewording(
                    new.code,
                    old,
                    new,
                    title_diff=tuple(word_diff(old.title, new.title)),
                    statement_diff=tuple(word_diff(old.statement, new.statement)),
                )
            )
        if set(old.applies_if) != set(new.applies_if):
            applicability.append(_codes_change(new.code, old, new, "applies_if"))
        if list(old.evidence) != list(new.evidence):
            evidence.append(_codes_change(new.code, old, new, "evidence"))
        if old.category != new.category:
            recategorised.append(RequirementChange(new.code, old, new))
        if bool(old.allow_not_applicable) != bool(new.allow_not_applicable):
            not_applicable.append(RequirementChange(new.code, old, new))

    retired = [
        r
        for r in sorted(old_spec.requirements, key=lambda r: r.position)
        if r.code not in new_codes
    ]
    return FrameworkDiff(
        old_label=_label(old_spec),
        new_label=_label(new_spec),
        added=tuple(added),
        retired=tuple(retired),
        became_mandatory=tuple(mandatory),
        became_optional=tuple(optional),
        reworded=tuple(reworded),
        applicability_changed=tuple(applicability),
        evidence_changed=tuple(evidence),
        recategorised=tuple(recategorised),
        not_applicable_changed=tuple(not_applicable),
    )


def _codes_change(code: str, old: Any, new: Any, attribute: str) -> CodesChange:
    before, after = list(getattr(old, attribute)), list(getattr(new, attribute))
    return CodesChange(
        code,
        old,
        new,
        added=tuple(c for c in after if c not in before),
        removed=tuple(c for c in before if c not in after),
    )


def _label(spec: Any) -> str:
    return f"{getattr(spec, 'code', '')} {getattr(spec, 'version', '')}".strip()


def _absorb_separators(segments: list[Segment]) -> list[Segment]:
    # A space or an apostrophe kept between two changed words would split one replacement
    # into many fragments ("qu'il assure" -> "l'Espace" shown piece by piece); treat it as
    # deleted and re-inserted so the whole stretch reads as one change.
    result: list[Segment] = []
    for index, segment in enumerate(segments):
        inside_change = 0 < index < len(segments) - 1 and (
            segments[index - 1].op != "equal" and segments[index + 1].op != "equal"
        )
        if segment.op == "equal" and inside_change and not _WORD_RE.search(segment.text):
            result.append(Segment("delete", segment.text))
            result.append(Segment("insert", segment.text))
        else:
            result.append(segment)
    return result


def _merge(segments: list[Segment]) -> list[Segment]:
    """Group each stretch of changes into one deletion followed by one insertion."""
    result: list[Segment] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted:
            result.append(Segment("delete", "".join(deleted)))
        if inserted:
            result.append(Segment("insert", "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for segment in segments:
        if segment.op == "delete":
            deleted.append(segment.text)
        elif segment.op == "insert":
            inserted.append(segment.text)
        else:
            flush()
            if result and result[-1].op == "equal":
                result[-1] = Segment("equal", result[-1].text + segment.text)
            elif segment.text:
                result.append(segment)
    flush()
    return result
