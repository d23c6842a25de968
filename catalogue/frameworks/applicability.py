"""Which requirements apply to an app, given the predicates its profile makes true.

Pure functions working on anything with `applies_if` and `position` attributes, so that the
same rule serves framework files (RequirementSpec) and database rows (Requirement).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from catalogue.frameworks.vocabulary import PREDICATES

Profile = Mapping[str, bool] | Iterable[str]


def holding_predicates(profile: Profile) -> frozenset[str]:
    """Return the set of predicate codes that hold in `profile`.

    `profile` is either a collection of the codes that hold, or a mapping code -> bool (codes
    mapped to False do not hold). Raises ValueError on an unknown predicate code or a
    non-boolean value, TypeError on a bare string (a common slip for a one-code set).
    """
    if isinstance(profile, str | bytes):
        raise TypeError("profile must be a collection of predicate codes, not a string")
    if isinstance(profile, Mapping):
        bad_values = sorted(str(k) for k, v in profile.items() if not isinstance(v, bool))
        if bad_values:
            raise ValueError(f"profile values must be booleans: {', '.join(bad_values)}")
        codes = {code for code, holds in profile.items() if holds}
        named: Iterable[Any] = profile.keys()
    else:
        codes = set(profile)
        named = codes
    unknown = sorted(str(code) for code in named if code not in PREDICATES)
    if unknown:
        raise ValueError(f"unknown profile predicate(s): {', '.join(unknown)}")
    return frozenset(codes)


def is_applicable(requirement: Any, profile: Profile) -> bool:
    """Tell whether `requirement` applies: every predicate in its `applies_if` holds."""
    return _applies(requirement, holding_predicates(profile))


def applicable_requirements(framework_or_requirements: Any, profile: Profile) -> list[Any]:
    """Return the requirements that apply to `profile`, ordered by position.

    Accepts a framework (anything with a `requirements` attribute) or an iterable of
    requirements. A requirement with an empty `applies_if` always applies.
    """
    requirements = getattr(framework_or_requirements, "requirements", framework_or_requirements)
    holding = holding_predicates(profile)
    return sorted((r for r in requirements if _applies(r, holding)), key=lambda r: r.position)


def _applies(requirement: Any, holding: frozenset[str]) -> bool:
    conditions = set(requirement.applies_if or ())
    unknown = conditions - PREDICATES.keys()
    if unknown:
        # A misspelt condition would otherwise make the requirement silently never apply.
        raise ValueError(
            f"requirement {requirement.code}: unknown predicate(s) {', '.join(sorted(unknown))}"
        )
    return conditions <= holding
